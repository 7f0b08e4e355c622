import { describe, expect, it } from 'vitest';
import { classifyProcesses } from '../../electron/core/monitor/index.js';
import type { ProcessInfo } from '../../electron/core/platform/types.js';
import { stopFamiliesOf } from '../../electron/core/stop/index.js';
import { survivorReason } from '../../electron/core/stop/kill.js';
import {
  batchFileOf,
  inKillOrder,
  LAUNCHER_FAMILY,
  launcherKind,
  protectedPids,
  selectTargets,
} from '../../electron/core/stop/targets.js';
import { parseDefaultFamilies } from '../../shared/config/monitor.js';
import { DEFAULT_STOP_FAMILIES, stopConfigSchema } from '../../shared/config/stop.js';
import { loadProcessTable } from '../fixtures/windows/fake-windows.js';

const BOT = '/srv/bots/nexus02';

function proc(pid: number, ppid: number, name: string, cmdline: string, startTime = 1000 + pid): ProcessInfo {
  return { pid, ppid, name, cmdline, startTime, state: 'sleeping', cpuTimeMs: 0, rssBytes: 0 };
}

const chrome = (profile: string) =>
  `/usr/lib/chromium/chromium --headless --user-data-dir=${profile} about:blank`;

/** init → shell → nexus-ops (self) → a bot it launched; a cron-started bot; orphans; the operator's Chrome. */
function world(): ProcessInfo[] {
  return [
    proc(1, 0, 'systemd', '/sbin/init', 0),
    proc(50, 1, 'bash', '-bash'),
    proc(60, 50, 'node', 'node dist/electron/cli.cjs serve'),
    proc(70, 60, 'python3', 'python3 -m reply_bot.multi_main --config config/a.yaml'),
    proc(71, 70, 'chromium', chrome(`${BOT}/profile/acc1`)),
    proc(72, 71, 'chromium', '/usr/lib/chromium/chromium --type=renderer'),
    proc(200, 1, 'python3', 'python3 -m reply_bot.schedule_tweet_main'),
    proc(201, 200, 'chromedriver', 'chromedriver --port=0'),
    proc(202, 201, 'chromium', chrome(`${BOT}/profile/acc2`)),
    // Chrome whose Python died: parent is init now.
    proc(300, 1, 'chromium', chrome(`${BOT}/profile/acc3`)),
    proc(301, 300, 'chromium', '/usr/lib/chromium/chromium --type=gpu-process'),
    // Operator's Chrome, and a PID-reuse link: 401 names 400 as parent but is older than it.
    proc(400, 1, 'chromium', chrome('/home/op/.config/chromium')),
    proc(401, 400, 'python3', 'python3 other.py', 100),
  ];
}

function select(processes: ProcessInfo[], selfPid: number) {
  const classified = classifyProcesses(processes, parseDefaultFamilies(), { botFolders: [BOT] });
  return selectTargets(processes, classified, DEFAULT_STOP_FAMILIES, protectedPids(processes, selfPid));
}

describe('stop target selection', () => {
  it('takes runner trees first, then drivers, then bot Chrome including orphans, parents before children', () => {
    const { targets, byFamily } = select(world(), 60);
    expect(targets.map((t) => t.pid)).toEqual([70, 71, 72, 200, 201, 202, 300, 301]);
    expect(targets.map((t) => t.group)).toEqual([
      'bot-runner',
      'bot-runner',
      'bot-runner',
      'bot-runner',
      'bot-runner',
      'bot-runner',
      'bot-chrome',
      'bot-chrome',
    ]);
    expect(byFamily).toEqual({ 'bot-runner': 2, 'bot-driver': 1, 'bot-chrome': 5 });
  });

  it("never takes the operator's Chrome, Nexus Ops, its ancestors, or a child linked through a reused PID", () => {
    const pids = select(world(), 60).targets.map((t) => t.pid);
    for (const pid of [1, 50, 60, 400, 401]) expect(pids).not.toContain(pid);
  });

  it('protects the ancestors even when they match a stop family (nexus-ops started from a bot shell)', () => {
    // Here Nexus Ops (pid 72's place) runs under the bot runner 70: the runner is its ancestor.
    const processes = [...world(), proc(80, 70, 'node', 'node cli.cjs stop')];
    const pids = select(processes, 80).targets.map((t) => t.pid);
    expect(pids).not.toContain(70);
    expect(pids).not.toContain(80);
    expect(pids).toContain(71); // the bot's Chrome is still a bot-chrome target of its own
  });

  it('groups targets in kill order', () => {
    const { targets } = select(world(), 60);
    const groups = inKillOrder(targets, DEFAULT_STOP_FAMILIES);
    expect(groups.map((g) => g.map((t) => t.pid))).toEqual([
      [70, 71, 72, 200, 201, 202],
      [300, 301],
    ]);
  });
});

describe('protected ancestors', () => {
  it('stop at a recorded parent PID that a younger process reused (the parent itself is gone)', () => {
    // Nexus Ops (60) was started by a launcher (55) that exited; a bot started later got PID 55.
    const processes = [
      proc(1, 0, 'systemd', '/sbin/init', 0),
      proc(60, 55, 'node', 'node dist/electron/cli.cjs serve', 5_000),
      proc(40, 1, 'bash', '-bash', 1_000),
      proc(55, 40, 'python3', 'python3 -m reply_bot.multi_main --config config/a.yaml', 90_000),
      proc(56, 55, 'chromium', chrome(`${BOT}/profile/acc1`), 91_000),
    ];
    expect([...protectedPids(processes, 60)].sort((a, b) => a - b)).toEqual([0, 1, 60]);
    expect(select(processes, 60).targets.map((t) => t.pid)).toEqual([55, 56]);
  });

  it('still protect every live ancestor, and a dead parent PID nobody has', () => {
    expect([...protectedPids(world(), 72)].sort((a, b) => a - b)).toEqual([0, 1, 50, 60, 70, 71, 72]);
    const orphaned = [proc(60, 59, 'node', 'node cli.cjs serve')];
    expect([...protectedPids(orphaned, 60)].sort((a, b) => a - b)).toEqual([0, 1, 60]);
  });
});

describe('launchers above a bot (Windows: the recorded run_bot.bat tree)', () => {
  const table = loadProcessTable('run-bot-tree.json');
  const TAX = 'C:\\bots\\TradingAssistantX';
  const processes: ProcessInfo[] = table.processes.map((p) => ({
    pid: p.pid,
    ppid: p.ppid,
    name: p.name,
    cmdline: p.cmdline,
    startTime: p.start ?? 0,
    state: 'running',
    cpuTimeMs: p.cpuMs,
    rssBytes: p.workingSet,
  }));
  const name = (pid: number) => processes.find((p) => p.pid === pid)?.name;

  function selectWindows(list: ProcessInfo[], folders = [table.botFolder, TAX]) {
    const classified = classifyProcesses(list, parseDefaultFamilies(), { botFolders: folders });
    return selectTargets(list, classified, DEFAULT_STOP_FAMILIES, protectedPids(list, table.selfPid), {
      botFolders: folders,
    });
  }

  it('takes the cmd.exe of run_bot.bat and the pnpm shells with the bots, each before what it runs', () => {
    const { targets, byFamily } = selectWindows(processes);
    expect(targets.map((t) => [t.pid, t.family])).toEqual([
      [10212, LAUNCHER_FAMILY], // cmd /c run_bot.bat (Task Scheduler)
      [8200, LAUNCHER_FAMILY], // node pnpm.cjs start
      [8260, LAUNCHER_FAMILY], // cmd /d /s /c "tsx src/main.ts"
      [8300, 'bot-runner'],
      [8340, 'bot-runner'],
      [8360, 'bot-runner'], // esbuild, in the runner's tree
      [10340, 'bot-runner'], // python: its PID is Nexus Ops' recorded parent, yet it is a target
      [11020, 'bot-driver'],
      [11104, 'bot-chrome'],
      [11188, 'bot-chrome'],
      [11260, 'bot-chrome'],
      [11300, 'bot-chrome'],
    ]);
    expect(byFamily).toEqual({ [LAUNCHER_FAMILY]: 3, 'bot-runner': 4, 'bot-driver': 1, 'bot-chrome': 4 });
    // One kill group: the launchers are forced first, so nothing they run starts again.
    expect(inKillOrder(targets, DEFAULT_STOP_FAMILIES).map((g) => g[0]?.pid)).toEqual([10212]);
  });

  it("never takes Task Scheduler's svchost, the task's console host, the operator's terminal, Chrome or Nexus Ops", () => {
    const pids = selectWindows(processes).targets.map((t) => t.pid);
    for (const pid of [4, 1032, 1876, 10220, 6120, 8000, 8040, 7300, 7320, 9480, 9512]) {
      expect(pids, `${pid} ${name(pid)}`).not.toContain(pid);
    }
  });

  it('takes a batch file running from a bot folder with no bot below it (a restart loop between runs)', () => {
    const between = processes
      .filter((p) => p.pid < 10340 || p.pid > 11300 || p.pid === 10220)
      .concat({
        ...processes.find((p) => p.pid === 10220)!,
        pid: 10400,
        name: 'timeout.exe',
        cmdline: 'timeout /t 7200 /nobreak',
      });
    const { targets } = selectWindows(between);
    expect(targets.filter((t) => t.group === 'bot-runner' && t.pid > 10000).map((t) => t.pid)).toEqual([
      10212,
    ]);
    // Without the bot folder configured, such a shell is nobody's target.
    expect(selectWindows(between, [TAX]).targets.map((t) => t.pid)).not.toContain(10212);
  });

  it('a relative batch path (a task with "Start in") is found through the bot below it only', () => {
    const relative = processes.map((p) =>
      p.pid === 10212 ? { ...p, cmdline: 'C:\\WINDOWS\\system32\\cmd.exe /c run_bot.bat' } : p,
    );
    const pids = selectWindows(relative).targets.map((t) => t.pid);
    expect(pids.slice(pids.indexOf(10212), pids.indexOf(10212) + 2)).toEqual([10212, 10340]);
    const idle = relative.filter((p) => p.pid < 10340 || p.pid > 11300);
    expect(selectWindows(idle).targets.map((t) => t.pid)).not.toContain(10212);
  });

  it('leaves an interactive shell above a bot alone (the operator typed the command)', () => {
    for (const cmdline of [
      'C:\\WINDOWS\\system32\\cmd.exe',
      'cmd.exe /k run_bot.bat',
      'powershell.exe -NoExit -File run.ps1',
    ]) {
      const interactive = processes.map((p) =>
        p.pid === 10212
          ? { ...p, cmdline, name: cmdline.includes('power') ? 'powershell.exe' : 'cmd.exe' }
          : p,
      );
      expect(selectWindows(interactive).targets.map((t) => t.pid)).not.toContain(10212);
    }
  });
});

describe('launcherKind / batchFileOf', () => {
  const p = (name: string, cmdline: string) => proc(9, 1, name, cmdline);

  it('knows the shells and package runners that start bots', () => {
    expect(launcherKind(p('cmd.exe', 'C:\\WINDOWS\\system32\\cmd.exe /c ""C:\\A B\\run_bot.bat" "'))).toBe(
      'shell',
    );
    expect(launcherKind(p('CMD.EXE', 'cmd /C run.cmd'))).toBe('shell');
    expect(launcherKind(p('cmd.exe', 'cmd.exe /d /s /c "tsx src/main.ts"'))).toBe('shell');
    expect(launcherKind(p('cmd.exe', 'cmd.exe /k run_bot.bat'))).toBeNull();
    expect(launcherKind(p('cmd.exe', '"C:\\WINDOWS\\system32\\cmd.exe" '))).toBeNull();
    expect(
      launcherKind(p('powershell.exe', 'powershell.exe -ExecutionPolicy Bypass -File C:\\bots\\run.ps1')),
    ).toBe('shell');
    expect(launcherKind(p('pwsh.exe', 'pwsh -c "pnpm start"'))).toBe('shell');
    expect(launcherKind(p('pwsh.exe', 'pwsh -noe -c "pnpm start"'))).toBeNull();
    expect(launcherKind(p('pwsh.exe', '"C:\\Program Files\\PowerShell\\7\\pwsh.exe"'))).toBeNull();
    expect(launcherKind(p('pnpm.exe', 'pnpm start'))).toBe('package-runner');
    expect(
      launcherKind(
        p(
          'node.exe',
          '"C:\\Program Files\\nodejs\\node.exe" "C:\\Program Files\\nodejs\\node_modules\\npm\\bin\\npm-cli.js" start',
        ),
      ),
    ).toBe('package-runner');
    expect(launcherKind(p('node', '/usr/bin/node /usr/lib/node_modules/pnpm/bin/pnpm.cjs start'))).toBe(
      'package-runner',
    );
    expect(launcherKind(p('node.exe', 'node src/pnpm-helper.js'))).toBeNull();
    expect(launcherKind(p('python.exe', 'python -m reply_bot.multi_main'))).toBeNull();
    expect(launcherKind(p('bash', 'bash -c "python3 -m reply_bot.multi_main"'))).toBeNull();
  });

  it('reads the batch file a cmd.exe runs, however Windows quoted it', () => {
    expect(
      batchFileOf(p('cmd.exe', 'C:\\WINDOWS\\system32\\cmd.exe /c ""C:\\山田 太郎\\bot\\run_bot.bat" "')),
    ).toBe('C:\\山田 太郎\\bot\\run_bot.bat');
    expect(batchFileOf(p('cmd.exe', 'cmd /c "C:\\bots\\run.cmd" --live'))).toBe('C:\\bots\\run.cmd');
    expect(batchFileOf(p('cmd.exe', 'cmd.exe /c run_bot.bat'))).toBe('run_bot.bat');
    expect(batchFileOf(p('cmd.exe', 'cmd.exe /d /s /c "tsx src/main.ts"'))).toBeNull();
    expect(batchFileOf(p('cmd.exe', 'cmd.exe /k run_bot.bat'))).toBeNull();
    expect(batchFileOf(p('python.exe', 'python /c x.bat'))).toBeNull();
  });
});

describe('stop config', () => {
  it('has the documented defaults', () => {
    expect(stopConfigSchema.parse({})).toEqual({
      killSwitchFile: 'EMERGENCY_STOP',
      graceSeconds: 5,
      verifySeconds: 5,
      windowsTasks: [],
      resumeCooldownMinutes: 30,
      notifyChannels: [],
    });
  });

  it('refuses a kill-switch name that is a path', () => {
    expect(stopConfigSchema.safeParse({ killSwitchFile: '../x' }).success).toBe(false);
    expect(stopConfigSchema.safeParse({ killSwitchFile: 'C:\\x' }).success).toBe(false);
    expect(stopConfigSchema.safeParse({ killSwitchFile: '..' }).success).toBe(false);
  });

  it('takes the stop families from the monitor config, in order, or the defaults', () => {
    const stop = stopConfigSchema.parse({});
    expect(stopFamiliesOf({ stop, bots: [] })).toEqual(['bot-runner', 'bot-driver', 'bot-chrome']);
    expect(
      stopFamiliesOf({
        stop,
        bots: [],
        monitor: {
          families: [
            { name: 'chrome', stopOnEmergency: false },
            { name: 'tsx-bot', stopOnEmergency: true },
            { name: 'bot-chrome', stopOnEmergency: true },
          ],
        },
      }),
    ).toEqual(['tsx-bot', 'bot-chrome']);
  });
});

describe('survivor reasons', () => {
  it('names access denied, kill errors and uninterruptible sleep', () => {
    const p = proc(5, 1, 'python3', 'python3 x');
    expect(survivorReason(p, { pid: 5, result: 'denied', detail: 'EPERM' })).toBe('access denied (EPERM)');
    expect(survivorReason(p, { pid: 5, result: 'error', detail: 'boom' })).toBe('kill failed: boom');
    expect(survivorReason({ ...p, state: 'disk-sleep' }, { pid: 5, result: 'sent' })).toMatch(/D state/);
    expect(survivorReason(p, { pid: 5, result: 'sent' })).toBe('still running after a forced kill');
  });
});

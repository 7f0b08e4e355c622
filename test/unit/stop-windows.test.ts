/**
 * The emergency stop on the Windows platform, on Linux: Win32 is a fake process table, and every
 * taskkill/schtasks call goes through an injected runner that records the exact argument list and
 * answers with output recorded from real Windows (English locale).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/core/clock/index.js';
import type { RunCommand, RunResult } from '../../electron/core/platform/index.js';
import { createWindowsPlatform } from '../../electron/core/platform/windows/index.js';
import type { Win32Api } from '../../electron/core/platform/windows/win32.js';
import { createTestStop, openTestStore } from '../fixtures/fake-bot/harness.js';

interface FakeProcess {
  pid: number;
  ppid: number;
  exe: string;
  start: number;
  cmdline: string;
}

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const BOT = 'C:\\GenerativeAI\\TwitterBot_Nexus_02';
const CHROME = '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe"';

function nexusTree(): FakeProcess[] {
  return [
    { pid: 4, ppid: 0, exe: 'System', start: T0 - 9e6, cmdline: '' },
    { pid: 900, ppid: 4, exe: 'cmd.exe', start: T0 - 1000, cmdline: `cmd.exe /c ${BOT}\\run_bot.bat` },
    {
      pid: 1000,
      ppid: 900,
      exe: 'python.exe',
      start: T0,
      cmdline:
        '"C:\\Python311\\python.exe" -m reply_bot.multi_main --config .\\config\\accounts_1.yaml --live-run',
    },
    {
      pid: 1100,
      ppid: 1000,
      exe: 'chromedriver.exe',
      start: T0 + 100,
      cmdline: `"${BOT}\\chromedriver.exe" --port=0`,
    },
    {
      pid: 1200,
      ppid: 1100,
      exe: 'chrome.exe',
      start: T0 + 200,
      cmdline: `${CHROME} --headless --remote-debugging-port=0 --user-data-dir=${BOT}\\profile\\acc1`,
    },
    { pid: 1201, ppid: 1200, exe: 'chrome.exe', start: T0 + 300, cmdline: `${CHROME} --type=renderer` },
    // A bot Chrome whose Python was hard-killed: only its profile path ties it to the bot.
    {
      pid: 2200,
      ppid: 7777,
      exe: 'chrome.exe',
      start: T0 + 400,
      cmdline: `${CHROME} --headless --user-data-dir="${BOT}\\profile\\acc2"`,
    },
    // The operator's own Chrome: never touched.
    {
      pid: 3000,
      ppid: 2900,
      exe: 'chrome.exe',
      start: T0 - 5000,
      cmdline: `${CHROME} --user-data-dir=C:\\Users\\op\\AppData\\Local\\Google\\Chrome\\User Data`,
    },
  ];
}

function fakeWin32(processes: Map<number, FakeProcess>): Win32Api {
  return {
    snapshotProcesses: () =>
      [...processes.values()].map((p) => ({ pid: p.pid, ppid: p.ppid, exeFile: p.exe })),
    queryProcess(pid, withCmdline) {
      const p = processes.get(pid);
      if (!p) return null;
      return {
        startTime: p.start,
        cpuTimeMs: 0,
        rssBytes: 0,
        alive: true,
        ...(withCmdline ? { cmdline: p.cmdline } : {}),
      };
    },
    hungWindowPids: () => new Set(),
    memoryStatus: () => {
      throw new Error('not used');
    },
    fixedDrives: () => ['C:'],
    oemCodePage: () => 65001,
  };
}

interface Call {
  file: string;
  args: readonly string[];
}

/**
 * taskkill and schtasks as they answer on an English Windows. Console Pythons and Chrome ignore the
 * polite taskkill (no /F); /F ends them, except `denied` PIDs (another user's process).
 */
function recordingRunner(
  processes: Map<number, FakeProcess>,
  denied: Set<number>,
  tasks: Map<string, string>,
) {
  const calls: Call[] = [];
  const run: RunCommand = async (file, args) => {
    calls.push({ file, args: [...args] });
    const ok = (stdout: string, code = 0): RunResult => ({ code, stdout, stderr: '' });
    if (file.endsWith('taskkill.exe')) {
      const force = args.includes('/F');
      let stdout = '';
      let stderr = '';
      args.forEach((arg, i) => {
        if (arg !== '/PID') return;
        const pid = Number(args[i + 1]);
        const parent = processes.get(pid)?.ppid ?? 0;
        if (denied.has(pid)) {
          stderr += `ERROR: The process with PID ${pid} (child process of PID ${parent}) could not be terminated.\r\nReason: Access is denied.\r\n`;
        } else if (!force) {
          stderr += `ERROR: The process with PID ${pid} (child process of PID ${parent}) could not be terminated.\r\nReason: This process can only be terminated forcefully (with /F option).\r\n`;
        } else {
          processes.delete(pid);
          stdout += `SUCCESS: The process with PID ${pid} (child process of PID ${parent}) has been terminated.\r\n`;
        }
      });
      return { code: stderr ? 128 : 0, stdout, stderr };
    }
    if (file.endsWith('schtasks.exe')) {
      const name = args[args.indexOf('/TN') + 1]!;
      const status = tasks.get(name);
      if (status === undefined) {
        return { code: 1, stdout: '', stderr: 'ERROR: The system cannot find the file specified.\r\n' };
      }
      if (args[0] === '/Query') return ok(`"${name}","2026/01/05 11:00:00","${status}"\r\n`);
      tasks.set(name, args.includes('/ENABLE') ? 'Ready' : 'Disabled');
      return ok(`SUCCESS: The parameters of scheduled task "${name}" have been changed.\r\n`);
    }
    throw new Error(`unexpected command ${file}`);
  };
  return { run, calls };
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(denied: number[] = []) {
  const processes = new Map(nexusTree().map((p) => [p.pid, p]));
  const tasks = new Map([
    ['\\TwitterBot_Nexus_02', 'Ready'],
    ['\\Already_Off', 'Disabled'],
  ]);
  const { run, calls } = recordingRunner(processes, new Set(denied), tasks);
  const clock = new ManualClock(T0 + 60_000);
  const platform = createWindowsPlatform({
    clock,
    run,
    win32: async () => fakeWin32(processes),
    systemRoot: 'C:\\Windows',
    ctrlC: null,
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'nexus-ops-stop-win-'));
  dirs.push(dataDir);
  const store = openTestStore(dataDir, clock);
  const t = createTestStop({
    store,
    folders: [BOT],
    platform,
    clock,
    stop: {
      graceSeconds: 0.2,
      verifySeconds: 1,
      windowsTasks: ['\\TwitterBot_Nexus_02', '\\Already_Off', '\\Missing'],
    },
  });
  return { t, calls, processes, tasks, store };
}

const TASKKILL = 'C:\\Windows\\System32\\taskkill.exe';
const SCHTASKS = 'C:\\Windows\\System32\\schtasks.exe';

describe('emergency stop on the Windows platform (injected runner)', () => {
  it('asks taskkill politely, family by family, then with /F, by full path and exact arguments', async () => {
    const { t, calls, processes } = setup();
    const run = await t.stop.trigger({ source: 'button', reason: 'windows' });

    const taskkills = calls.filter((c) => c.file === TASKKILL).map((c) => c.args);
    expect(taskkills).toEqual([
      ['/PID', '1000', '/PID', '1100', '/PID', '1200', '/PID', '1201'],
      ['/PID', '2200'],
      ['/PID', '1000', '/PID', '1100', '/PID', '1200', '/PID', '1201', '/F'],
      ['/PID', '2200', '/F'],
    ]);
    expect(run.status).toBe('done');
    expect(run.counts).toEqual({ targets: 5, stopped: 5, forced: 5, survivors: 0 });
    expect(run.families).toEqual({ 'bot-runner': 1, 'bot-driver': 1, 'bot-chrome': 3 });
    expect([...processes.keys()].sort()).toEqual([3000, 4, 900]);
  });

  it('disables only the enabled tasks with schtasks and resume re-enables exactly those', async () => {
    const { t, calls, tasks } = setup();
    const run = await t.stop.trigger({ source: 'button', reason: 'windows' });
    expect(run.disabledTasks).toEqual(['\\TwitterBot_Nexus_02']);
    const schtasks = calls.filter((c) => c.file === SCHTASKS).map((c) => c.args);
    expect(schtasks).toEqual(
      expect.arrayContaining([
        ['/Query', '/TN', '\\TwitterBot_Nexus_02', '/FO', 'CSV', '/NH'],
        ['/Change', '/TN', '\\TwitterBot_Nexus_02', '/DISABLE'],
        ['/Query', '/TN', '\\Already_Off', '/FO', 'CSV', '/NH'],
        ['/Query', '/TN', '\\Missing', '/FO', 'CSV', '/NH'],
      ]),
    );
    expect(schtasks).toHaveLength(4);
    expect(tasks.get('\\TwitterBot_Nexus_02')).toBe('Disabled');

    calls.length = 0;
    await t.stop.resume({ actor: 'op', reason: 'fixed' });
    expect(calls.map((c) => [c.file, ...c.args])).toEqual([
      [SCHTASKS, '/Change', '/TN', '\\TwitterBot_Nexus_02', '/ENABLE'],
    ]);
    expect(tasks.get('\\Already_Off')).toBe('Disabled');
  });

  it('reports a process taskkill cannot end as a survivor with the reason from its output', async () => {
    const { t } = setup([1201]);
    const run = await t.stop.trigger({ source: 'button', reason: 'windows' });
    expect(run.status).toBe('survivors');
    expect(run.survivors).toEqual([
      {
        pid: 1201,
        name: 'chrome.exe',
        family: 'bot-chrome',
        reason: expect.stringMatching(/^access denied/),
      },
    ]);
    expect(run.counts).toEqual({ targets: 5, stopped: 4, forced: 4, survivors: 1 });
    expect(t.notices[0]?.title).toMatch(/1 process\(es\) survived/);
  });

  it('reports the bot folder it could not write the kill-switch into, and still stops', async () => {
    const { t } = setup();
    const run = await t.stop.trigger({ source: 'button', reason: 'windows' });
    expect(run.killSwitch.written).toEqual([]);
    expect(run.killSwitch.failed).toHaveLength(1);
    expect(run.errors[0]).toMatch(/^kill-switch /);
    expect(run.counts.stopped).toBe(5);
  });
});

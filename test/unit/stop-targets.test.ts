import { describe, expect, it } from 'vitest';
import { classifyProcesses } from '../../electron/core/monitor/index.js';
import type { ProcessInfo } from '../../electron/core/platform/types.js';
import { stopFamiliesOf } from '../../electron/core/stop/index.js';
import { survivorReason } from '../../electron/core/stop/kill.js';
import { inKillOrder, protectedPids, selectTargets } from '../../electron/core/stop/targets.js';
import { parseDefaultFamilies } from '../../shared/config/monitor.js';
import { DEFAULT_STOP_FAMILIES, stopConfigSchema } from '../../shared/config/stop.js';

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

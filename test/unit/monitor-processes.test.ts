import { describe, expect, it } from 'vitest';
import { createProcessTracker, parseDefaultFamilies } from '../../electron/core/monitor/index.js';
import { createStoreWindow } from '../../electron/core/monitor/store-window.js';
import type { ProcessInfo } from '../../electron/core/platform/types.js';
import { familyDefSchema } from '../../shared/config/monitor.js';

const families = parseDefaultFamilies();
const T = Date.UTC(2026, 0, 1);

function p(pid: number, name: string, cmdline: string, extra: Partial<ProcessInfo> = {}): ProcessInfo {
  return {
    pid,
    ppid: 1,
    name,
    cmdline,
    startTime: T - 60_000,
    state: 'sleeping',
    cpuTimeMs: 0,
    rssBytes: 0,
    ...extra,
  };
}

function family(scan: ReturnType<ReturnType<typeof createProcessTracker>['update']>, name: string) {
  return scan.families.find((f) => f.name === name)!;
}

describe('process tracker', () => {
  it('derives CPU % of the machine from CPU-time deltas per pid + start time', () => {
    const tracker = createProcessTracker({ cpuCount: 4, platformKind: 'linux', hungAfterMs: 30_000 });
    const a = p(10, 'python3', 'python3 -m reply_bot.multi_main', { cpuTimeMs: 1_000, rssBytes: 50e6 });
    const b = p(11, 'python3', 'python3 -m reply_bot.login_assist', { cpuTimeMs: 0, rssBytes: 20e6 });
    const first = tracker.update(T, [a, b], families, []);
    expect(family(first, 'bot-runner')).toMatchObject({ count: 2, cpuPct: 0, rssBytes: 70e6 });
    // 2 s of CPU in 5 s on a 4-CPU machine: 10 % of the machine.
    const second = tracker.update(T + 5_000, [{ ...a, cpuTimeMs: 3_000 }, b], families, []);
    expect(family(second, 'bot-runner').cpuPct).toBe(10);
    expect(second.instancesOf('bot-runner')![0]!.cpuPct).toBe(10);
    // Same pid, new start time: a different process, no delta against the old one.
    const reused = { ...a, startTime: T + 6_000, cpuTimeMs: 100 };
    const third = tracker.update(T + 10_000, [reused, b], families, []);
    expect(family(third, 'bot-runner').cpuPct).toBe(0.6); // 100 ms over its 4 s of life, 4 CPUs
    const samples = third.samples
      .filter((s) => s.labels.family === 'bot-runner')
      .map((s) => [s.name, s.value]);
    expect(samples).toEqual([
      ['proc.count', 2],
      ['proc.runs', 2],
      ['proc.cpu_pct', 0.6],
      ['proc.rss', 70e6],
      ['proc.zombies', 0],
      ['proc.hung', 0],
    ]);
  });

  it('lists its members for the next watch scan, and measures a process left unread across the whole gap', () => {
    const tracker = createProcessTracker({ cpuCount: 1, platformKind: 'linux', hungAfterMs: 30_000 });
    const bot = p(10, 'python3', 'python3 -m reply_bot.multi_main', { cpuTimeMs: 1_000 });
    const shell = p(11, 'bash', 'bash', { cpuTimeMs: 500 });
    const first = tracker.update(T, [bot, shell], families, []);
    expect([...first.memberPids]).toEqual([10]);
    // The shell was not read again (same object) for two scans, then read: 600 ms over 3 s is 20 %.
    tracker.update(T + 1_000, [{ ...bot }, shell], families, []);
    tracker.update(T + 2_000, [{ ...bot }, shell], families, []);
    const shells = [...families, familyDefSchema.parse({ name: 'shells', exe: 'bash' })];
    const fourth = tracker.update(T + 3_000, [{ ...bot }, { ...shell, cpuTimeMs: 1_100 }], shells, []);
    expect(fourth.instancesOf('shells')![0]!.cpuPct).toBe(20);
    expect([...fourth.memberPids].sort()).toEqual([10, 11]);
  });

  it('asks the next scan for busy members every time and for idle sleeping ones once in three scans', () => {
    const tracker = createProcessTracker({ cpuCount: 1, platformKind: 'linux', hungAfterMs: 30_000 });
    const busy = p(30, 'python3', 'python3 -m reply_bot.multi_main', { cpuTimeMs: 0 });
    const idle = p(31, 'python3', 'python3 -m reply_bot.login_assist', { cpuTimeMs: 0 });
    const waiting = p(32, 'python3', 'python3 -m reply_bot.worker', { state: 'disk-sleep' });
    tracker.update(T, [busy, idle, waiting], families, []);
    const asked: number[][] = [];
    for (let i = 1; i <= 6; i++) {
      const scan = tracker.update(
        T + i * 1000,
        [{ ...busy, cpuTimeMs: i * 100 }, { ...idle }, { ...waiting }],
        families,
        [],
      );
      asked.push([...scan.watchPids].sort());
    }
    for (const pids of asked) expect(pids).toEqual(expect.arrayContaining([30, 32]));
    expect(asked.filter((pids) => pids.includes(31))).toHaveLength(2);
  });

  it('reuses the family layout only while no process comes, goes, execs or changes parent', () => {
    const tracker = createProcessTracker({ cpuCount: 1, platformKind: 'linux', hungAfterMs: 30_000 });
    const bot = p(10, 'python3', 'python3 -m reply_bot.multi_main', { rssBytes: 10 });
    const shell = p(11, 'bash', 'bash', { rssBytes: 5 });
    const count = (scan: ReturnType<typeof tracker.update>) => family(scan, 'bot-runner').count;
    expect(count(tracker.update(T, [bot, shell], families, []))).toBe(1);
    // Same processes, new readings: the sums follow the readings.
    const second = tracker.update(T + 1_000, [{ ...bot, rssBytes: 30 }, { ...shell }], families, []);
    expect(family(second, 'bot-runner')).toMatchObject({ count: 1, rssBytes: 30 });
    // The shell execs a second bot: classified again.
    const exec = { ...shell, name: 'python3', cmdline: 'python3 -m reply_bot.login_assist' };
    expect(count(tracker.update(T + 2_000, [{ ...bot }, exec], families, []))).toBe(2);
    // The first bot exits.
    expect(count(tracker.update(T + 3_000, [{ ...exec }], families, []))).toBe(1);
    // A child re-parented under the remaining bot joins its run.
    const child = p(12, 'python3', 'python3 -m reply_bot.worker', { ppid: 1 });
    tracker.update(T + 4_000, [{ ...exec }, child], families, []);
    const adopted = tracker.update(T + 5_000, [{ ...exec }, { ...child, ppid: 11 }], families, []);
    expect(family(adopted, 'bot-runner')).toMatchObject({ count: 2, runs: 1 });
  });

  it('counts Linux zombies and calls D state hung only when it lasts across scans', () => {
    const tracker = createProcessTracker({ cpuCount: 1, platformKind: 'linux', hungAfterMs: 10_000 });
    const zombie = p(20, 'python3', '', { state: 'zombie' });
    const stuck = p(21, 'python3', 'python3 x.py', { state: 'disk-sleep' });
    // Each scan reads the processes afresh: new objects (the same object means "not read again").
    const fresh = (...list: ProcessInfo[]) => list.map((x) => ({ ...x }));
    let scan = tracker.update(T, fresh(zombie, stuck), families, []);
    expect(family(scan, 'python')).toMatchObject({ count: 2, zombies: 1, hung: 0 });
    scan = tracker.update(T + 5_000, fresh(zombie, stuck), families, []);
    expect(family(scan, 'python').hung).toBe(0);
    scan = tracker.update(T + 10_000, fresh(zombie, stuck), families, []);
    expect(family(scan, 'python').hung).toBe(1);
    // Back to sleeping: the run is broken and starts over.
    tracker.update(T + 15_000, [{ ...zombie }, { ...stuck, state: 'sleeping' }], families, []);
    scan = tracker.update(T + 20_000, fresh(zombie, stuck), families, []);
    expect(family(scan, 'python').hung).toBe(0);
  });

  it('on Windows an orphaned bot Chrome counts as a zombie; a not-responding window as hung', () => {
    const tracker = createProcessTracker({ cpuCount: 1, platformKind: 'windows', hungAfterMs: 30_000 });
    const orphan = p(30, 'chrome.exe', 'chrome.exe --user-data-dir=C:\\bots\\n\\profile\\a', { ppid: 4444 });
    const hungChrome = p(31, 'chrome.exe', 'chrome.exe', { state: 'not-responding' });
    const scan = tracker.update(T, [orphan, hungChrome], families, ['C:\\bots\\n']);
    expect(family(scan, 'bot-chrome')).toMatchObject({ count: 1, zombies: 1, orphans: 1 });
    expect(family(scan, 'chrome')).toMatchObject({ count: 2, zombies: 0, hung: 1 });
    expect(scan.instancesOf('bot-chrome')![0]).toMatchObject({ pid: 30, orphan: true });
  });

  it('masks secrets in instance command lines', () => {
    const tracker = createProcessTracker({ cpuCount: 1, platformKind: 'linux', hungAfterMs: 30_000 });
    const bot = p(
      40,
      'python3',
      'python3 -m reply_bot.multi_main --api-key=AIzaSyA1234567890abcdefghijklmnopqrstuv',
    );
    const scan = tracker.update(T, [bot], families, []);
    const cmd = scan.instancesOf('bot-runner')![0]!.cmdline;
    expect(cmd).toContain('reply_bot.multi_main');
    expect(cmd).not.toContain('AIzaSy');
  });

  it('attaches the leak trend and its series when known', () => {
    const tracker = createProcessTracker({ cpuCount: 1, platformKind: 'linux', hungAfterMs: 30_000 });
    const leak = { mbPerHour: 12.5, slopeMbPerHour: 12.9, coveredHours: 6, flagged: true };
    const scan = tracker.update(T, [], families, [], new Map([['chrome', leak]]));
    expect(family(scan, 'chrome').leak).toEqual(leak);
    expect(scan.samples.find((s) => s.name === 'proc.leak_mb_per_h')).toMatchObject({
      labels: { family: 'chrome' },
      value: 12.5,
    });
  });
});

describe('store window', () => {
  it('stores the mean of a rate and the last value of a gauge', () => {
    const w = createStoreWindow();
    w.add([
      { name: 'cpu.total', labels: {}, ts: 1, value: 10 },
      { name: 'mem.used_pct', labels: {}, ts: 1, value: 50 },
    ]);
    w.add([
      { name: 'cpu.total', labels: {}, ts: 2, value: 90 },
      { name: 'mem.used_pct', labels: {}, ts: 2, value: 55 },
    ]);
    expect(w.flush(3)).toEqual([
      { name: 'cpu.total', labels: {}, ts: 3, value: 50 },
      { name: 'mem.used_pct', labels: {}, ts: 3, value: 55 },
    ]);
    expect(w.flush(4)).toEqual([]);
  });
});

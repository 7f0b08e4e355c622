import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/core/clock/index.js';
import { createLinuxPlatform } from '../../electron/core/platform/linux.js';

// The process source against a procfs laid out in a temporary directory: same files, chosen contents.
const BOOT_SECONDS = 1_795_370_000;

let root: string;
let clock: ManualClock;

function writeProcess(
  pid: number,
  comm: string,
  startTicks: number,
  cmdline: string | null,
  state = 'S',
  ppid = 1,
): void {
  mkdirSync(join(root, String(pid)), { recursive: true });
  writeFileSync(
    join(root, String(pid), 'stat'),
    `${pid} (${comm}) ${state} ${ppid} ${pid} ${pid} 0 -1 4194304 98 0 0 0 150 50 0 0 20 0 1 0 ${startTicks} 3133440 500 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n`,
  );
  if (cmdline !== null) writeFileSync(join(root, String(pid), 'cmdline'), cmdline);
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'nexus-proc-'));
  writeFileSync(join(root, 'stat'), `cpu  1 2 3 4\nbtime ${BOOT_SECONDS}\nprocesses 100\n`);
  mkdirSync(join(root, 'self'));
  writeFileSync(
    join(root, 'self', 'smaps'),
    '00400000-00452000 r-xp 00000000 08:02 173521 /bin/x\nKernelPageSize:        4 kB\n',
  );
  clock = new ManualClock(BOOT_SECONDS * 1000 + 3_600_000); // an hour after boot
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

describe('Linux process source over a procfs directory', () => {
  it('builds ProcessInfo from stat and cmdline, skipping non-PID entries and vanished processes', async () => {
    writeProcess(10, 'python3', 1000, 'python3\0-m\0reply_bot.multi_main\0');
    writeProcess(11, 'kworker/0:1', 5, '');
    mkdirSync(join(root, '12')); // exited between readdir and read: no stat
    mkdirSync(join(root, 'sys'));
    const platform = createLinuxPlatform({ clock, procRoot: root });

    const list = await platform.processes.list();

    expect(list.sort((a, b) => a.pid - b.pid)).toEqual([
      {
        pid: 10,
        ppid: 1,
        name: 'python3',
        cmdline: 'python3 -m reply_bot.multi_main',
        startTime: BOOT_SECONDS * 1000 + 10_000,
        state: 'sleeping',
        cpuTimeMs: 2000,
        rssBytes: 500 * 4096,
      },
      {
        pid: 11,
        ppid: 1,
        name: 'kworker/0:1',
        cmdline: '',
        startTime: BOOT_SECONDS * 1000 + 50,
        state: 'sleeping',
        cpuTimeMs: 2000,
        rssBytes: 500 * 4096,
      },
    ]);
  });

  it('sees a process on a PID that was a kernel thread at the previous scan (the stop must not miss it)', async () => {
    writeProcess(50, 'kworker/1:2', 5, '', 'I', 2);
    const platform = createLinuxPlatform({ clock, procRoot: root });
    expect((await platform.processes.list()).map((p) => p.pid)).not.toContain(50);

    // The kernel thread ended and a bot got its PID.
    writeProcess(50, 'python3', 360_000, 'python3\0-m\0reply_bot.multi_main\0');
    const second = await platform.processes.list();
    expect(second.find((p) => p.pid === 50)).toMatchObject({ ppid: 1, name: 'python3' });
  });

  it('parses a stat read right after a long command line full of parentheses (stale buffer bytes)', async () => {
    // The reader shares one buffer: a `node -e "…()…"` command line read before leaves ')' past the end
    // of the next, shorter stat text. Taken as the closing paren of comm, it hid the process from the stop.
    const script = `node\0-e\0${'))))'.repeat(400)}\0`;
    for (const pid of [61, 62, 63]) writeProcess(pid, 'node', 1000 + pid, script);
    const platform = createLinuxPlatform({ clock, procRoot: root });
    for (let scan = 0; scan < 3; scan++) {
      expect((await platform.processes.list()).map((p) => p.pid).sort()).toEqual([61, 62, 63]);
    }
  });

  it('names a Chromium helper caught while it execs /proc/self/exe after its real program', async () => {
    // stat still shows the forking thread's name; the command line is already the exec'd one
    writeProcess(40, 'ThreadPoolSingl', 1000, '/proc/self/exe\0--type=renderer\0');
    symlinkSync('/usr/lib/chromium/chromium', join(root, '40', 'exe'));
    const platform = createLinuxPlatform({ clock, procRoot: root });
    expect((await platform.processes.list())[0]?.name).toBe('chromium');
  });

  it('caches the command line of settled processes until comm changes (exec)', async () => {
    writeProcess(20, 'python3', 1000, 'python3\0old\0');
    const platform = createLinuxPlatform({ clock, procRoot: root });
    expect((await platform.processes.list())[0]?.cmdline).toBe('python3 old');

    writeFileSync(join(root, '20', 'cmdline'), 'python3\0new\0');
    expect((await platform.processes.list())[0]?.cmdline).toBe('python3 old');

    writeProcess(20, 'node', 1000, 'node\0exec-ed\0');
    expect((await platform.processes.list())[0]?.cmdline).toBe('node exec-ed');
  });

  it('re-reads the command line of young processes (setproctitle right after start)', async () => {
    const startTicks = 3_595 * 100; // 5 s before the clock
    writeProcess(30, 'chrome', startTicks, 'chrome\0--type=zygote\0');
    const platform = createLinuxPlatform({ clock, procRoot: root });
    expect((await platform.processes.list())[0]?.cmdline).toBe('chrome --type=zygote');

    writeFileSync(join(root, '30', 'cmdline'), 'chrome\0--type=renderer\0');
    expect((await platform.processes.list())[0]?.cmdline).toBe('chrome --type=renderer');

    clock.advance(60_000);
    writeFileSync(join(root, '30', 'cmdline'), 'chrome\0--changed-later\0');
    expect((await platform.processes.list())[0]?.cmdline).toBe('chrome --type=renderer');
  });

  it('a reused PID (new start time) gets its own command line', async () => {
    writeProcess(40, 'python3', 1000, 'python3\0first\0');
    const platform = createLinuxPlatform({ clock, procRoot: root });
    await platform.processes.list();
    writeProcess(40, 'python3', 2000, 'python3\0second\0');
    const [info] = await platform.processes.list();
    expect(info?.cmdline).toBe('python3 second');
    expect(info?.startTime).toBe(BOOT_SECONDS * 1000 + 20_000);
  });

  it('uses the page size the kernel reports', async () => {
    writeFileSync(join(root, 'self', 'smaps'), 'KernelPageSize:       64 kB\n');
    writeProcess(50, 'python3', 1000, 'python3\0');
    const platform = createLinuxPlatform({ clock, procRoot: root });
    expect((await platform.processes.list())[0]?.rssBytes).toBe(500 * 65536);
  });
});

describe('watch scans (the monitor every second)', () => {
  const loadavg = (lastPid: number) =>
    writeFileSync(join(root, 'loadavg'), `0.20 0.18 0.12 1/80 ${lastPid}\n`);
  const stateOf = (list: { pid: number; state: string }[], pid: number) =>
    list.find((p) => p.pid === pid)?.state;

  it('reads watched processes afresh and hands back the last reading of the others', async () => {
    loadavg(100);
    writeProcess(10, 'python3', 1000, 'python3\0bot.py\0');
    writeProcess(11, 'bash', 1000, 'bash\0');
    const platform = createLinuxPlatform({ clock, procRoot: root });
    const watch = platform.processes.watch!.bind(platform.processes);
    const first = await watch(new Set([10]));
    clock.advance(1000);
    writeProcess(10, 'python3', 1000, 'python3\0bot.py\0', 'R');
    writeProcess(11, 'bash', 1000, 'bash\0', 'R');
    const second = await watch(new Set([10]));
    expect(stateOf(second, 10)).toBe('running');
    expect(stateOf(second, 11)).toBe('sleeping');
    expect(second.find((p) => p.pid === 11)).toBe(first.find((p) => p.pid === 11));
    // A full list (the emergency stop) always reads everything.
    expect(stateOf(await platform.processes.list(), 11)).toBe('running');
  });

  it('sees a new process on a reused PID at once, through the PID counter', async () => {
    loadavg(100);
    writeProcess(50, 'kworker/1:2', 5, '', 'I', 2);
    writeProcess(60, 'bash', 1000, 'bash\0');
    const platform = createLinuxPlatform({ clock, procRoot: root });
    const watch = platform.processes.watch!.bind(platform.processes);
    expect((await watch(new Set())).map((p) => p.pid)).toEqual([60]);
    clock.advance(1000);
    // The counter wrapped (100 → 32768 → 70): both PIDs were handed out again.
    loadavg(70);
    writeProcess(50, 'python3', 360_000, 'python3\0-m\0reply_bot.multi_main\0');
    writeProcess(60, 'node', 360_000, 'node\0main.js\0');
    const list = await watch(new Set());
    expect(list.find((p) => p.pid === 50)).toMatchObject({ name: 'python3', ppid: 1 });
    expect(list.find((p) => p.pid === 60)).toMatchObject({ name: 'node', cmdline: 'node main.js' });
  });

  it('re-reads every unwatched process within ten scans (an exec, a state change)', async () => {
    loadavg(100);
    const pids = [21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32];
    for (const pid of pids) writeProcess(pid, 'bash', 1000, 'bash\0');
    const platform = createLinuxPlatform({ clock, procRoot: root });
    const watch = platform.processes.watch!.bind(platform.processes);
    await watch(new Set());
    for (const pid of pids) writeProcess(pid, 'python3', 1000, 'python3\0bot.py\0');
    const seenAt = new Map<number, number>();
    for (let scan = 1; scan <= 10; scan++) {
      clock.advance(1000);
      for (const p of await watch(new Set()))
        if (p.name === 'python3' && !seenAt.has(p.pid)) seenAt.set(p.pid, scan);
    }
    expect([...seenAt.keys()].sort((a, b) => a - b)).toEqual(pids);
    // Spread over the scans, not all at once.
    expect(new Set(seenAt.values()).size).toBeGreaterThan(5);
  });

  it('reads everything when the PID counter cannot be read or the previous scan is too old', async () => {
    writeProcess(11, 'bash', 1000, 'bash\0');
    const platform = createLinuxPlatform({ clock, procRoot: root });
    const watch = platform.processes.watch!.bind(platform.processes);
    await watch(new Set());
    clock.advance(1000);
    writeProcess(11, 'bash', 1000, 'bash\0', 'R');
    expect(stateOf(await watch(new Set()), 11)).toBe('running'); // no loadavg

    loadavg(100);
    await watch(new Set());
    clock.advance(60_000);
    writeProcess(11, 'bash', 1000, 'bash\0', 'S');
    expect(stateOf(await watch(new Set()), 11)).toBe('sleeping'); // a minute since the last scan
  });
});

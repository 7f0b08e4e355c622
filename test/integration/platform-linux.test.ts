import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../electron/core/clock/index.js';
import { createPlatform } from '../../electron/core/platform/index.js';
import type { Platform } from '../../electron/core/platform/types.js';
import { collect, exited, findPid, waitFor } from '../helpers/child.js';
import { CHROMIUM, headlessChromiumArgs } from '../helpers/chromium.js';
import { pythonExe } from '../helpers/python.js';

const children: ChildProcess[] = [];

function python(code: string, ...args: string[]): ChildProcess {
  const child = spawn(pythonExe(), ['-c', code, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return child;
}

/** Resolves with the first stdout line, which the scripts print once their signal handlers are set. */
function firstLine(child: ChildProcess): Promise<string> {
  return collect(child).line();
}

let platform: Platform;

beforeAll(() => {
  platform = createPlatform({ clock: systemClock });
});

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited(child);
    }
  }
});

describe('Linux platform against real processes', () => {
  it('is the linux platform', () => {
    expect(platform.kind).toBe('linux');
  });

  it('lists python3 children with parent, command line, start time, memory', async () => {
    const marker = `marker-${process.pid}-${Date.now()}`;
    const before = Date.now();
    const sleepers = [0, 1, 2].map(() => python('import time; time.sleep(60)', 'reply_bot_fake', marker));
    const found = await waitFor(async () => {
      const mine = (await platform.processes.list()).filter((p) => p.cmdline.includes(marker));
      // Right after fork the child still shows node's argv until python3 execs, and right after the
      // exec the interpreter has not mapped its libraries yet.
      return mine.length === 3 && mine.every((p) => p.name === 'python3' && p.rssBytes > 1024 * 1024)
        ? mine
        : undefined;
    }, 'three sleepers');

    expect(found.map((p) => p.pid).sort()).toEqual(sleepers.map((c) => c.pid).sort());
    for (const info of found) {
      expect(info.ppid).toBe(process.pid);
      // argv[0] as the interpreter was started (a pyenv shim execs the full path); an argument with
      // spaces is quoted, as Windows would, so its boundaries survive.
      expect(info.cmdline).toMatch(
        /(^|\/)python3 -c "import time; time\.sleep\(60\)" reply_bot_fake marker-/,
      );
      expect(info.cmdline.endsWith(` reply_bot_fake ${marker}`)).toBe(true);
      expect(Math.abs(info.startTime - before)).toBeLessThan(5000);
      expect(info.rssBytes).toBeGreaterThan(1024 * 1024);
      expect(info.cpuTimeMs).toBeGreaterThanOrEqual(0);
      expect(['sleeping', 'running']).toContain(info.state);
    }
  });

  it('drops processes that exited and keeps no descriptors of theirs open', async () => {
    const marker = `gone-${process.pid}-${Date.now()}`;
    const statFdsOf = (pids: number[]) =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          const target = readlinkSync(`/proc/self/fd/${fd}`);
          return pids.some((pid) => target === `/proc/${pid}/stat`);
        } catch {
          return false;
        }
      }).length;
    const sleepers = [0, 1, 2, 3, 4].map(() => python('import time; time.sleep(60)', marker));
    await waitFor(async () => {
      const mine = (await platform.processes.list()).filter((p) => p.cmdline.includes(marker));
      return mine.length === 5 ? mine : undefined;
    }, 'five sleepers');
    const pids = sleepers.map((c) => c.pid!);
    expect(statFdsOf(pids)).toBe(5); // kept open between scans
    for (const child of sleepers) child.kill('SIGKILL');
    await Promise.all(sleepers.map((child) => exited(child)));
    const after = await platform.processes.list();
    expect(after.filter((p) => p.cmdline.includes(marker))).toEqual([]);
    expect(after.some((p) => sleepers.some((c) => c.pid === p.pid))).toBe(false);
    expect(statFdsOf(pids)).toBe(0);
  });

  it('reports an unreaped child as a zombie', async () => {
    const parent = python(
      'import os, sys, time\npid = os.fork()\nif pid == 0:\n    os._exit(0)\nprint(pid, flush=True)\ntime.sleep(60)',
    );
    const zombiePid = Number(await firstLine(parent));
    const zombie = await waitFor(async () => {
      const info = (await platform.processes.list()).find((p) => p.pid === zombiePid);
      return info?.state === 'zombie' ? info : undefined;
    }, 'zombie state');
    expect(zombie.ppid).toBe(parent.pid);
    expect(zombie.cmdline).toBe(''); // a zombie has no address space left
  });

  it('graceful stop delivers SIGINT, which a Python bot handles as KeyboardInterrupt', async () => {
    const bot = python(
      'import time\ntry:\n    print("ready", flush=True)\n    time.sleep(60)\nexcept KeyboardInterrupt:\n    print("clean exit", flush=True)',
    );
    const output = collect(bot);
    expect(await output.line()).toBe('ready');
    const info = await findPid(platform, bot.pid!);

    const outcome = await platform.killer.stop([{ pid: info.pid, startTime: info.startTime }], 'graceful');

    expect(outcome).toEqual([{ pid: info.pid, result: 'sent', detail: 'SIGINT' }]);
    expect(await exited(bot)).toEqual([0, null]);
    expect(output.text()).toBe('ready\nclean exit\n');
  });

  it('a process ignoring SIGINT and SIGTERM survives graceful and dies on force', async () => {
    const stubborn = python(
      'import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint("ready", flush=True)\ntime.sleep(60)',
    );
    expect(await firstLine(stubborn)).toBe('ready');
    const info = await findPid(platform, stubborn.pid!);
    const target = { pid: info.pid, startTime: info.startTime };

    expect(await platform.killer.stop([target], 'graceful')).toEqual([
      { pid: info.pid, result: 'sent', detail: 'SIGINT' },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(stubborn.exitCode).toBeNull();
    expect((await platform.processes.list()).some((p) => p.pid === info.pid)).toBe(true);

    expect(await platform.killer.stop([target], 'force')).toEqual([
      { pid: info.pid, result: 'sent', detail: 'SIGKILL' },
    ]);
    expect(await exited(stubborn)).toEqual([null, 'SIGKILL']);
    // Once reaped, the same target is reported gone rather than signalled again.
    expect(await platform.killer.stop([target], 'force')).toEqual([{ pid: info.pid, result: 'gone' }]);
  });

  it('graceful stop continues a stopped process so it can handle SIGINT', async () => {
    const bot = python(
      'import time\ntry:\n    print("ready", flush=True)\n    time.sleep(60)\nexcept KeyboardInterrupt:\n    print("clean exit", flush=True)',
    );
    const output = collect(bot);
    expect(await output.line()).toBe('ready');
    bot.kill('SIGSTOP');
    const info = await waitFor(async () => {
      const found = (await platform.processes.list()).find((p) => p.pid === bot.pid);
      return found?.state === 'stopped' ? found : undefined;
    }, 'stopped state');

    const outcome = await platform.killer.stop([{ pid: info.pid, startTime: info.startTime }], 'graceful');

    expect(outcome).toEqual([{ pid: info.pid, result: 'sent', detail: 'SIGINT+SIGCONT' }]);
    expect(await exited(bot)).toEqual([0, null]);
    expect(output.text()).toBe('ready\nclean exit\n');
  });

  it('never signals its own process', async () => {
    const self = (await platform.processes.list()).find((p) => p.pid === process.pid)!;
    expect(await platform.killer.stop([{ pid: self.pid, startTime: self.startTime }], 'force')).toEqual([
      { pid: process.pid, result: 'error', detail: 'Nexus Ops itself: not stopped' },
    ]);
  });

  it('a target whose start time does not match (PID reuse) is reported gone and left alone', async () => {
    const other = python('import time; time.sleep(60)', 'not-the-target');
    const info = await findPid(platform, other.pid!);

    const outcome = await platform.killer.stop(
      [{ pid: info.pid, startTime: info.startTime - 60_000 }],
      'force',
    );

    expect(outcome).toEqual([{ pid: info.pid, result: 'gone', detail: 'pid reused by another process' }]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(other.exitCode).toBeNull();
    expect(other.signalCode).toBeNull();
  });

  it.skipIf(process.getuid?.() === 0)('reports denied for a process owned by another user', async () => {
    const init = (await platform.processes.list()).find((p) => p.pid === 1);
    expect(init).toBeDefined();
    const outcome = await platform.killer.stop([{ pid: 1, startTime: init!.startTime }], 'graceful');
    expect(outcome).toEqual([{ pid: 1, result: 'denied', detail: 'EPERM' }]);
  });

  it.runIf(process.getuid?.() === 0)(
    'reports denied when an unprivileged user tries to stop our process',
    async () => {
      const victim = python('import time; time.sleep(60)', 'root-owned');
      const info = await findPid(platform, victim.pid!);
      const dir = await mkdtemp(join(tmpdir(), 'nexus-platform-'));
      const script = join(dir, 'stop.mts');
      const platformModule = pathToFileURL(resolve('electron/core/platform/linux.ts')).href;
      await writeFile(
        script,
        `import { createLinuxPlatform } from ${JSON.stringify(platformModule)};
const platform = createLinuxPlatform({ clock: { now: () => Date.now() } });
const outcome = await platform.killer.stop([{ pid: ${info.pid}, startTime: ${info.startTime} }], 'force');
process.stdout.write(JSON.stringify(outcome));
`,
      );
      await chmod(dir, 0o755);
      await chmod(script, 0o644);
      try {
        const nobody = spawnSync(process.execPath, ['--import', 'tsx', script], {
          uid: 65534,
          gid: 65534,
          cwd: process.cwd(),
          encoding: 'utf8',
        });
        expect(nobody.stderr).toBe('');
        expect(JSON.parse(nobody.stdout)).toEqual([{ pid: info.pid, result: 'denied', detail: 'EPERM' }]);
        expect(victim.exitCode).toBeNull();
        expect(victim.signalCode).toBeNull();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  it.skipIf(!existsSync(CHROMIUM))(
    'names Chromium helpers started through /proc/self/exe after the real program, not "exe"',
    async () => {
      const profile = await mkdtemp(join(tmpdir(), 'nexus-ops-platform-chromium-'));
      const browser = spawn(CHROMIUM, headlessChromiumArgs(profile), { stdio: 'ignore' });
      children.push(browser);
      try {
        const helpers = await waitFor(
          async () => {
            const list = await platform.processes.list();
            const found = list.filter(
              (p) => p.cmdline.startsWith('/proc/self/exe') && /--type=/.test(p.cmdline),
            );
            return found.length > 0 ? found : undefined;
          },
          'Chromium helper processes',
          15_000,
        );
        for (const helper of helpers) expect(helper.name).toMatch(/^chrom/);
      } finally {
        browser.kill('SIGKILL');
        await rm(profile, { recursive: true, force: true });
      }
    },
  );

  it('memory, disks and io return sane numbers', async () => {
    const memory = await platform.memory();
    expect(memory.totalBytes).toBeGreaterThan(0);
    expect(memory.availableBytes).toBeGreaterThan(0);
    expect(memory.availableBytes).toBeLessThanOrEqual(memory.totalBytes);
    expect(memory.swapFreeBytes).toBeLessThanOrEqual(memory.swapTotalBytes);

    const disks = await platform.disks();
    const root = disks.find((d) => d.mount === '/');
    expect(root).toBeDefined();
    for (const disk of disks) {
      expect(disk.totalBytes).toBeGreaterThan(0);
      expect(disk.freeBytes).toBeLessThanOrEqual(disk.totalBytes);
    }
    expect(new Set(disks.map((d) => d.mount)).size).toBe(disks.length);

    const first = await platform.io();
    const second = await platform.io();
    expect(first.nets.some((n) => n.iface === 'lo')).toBe(false);
    for (const disk of second.disks) {
      expect(disk.device).not.toMatch(/^(loop|ram|zram)/);
      const earlier = first.disks.find((d) => d.device === disk.device);
      expect(disk.readBytes).toBeGreaterThanOrEqual(earlier?.readBytes ?? 0);
      expect(disk.writeBytes).toBeGreaterThanOrEqual(earlier?.writeBytes ?? 0);
    }
    expect(second.at).toBeGreaterThanOrEqual(first.at);
  });

  it('reads one set of CPU times per logical CPU, as Node counts them, that only grow', async () => {
    const before = platform.cpuTimes();
    expect(before).toHaveLength(cpus().length);
    const spinUntil = Date.now() + 50;
    while (Date.now() < spinUntil); // some busy time on this core
    await new Promise((r) => setTimeout(r, 50));
    const after = platform.cpuTimes();
    const busy = (t: { idleMs: number; totalMs: number }) => t.totalMs - t.idleMs;
    after.forEach((t, i) => {
      expect(t.idleMs).toBeLessThanOrEqual(t.totalMs);
      // Not idle or total: the kernel's iowait count may step back a tick.
      expect(busy(t)).toBeGreaterThanOrEqual(busy(before[i]!));
    });
    const sum = (list: typeof after) => list.reduce((a, t) => a + t.totalMs, 0);
    expect(sum(after)).toBeGreaterThan(sum(before));
  });

  it('task scheduler is a no-op that reports nothing was enabled', async () => {
    expect(await platform.taskScheduler.disable('NexusBot')).toEqual({ wasEnabled: false });
    await expect(platform.taskScheduler.enable('NexusBot')).resolves.toBeUndefined();
  });
});

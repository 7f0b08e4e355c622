import { type ChildProcess, spawn } from 'node:child_process';
import { basename } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../electron/core/clock/index.js';
import { createPlatform } from '../../electron/core/platform/index.js';
import type { Platform } from '../../electron/core/platform/types.js';
import { collect, exited, findPid as findPidWithin, waitFor as waitForWithin } from '../helpers/child.js';

// Windows is slower to list a new process and to run taskkill: longer waits, polled less often.
const waitFor = <T>(probe: () => Promise<T | undefined>, what: string) =>
  waitForWithin(probe, what, 10_000, 100);
const findPid = (platform: Platform, pid: number) => findPidWithin(platform, pid, 10_000, 100);

// Runs only on Windows (the product's target): the same checks as the Linux suite, against Win32 through
// koffi, taskkill, schtasks and typeperf for real. On Linux the whole suite is skipped.
// Run on the bot PC: npx vitest run --project integration test/integration/platform-windows.test.ts

const onWindows = process.platform === 'win32';
const children: ChildProcess[] = [];

/** A node child in its own hidden console (windowsHide, not detached), as the launcher starts bots. */
function nodeChild(code: string, ...args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['-e', code, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    windowsHide: true,
  });
  children.push(child);
  return child;
}

const SLEEPER = 'console.log("ready"); setInterval(() => {}, 1000);';
const HANDLES_CTRL_C =
  'process.on("SIGINT", () => { console.log("clean exit"); process.exit(0); }); console.log("ready"); setInterval(() => {}, 1000);';
const IGNORES_CTRL_C = 'process.on("SIGINT", () => {}); console.log("ready"); setInterval(() => {}, 1000);';

describe.runIf(onWindows)('Windows platform against real processes', () => {
  let platform: Platform;

  beforeAll(() => {
    platform = createPlatform({ clock: systemClock });
  });

  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill();
        await exited(child);
      }
    }
  });

  afterAll(async () => {
    await platform.close();
  });

  it('is the windows platform', () => {
    expect(platform.kind).toBe('windows');
  });

  it('lists node children with parent, command line, start time and working set', async () => {
    const marker = `marker-${process.pid}-${Date.now()}`;
    const before = Date.now();
    const sleepers = [0, 1, 2].map(() => nodeChild(SLEEPER, 'reply_bot_fake', marker));
    const found = await waitFor(async () => {
      const mine = (await platform.processes.list()).filter((p) => p.cmdline.includes(marker));
      return mine.length === 3 ? mine : undefined;
    }, 'three sleepers');

    expect(found.map((p) => p.pid).sort()).toEqual(sleepers.map((c) => c.pid).sort());
    for (const info of found) {
      expect(info.ppid).toBe(process.pid);
      expect(info.name.toLowerCase()).toBe(basename(process.execPath).toLowerCase());
      expect(info.cmdline).toContain(`reply_bot_fake ${marker}`);
      expect(Math.abs(info.startTime - before)).toBeLessThan(5000);
      expect(info.rssBytes).toBeGreaterThan(1024 * 1024);
      expect(info.cpuTimeMs).toBeGreaterThanOrEqual(0);
      expect(info.state).toBe('running');
    }
  });

  it('graceful stop sends a console Ctrl+C that the child handles', async () => {
    const bot = nodeChild(HANDLES_CTRL_C);
    const output = collect(bot);
    expect(await output.line()).toBe('ready');
    const info = await findPid(platform, bot.pid!);

    const outcome = await platform.killer.stop([{ pid: info.pid, startTime: info.startTime }], 'graceful');

    expect(outcome).toEqual([{ pid: info.pid, result: 'sent', detail: 'console Ctrl+C' }]);
    expect(await exited(bot)).toEqual([0, null]);
    expect(output.text()).toBe('ready\nclean exit\n');
  });

  it('a child ignoring Ctrl+C survives graceful and dies on force', async () => {
    const stubborn = nodeChild(IGNORES_CTRL_C);
    expect(await collect(stubborn).line()).toBe('ready');
    const info = await findPid(platform, stubborn.pid!);
    const target = { pid: info.pid, startTime: info.startTime };

    await platform.killer.stop([target], 'graceful');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(stubborn.exitCode).toBeNull();

    expect(await platform.killer.stop([target], 'force')).toEqual([{ pid: info.pid, result: 'sent' }]);
    await exited(stubborn);
    expect(await platform.killer.stop([target], 'force')).toEqual([{ pid: info.pid, result: 'gone' }]);
  });

  it('force stops the whole tree', async () => {
    const parent = nodeChild(
      `const c = require("child_process").spawn(process.execPath, ["-e", ${JSON.stringify(SLEEPER)}], { stdio: "ignore", windowsHide: true }); console.log(c.pid); setInterval(() => {}, 1000);`,
    );
    const grandchildPid = Number(await collect(parent).line());
    const info = await findPid(platform, parent.pid!);
    await findPid(platform, grandchildPid);

    await platform.killer.stop([{ pid: info.pid, startTime: info.startTime }], 'force');

    await exited(parent);
    await waitFor(
      async () => ((await platform.processes.list()).some((p) => p.pid === grandchildPid) ? undefined : true),
      'grandchild gone',
    );
  });

  it('a target whose creation time does not match is reported gone and left alone', async () => {
    const other = nodeChild(SLEEPER);
    const info = await findPid(platform, other.pid!);

    const outcome = await platform.killer.stop(
      [{ pid: info.pid, startTime: info.startTime - 60_000 }],
      'force',
    );

    expect(outcome).toEqual([{ pid: info.pid, result: 'gone', detail: 'pid reused by another process' }]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(other.exitCode).toBeNull();
  });

  it('memory, disks and io return sane numbers', async () => {
    const memory = await platform.memory();
    expect(memory.totalBytes).toBeGreaterThan(0);
    expect(memory.availableBytes).toBeLessThanOrEqual(memory.totalBytes);
    expect(memory.swapFreeBytes).toBeLessThanOrEqual(memory.swapTotalBytes);

    const disks = await platform.disks();
    expect(disks.map((d) => d.mount)).toContain((process.env.SystemDrive ?? 'C:').toUpperCase());
    for (const disk of disks) expect(disk.freeBytes).toBeLessThanOrEqual(disk.totalBytes);

    // typeperf starts on the first call and prints its first sample after a second or two.
    const io = await waitFor(async () => {
      const reading = await platform.io();
      return reading.disks.length > 0 && reading.nets.length > 0 ? reading : undefined;
    }, 'typeperf samples');
    expect(io.disks.some((d) => d.device === '_Total')).toBe(false);
  });

  it('task scheduler leaves a task that does not exist alone', async () => {
    expect(await platform.taskScheduler.disable(`NexusOpsNoSuchTask-${Date.now()}`)).toEqual({
      wasEnabled: false,
    });
  });
});

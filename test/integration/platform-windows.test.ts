import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../electron/core/clock/index.js';
import { createPlatform } from '../../electron/core/platform/index.js';
import type { Platform } from '../../electron/core/platform/types.js';
import { windowsSystem32 } from '../../electron/core/platform/windows/index.js';
import { LAUNCHER_FAMILY } from '../../electron/core/stop/targets.js';
import { createTestStop, openTestStore } from '../fixtures/fake-bot/harness.js';
import { collect, exited, findPid as findPidWithin, waitFor as waitForWithin } from '../helpers/child.js';

// Windows is slower to list a new process and to run taskkill: longer waits, polled less often.
const waitFor = <T>(probe: () => Promise<T | undefined>, what: string) =>
  waitForWithin(probe, what, 10_000, 100);
const findPid = (platform: Platform, pid: number) => findPidWithin(platform, pid, 10_000, 100);

// Runs only on Windows (the product's target): the same checks as the Linux suite, against Win32 through
// koffi (NtQuerySystemInformation, TerminateProcess, PDH, GetLongPathNameW), the Ctrl+C helper,
// taskkill and schtasks for real. On Linux the whole suite is skipped. The cases are listed in
// electron/core/platform/README.md ("Checks that need a real Windows").
// Run on the bot PC: npx vitest run --project integration test/integration/platform-windows.test.ts

const onWindows = process.platform === 'win32';
const children: ChildProcess[] = [];
const folders: string[] = [];
const tasks: string[] = [];
const schtasks = () => `${windowsSystem32()}\\schtasks.exe`;

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
    for (const task of tasks.splice(0)) {
      try {
        execFileSync(schtasks(), ['/End', '/TN', task], { stdio: 'ignore' });
      } catch {
        // not running
      }
      execFileSync(schtasks(), ['/Delete', '/TN', task, '/F'], { stdio: 'ignore' });
    }
    for (const folder of folders.splice(0))
      rmSync(folder, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
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

  it('lists System and the Idle process too: one call, no handle needed for creation time or memory', async () => {
    const list = await platform.processes.list();
    expect(list.find((p) => p.pid === 0)?.name).toBe('[System Process]');
    const system = list.find((p) => p.pid === 4);
    expect(system?.name).toBe('System');
    expect(system!.startTime).toBeGreaterThan(Date.UTC(2020, 0, 1));
    expect(system!.startTime).toBeLessThan(Date.now());
    // Processes of other users (services) have memory figures although this user cannot open them.
    const services = list.filter((p) => p.name.toLowerCase() === 'svchost.exe');
    expect(services.some((p) => p.rssBytes > 0)).toBe(true);
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
    // TerminateProcess with the exit code taskkill /F uses.
    expect(await exited(stubborn)).toEqual([1, null]);
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

  it('memory, disks and io return sane numbers; io comes from PDH by English counter names', async () => {
    const memory = await platform.memory();
    expect(memory.totalBytes).toBeGreaterThan(0);
    expect(memory.availableBytes).toBeLessThanOrEqual(memory.totalBytes);
    expect(memory.swapFreeBytes).toBeLessThanOrEqual(memory.swapTotalBytes);

    const disks = await platform.disks();
    expect(disks.map((d) => d.mount)).toContain((process.env.SystemDrive ?? 'C:').toUpperCase());
    for (const disk of disks) expect(disk.freeBytes).toBeLessThanOrEqual(disk.totalBytes);

    const first = await platform.io();
    expect(first.problem).toBeUndefined();
    expect(first.disks.length).toBeGreaterThan(0);
    expect(first.nets.length).toBeGreaterThan(0);
    expect(first.disks.some((d) => d.device === '_Total')).toBe(false);
    // Cumulative: a file written and flushed shows up in the next reading of some disk.
    const folder = mkdtempSync(join(tmpdir(), 'nexus-ops-io-'));
    folders.push(folder);
    writeFileSync(join(folder, 'blob'), Buffer.alloc(32 << 20, 1), { flush: true });
    const grown = await waitFor(async () => {
      const reading = await platform.io();
      const before = new Map(first.disks.map((d) => [d.device, d.writeBytes]));
      return reading.disks.some((d) => d.writeBytes > (before.get(d.device) ?? 0)) ? reading : undefined;
    }, 'disk write bytes to grow');
    expect(grown.disks.length).toBeGreaterThan(0);
  });

  it('expands an 8.3 short folder name to the long one Chrome command lines carry', async () => {
    const long = process.env.ProgramFiles ?? 'C:\\Program Files';
    const short = execFileSync(
      process.env.ComSpec ?? 'cmd.exe',
      ['/d', '/c', `for %I in ("${long}") do @echo %~sI`],
      { encoding: 'utf8' },
    ).trim();
    await platform.processes.list(); // loads the Win32 bindings
    expect(platform.canonicalFolder?.(`\\\\?\\${long}`)).toBe(long);
    if (short.toLowerCase() === long.toLowerCase()) return; // 8.3 names are turned off on this volume
    expect(platform.canonicalFolder?.(short)).toBe(long);
  });

  it('the emergency stop ends the cmd.exe of a .bat in a bot folder together with the bot it runs', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'nexus-ops-bat-'));
    folders.push(folder);
    // A bot runner the default families recognise (node running tsx src/main.ts), started by a batch
    // file the way Task Scheduler runs run_bot.bat; HANDLES_CTRL_C exits on the Ctrl+C, cmd.exe then
    // waits at "Terminate batch job (Y/N)?".
    writeFileSync(join(folder, 'bot.js'), HANDLES_CTRL_C);
    writeFileSync(
      join(folder, 'run_bot.bat'),
      `@echo off\r\n"${process.execPath}" "${join(folder, 'bot.js')}" tsx src/main.ts\r\n`,
    );
    const shell = spawn(process.env.ComSpec ?? 'cmd.exe', ['/c', join(folder, 'run_bot.bat')], {
      stdio: ['ignore', 'pipe', 'inherit'],
      windowsHide: true,
    });
    children.push(shell);
    expect(await collect(shell).line()).toBe('ready');
    const dataDir = mkdtempSync(join(tmpdir(), 'nexus-ops-bat-data-'));
    folders.push(dataDir);
    const t = createTestStop({
      store: openTestStore(dataDir),
      folders: [folder],
      platform,
      stop: { graceSeconds: 3, verifySeconds: 3 },
    });

    const run = await t.stop.trigger({ source: 'button', reason: 'platform-windows test' });

    expect(run.survivors).toEqual([]);
    expect(run.families[LAUNCHER_FAMILY]).toBe(1);
    expect(run.families['bot-runner']).toBe(1);
    await exited(shell);
    const left = (await platform.processes.list()).filter((p) => p.cmdline.includes(folder));
    expect(left).toEqual([]);
  });

  it('Task Scheduler: a task of this user is disabled, its running instance ended, and re-enabled', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'nexus-ops-task-'));
    folders.push(folder);
    writeFileSync(join(folder, 'run_bot.bat'), '@echo off\r\nping -n 600 127.0.0.1 > nul\r\n');
    const task = `NexusOpsTest-${process.pid}-${Date.now()}`;
    execFileSync(
      schtasks(),
      [
        '/Create',
        '/TN',
        task,
        '/TR',
        `"${join(folder, 'run_bot.bat')}"`,
        '/SC',
        'ONCE',
        '/ST',
        '23:59',
        '/F',
      ],
      {
        stdio: 'ignore',
      },
    );
    tasks.push(task);
    execFileSync(schtasks(), ['/Run', '/TN', task], { stdio: 'ignore' });
    const runningShell = () =>
      platform.processes
        .list()
        .then((list) => list.find((p) => p.name.toLowerCase() === 'cmd.exe' && p.cmdline.includes(folder)));
    const shell = await waitFor(runningShell, 'the task instance');

    expect(await platform.taskScheduler.disable(task)).toEqual({ wasEnabled: true });
    await platform.taskScheduler.end!(task);
    await waitFor(async () => ((await runningShell()) ? undefined : true), `cmd.exe ${shell.pid} ended`);
    // /End ends the action's process only: its ping child is left running (as run_bot.bat's python
    // would be, which the stop takes as a bot runner), so end it here.
    const pings = (await platform.processes.list()).filter((p) => p.ppid === shell.pid);
    await platform.killer.stop(pings, 'force');
    await platform.taskScheduler.end!(task); // nothing running any more: not an error
    expect(await platform.taskScheduler.disable(task)).toEqual({ wasEnabled: false });
    await platform.taskScheduler.enable(task);
    expect(await platform.taskScheduler.disable(task)).toEqual({ wasEnabled: true });
  });

  it('task scheduler reports a task that does not exist as an error that says what to check', async () => {
    await expect(platform.taskScheduler.disable(`NexusOpsNoSuchTask-${Date.now()}`)).rejects.toThrow(
      /^Task Scheduler has no task "NexusOpsNoSuchTask-\d+" that this user can see/,
    );
  });
});

/**
 * The stop where things overlap or fail half-way, on the real Linux platform with real python3 bots:
 * a stop triggered while a resume is re-enabling Task Scheduler tasks, a bot launched by a task while
 * the stop is still disabling it, and a graceful step or re-scan that throws.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../electron/core/clock/index.js';
import { createPlatform } from '../../electron/core/platform/index.js';
import type { Platform, TaskSchedulerPort } from '../../electron/core/platform/types.js';
import { createTestStop, openTestStore } from '../fixtures/fake-bot/harness.js';
import {
  descendants,
  type FakeBot,
  isAlive,
  makeBotFolder,
  startFakeBot,
} from '../fixtures/fake-bot/index.js';

const TASK = '\\TwitterBot_Nexus_02';
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
  return dir;
}

function botFolder(): string {
  const folder = makeBotFolder();
  cleanups.push(() => rmSync(folder, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
  return folder;
}

function store() {
  const s = openTestStore(tempDir('nexus-ops-stop-races-'));
  cleanups.push(() => s.close());
  return s;
}

/** A Task Scheduler holding one enabled task; each call may be held up by a hook. */
function fakeTaskScheduler(hooks: {
  beforeEnable?: () => Promise<void>;
  beforeDisable?: () => Promise<void>;
}) {
  const enabled = new Map<string, boolean>([[TASK, true]]);
  const calls: string[] = [];
  const port: TaskSchedulerPort = {
    async disable(name) {
      calls.push(`disable ${name}`);
      await hooks.beforeDisable?.();
      const wasEnabled = enabled.get(name) === true;
      enabled.set(name, false);
      return { wasEnabled };
    },
    async enable(name) {
      calls.push(`enable ${name}`);
      await hooks.beforeEnable?.();
      enabled.set(name, true);
    },
  };
  return { port, enabled, calls };
}

function linuxWith(overrides: Partial<Pick<Platform, 'processes' | 'killer' | 'taskScheduler'>>) {
  const real = createPlatform({ clock: systemClock });
  return {
    processes: overrides.processes ?? real.processes,
    killer: overrides.killer ?? real.killer,
    taskScheduler: overrides.taskScheduler ?? real.taskScheduler,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A fake task scheduler whose enable waits until release(): a resume held in the middle. */
function schedulerWithHeldEnable() {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let started = false;
  const scheduler = fakeTaskScheduler({
    beforeEnable: async () => {
      started = true;
      await gate;
    },
  });
  return { scheduler, release, enableStarted: () => started };
}

describe('stop and resume do not overlap', () => {
  it('a stop triggered while a resume re-enables the tasks waits for it: stopped, kill-switch present, task disabled', async () => {
    const { scheduler, release, enableStarted } = schedulerWithHeldEnable();
    const folder = botFolder();
    const t = createTestStop({
      store: store(),
      folders: [folder],
      stop: { graceSeconds: 0, verifySeconds: 1, windowsTasks: [TASK] },
      platform: linuxWith({ taskScheduler: scheduler.port }),
    });

    const first = await t.stop.trigger({ source: 'button', reason: 'first' });
    expect(first.disabledTasks).toEqual([TASK]);

    const resuming = t.stop.resume({ actor: 'op', reason: 'fixed' });
    while (!enableStarted()) await sleep(5);
    const second = t.stop.trigger({ source: 'tray', reason: 'second' });
    await sleep(50);
    release();
    await resuming;
    const run = await second;

    expect(run.id).not.toBe(first.id);
    expect(run.resumedAt).toBeNull();
    expect(run.disabledTasks).toEqual([TASK]);
    expect(scheduler.enabled.get(TASK)).toBe(false);
    expect(t.stop.isStopped()).toBe(true);
    const status = t.stop.status();
    expect(status.killSwitch.present).toHaveLength(1);
    expect(status.latest?.id).toBe(run.id);
    expect(scheduler.calls).toEqual([`disable ${TASK}`, `enable ${TASK}`, `disable ${TASK}`]);

    // The second stop recorded the task, so the next resume brings it back.
    await t.stop.resume({ actor: 'op', reason: 'fixed again' });
    expect(scheduler.enabled.get(TASK)).toBe(true);
    expect(t.stop.isStopped()).toBe(false);
  });

  it('refuses a second resume while one is re-enabling the tasks', async () => {
    const { scheduler, release, enableStarted } = schedulerWithHeldEnable();
    const t = createTestStop({
      store: store(),
      folders: [botFolder()],
      stop: { graceSeconds: 0, verifySeconds: 1, windowsTasks: [TASK] },
      platform: linuxWith({ taskScheduler: scheduler.port }),
    });
    await t.stop.trigger({ source: 'button', reason: 'x' });
    const resuming = t.stop.resume({ actor: 'op', reason: 'fixed' });
    while (!enableStarted()) await sleep(5);
    await expect(t.stop.resume({ actor: 'op2', reason: 'also fixed' })).rejects.toThrow(/resume is already/);
    release();
    await resuming;
    expect(scheduler.calls).toEqual([`disable ${TASK}`, `enable ${TASK}`]);
    expect(t.stop.isStopped()).toBe(false);
  });
});

describe('a bot a task launches while the stop disables it', () => {
  it('is stopped after the disables finished, and counted', async () => {
    const folder = botFolder();
    let launched: FakeBot | null = null;
    let verifyStarted = false;
    const scheduler = fakeTaskScheduler({
      beforeDisable: async () => {
        // The stop found nothing and its verify ended; the task fires just before it is disabled.
        while (!verifyStarted) await sleep(5);
        await sleep(200);
        launched = await startFakeBot({ folder, sleeperChild: true });
        cleanups.push(() => launched?.cleanup());
      },
    });
    const t = createTestStop({
      store: store(),
      folders: [folder],
      stop: { graceSeconds: 0.2, verifySeconds: 1, windowsTasks: [TASK] },
      platform: linuxWith({ taskScheduler: scheduler.port }),
    });
    const watcher = setInterval(() => {
      if (t.events.some((e) => e.type === 'stop.progress' && e.phase === 'verify')) verifyStarted = true;
    }, 5);
    cleanups.push(() => clearInterval(watcher));

    const run = await t.stop.trigger({ source: 'button', reason: 'task race' });

    const bot = launched as FakeBot | null;
    expect(bot).not.toBeNull();
    expect(isAlive(bot!.runnerPid)).toBe(false);
    for (const pid of bot!.childPids) expect(isAlive(pid), `child ${pid}`).toBe(false);
    expect(run.status).toBe('done');
    expect(run.disabledTasks).toEqual([TASK]);
    expect(run.counts.targets).toBeGreaterThanOrEqual(1);
    expect(run.counts.stopped).toBe(run.counts.targets);
    expect(run.counts.forced).toBeGreaterThanOrEqual(1);
    expect(run.families['bot-runner']).toBeGreaterThanOrEqual(1);
  });
});

describe('a failing step does not cost the forced kill', () => {
  it('a graceful stop that throws is recorded and the targets are still force-killed', async () => {
    const bot = await startFakeBot({ browsers: 1 });
    cleanups.push(() => bot.cleanup());
    const tree = [bot.runnerPid, ...descendants(bot.runnerPid)];
    const real = createPlatform({ clock: systemClock });
    const modes: string[] = [];
    const t = createTestStop({
      store: store(),
      folders: [bot.folder],
      stop: { graceSeconds: 0.3, verifySeconds: 2 },
      platform: linuxWith({
        killer: {
          async stop(targets, mode) {
            modes.push(mode);
            if (mode === 'graceful') throw new Error('console helper crashed');
            return real.killer.stop(targets, mode);
          },
        },
      }),
    });

    const run = await t.stop.trigger({ source: 'button', reason: 'graceful throws' });

    expect(modes).toContain('graceful');
    expect(modes).toContain('force');
    for (const pid of tree) expect(isAlive(pid), `bot pid ${pid}`).toBe(false);
    expect(run.status).toBe('done');
    expect(run.survivors).toEqual([]);
    expect(run.counts.forced).toBeGreaterThanOrEqual(tree.length);
    expect(run.errors.some((e) => /graceful stop of bot-runner: console helper crashed/.test(e))).toBe(true);
  });

  it('a re-scan that throws during the grace period is recorded and the targets are still force-killed', async () => {
    const bot = await startFakeBot({ browsers: 0, ignoreSignals: true, sleeperChild: true });
    cleanups.push(() => bot.cleanup());
    const tree = [bot.runnerPid, ...descendants(bot.runnerPid)];
    const real = createPlatform({ clock: systemClock });
    let lists = 0;
    const t = createTestStop({
      store: store(),
      folders: [bot.folder],
      stop: { graceSeconds: 0.3, verifySeconds: 2 },
      platform: linuxWith({
        processes: {
          async list() {
            lists++;
            if (lists === 2) throw new Error('process list unavailable');
            return real.processes.list();
          },
        },
      }),
    });

    const run = await t.stop.trigger({ source: 'button', reason: 'rescan throws' });

    expect(lists).toBeGreaterThan(2);
    for (const pid of tree) expect(isAlive(pid), `bot pid ${pid}`).toBe(false);
    expect(run.status).toBe('done');
    expect(run.counts.forced).toBe(tree.length);
    expect(run.errors).toContain('process re-scan: process list unavailable');
  });
});

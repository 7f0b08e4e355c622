/**
 * The emergency stop against real processes: a fake Nexus 02 (python3 -m reply_bot.multi_main with
 * three headless Chromium trees under its bot folder), an operator Chromium that must survive, a
 * python3 that ignores SIGINT and SIGTERM, and a database that refuses writes.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createWritePath, type Store } from '../../electron/core/store/index.js';
import { ApiFailure } from '../../shared/api/contract.js';
import type { StopApiEvent } from '../../shared/api/stop.js';
import { createTestStop, openTestStore } from '../fixtures/fake-bot/harness.js';
import {
  chromiumTreeComplete,
  descendants,
  type FakeBot,
  isAlive,
  makeBotFolder,
  type OperatorChrome,
  startFakeBot,
  startOperatorChromium,
} from '../fixtures/fake-bot/index.js';

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => {
    chmodSync(dir, 0o755);
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  });
  return dir;
}

function track<T extends { cleanup(): Promise<void> }>(thing: T): T {
  cleanups.push(() => thing.cleanup());
  return thing;
}

function storeIn(dir: string): Store {
  const store = openTestStore(dir);
  cleanups.push(() => store.close());
  return store;
}

/** Targets that appeared after the snapshot: the verify phase forces them at once and says how many. */
function newcomersForced(events: StopApiEvent[], runId: string): number {
  let count = 0;
  for (const e of events) {
    if (e.type !== 'stop.progress' || e.runId !== runId || e.phase !== 'verify') continue;
    const m = /^(\d+) new target\(s\)$/.exec(e.message ?? '');
    if (m) count += Number(m[1]);
  }
  return count;
}

function phases(events: StopApiEvent[], runId: string): string[] {
  const seen: string[] = [];
  for (const e of events) {
    if (e.type === 'stop.progress' && e.runId === runId && seen.at(-1) !== e.phase) seen.push(e.phase);
  }
  return seen;
}

describe('emergency stop on Linux with a fake Nexus 02', () => {
  it('stops the runner and its Chromium trees, spares the operator Chromium, writes the kill-switch; resume removes it', async () => {
    const dataDir = tempDir('nexus-ops-stop-data-');
    const bot: FakeBot = track(await startFakeBot());
    // Complete trees: a helper spawned after the stop's snapshot would be a newcomer, forced at once.
    for (const pid of bot.childPids) expect(chromiumTreeComplete(pid), `chromium ${pid}`).toBe(true);
    const operator: OperatorChrome = track(await startOperatorChromium());
    const botTree = [bot.runnerPid, ...descendants(bot.runnerPid)];
    const operatorTree = [operator.pid, ...descendants(operator.pid)];
    expect(botTree.length).toBeGreaterThanOrEqual(1 + 3 * 3);

    const store = storeIn(dataDir);
    const t = createTestStop({ store, folders: [bot.folder], stop: { graceSeconds: 5 } });
    expect(t.stop.isStopped()).toBe(false);

    const run = await t.stop.trigger({ source: 'button', actor: 'tester', reason: 'test: runaway bot' });

    expect(run.status).toBe('done');
    expect(run.survivors).toEqual([]);
    for (const pid of botTree) expect(isAlive(pid), `bot pid ${pid}`).toBe(false);
    // Chromium starts and ends helper processes on its own (a utility process that finished its job),
    // so the operator's tree seen before the stop is not exact: its browser process and a tree of
    // helpers must still run. A stop that took the operator Chromium for a bot's would end them all.
    expect(isAlive(operator.pid), `operator browser ${operator.pid}`).toBe(true);
    const operatorAfter = descendants(operator.pid);
    expect(operatorAfter.length).toBeGreaterThanOrEqual(Math.min(2, operatorTree.length - 1));
    for (const pid of operatorAfter) expect(botTree).not.toContain(pid);
    expect(run.counts.targets).toBeGreaterThanOrEqual(1 + 3 * 3);
    expect(run.counts.stopped).toBe(run.counts.targets);
    expect(run.counts.survivors).toBe(0);
    expect(run.families['bot-runner']).toBe(1);
    expect(run.families['bot-chrome']).toBeGreaterThanOrEqual(3);
    // The runner stops on Ctrl+C like the real bot: no target of the snapshot needed force (no 'force'
    // phase). The fake bot's Chromium trees are complete before the stop (startFakeBot waits for their
    // helpers); a helper a browser still spawns after the snapshot is forced at once in the verify
    // phase, and is the only thing that may count as forced.
    const newcomers = newcomersForced(t.events, run.id);
    expect(run.counts.forced).toBe(newcomers);
    expect(phases(t.events, run.id)).toEqual([
      'requested',
      'kill-switch',
      'schedules',
      'snapshot',
      'graceful',
      'verify',
      'done',
    ]);

    const killSwitch = join(bot.folder, 'EMERGENCY_STOP');
    expect(run.killSwitch.written).toEqual([killSwitch]);
    const content = JSON.parse(readFileSync(killSwitch, 'utf8'));
    expect(content).toMatchObject({
      stopped: true,
      reason: 'test: runaway bot',
      source: 'button',
      runId: run.id,
    });
    expect(new Date(content.time).getTime()).toBe(run.requestedAt);

    expect(t.stop.isStopped()).toBe(true);
    expect(t.states).toEqual([true]);
    expect(t.notices).toHaveLength(1);
    expect(t.notices[0]).toMatchObject({ kind: 'stop', severity: 'critical', channels: ['desktop'] });
    const stored = store.db
      .prepare('SELECT status, targets, stopped, forced, resumed_at FROM stop_runs')
      .all();
    expect(stored).toEqual([
      {
        status: 'done',
        targets: run.counts.targets,
        stopped: run.counts.stopped,
        forced: newcomers,
        resumed_at: null,
      },
    ]);
    const actions = store.db.prepare('SELECT action FROM audit ORDER BY id').all();
    expect(actions).toEqual([{ action: 'stop.requested' }, { action: 'stop.completed' }]);

    // A restart still shows the stopped state.
    const again = createTestStop({ store, folders: [bot.folder] });
    expect(again.stop.isStopped()).toBe(true);
    expect(again.stop.status().latest?.id).toBe(run.id);

    await expect(t.stop.resume({ actor: 'tester', reason: '' })).rejects.toBeInstanceOf(ApiFailure);
    const status = await t.stop.resume({ actor: 'tester', reason: 'root cause fixed' });
    expect(status.stopped).toBe(false);
    expect(existsSync(killSwitch)).toBe(false);
    expect(t.resumes).toHaveLength(1);
    expect(t.states).toEqual([true, false]);
    expect(store.db.prepare('SELECT resumed_by, resume_reason FROM stop_runs').get()).toEqual({
      resumed_by: 'tester',
      resume_reason: 'root cause fixed',
    });
    expect(store.verifyAudit().ok).toBe(true);
    // Deliberate resume started the cooldown: a rule may not stop again yet, an operator may.
    await expect(
      t.stop.trigger({ source: 'rule', ruleId: 'stop-chrome-runaway', reason: 'too many chrome' }),
    ).rejects.toThrow(/cooldown/);
  });

  it('kills a Chromium whose bot runner already died (an orphan found by its profile path)', async () => {
    const dataDir = tempDir('nexus-ops-stop-data-');
    const bot = track(await startFakeBot({ browsers: 1 }));
    const chrome = bot.childPids[0]!;
    const chromeTree = [chrome, ...descendants(chrome)];
    process.kill(bot.runnerPid, 'SIGKILL');
    await new Promise((r) => bot.child.once('exit', r));
    expect(isAlive(chrome)).toBe(true);

    const t = createTestStop({ store: storeIn(dataDir), folders: [bot.folder], stop: { graceSeconds: 2 } });
    const run = await t.stop.trigger({ source: 'cli', reason: 'orphans' });
    expect(run.status).toBe('done');
    expect(run.families['bot-runner']).toBeUndefined();
    for (const pid of chromeTree) expect(isAlive(pid), `chrome pid ${pid}`).toBe(false);
  });

  // Issue 10, item 6: the command line is read argument by argument, so a profile path with a space, a
  // quote or Japanese in it is still under the bot folder.
  for (const name of ['bot folder ', 'bot "quoted" folder ', 'ボット フォルダ ', "bot's ünï "]) {
    it(`kills an orphaned bot Chromium in a folder named ${JSON.stringify(name)}`, async () => {
      const dataDir = tempDir('nexus-ops-stop-data-');
      const folder = makeBotFolder(`nexus-ops ${name}`);
      cleanups.push(() => rmSync(folder, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
      const bot = track(await startFakeBot({ folder, browsers: 1 }));
      const chrome = bot.childPids[0]!;
      const chromeTree = [chrome, ...descendants(chrome)];
      process.kill(bot.runnerPid, 'SIGKILL');
      await new Promise((r) => bot.child.once('exit', r));
      expect(isAlive(chrome)).toBe(true);

      const t = createTestStop({ store: storeIn(dataDir), folders: [folder], stop: { graceSeconds: 2 } });
      const run = await t.stop.trigger({ source: 'cli', reason: 'orphans' });
      expect(run.status).toBe('done');
      expect(run.families['bot-chrome']).toBeGreaterThanOrEqual(chromeTree.length);
      for (const pid of chromeTree) expect(isAlive(pid), `chrome pid ${pid}`).toBe(false);
    });
  }

  it('force-kills a python3 that ignores SIGINT and SIGTERM after the grace period and reports it forced', async () => {
    const dataDir = tempDir('nexus-ops-stop-data-');
    const bot = track(await startFakeBot({ ignoreSignals: true, sleeperChild: true }));
    const t = createTestStop({ store: storeIn(dataDir), folders: [bot.folder], stop: { graceSeconds: 1 } });

    const run = await t.stop.trigger({ source: 'shortcut', reason: 'stubborn' });

    expect(isAlive(bot.runnerPid)).toBe(false);
    expect(run.status).toBe('done');
    expect(run.counts).toMatchObject({ targets: 2, stopped: 2, survivors: 0 });
    // Both ignore SIGINT and SIGTERM (an ignored signal stays ignored across fork and exec): both forced.
    expect(run.counts.forced).toBe(2);
    expect(phases(t.events, run.id)).toContain('force');
    const graceful = run.steps.find((s) => s.phase === 'graceful')!;
    const force = run.steps.find((s) => s.phase === 'force')!;
    expect(force.ms).toBeGreaterThanOrEqual(graceful.ms);
  });

  it('still kills and writes the kill-switch while the database is read-only, and records afterwards', async () => {
    const dataDir = tempDir('nexus-ops-stop-data-');
    const bot = track(await startFakeBot({ browsers: 1 }));
    const store = storeIn(dataDir);
    store.db.pragma('query_only = ON'); // every write now fails with SQLITE_READONLY
    const t = createTestStop({ store, folders: [bot.folder], stop: { graceSeconds: 2 } });

    const run = await t.stop.trigger({ source: 'button', reason: 'db read-only' });

    expect(isAlive(bot.runnerPid)).toBe(false);
    expect(run.status).toBe('done');
    expect(run.recordedLate).toBe(true);
    expect(existsSync(join(bot.folder, 'EMERGENCY_STOP'))).toBe(true);
    expect(t.stop.status().unrecorded).toBeGreaterThan(0);
    expect(t.stop.history().map((r) => r.id)).toEqual([run.id]);

    store.db.pragma('query_only = OFF');
    expect(store.writes.flush({ force: true })).toBe(true);
    expect(store.db.prepare('SELECT id, status, recorded_late FROM stop_runs').all()).toEqual([
      { id: run.id, status: 'done', recorded_late: 1 },
    ]);
    expect(store.db.prepare('SELECT action FROM audit ORDER BY id').all()).toEqual([
      { action: 'stop.requested' },
      { action: 'stop.completed' },
    ]);
  });

  it('still stops while another program holds the database locked', async () => {
    const dataDir = tempDir('nexus-ops-stop-data-');
    const bot = track(await startFakeBot({ browsers: 1 }));
    const store = storeIn(dataDir);
    const other = new Database(join(dataDir, 'nexus-ops.db'));
    other.exec('BEGIN EXCLUSIVE');
    cleanups.push(() => {
      other.close();
    });
    const t = createTestStop({ store, folders: [bot.folder], stop: { graceSeconds: 2 } });

    const run = await t.stop.trigger({ source: 'tray', reason: 'db locked' });

    expect(isAlive(bot.runnerPid)).toBe(false);
    expect(run.recordedLate).toBe(true);
    expect(existsSync(join(bot.folder, 'EMERGENCY_STOP'))).toBe(true);
    other.exec('COMMIT');
    expect(store.writes.flush({ force: true })).toBe(true);
    expect(store.db.prepare('SELECT count(*) AS n FROM stop_runs').get()).toEqual({ n: 1 });
  });

  it('still stops when the database file and its folder are read-only (chmod 0444)', async () => {
    const dataDir = tempDir('nexus-ops-stop-data-');
    const bot = track(await startFakeBot({ browsers: 1 }));
    const store = storeIn(dataDir);
    store.close();
    const file = join(dataDir, 'nexus-ops.db');
    chmodSync(file, 0o444);
    chmodSync(dataDir, 0o555);
    cleanups.push(() => chmodSync(file, 0o644));
    // Root ignores file modes; then the read-only open itself is the restriction.
    const readOnly = new Database(file, { readonly: true });
    cleanups.push(() => {
      readOnly.close();
    });
    const writes = createWritePath({ db: readOnly, file, now: () => Date.now(), log: () => {} });
    const appendAudit = (e: { actor: string; action: string }) =>
      writes.write('audit', (db) =>
        db
          .prepare(
            "INSERT INTO audit (ts, actor, action, details, prev_hash, hash) VALUES (0, ?, ?, '{}', '', '')",
          )
          .run(e.actor, e.action),
      );
    const t = createTestStop({
      store: { db: readOnly, writes, appendAudit },
      folders: [bot.folder],
      stop: { graceSeconds: 2 },
    });

    const run = await t.stop.trigger({ source: 'button', reason: 'db file read-only' });

    expect(isAlive(bot.runnerPid)).toBe(false);
    expect(run.status).toBe('done');
    expect(run.recordedLate).toBe(true);
    expect(JSON.parse(readFileSync(join(bot.folder, 'EMERGENCY_STOP'), 'utf8')).reason).toBe(
      'db file read-only',
    );
    expect(t.stop.isStopped()).toBe(true);
  });

  it('stands by the kill-switch alone after a restart that lost the database', async () => {
    const folder = makeBotFolder();
    cleanups.push(() => rmSync(folder, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
    const first = createTestStop({ store: storeIn(tempDir('nexus-ops-stop-a-')), folders: [folder] });
    const run = await first.stop.trigger({ source: 'button', reason: 'nothing running' });
    expect(run.counts.targets).toBe(0);

    const fresh = createTestStop({ store: storeIn(tempDir('nexus-ops-stop-b-')), folders: [folder] });
    expect(fresh.stop.isStopped()).toBe(true);
    expect(fresh.stop.status().killSwitch.present).toEqual([join(folder, 'EMERGENCY_STOP')]);
    await fresh.stop.resume({ actor: 'tester', reason: 'checked' });
    expect(existsSync(join(folder, 'EMERGENCY_STOP'))).toBe(false);
  });
});

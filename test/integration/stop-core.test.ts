/**
 * The stop's bookkeeping on a real SQLite file and the real Linux platform (with no bot running):
 * migration 5, joining a run in progress, the rule cooldown after a resume, schedules paused and
 * resumed by id, a run interrupted by a restart, and the API handlers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/core/clock/index.js';
import type { BotSchedulePauser } from '../../electron/core/stop/index.js';
import { stopMigration } from '../../electron/core/stop/migrations/005-stop.js';
import { coreMigration } from '../../electron/core/store/migrations/001-core.js';
import { stopMethods, stopRunSchema, stopStatusSchema } from '../../shared/api/stop.js';
import { createTestStop, openTestStore } from '../fixtures/fake-bot/harness.js';
import { makeBotFolder } from '../fixtures/fake-bot/index.js';

const dirs: string[] = [];
const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
  for (const d of dirs.splice(0))
    rmSync(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

function temp(): string {
  const d = mkdtempSync(join(tmpdir(), 'nexus-ops-stop-core-'));
  dirs.push(d);
  return d;
}

function setup(opts: { schedules?: BotSchedulePauser; clock?: ManualClock } = {}) {
  const folder = makeBotFolder();
  dirs.push(folder);
  const store = openTestStore(temp(), opts.clock);
  closers.push(() => store.close());
  const t = createTestStop({
    store,
    folders: [folder],
    stop: { graceSeconds: 0.2, verifySeconds: 1 },
    schedules: opts.schedules,
    clock: opts.clock,
  });
  return { folder, store, t };
}

describe('migration 5 (stop)', () => {
  it('adds stop_runs to a version-4 database and enforces its columns', () => {
    const db = new Database(join(temp(), 'm.db'));
    closers.push(() => db.close());
    coreMigration.up(db);
    db.pragma('user_version = 4');
    db.prepare(
      "INSERT INTO audit (ts, actor, action, details, prev_hash, hash) VALUES (1, 'a', 'b', '{}', '', 'h')",
    ).run();
    db.transaction(() => {
      stopMigration.up(db);
      db.pragma(`user_version = ${stopMigration.version}`);
    })();
    expect(db.pragma('user_version', { simple: true })).toBe(5);
    expect(db.prepare('SELECT count(*) AS n FROM audit').get()).toEqual({ n: 1 });
    db.prepare(
      "INSERT INTO stop_runs (id, source, actor, reason, requested_at, status) VALUES ('x', 'cli', 'a', 'r', 1, 'done')",
    ).run();
    expect(() =>
      db
        .prepare(
          "INSERT INTO stop_runs (id, source, actor, reason, requested_at, status) VALUES ('y', 'web', 'a', 'r', 1, 'done')",
        )
        .run(),
    ).toThrow(/CHECK/);
    expect(
      db.prepare("SELECT survivors, disabled_tasks, resumed_at FROM stop_runs WHERE id = 'x'").get(),
    ).toEqual({
      survivors: '[]',
      disabled_tasks: '[]',
      resumed_at: null,
    });
  });
});

describe('stop bookkeeping', () => {
  it('joins a second trigger to the run in progress', async () => {
    const { t, store } = setup();
    const [a, b] = await Promise.all([
      t.stop.trigger({ source: 'button', reason: 'first' }),
      t.stop.trigger({ source: 'tray', reason: 'second' }),
    ]);
    expect(b.id).toBe(a.id);
    expect(store.db.prepare('SELECT count(*) AS n FROM stop_runs').get()).toEqual({ n: 1 });
    const joined = store.db
      .prepare("SELECT details FROM audit WHERE action = 'stop.requested' AND details LIKE '%joined%'")
      .all();
    expect(joined).toHaveLength(1);
  });

  it('refuses rule triggers during the cooldown after a resume, then accepts them again', async () => {
    const clock = new ManualClock();
    const { t } = setup({ clock });
    await t.stop.trigger({ source: 'button', reason: 'x' });
    await t.stop.resume({ actor: 'op', reason: 'ok' });
    expect(t.resumes).toEqual([clock.now()]);
    expect(t.stop.status().cooldownUntil).toBe(clock.now() + 30 * 60_000);
    await expect(t.stop.ruleAction({ ruleId: 'r1', alertId: 'a1', reason: 'fired' })).rejects.toThrow(
      /cooldown/,
    );
    expect(t.stop.isStopped()).toBe(false);
    clock.advance(30 * 60_000);
    await t.stop.ruleAction({ ruleId: 'r1', alertId: 'a1', reason: 'fired' });
    const latest = t.stop.status().latest!;
    expect(latest).toMatchObject({
      source: 'rule',
      actor: 'rule:r1',
      ruleId: 'r1',
      alertId: 'a1',
      reason: 'fired',
    });
  });

  it("uses the alert engine's action cooldown when it is shorter: a rule action the engine runs after it is not refused", async () => {
    const clock = new ManualClock();
    const { t } = setup({ clock });
    t.config.current = { ...t.config.current, alerts: { actionCooldownMinutes: 10 } };
    expect(t.config.current.stop.resumeCooldownMinutes).toBe(30);
    await t.stop.trigger({ source: 'button', reason: 'x' });
    await t.stop.resume({ actor: 'op', reason: 'ok' });
    expect(t.stop.status().cooldownUntil).toBe(clock.now() + 10 * 60_000);
    clock.advance(9 * 60_000);
    await expect(t.stop.ruleAction({ ruleId: 'r1', alertId: 'a1', reason: 'early' })).rejects.toThrow(
      /cooldown/,
    );
    // The engine defers its action until its own cooldown ends, then runs it once: it must stop.
    clock.advance(60_000);
    await t.stop.ruleAction({ ruleId: 'r1', alertId: 'a1', reason: 'fired after the cooldown' });
    expect(t.stop.status().latest).toMatchObject({ source: 'rule', reason: 'fired after the cooldown' });
    expect(t.stop.isStopped()).toBe(true);
  });

  it('pauses bot schedules before killing and resumes exactly the ids it paused', async () => {
    const calls: string[] = [];
    const schedules: BotSchedulePauser = {
      async pauseBotSchedules() {
        calls.push('pause');
        return ['nexus02-every-2h', 'tax-post-0900'];
      },
      async resumeBotSchedules(ids) {
        calls.push(`resume:${ids.join(',')}`);
      },
    };
    const { t } = setup({ schedules });
    const run = await t.stop.trigger({ source: 'button', reason: 'x' });
    expect(run.pausedSchedules).toEqual(['nexus02-every-2h', 'tax-post-0900']);
    await t.stop.resume({ actor: 'op', reason: 'ok' });
    expect(calls).toEqual(['pause', 'resume:nexus02-every-2h,tax-post-0900']);
  });

  it('refuses to resume when nothing is stopped, and while a stop runs', async () => {
    const { t } = setup();
    await expect(t.stop.resume({ actor: 'op', reason: 'why' })).rejects.toThrow(/not stopped/);
    const pending = t.stop.trigger({ source: 'button', reason: 'x' });
    await expect(t.stop.resume({ actor: 'op', reason: 'why' })).rejects.toThrow(/in progress/);
    await pending;
  });

  it('marks a run left "running" by a crash as interrupted and stays stopped', async () => {
    const { t, store, folder } = setup();
    const run = await t.stop.trigger({ source: 'button', reason: 'x' });
    store.db.prepare("UPDATE stop_runs SET status = 'running', finished_at = NULL").run();
    const after = createTestStop({ store, folders: [folder] });
    expect(after.stop.isStopped()).toBe(true);
    expect(after.stop.status().latest).toMatchObject({ id: run.id, status: 'interrupted' });
    expect(store.db.prepare('SELECT status FROM stop_runs').get()).toEqual({ status: 'interrupted' });
  });

  it('serves its API through handlers whose replies match the contract', async () => {
    const { t } = setup();
    const run = await t.stop.handlers['stop.trigger'](stopMethods['stop.trigger'].input.parse({}));
    expect(stopRunSchema.parse(run).reason).toBe('Emergency stop button');
    const status = await t.stop.handlers['stop.status']({});
    expect(stopStatusSchema.parse(status).stopped).toBe(true);
    const history = await t.stop.handlers['stop.history'](stopMethods['stop.history'].input.parse({}));
    expect(history.runs.map((r) => r.id)).toEqual([run.id]);
    expect(stopMethods['stop.resume'].input.safeParse({ reason: '  ' }).success).toBe(false);
    const resumed = await t.stop.handlers['stop.resume'](
      stopMethods['stop.resume'].input.parse({ reason: 'ok' }),
    );
    expect(resumed.stopped).toBe(false);
    const events = t.events.map((e) => e.type);
    expect(events).toContain('stop.progress');
    expect(events).toContain('stop.result');
    expect(events.filter((e) => e === 'stop.state').length).toBeGreaterThanOrEqual(3);
  });
});

/**
 * Migration 6 (bots) on a database written by the versions before it, with rows in every table it
 * had: nothing is lost, and the new tables hold what the bots capability writes and refuse what it must
 * never write.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { botsMigration } from '../../electron/core/bots/index.js';
import { ManualClock } from '../../electron/core/clock/index.js';
import { schemaMigrations } from '../../electron/core/index.js';
import { migrate, openStore } from '../../electron/core/store/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0))
    rmSync(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

describe(`migration ${botsMigration.version} (bots)`, () => {
  it('upgrades a database of the version before it, with history in it, keeping every row', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nexus-ops-bots-migration-'));
    dirs.push(dir);
    const file = join(dir, 'nexus-ops.db');
    const before = schemaMigrations.filter((m) => m.version < botsMigration.version);
    expect(before.map((m) => m.version)).toEqual(
      Array.from({ length: botsMigration.version - 1 }, (_, i) => i + 1),
    );

    // A database as the previous release left it: samples, an audit row, a stop run.
    const old = openStore({ file, clock: new ManualClock(), migrations: before });
    old.writeSamples([{ name: 'cpu.total', labels: {}, ts: 1000, value: 12.5 }]);
    old.appendAudit({ actor: 'op', action: 'stop.requested', details: { reason: 'テスト' } });
    old.db
      .prepare(
        "INSERT INTO stop_runs (id, source, actor, reason, requested_at, status) VALUES ('s1', 'cli', 'op', '理由', 5, 'done')",
      )
      .run();
    const counts = (db: Database.Database) =>
      Object.fromEntries(
        ['samples', 'series', 'audit', 'stop_runs'].map((t) => [
          t,
          (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n,
        ]),
      );
    const beforeCounts = counts(old.db);
    expect(beforeCounts).toEqual({ samples: 1, series: 1, audit: 1, stop_runs: 1 });
    old.close();

    const db = new Database(file);
    expect(migrate(db, schemaMigrations, file)[0]).toBe(botsMigration.version);
    expect(db.pragma('user_version', { simple: true })).toBe(schemaMigrations.length);
    expect(counts(db)).toEqual(beforeCounts);

    db.prepare(
      "INSERT INTO bot_state (bot_id, restarts, unstable_count, updated_at) VALUES ('tax', 3, 2, 1)",
    ).run();
    db.prepare(
      "INSERT INTO bot_runs (run_id, bot_id, trigger, started_at, outcome, exit_code) VALUES ('r1', 'tax', 'always', 1, 'failed', 1)",
    ).run();
    db.prepare('INSERT INTO bot_hold (id, held, restore) VALUES (1, 1, \'["tax"]\')').run();
    expect(() =>
      db
        .prepare("INSERT INTO bot_runs (run_id, bot_id, trigger, started_at) VALUES ('r2', 'tax', 'cron', 1)")
        .run(),
    ).toThrow(/CHECK/);
    expect(() => db.prepare('INSERT INTO bot_hold (id, held) VALUES (2, 0)').run()).toThrow(/CHECK/);
    expect(() =>
      db.prepare("INSERT INTO bot_state (bot_id, restarts, updated_at) VALUES ('x', 'many', 1)").run(),
    ).toThrow(/cannot store TEXT value in INTEGER column/);
    db.close();
  });
});

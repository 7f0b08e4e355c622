/**
 * Migration 7 (telemetry) on a database an earlier version wrote: every row of versions 1-6 is still
 * there afterwards, the telemetry tables refuse what they must, and cost written by telemetry is read
 * back after a reopen.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/core/clock/index.js';
import { schemaMigrations } from '../../electron/core/index.js';
import { openStore } from '../../electron/core/store/index.js';
import { telemetryMigration } from '../../electron/core/telemetry/index.js';
import { telemetryHarness } from '../fixtures/telemetry/harness.js';
import { insertRow, tableRows, updateToVersion } from '../helpers/schema.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0))
    rmSync(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

describe(`migration ${telemetryMigration.version} (telemetry)`, () => {
  it('migrates a file of the version before it, with rows in it, losing nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nexus-telemetry-migration-'));
    dirs.push(dir);
    const file = join(dir, 'nexus-ops.db');
    const db = new Database(file);
    updateToVersion(db, telemetryMigration.version - 1);
    insertRow(db, 'series', { id: 1, key: 'bot.up{bot=tax}', name: 'bot.up', labels: '{"bot":"tax"}' });
    insertRow(db, 'samples', { series_id: 1, ts: 1000, value: 1 });
    insertRow(db, 'stop_runs', {
      id: 'r1',
      source: 'rule',
      actor: 'rule:x',
      reason: 'r',
      requested_at: 1,
      status: 'done',
    });
    insertRow(db, 'audit', { ts: 1, actor: 'op', action: 'stop', details: '{}', prev_hash: '', hash: 'h' });
    const before = ['series', 'samples', 'stop_runs', 'audit'].map((t) => tableRows(db, t));
    db.close();

    // Migrate exactly up to telemetry: later migrations may add columns to the tables compared here.
    const upToTelemetry = schemaMigrations.filter((m) => m.version <= telemetryMigration.version);
    expect(upToTelemetry.at(-1)).toBe(telemetryMigration);
    const clock = new ManualClock(Date.parse('2026-01-05T10:00:00+09:00'));
    const store = openStore({ file, clock, migrations: upToTelemetry });
    expect(store.db.pragma('user_version', { simple: true })).toBe(telemetryMigration.version);
    expect(['series', 'samples', 'stop_runs', 'audit'].map((t) => tableRows(store.db, t))).toEqual(before);
    expect(() =>
      store.db
        .prepare("INSERT INTO telemetry_runs (id, bot, source, started_at) VALUES ('x', 'b', 'ping', 1)")
        .run(),
    ).toThrow(/CHECK/);
    expect(() =>
      store.db
        .prepare(
          "INSERT INTO telemetry_cost (bot, provider, bucket, calls, cost_usd) VALUES ('b', 'p', 0, -1, 0)",
        )
        .run(),
    ).toThrow(/CHECK/);
    store.close();
  });

  it('cost and the failure streak written through the write path are there after a reopen', () => {
    const clock = new ManualClock(Date.parse('2026-01-05T10:00:00+09:00'));
    const h = telemetryHarness(clock);
    dirs.push(h.dir);
    const t = clock.now();
    h.feed([
      {
        id: '1',
        bot: 'tax',
        ts: t,
        level: 'INFO',
        stream: 'stdout',
        message: '📡 レスポンス: 200 OK',
        source: 'stdout',
      },
      {
        id: '2',
        bot: 'tax',
        ts: t,
        level: 'INFO',
        stream: 'stdout',
        message: '📡 レスポンス: 200 OK',
        source: 'stdout',
      },
      {
        id: '3',
        bot: 'tax',
        ts: t,
        level: 'ERROR',
        stream: 'stderr',
        message: '❌ MainWorkflow実行エラー - ExecutionID: exec_1_post - 実行時間: 10ms - エラー: x',
        source: 'stderr',
      },
    ]);
    h.restart();
    expect(h.telemetry.costView(t).day).toMatchObject({ calls: 2, spentUsd: 0.0003 });
    expect(h.telemetry.kpiViews(t).find((k) => k.bot === 'tax')?.consecutiveFailures).toBe(1);
    h.store.close();
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/core/clock/index.js';
import { schemaMigrations } from '../../electron/core/index.js';
import {
  LOGS_SCHEMA_VERSION,
  logsFtsAutomergeMigration,
  logsMigration,
} from '../../electron/core/logs/index.js';
import { migrate, openStore } from '../../electron/core/store/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0))
    rmSync(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

describe('migration logs', () => {
  it('migrates a database of the versions before it, with rows in it, and loses nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nexus-logs-mig-'));
    dirs.push(dir);
    const file = join(dir, 'nexus-ops.db');
    const before = schemaMigrations.filter((m) => m.version < LOGS_SCHEMA_VERSION);
    const store = openStore({ file, clock: new ManualClock(), migrations: before });
    store.writeSamples([{ name: 'cpu.total', labels: {}, ts: 1000, value: 12.5 }]);
    store.appendAudit({ actor: 'テスト', action: 'before-logs' });
    store.db
      .prepare(
        `INSERT INTO stop_runs (id, source, actor, reason, requested_at, status) VALUES ('s1', 'button', 'op', '理由', 5, 'done')`,
      )
      .run();
    store.close();

    const db = new Database(file);
    const counts = (names: string[]) =>
      Object.fromEntries(
        names.map((n) => [n, (db.prepare(`SELECT count(*) AS c FROM ${n}`).get() as { c: number }).c]),
      );
    const old = counts(['samples', 'audit', 'stop_runs']);
    expect(migrate(db, schemaMigrations, file)).toContain(LOGS_SCHEMA_VERSION);
    expect(db.pragma('user_version', { simple: true })).toBe(schemaMigrations.length);
    expect(counts(['samples', 'audit', 'stop_runs'])).toEqual(old);
    expect(old).toEqual({ samples: 1, audit: 1, stop_runs: 1 });
    for (const t of ['log_files', 'log_records', 'log_messages', 'log_retention']) {
      const sql = db
        .prepare<[string], { sql: string }>('SELECT sql FROM sqlite_master WHERE name = ?')
        .get(t)?.sql;
      expect(sql).toMatch(/\)\s*STRICT$/);
    }
    // The trigram index answers a query on a message written after the migration.
    db.prepare('INSERT INTO log_messages (id, text) VALUES (1, ?)').run('認証エラー');
    db.prepare('INSERT INTO log_fts (rowid, text) VALUES (1, ?)').run('認証エラー\uE000\uE000');
    expect(db.prepare('SELECT rowid FROM log_fts WHERE log_fts MATCH ?').all('"証エラ"')).toEqual([
      { rowid: 1 },
    ]);
    expect(
      db.prepare("SELECT term FROM log_fts_terms WHERE term >= '証' AND term < '証\u{10FFFF}'").all(),
    ).toEqual([{ term: '証エラ' }]);
    db.close();
    expect(logsMigration.version).toBe(LOGS_SCHEMA_VERSION);
  });

  it('15 sets the trigram index to merge 16 segments at a time and keeps what it indexed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nexus-logs-mig-'));
    dirs.push(dir);
    const file = join(dir, 'nexus-ops.db');
    const before = schemaMigrations.filter((m) => m.version < logsFtsAutomergeMigration.version);
    const store = openStore({ file, clock: new ManualClock(), migrations: before });
    const seed = store.db.transaction(() => {
      for (let i = 1; i <= 40; i++) {
        const text = `[acct${i % 3}] 現在のメモリ使用量: ${300 + i} MB`;
        store.db.prepare('INSERT INTO log_messages (id, text) VALUES (?, ?)').run(i, text);
        store.db.prepare('INSERT INTO log_fts (rowid, text) VALUES (?, ?)').run(i, `${text}\uE000\uE000`);
      }
    });
    seed();
    store.close();

    const db = new Database(file);
    const setting = () =>
      db.prepare<[], { v: number }>("SELECT v FROM log_fts_config WHERE k = 'automerge'").get()?.v;
    expect(setting()).toBeUndefined(); // FTS5's default, 4
    expect(migrate(db, schemaMigrations, file)).toContain(logsFtsAutomergeMigration.version);
    expect(setting()).toBe(16);
    const match = (q: string) =>
      db
        .prepare<[string], { rowid: number }>(
          'SELECT rowid FROM log_fts WHERE log_fts MATCH ? ORDER BY rowid',
        )
        .all(q)
        .map((r) => r.rowid);
    expect(match('"340" AND "0 M"')).toEqual([40]);
    expect(match('"メモリ"')).toHaveLength(40);
    db.close();
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../electron/core/clock/index.js';
import { schemaMigrations } from '../../electron/core/index.js';
import { maintenanceMigration } from '../../electron/core/maintenance/index.js';
import { migrate, openStore } from '../../electron/core/store/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0))
    rmSync(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

describe('migration 6 maintenance', () => {
  it('migrates a database at the previous version with rows in it, losing nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'maint-mig-'));
    dirs.push(dir);
    const file = join(dir, 'nexus-ops.db');
    const before = schemaMigrations.filter((m) => m.version < maintenanceMigration.version);
    const old = openStore({ file, clock: systemClock, migrations: before });
    for (let i = 0; i < 100; i++)
      old.writeSamples([{ name: 'cpu.total', labels: {}, ts: i * 1000, value: i }]);
    old.appendAudit({ actor: 'op', action: 'test', details: { n: 1 } });
    old.db
      .prepare(
        `INSERT INTO stop_runs (id, source, actor, reason, requested_at, status) VALUES ('s1', 'cli', 'op', 'r', 1, 'done')`,
      )
      .run();
    expect(old.db.pragma('user_version', { simple: true })).toBe(maintenanceMigration.version - 1);
    old.close();

    const store = openStore({ file, clock: systemClock, migrations: schemaMigrations });
    try {
      expect(store.db.pragma('user_version', { simple: true })).toBeGreaterThanOrEqual(
        maintenanceMigration.version,
      );
      expect(store.readRaw('cpu.total', 0, 1e9)).toHaveLength(100);
      expect(store.verifyAudit()).toMatchObject({ ok: true, rows: 1 });
      expect(store.db.prepare('SELECT COUNT(*) AS n FROM stop_runs').get()).toEqual({ n: 1 });
      for (const t of ['maintenance_jobs', 'maintenance_runs', 'maintenance_checks']) {
        const sql = store.db
          .prepare<[string], { sql: string }>('SELECT sql FROM sqlite_master WHERE name = ?')
          .get(t);
        expect(sql?.sql).toMatch(/\)\s*STRICT$/);
      }
    } finally {
      store.close();
    }
  });

  it('refuses a run row with an unknown status or trigger', () => {
    const dir = mkdtempSync(join(tmpdir(), 'maint-mig-'));
    dirs.push(dir);
    const db = new Database(join(dir, 'x.db'));
    try {
      migrate(db, schemaMigrations, 'x.db');
      const insert = (status: string, trigger: string) =>
        db
          .prepare(
            'INSERT INTO maintenance_runs (id, job_id, trigger, slot, started_at, status) VALUES (?, ?, ?, 1, 1, ?)',
          )
          .run(`${status}-${trigger}`, 'j', trigger, status);
      expect(() => insert('ok', 'catch-up')).not.toThrow();
      expect(() => insert('exploded', 'schedule')).toThrow(/CHECK/);
      expect(() => insert('ok', 'cron')).toThrow(/CHECK/);
    } finally {
      db.close();
    }
  });
});

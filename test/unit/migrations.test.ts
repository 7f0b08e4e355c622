import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/core/clock/index.js';
import { schemaMigrations } from '../../electron/core/index.js';
import { migrate, NewerDatabaseError, openStore, StoreOpenError } from '../../electron/core/store/index.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-store-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) {
    chmodSync(d, 0o755);
    rmSync(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
});

describe('migrations', () => {
  it('builds the schema from an empty database and records the version', () => {
    const db = new Database(join(tempDir(), 'a.db'));
    const applied = migrate(db, schemaMigrations, 'a.db');
    expect(applied).toEqual(schemaMigrations.map((m) => m.version));
    expect(db.pragma('user_version', { simple: true })).toBe(schemaMigrations.length);
    const tables = db
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all()
      .map((r) => r.name);
    expect(tables).toEqual(expect.arrayContaining(['series', 'samples', 'audit', 'meta']));
    db.close();
  });

  it('is idempotent: a second run applies nothing and keeps the data', () => {
    const file = join(tempDir(), 'b.db');
    const clock = new ManualClock();
    const store = openStore({ file, clock, migrations: schemaMigrations });
    store.writeSamples([{ name: 'cpu.total', labels: {}, ts: 1000, value: 12.5 }]);
    store.close();
    const db = new Database(file);
    expect(migrate(db, schemaMigrations, file)).toEqual([]);
    expect(db.prepare('SELECT COUNT(*) AS n FROM samples').get()).toEqual({ n: 1 });
    db.close();
  });

  it('refuses a database written by a newer version, naming the file', () => {
    const file = join(tempDir(), 'c.db');
    const db = new Database(file);
    db.pragma(`user_version = ${schemaMigrations.length + 5}`);
    expect(() => migrate(db, schemaMigrations, file)).toThrow(NewerDatabaseError);
    expect(() => migrate(db, schemaMigrations, file)).toThrow(/newer Nexus Ops/);
    db.close();
  });

  it('rolls a failing migration back whole', () => {
    const db = new Database(':memory:');
    const broken = [
      ...schemaMigrations,
      {
        version: schemaMigrations.length + 1,
        name: 'broken',
        up(d: Database.Database) {
          d.exec('CREATE TABLE half_done (x INTEGER) STRICT');
          throw new Error('boom');
        },
      },
    ];
    expect(() => migrate(db, broken, ':memory:')).toThrow('boom');
    expect(db.pragma('user_version', { simple: true })).toBe(schemaMigrations.length);
    expect(db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'half_done'").get()).toEqual({
      n: 0,
    });
  });
});

describe('store faults', () => {
  it('keeps samples in memory while the database is read-only and writes them once it is writable', () => {
    const dir = tempDir();
    const file = join(dir, 'd.db');
    const clock = new ManualClock();
    const store = openStore({ file, clock, migrations: schemaMigrations });
    store.writeSamples([{ name: 'cpu.total', labels: {}, ts: 1, value: 1 }]);

    // A second connection holding a write lock makes our writes fail with SQLITE_BUSY.
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    store.writeSamples([{ name: 'cpu.total', labels: {}, ts: 2, value: 2 }]);
    expect(store.health().error).toMatch(/locked/);
    expect(store.health().waitingRows).toBe(1);
    expect(store.writes.oldestWaitingTs()).toBe(2);
    other.exec('COMMIT');
    other.close();

    // Writes behind a refused one wait for the retry interval, then go in order.
    store.writeSamples([{ name: 'cpu.total', labels: {}, ts: 3, value: 3 }]);
    expect(store.health().waitingRows).toBe(2);
    clock.advance(2_000);
    store.writeSamples([]);
    expect(store.writes.flush()).toBe(true);
    expect(store.health()).toMatchObject({ error: null, waitingRows: 0 });
    expect(store.readRaw('cpu.total', 0, 10).map((p) => p.value)).toEqual([1, 2, 3]);
    store.close();
  });

  it('skips and counts samples that are not numbers instead of blocking every later write', () => {
    const store = openStore({
      file: join(tempDir(), 'n.db'),
      clock: new ManualClock(),
      migrations: schemaMigrations,
    });
    store.writeSamples([
      { name: 'cpu.total', labels: {}, ts: 1, value: Number.NaN },
      { name: 'cpu.total', labels: {}, ts: 2, value: 20 },
    ]);
    store.writeSamples([{ name: 'cpu.total', labels: {}, ts: 3, value: 30 }]);
    expect(store.readRaw('cpu.total', 0, 10).map((p) => p.value)).toEqual([20, 30]);
    expect(store.health()).toMatchObject({ error: null, waitingRows: 0, skippedSamples: 1 });
    store.close();
  });

  it('gives a clear error when the database cannot be opened', () => {
    const dir = tempDir();
    chmodSync(dir, 0o500);
    const attempt = () =>
      openStore({ file: join(dir, 'sub', 'e.db'), clock: new ManualClock(), migrations: schemaMigrations });
    if (process.getuid?.() === 0) {
      // root ignores permissions; a path under a file is unopenable for anyone.
      const blocker = join(tempDir(), 'file');
      rmSync(blocker, { force: true });
      writeFileSync(blocker, 'x');
      expect(() =>
        openStore({ file: join(blocker, 'e.db'), clock: new ManualClock(), migrations: schemaMigrations }),
      ).toThrow(StoreOpenError);
    } else {
      expect(attempt).toThrow(StoreOpenError);
    }
  });

  it('chains the audit trail so an edited row is detected', () => {
    const store = openStore({
      file: join(tempDir(), 'f.db'),
      clock: new ManualClock(),
      migrations: schemaMigrations,
    });
    store.appendAudit({ actor: 'operator', action: 'alert.ack', details: { id: 1 } });
    store.appendAudit({ actor: 'operator', action: 'stop', details: { reason: 'test' } });
    expect(store.verifyAudit()).toEqual({ ok: true, rows: 2 });
    store.db.prepare('UPDATE audit SET details = \'{"reason":"edited"}\' WHERE id = 2').run();
    expect(store.verifyAudit()).toMatchObject({ ok: false, brokenAt: 2 });
    store.close();
  });
});

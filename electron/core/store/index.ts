import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import Database from 'better-sqlite3';
import type { Labels } from '../../../shared/api/contract.js';
import { type Sample, seriesKey } from '../../../shared/series.js';
import type { Clock } from '../clock/index.js';
import { describeDbError } from './errors.js';
import { migrate } from './migrate.js';
import type { Migration } from './migrations/types.js';
import { createWritePath, type WriteOutcome, type WritePath, type WriteStatus } from './writes.js';

export { createStoreCapability, STORE_JOBS } from './capability.js';
export { describeDbError } from './errors.js';
export { migrate, NewerDatabaseError } from './migrate.js';
export { storeMigrations } from './migrations/index.js';
export type { Migration } from './migrations/types.js';
export {
  createWritePath,
  isTransientDbError,
  type WriteOp,
  type WriteOptions,
  type WriteOutcome,
  type WritePath,
  type WriteStatus,
} from './writes.js';

export interface StoreOptions {
  /** Path of the SQLite file, or ':memory:'. */
  file: string;
  clock: Clock;
  /** Every capability's migrations (the composition root gathers them); versions must run 1..N. */
  migrations: readonly Migration[];
  /** Path of a better-sqlite3 binary built for another ABI (Electron). */
  nativeBinding?: string;
  /** Rows kept in memory while the database refuses writes; the oldest go first beyond this. */
  maxWaitingRows?: number;
  log?: (message: string) => void;
}

export interface AuditEntry {
  actor: string;
  action: string;
  details?: Record<string, unknown>;
}

export interface AuditCheck {
  ok: boolean;
  rows: number;
  brokenAt?: number;
  problem?: string;
}

export interface Store {
  /** For reads. Every write goes through `writes`. */
  readonly db: BetterSqlite3.Database;
  readonly file: string;
  /** The one write path: queues while the database refuses writes, retried in order. */
  readonly writes: WritePath;
  /** Writes samples through the write path (non-finite values are skipped and counted). */
  writeSamples(samples: readonly Sample[]): void;
  seriesId(name: string, labels: Labels): number;
  /** Raw samples of one series in [from, to], oldest first. */
  readRaw(key: string, from: number, to: number): { ts: number; value: number }[];
  listSeries(namePrefix?: string): { key: string; name: string; labels: Labels }[];
  /** Appends to the hash-chained audit trail through the write path (never throws). */
  appendAudit(entry: AuditEntry): WriteOutcome;
  /** Checks the whole chain and names the first broken row. */
  verifyAudit(): AuditCheck;
  health(): StoreHealth;
  close(): void;
}

export interface StoreHealth extends WriteStatus {
  /** Samples skipped because their value was not a finite number. */
  skippedSamples: number;
}

export class StoreOpenError extends Error {}

/**
 * Opens (creating if needed) the database, owner-only, sets WAL, applies migrations. Throws
 * StoreOpenError naming the file and the fix.
 */
export function openStore(options: StoreOptions): Store {
  const { file } = options;
  let db: BetterSqlite3.Database;
  try {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    db = new Database(file, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {});
    db.pragma('busy_timeout = 250');
    if (file !== ':memory:') {
      db.pragma('journal_mode = WAL');
      restrictToOwner(file);
    }
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // 16 MB of page cache instead of SQLite's 2 MB: log ingest inserts into indexes whose pages it
    // touches all over (records by message), and with 2 MB every commit read back and wrote out pages
    // it had just evicted (half the preads and a quarter of the pwrites at 300 k lines; +10 % lines per
    // CPU second at 1 M). It is a bound, not an allocation: a small database uses what it has.
    db.pragma('cache_size = -16000');
    migrate(db, options.migrations, file);
  } catch (err) {
    throw new StoreOpenError(describeDbError(err, file), { cause: err });
  }
  return createStore(db, options);
}

/** The database holds the operator's history and audit: readable by its owner only (POSIX modes). */
function restrictToOwner(file: string): void {
  if (process.platform === 'win32') return;
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      chmodSync(f, 0o600);
    } catch {
      // -wal/-shm appear with the first write; SQLite creates them with the main file's mode.
    }
  }
}

function createStore(db: BetterSqlite3.Database, options: StoreOptions): Store {
  const { file, clock } = options;
  const log = options.log ?? (() => {});
  const writes = createWritePath({
    db,
    file,
    now: () => clock.now(),
    log: (m) => log(`store: ${m}`),
    maxWaitingRows: options.maxWaitingRows,
  });
  const seriesIds = new Map<string, number>();
  const selectSeries = db.prepare<[string], { id: number }>('SELECT id FROM series WHERE key = ?');
  const insertSeries = db.prepare('INSERT INTO series (key, name, labels) VALUES (?, ?, ?)');
  const insertSample = db.prepare('INSERT OR REPLACE INTO samples (series_id, ts, value) VALUES (?, ?, ?)');
  const selectRaw = db.prepare<[string, number, number], { ts: number; value: number }>(
    `SELECT s.ts AS ts, s.value AS value FROM samples s JOIN series r ON r.id = s.series_id
     WHERE r.key = ? AND s.ts BETWEEN ? AND ? ORDER BY s.ts`,
  );
  const lastAudit = db.prepare<[], { hash: string }>('SELECT hash FROM audit ORDER BY id DESC LIMIT 1');
  const insertAudit = db.prepare(
    'INSERT INTO audit (ts, actor, action, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)',
  );
  let skipped = 0;

  function seriesId(name: string, labels: Labels): number {
    const key = seriesKey(name, labels);
    const cached = seriesIds.get(key);
    if (cached !== undefined) return cached;
    const row = selectSeries.get(key);
    const id = row ? row.id : Number(insertSeries.run(key, name, JSON.stringify(labels)).lastInsertRowid);
    seriesIds.set(key, id);
    return id;
  }

  return {
    db,
    file,
    writes,
    writeSamples(samples) {
      // NaN or Infinity would become NULL and fail the whole batch, every cycle: skip and count them.
      let batch = samples;
      if (samples.some((s) => !Number.isFinite(s.value) || !Number.isFinite(s.ts))) {
        batch = samples.filter((s) => Number.isFinite(s.value) && Number.isFinite(s.ts));
        skipped += samples.length - batch.length;
      }
      if (batch.length === 0) return;
      let oldestTs = batch[0]?.ts ?? 0;
      for (const s of batch) if (s.ts < oldestTs) oldestTs = s.ts;
      writes.write(
        'samples',
        () => {
          try {
            for (const s of batch) insertSample.run(seriesId(s.name, s.labels), s.ts, s.value);
          } catch (err) {
            // The transaction rolls back: ids cached during it may not exist.
            seriesIds.clear();
            throw err;
          }
        },
        { rows: batch.length, oldestTs },
      );
    },
    seriesId,
    readRaw(key, from, to) {
      return selectRaw.all(key, from, to);
    },
    listSeries(namePrefix = '') {
      const rows = db
        .prepare<[string], { key: string; name: string; labels: string }>(
          "SELECT key, name, labels FROM series WHERE name LIKE ? || '%' ORDER BY key",
        )
        .all(namePrefix);
      return rows.map((r) => ({ key: r.key, name: r.name, labels: JSON.parse(r.labels) as Labels }));
    },
    appendAudit(entry) {
      const ts = clock.now();
      const details = JSON.stringify(entry.details ?? {});
      // The link to the previous row is made when the row is written, so a row that waited still chains.
      return writes.write('audit', () => {
        const prev = lastAudit.get()?.hash ?? '';
        insertAudit.run(
          ts,
          entry.actor,
          entry.action,
          details,
          prev,
          auditHash(prev, ts, entry.actor, entry.action, details),
        );
      });
    },
    verifyAudit() {
      const rows = db
        .prepare<
          [],
          {
            id: number;
            ts: number;
            actor: string;
            action: string;
            details: string;
            prev_hash: string;
            hash: string;
          }
        >('SELECT * FROM audit ORDER BY id')
        .iterate();
      let prev = '';
      let count = 0;
      for (const r of rows) {
        count++;
        if (r.prev_hash !== prev) {
          return {
            ok: false,
            rows: count,
            brokenAt: r.id,
            problem: `row ${r.id} does not link to the row before it`,
          };
        }
        if (auditHash(prev, r.ts, r.actor, r.action, r.details) !== r.hash) {
          return {
            ok: false,
            rows: count,
            brokenAt: r.id,
            problem: `row ${r.id} was changed after it was written`,
          };
        }
        prev = r.hash;
      }
      return { ok: true, rows: count };
    },
    health() {
      return { ...writes.status(), skippedSamples: skipped };
    },
    close() {
      if (!db.open) return;
      writes.flush();
      db.close();
    },
  };
}

function auditHash(prev: string, ts: number, actor: string, action: string, details: string): string {
  return createHash('sha256').update(`${prev}\n${ts}\n${actor}\n${action}\n${details}`).digest('hex');
}

export * from './tiers.js';

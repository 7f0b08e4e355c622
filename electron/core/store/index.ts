import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import Database from 'better-sqlite3';
import type { Labels } from '../../../shared/api/contract.js';
import { type Sample, seriesKey } from '../../../shared/series.js';
import type { Clock } from '../clock/index.js';
import { describeDbError } from './errors.js';
import { migrate } from './migrate.js';
import { migrations } from './migrations/index.js';

export { describeDbError } from './errors.js';
export { migrate, NewerDatabaseError } from './migrate.js';
export { migrations } from './migrations/index.js';
export type { Migration } from './migrations/types.js';

export interface StoreOptions {
  /** Path of the SQLite file, or ':memory:'. */
  file: string;
  clock: Clock;
  /** Path of a better-sqlite3 binary built for another ABI (Electron). */
  nativeBinding?: string;
  /** Samples kept in memory while the database refuses writes; the oldest go first beyond this. */
  maxPendingSamples?: number;
}

export interface AuditEntry {
  actor: string;
  action: string;
  details?: Record<string, unknown>;
}

export interface StoreHealth {
  file: string;
  /** Last write error, with the fix, or null when writes succeed. */
  error: string | null;
  pendingSamples: number;
  droppedSamples: number;
}

export interface Store {
  readonly db: BetterSqlite3.Database;
  readonly file: string;
  /** Writes samples; on a locked/read-only/full database keeps them and retries on the next call. */
  writeSamples(samples: readonly Sample[]): void;
  seriesId(name: string, labels: Labels): number;
  /** Raw samples of one series in [from, to], oldest first. */
  readRaw(key: string, from: number, to: number): { ts: number; value: number }[];
  listSeries(namePrefix?: string): { key: string; name: string; labels: Labels }[];
  appendAudit(entry: AuditEntry): void;
  verifyAudit(): { ok: boolean; rows: number; brokenAt?: number };
  health(): StoreHealth;
  /** Timestamp of the oldest sample kept in memory for a retry, if any. */
  oldestPendingTs(): number | undefined;
  close(): void;
}

export class StoreOpenError extends Error {}

/** Opens (creating if needed) the database, sets WAL, applies migrations. Throws StoreOpenError. */
export function openStore(options: StoreOptions): Store {
  const { file, clock } = options;
  let db: BetterSqlite3.Database;
  try {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    db = new Database(file, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {});
    db.pragma('busy_timeout = 250');
    if (file !== ':memory:') db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db, migrations, file);
  } catch (err) {
    throw new StoreOpenError(describeDbError(err, file), { cause: err });
  }
  return createStore(db, file, clock, options.maxPendingSamples ?? 200_000);
}

function createStore(db: BetterSqlite3.Database, file: string, clock: Clock, maxPending: number): Store {
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

  let pending: Sample[] = [];
  let dropped = 0;
  let lastError: string | null = null;

  function seriesId(name: string, labels: Labels): number {
    const key = seriesKey(name, labels);
    const cached = seriesIds.get(key);
    if (cached !== undefined) return cached;
    const row = selectSeries.get(key);
    const id = row ? row.id : Number(insertSeries.run(key, name, JSON.stringify(labels)).lastInsertRowid);
    seriesIds.set(key, id);
    return id;
  }

  const writeBatch = db.transaction((batch: readonly Sample[]) => {
    for (const s of batch) insertSample.run(seriesId(s.name, s.labels), s.ts, s.value);
  });

  return {
    db,
    file,
    writeSamples(samples) {
      // NaN or Infinity would become NULL and fail the whole batch, every cycle: skip and count them.
      const finite = samples.filter((s) => Number.isFinite(s.value) && Number.isFinite(s.ts));
      dropped += samples.length - finite.length;
      const batch = pending.length > 0 ? [...pending, ...finite] : finite;
      if (batch.length === 0) return;
      try {
        writeBatch(batch);
        pending = [];
        lastError = null;
      } catch (err) {
        // A transaction that failed may have cached series ids that were rolled back.
        seriesIds.clear();
        lastError = describeDbError(err, file);
        if (!isTransient(err)) {
          // Retrying cannot help (a constraint, a damaged file): drop this batch, count it, go on.
          dropped += batch.length;
          pending = [];
          return;
        }
        pending = [...batch];
        if (pending.length > maxPending) {
          dropped += pending.length - maxPending;
          pending = pending.slice(pending.length - maxPending);
        }
      }
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
      db.transaction(() => {
        const prev = lastAudit.get()?.hash ?? '';
        const hash = auditHash(prev, ts, entry.actor, entry.action, details);
        insertAudit.run(ts, entry.actor, entry.action, details, prev, hash);
      })();
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
        .all();
      let prev = '';
      for (const r of rows) {
        if (r.prev_hash !== prev || auditHash(prev, r.ts, r.actor, r.action, r.details) !== r.hash) {
          return { ok: false, rows: rows.length, brokenAt: r.id };
        }
        prev = r.hash;
      }
      return { ok: true, rows: rows.length };
    },
    oldestPendingTs() {
      let oldest: number | undefined;
      for (const s of pending) if (oldest === undefined || s.ts < oldest) oldest = s.ts;
      return oldest;
    },
    health() {
      return { file, error: lastError, pendingSamples: pending.length, droppedSamples: dropped };
    },
    close() {
      if (db.open) db.close();
    },
  };
}

/** Errors that go away by themselves or by the operator's fix: locked, read-only, full, I/O. */
function isTransient(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code ?? '';
  return /^SQLITE_(BUSY|LOCKED|READONLY|FULL|IOERR|CANTOPEN|PROTOCOL)/.test(code);
}

function auditHash(prev: string, ts: number, actor: string, action: string, details: string): string {
  return createHash('sha256').update(`${prev}\n${ts}\n${actor}\n${action}\n${details}`).digest('hex');
}

export * from './tiers.js';

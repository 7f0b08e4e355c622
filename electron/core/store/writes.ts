import type BetterSqlite3 from 'better-sqlite3';
import { describeDbError } from './errors.js';

export type WriteOp = (db: BetterSqlite3.Database) => void;

export interface WriteOptions {
  /**
   * A later write with the same key replaces this one while it waits (in its place, so the order of
   * dependent rows holds): for upserts of a whole row, e.g. `alert:<id>`, `stop-run:<id>`.
   */
  key?: string;
  /** Rows it stands for (bounds the queue); default 1. */
  rows?: number;
  /** Oldest sample time it carries: rollups stop short of it while it waits. */
  oldestTs?: number;
}

export type WriteOutcome = 'written' | 'waiting' | 'dropped';

export interface WriteStatus {
  file: string;
  /** The reason writes wait, naming the file and the fix; null while the database accepts writes. */
  error: string | null;
  /** Since when writes have been waiting (epoch ms), or null. */
  since: number | null;
  waitingWrites: number;
  waitingRows: number;
  /** Rows that waited and were then written, since start. */
  recoveredRows: number;
  /** Rows given up: beyond the queue's bound, or refused for good (a constraint, a damaged file). */
  droppedRows: number;
}

/**
 * The one write path to SQLite. Every capability writes through it: each write runs in a transaction
 * at once, or, while the database refuses writes (locked, read-only, full, I/O), waits in a bounded
 * in-memory queue and is retried in order. The app keeps monitoring, alerting and stopping meanwhile;
 * one status says why writes wait and how many, and one counter says what was given up.
 */
export interface WritePath {
  write(owner: string, op: WriteOp, opts?: WriteOptions): WriteOutcome;
  /**
   * Runs `work` and writes every write it makes in ONE transaction at its end (each write in its own
   * savepoint): thousands of small writes from one burst (20 000 alerts firing, their deliveries) cost
   * one commit instead of thousands. Writes inside report 'waiting' (they are written at the end).
   */
  batch<T>(work: () => T): T;
  /**
   * Retries what waits (a job calls it; writes call it too), no more than once per retry interval
   * unless forced. True when nothing waits any more.
   */
  flush(opts?: { force?: boolean }): boolean;
  status(): WriteStatus;
  /** Writes of one owner still waiting. */
  waitingFor(owner: string): number;
  /** Oldest `oldestTs` among the waiting writes. */
  oldestWaitingTs(): number | undefined;
  /** Called once when writes start waiting and once when they are all written again. */
  onChange(listener: (status: WriteStatus) => void): () => void;
}

export interface WritePathOptions {
  db: BetterSqlite3.Database;
  file: string;
  now(): number;
  log(message: string): void;
  /** Rows kept while waiting; the oldest go first beyond this. */
  maxWaitingRows?: number;
  retryMs?: number;
}

interface Waiting {
  owner: string;
  op: WriteOp;
  key?: string;
  rows: number;
  oldestTs?: number;
}

/** Errors that go away by themselves or by the operator's fix: locked, read-only, full, I/O. */
export function isTransientDbError(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code ?? '';
  return /^SQLITE_(BUSY|LOCKED|READONLY|FULL|IOERR|CANTOPEN|PROTOCOL)/.test(code) || code === 'ENOSPC';
}

export function createWritePath(opts: WritePathOptions): WritePath {
  const { db, file } = opts;
  const maxRows = opts.maxWaitingRows ?? 250_000;
  const retryMs = opts.retryMs ?? 2_000;
  let queue: Waiting[] = [];
  /** Writes collected by an open batch(), oldest first; null outside a batch. */
  let collecting: Waiting[] | null = null;
  const byKey = new Map<string, Waiting>();
  let waitingRows = 0;
  let error: string | null = null;
  let since: number | null = null;
  let nextAttempt = 0;
  let recovered = 0;
  let dropped = 0;
  const listeners = new Set<(s: WriteStatus) => void>();

  function status(): WriteStatus {
    return {
      file,
      error,
      since,
      waitingWrites: queue.length,
      waitingRows,
      recoveredRows: recovered,
      droppedRows: dropped,
    };
  }

  function announce(): void {
    const s = status();
    for (const l of listeners) {
      try {
        l(s);
      } catch {
        // A broken listener must not stop writes.
      }
    }
  }

  function refused(err: unknown): void {
    const first = error === null;
    error = describeDbError(err, file);
    since ??= opts.now();
    nextAttempt = opts.now() + retryMs;
    if (first) {
      opts.log(`the database refused a write: ${error}`);
      announce();
    }
  }

  function dropForGood(w: Waiting, err: unknown): void {
    dropped += w.rows;
    opts.log(`${w.owner}: a write was refused for good and dropped (${describeDbError(err, file)})`);
  }

  function enqueue(w: Waiting): void {
    if (w.key !== undefined) {
      const existing = byKey.get(w.key);
      if (existing) {
        waitingRows += w.rows - existing.rows;
        existing.op = w.op;
        existing.rows = w.rows;
        existing.oldestTs = w.oldestTs;
        return;
      }
      byKey.set(w.key, w);
    }
    queue.push(w);
    waitingRows += w.rows;
    // Bounded: the oldest go first.
    while (waitingRows > maxRows && queue.length > 1) {
      const oldest = queue.shift() as Waiting;
      if (oldest.key !== undefined) byKey.delete(oldest.key);
      waitingRows -= oldest.rows;
      dropped += oldest.rows;
    }
  }

  /** Writes the queue in one transaction, each write in its own savepoint. */
  const drain = db.transaction(() => {
    let written = 0;
    for (const w of queue) {
      try {
        db.transaction(() => w.op(db))();
        written += w.rows;
      } catch (err) {
        if (isTransientDbError(err)) throw err;
        dropForGood(w, err);
      }
    }
    return written;
  });

  /** A batch's writes: behind whatever waits, else in one transaction now. */
  function commitBatch(writes: Waiting[]): void {
    if (queue.length > 0) {
      for (const w of writes) enqueue(w);
      if (opts.now() >= nextAttempt) flush();
      return;
    }
    try {
      db.transaction(() => {
        for (const w of writes) {
          try {
            db.transaction(() => w.op(db))();
          } catch (err) {
            if (isTransientDbError(err)) throw err;
            dropForGood(w, err);
          }
        }
      })();
    } catch (err) {
      if (!isTransientDbError(err)) {
        opts.log(`writes: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
      for (const w of writes) enqueue(w);
      refused(err);
    }
  }

  function flush(): void {
    if (queue.length === 0) return;
    try {
      const written = drain();
      recovered += written;
    } catch (err) {
      if (isTransientDbError(err)) {
        refused(err);
        return;
      }
      throw err;
    }
    queue = [];
    byKey.clear();
    waitingRows = 0;
    const waitedMs = since === null ? 0 : opts.now() - since;
    opts.log(`${file} accepts writes again: wrote what waited ${Math.round(waitedMs / 1000)} s`);
    error = null;
    since = null;
    announce();
  }

  return {
    write(owner, op, o = {}) {
      const w: Waiting = { owner, op, key: o.key, rows: o.rows ?? 1, oldestTs: o.oldestTs };
      if (collecting) {
        collecting.push(w);
        return 'waiting';
      }
      if (queue.length > 0) {
        // Order holds: a new write goes behind those that wait.
        enqueue(w);
        if (opts.now() >= nextAttempt) flush();
        return queue.length === 0 ? 'written' : 'waiting';
      }
      try {
        db.transaction(() => op(db))();
        return 'written';
      } catch (err) {
        if (!isTransientDbError(err)) {
          dropForGood(w, err);
          return 'dropped';
        }
        enqueue(w);
        refused(err);
        return 'waiting';
      }
    },
    batch(work) {
      if (collecting) return work();
      const mine: Waiting[] = [];
      collecting = mine;
      try {
        return work();
      } finally {
        collecting = null;
        if (mine.length > 0) commitBatch(mine);
      }
    },
    flush(o) {
      if (queue.length > 0 && (o?.force || opts.now() >= nextAttempt)) {
        try {
          flush();
        } catch (err) {
          opts.log(`writes: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      return queue.length === 0;
    },
    status,
    waitingFor(owner) {
      let n = 0;
      for (const w of queue) if (w.owner === owner) n++;
      return n;
    },
    oldestWaitingTs() {
      let oldest: number | undefined;
      for (const w of queue)
        if (w.oldestTs !== undefined && (oldest === undefined || w.oldestTs < oldest)) oldest = w.oldestTs;
      return oldest;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

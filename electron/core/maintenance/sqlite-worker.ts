/**
 * Long SQLite work off the main thread: `PRAGMA integrity_check` and row counts of a backup copy (or of
 * the live file, read-only), and the weekly ANALYZE / PRAGMA optimize / incremental vacuum. A 1 GB
 * integrity_check takes seconds; on the main thread it would stop the sampler that long. The worker
 * opens its own connection (WAL lets it read while the app writes) and reports progress by message.
 */
import { Worker } from 'node:worker_threads';

export interface CheckResult {
  /** `['ok']` or the problems integrity_check listed (at most 20). */
  integrity: string[];
  rowCounts: Record<string, number>;
  userVersion: number;
  pageCount: number;
  pageSize: number;
}

export interface OptimizeResult {
  analyzeMs: number;
  optimizeMs: number;
  /** 0 none, 1 full, 2 incremental. */
  autoVacuum: number;
  freelistBefore: number;
  freelistAfter: number;
  pagesVacuumed: number;
  integrity: string[];
  integrityMs: number;
}

type Op =
  | { op: 'check'; file: string; tables: readonly string[]; quick?: boolean; toRollbackJournal?: boolean }
  | { op: 'optimize'; file: string; vacuumPagesPerStep: number };

const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.modulePath);
const opts = workerData.nativeBinding ? { nativeBinding: workerData.nativeBinding } : {};
const job = workerData.job;
const progress = (phase, done, total) => parentPort.postMessage({ type: 'progress', phase, done, total });
function integrity(db, quick) {
  return db.prepare(quick ? 'PRAGMA quick_check(20)' : 'PRAGMA integrity_check(20)').all().map((r) => String(Object.values(r)[0]));
}
try {
  if (job.op === 'check') {
    if (job.toRollbackJournal) {
      const rw = new Database(job.file, { ...opts, fileMustExist: true });
      try { rw.pragma('journal_mode = DELETE'); } finally { rw.close(); }
    }
    const db = new Database(job.file, { ...opts, readonly: true, fileMustExist: true });
    try {
      progress('integrity', 0, 1);
      const result = { integrity: integrity(db, job.quick), rowCounts: {}, userVersion: db.pragma('user_version', { simple: true }),
        pageCount: db.pragma('page_count', { simple: true }), pageSize: db.pragma('page_size', { simple: true }) };
      const present = new Set(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((r) => r.name));
      job.tables.forEach((t, i) => {
        progress('count', i, job.tables.length);
        if (present.has(t)) result.rowCounts[t] = db.prepare('SELECT COUNT(*) AS n FROM "' + t + '"').get().n;
      });
      parentPort.postMessage({ type: 'done', result });
    } finally { db.close(); }
  } else if (job.op === 'optimize') {
    const db = new Database(job.file, { ...opts, fileMustExist: true });
    try {
      db.pragma('busy_timeout = 10000');
      let t = Date.now();
      progress('analyze', 0, 4);
      db.exec('ANALYZE');
      const analyzeMs = Date.now() - t;
      t = Date.now();
      progress('optimize', 1, 4);
      db.pragma('optimize');
      const optimizeMs = Date.now() - t;
      const autoVacuum = db.pragma('auto_vacuum', { simple: true });
      const freelistBefore = db.pragma('freelist_count', { simple: true });
      let pagesVacuumed = 0;
      if (autoVacuum === 2) {
        let left = freelistBefore;
        while (left > 0) {
          db.pragma('incremental_vacuum(' + job.vacuumPagesPerStep + ')');
          const now = db.pragma('freelist_count', { simple: true });
          pagesVacuumed += left - now;
          progress('vacuum', freelistBefore - now, freelistBefore);
          if (now >= left) break;
          left = now;
        }
      }
      const freelistAfter = db.pragma('freelist_count', { simple: true });
      progress('integrity', 3, 4);
      t = Date.now();
      const integrityResult = integrity(db);
      parentPort.postMessage({ type: 'done', result: { analyzeMs, optimizeMs, autoVacuum, freelistBefore, freelistAfter,
        pagesVacuumed, integrity: integrityResult, integrityMs: Date.now() - t } });
    } finally { db.close(); }
  }
} catch (err) {
  parentPort.postMessage({ type: 'error', message: err && err.message ? err.message : String(err) });
}
`;

/**
 * The CommonJS bundle resolves the package where it is installed; under ESM (tests, tsx) the eval'd
 * worker's own require resolves the bare name from the working folder, the repository.
 */
function betterSqlitePath(): string {
  return typeof require === 'function' ? require.resolve('better-sqlite3') : 'better-sqlite3';
}

function runWorker<T>(
  job: Op,
  opts: {
    nativeBinding?: string;
    signal?: AbortSignal;
    onProgress?: (phase: string, done: number, total: number) => void;
  },
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { modulePath: betterSqlitePath(), nativeBinding: opts.nativeBinding, job },
    });
    let settled = false;
    const onAbort = () => {
      void worker.terminate();
      finish(() => reject(opts.signal?.reason ?? new Error('aborted')));
    };
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on(
      'message',
      (m: { type: string; result?: T; message?: string; phase?: string; done?: number; total?: number }) => {
        if (m.type === 'progress') opts.onProgress?.(m.phase ?? '', m.done ?? 0, m.total ?? 0);
        else if (m.type === 'done') finish(() => resolve(m.result as T));
        else if (m.type === 'error') finish(() => reject(new Error(m.message)));
      },
    );
    worker.on('error', (err) => finish(() => reject(err)));
    worker.on('exit', (code) => finish(() => reject(new Error(`SQLite worker exited with code ${code}`))));
  });
}

/**
 * integrity_check (or the faster quick_check: no index-to-table cross-check) + key tables' row counts
 * of a database file, in a worker, read-only.
 */
export function checkDatabase(
  file: string,
  tables: readonly string[],
  opts: {
    quick?: boolean;
    /** Switch a copy made by the backup API (WAL flag of its source) to a rollback journal first. */
    toRollbackJournal?: boolean;
    nativeBinding?: string;
    signal?: AbortSignal;
    onProgress?: (phase: string, done: number, total: number) => void;
  } = {},
): Promise<CheckResult> {
  return runWorker<CheckResult>(
    { op: 'check', file, tables, quick: opts.quick, toRollbackJournal: opts.toRollbackJournal },
    opts,
  );
}

/** ANALYZE, PRAGMA optimize, incremental vacuum (when enabled) and integrity_check, in a worker. */
export function optimizeDatabase(
  file: string,
  vacuumPagesPerStep: number,
  opts: {
    nativeBinding?: string;
    signal?: AbortSignal;
    onProgress?: (phase: string, done: number, total: number) => void;
  } = {},
): Promise<OptimizeResult> {
  return runWorker<OptimizeResult>({ op: 'optimize', file, vacuumPagesPerStep }, opts);
}

/**
 * The maintenance tables (migration 6). Reads use the store's connection; every write goes through the
 * one write path (keyed upserts, so a row that waits while the database refuses writes is replaced by
 * its newer state and never written twice).
 */
import type { RunStatus, RunTrigger, RunView } from '../../../shared/api/maintenance.js';
import type { Store } from '../store/index.js';

export interface JobState {
  id: string;
  watermark: number | null;
  paused: boolean;
  pausedBy: 'operator' | 'stop' | null;
  pausedAt: number | null;
}

export interface CheckState {
  id: string;
  consecutiveFailures: number;
  up: boolean | null;
  lastAt: number | null;
  latencyMs: number | null;
  message: string;
  /** The last cycles, oldest first: true where the cycle healed. */
  healCycles: boolean[];
  heals: number;
  guardTrippedAt: number | null;
}

interface RunRow {
  id: string;
  job_id: string;
  trigger: RunTrigger;
  slot: number;
  started_at: number;
  finished_at: number | null;
  status: RunStatus;
  exit_code: number | null;
  duration_ms: number | null;
  output: string;
  summary: string;
  changes: string;
  error: string | null;
}

const OWNER = 'maintenance';

function parseJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

function toRun(r: RunRow): RunView {
  return {
    id: r.id,
    jobId: r.job_id,
    trigger: r.trigger,
    slot: r.slot,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    status: r.status,
    exitCode: r.exit_code,
    durationMs: r.duration_ms,
    output: r.output,
    summary: r.summary,
    changes: parseJson<Record<string, number>>(r.changes, {}),
    error: r.error,
  };
}

export type MaintenanceRepo = ReturnType<typeof createMaintenanceRepo>;

export function createMaintenanceRepo(store: Pick<Store, 'db' | 'writes'>, now: () => number) {
  const { db } = store;

  return {
    jobStates(): Map<string, JobState> {
      const rows = db
        .prepare<
          [],
          {
            id: string;
            watermark: number | null;
            paused: number;
            paused_by: 'operator' | 'stop' | null;
            paused_at: number | null;
          }
        >('SELECT id, watermark, paused, paused_by, paused_at FROM maintenance_jobs')
        .all();
      return new Map(
        rows.map((r) => [
          r.id,
          {
            id: r.id,
            watermark: r.watermark,
            paused: r.paused === 1,
            pausedBy: r.paused_by,
            pausedAt: r.paused_at,
          },
        ]),
      );
    },

    saveJobState(s: JobState): void {
      const at = now();
      store.writes.write(
        OWNER,
        (d) => {
          d.prepare(
            `INSERT INTO maintenance_jobs (id, watermark, paused, paused_by, paused_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT(id) DO UPDATE SET watermark = excluded.watermark, paused = excluded.paused,
               paused_by = excluded.paused_by, paused_at = excluded.paused_at, updated_at = excluded.updated_at`,
          ).run(s.id, s.watermark, s.paused ? 1 : 0, s.pausedBy, s.pausedAt, at);
        },
        { key: `maintenance-job:${s.id}` },
      );
    },

    saveRun(run: RunView): void {
      store.writes.write(
        OWNER,
        (d) => {
          d.prepare(
            `INSERT INTO maintenance_runs (id, job_id, trigger, slot, started_at, finished_at, status, exit_code,
               duration_ms, output, summary, changes, error)
             VALUES (@id, @job_id, @trigger, @slot, @started_at, @finished_at, @status, @exit_code, @duration_ms,
               @output, @summary, @changes, @error)
             ON CONFLICT(id) DO UPDATE SET finished_at = excluded.finished_at, status = excluded.status,
               exit_code = excluded.exit_code, duration_ms = excluded.duration_ms, output = excluded.output,
               summary = excluded.summary, changes = excluded.changes, error = excluded.error`,
          ).run({
            id: run.id,
            job_id: run.jobId,
            trigger: run.trigger,
            slot: run.slot,
            started_at: run.startedAt,
            finished_at: run.finishedAt,
            status: run.status,
            exit_code: run.exitCode,
            duration_ms: run.durationMs,
            output: run.output,
            summary: run.summary,
            changes: JSON.stringify(run.changes),
            error: run.error,
          });
        },
        { key: `maintenance-run:${run.id}` },
      );
    },

    /** Runs still marked running: Nexus Ops ended during them. */
    runningRuns(): RunView[] {
      return db
        .prepare<[], RunRow>("SELECT * FROM maintenance_runs WHERE status = 'running' ORDER BY started_at")
        .all()
        .map(toRun);
    },

    history(opts: { jobId?: string; limit: number; before?: number }): RunView[] {
      const where: string[] = [];
      const params: (string | number)[] = [];
      if (opts.jobId) {
        where.push('job_id = ?');
        params.push(opts.jobId);
      }
      if (opts.before !== undefined) {
        where.push('started_at < ?');
        params.push(opts.before);
      }
      params.push(opts.limit);
      return db
        .prepare<(string | number)[], RunRow>(
          `SELECT * FROM maintenance_runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
           ORDER BY started_at DESC, rowid DESC LIMIT ?`,
        )
        .all(...params)
        .map(toRun);
    },

    /** The newest finished run of a job, and its newest success. */
    lastRuns(jobId: string): { last: RunView | null; lastSuccessAt: number | null } {
      const last = db
        .prepare<[string], RunRow>(
          "SELECT * FROM maintenance_runs WHERE job_id = ? AND status NOT IN ('running', 'missed') ORDER BY started_at DESC, rowid DESC LIMIT 1",
        )
        .get(jobId);
      const ok = db
        .prepare<[string], { at: number | null }>(
          "SELECT MAX(finished_at) AS at FROM maintenance_runs WHERE job_id = ? AND status = 'ok'",
        )
        .get(jobId);
      return { last: last ? toRun(last) : null, lastSuccessAt: ok?.at ?? null };
    },

    /** Runs in [from, to) for the weekly report. */
    runsBetween(from: number, to: number): RunView[] {
      return db
        .prepare<[number, number], RunRow>(
          'SELECT * FROM maintenance_runs WHERE started_at >= ? AND started_at < ? ORDER BY started_at',
        )
        .all(from, to)
        .map(toRun);
    },

    checkStates(): Map<string, CheckState> {
      const rows = db
        .prepare<
          [],
          {
            id: string;
            consecutive_failures: number;
            up: number | null;
            last_at: number | null;
            latency_ms: number | null;
            message: string;
            heal_cycles: string;
            heals: number;
            guard_tripped_at: number | null;
          }
        >('SELECT * FROM maintenance_checks')
        .all();
      return new Map(
        rows.map((r) => [
          r.id,
          {
            id: r.id,
            consecutiveFailures: r.consecutive_failures,
            up: r.up === null ? null : r.up === 1,
            lastAt: r.last_at,
            latencyMs: r.latency_ms,
            message: r.message,
            healCycles: parseJson<boolean[]>(r.heal_cycles, []),
            heals: r.heals,
            guardTrippedAt: r.guard_tripped_at,
          },
        ]),
      );
    },

    saveCheckState(s: CheckState): void {
      store.writes.write(
        OWNER,
        (d) => {
          d.prepare(
            `INSERT INTO maintenance_checks (id, consecutive_failures, up, last_at, latency_ms, message, heal_cycles,
               heals, guard_tripped_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT(id) DO UPDATE SET consecutive_failures = excluded.consecutive_failures, up = excluded.up,
               last_at = excluded.last_at, latency_ms = excluded.latency_ms, message = excluded.message,
               heal_cycles = excluded.heal_cycles, heals = excluded.heals, guard_tripped_at = excluded.guard_tripped_at`,
          ).run(
            s.id,
            s.consecutiveFailures,
            s.up === null ? null : s.up ? 1 : 0,
            s.lastAt,
            s.latencyMs,
            s.message,
            JSON.stringify(s.healCycles),
            s.heals,
            s.guardTrippedAt,
          );
        },
        { key: `maintenance-check:${s.id}` },
      );
    },
  };
}

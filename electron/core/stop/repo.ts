/**
 * Stop runs and their audit entries in SQLite, with a backlog: when the database is locked, read-only
 * or full, the stop carries on and the records wait in memory; every later write (and `flush()`)
 * retries them in order. A run is written whole each time (upsert), so a retry is idempotent.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { StopRun, StopSurvivor } from '../../../shared/api/stop.js';
import type { AuditEntry } from '../store/index.js';

export interface StopStorePort {
  readonly db: BetterSqlite3.Database;
  appendAudit(entry: AuditEntry): void;
}

interface RunRow {
  id: string;
  source: StopRun['source'];
  actor: string;
  reason: string;
  rule_id: string | null;
  alert_id: string | null;
  requested_at: number;
  finished_at: number | null;
  duration_ms: number | null;
  status: StopRun['status'];
  targets: number;
  stopped: number;
  forced: number;
  survivor_count: number;
  survivors: string;
  families: string;
  kill_switch: string;
  paused_schedules: string;
  disabled_tasks: string;
  errors: string;
  steps: string;
  recorded_late: number;
  resumed_at: number | null;
  resumed_by: string | null;
  resume_reason: string | null;
}

function parseJson<T>(text: string | null, fallback: T): T {
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

export function rowToRun(r: RunRow): StopRun {
  return {
    id: r.id,
    source: r.source,
    actor: r.actor,
    reason: r.reason,
    ruleId: r.rule_id,
    alertId: r.alert_id,
    requestedAt: r.requested_at,
    finishedAt: r.finished_at,
    durationMs: r.duration_ms,
    status: r.status,
    counts: { targets: r.targets, stopped: r.stopped, forced: r.forced, survivors: r.survivor_count },
    families: parseJson<Record<string, number>>(r.families, {}),
    survivors: parseJson<StopSurvivor[]>(r.survivors, []),
    killSwitch: parseJson<StopRun['killSwitch']>(r.kill_switch, { written: [], failed: [] }),
    pausedSchedules: parseJson<string[]>(r.paused_schedules, []),
    disabledTasks: parseJson<string[]>(r.disabled_tasks, []),
    errors: parseJson<string[]>(r.errors, []),
    steps: parseJson<StopRun['steps']>(r.steps, []),
    recordedLate: r.recorded_late === 1,
    resumedAt: r.resumed_at,
    resumedBy: r.resumed_by,
    resumeReason: r.resume_reason,
  };
}

const UPSERT = `INSERT INTO stop_runs (id, source, actor, reason, rule_id, alert_id, requested_at, finished_at,
  duration_ms, status, targets, stopped, forced, survivor_count, survivors, families, kill_switch,
  paused_schedules, disabled_tasks, errors, steps, recorded_late, resumed_at, resumed_by, resume_reason,
  resume_detail)
  VALUES (@id, @source, @actor, @reason, @rule_id, @alert_id, @requested_at, @finished_at, @duration_ms,
  @status, @targets, @stopped, @forced, @survivor_count, @survivors, @families, @kill_switch,
  @paused_schedules, @disabled_tasks, @errors, @steps, @recorded_late, @resumed_at, @resumed_by,
  @resume_reason, @resume_detail)
  ON CONFLICT(id) DO UPDATE SET source = excluded.source, actor = excluded.actor, reason = excluded.reason,
  rule_id = excluded.rule_id, alert_id = excluded.alert_id, requested_at = excluded.requested_at,
  finished_at = excluded.finished_at, duration_ms = excluded.duration_ms, status = excluded.status,
  targets = excluded.targets, stopped = excluded.stopped, forced = excluded.forced,
  survivor_count = excluded.survivor_count, survivors = excluded.survivors, families = excluded.families,
  kill_switch = excluded.kill_switch, paused_schedules = excluded.paused_schedules,
  disabled_tasks = excluded.disabled_tasks, errors = excluded.errors, steps = excluded.steps,
  recorded_late = excluded.recorded_late, resumed_at = excluded.resumed_at, resumed_by = excluded.resumed_by,
  resume_reason = excluded.resume_reason, resume_detail = COALESCE(excluded.resume_detail, resume_detail)`;

function runParams(run: StopRun, resumeDetail: unknown) {
  return {
    id: run.id,
    source: run.source,
    actor: run.actor,
    reason: run.reason,
    rule_id: run.ruleId,
    alert_id: run.alertId,
    requested_at: run.requestedAt,
    finished_at: run.finishedAt,
    duration_ms: run.durationMs,
    status: run.status,
    targets: run.counts.targets,
    stopped: run.counts.stopped,
    forced: run.counts.forced,
    survivor_count: run.counts.survivors,
    survivors: JSON.stringify(run.survivors),
    families: JSON.stringify(run.families),
    kill_switch: JSON.stringify(run.killSwitch),
    paused_schedules: JSON.stringify(run.pausedSchedules),
    disabled_tasks: JSON.stringify(run.disabledTasks),
    errors: JSON.stringify(run.errors),
    steps: JSON.stringify(run.steps),
    recorded_late: run.recordedLate ? 1 : 0,
    resumed_at: run.resumedAt,
    resumed_by: run.resumedBy,
    resume_reason: run.resumeReason,
    resume_detail: resumeDetail === undefined ? null : JSON.stringify(resumeDetail),
  };
}

type PendingWrite =
  | { kind: 'audit'; entry: AuditEntry }
  | { kind: 'run'; run: StopRun; resumeDetail?: unknown };

export interface StopRepo {
  /** Queues the run's current state and tries to write the backlog. Returns false while it waits. */
  saveRun(run: StopRun, resumeDetail?: unknown): boolean;
  audit(entry: AuditEntry): boolean;
  /** Retries the backlog (not within 2 s of a failure unless forced); true when it is empty. */
  flush(force?: boolean): boolean;
  backlog(): number;
  lastError(): string | null;
  /** Runs that are not resumed (oldest first); throws when the database cannot be read. */
  unresumed(): StopRun[];
  latest(): StopRun | null;
  lastResumeAt(): number | null;
  history(limit: number, before?: number): StopRun[];
}

/** After a failed write, later writes only queue for this long: a locked database costs its busy timeout per try. */
const RETRY_AFTER_MS = 2000;

export function createStopRepo(store: StopStorePort, monotonic: () => number): StopRepo {
  const queue: PendingWrite[] = [];
  let error: string | null = null;
  let failedAt = Number.NEGATIVE_INFINITY;

  function writeOne(item: PendingWrite): void {
    if (item.kind === 'audit') store.appendAudit(item.entry);
    else store.db.prepare(UPSERT).run(runParams(item.run, item.resumeDetail));
  }

  function flush(force = false): boolean {
    if (queue.length > 0 && !force && monotonic() - failedAt < RETRY_AFTER_MS) return false;
    while (queue.length > 0) {
      try {
        writeOne(queue[0]!);
        queue.shift();
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
        failedAt = monotonic();
        return false;
      }
    }
    error = null;
    return true;
  }

  function select(sql: string, ...params: unknown[]): StopRun[] {
    return (store.db.prepare(sql).all(...params) as RunRow[]).map(rowToRun);
  }

  return {
    saveRun(run, resumeDetail) {
      queue.push({ kind: 'run', run: structuredClone(run), resumeDetail });
      return flush();
    },
    audit(entry) {
      queue.push({ kind: 'audit', entry });
      return flush();
    },
    flush,
    backlog: () => queue.length,
    lastError: () => error,
    unresumed: () => select('SELECT * FROM stop_runs WHERE resumed_at IS NULL ORDER BY requested_at'),
    latest: () => select('SELECT * FROM stop_runs ORDER BY requested_at DESC LIMIT 1')[0] ?? null,
    lastResumeAt() {
      const row = store.db.prepare('SELECT MAX(resumed_at) AS at FROM stop_runs').get() as
        | { at: number | null }
        | undefined;
      return row?.at ?? null;
    },
    history(limit, before) {
      return before === undefined
        ? select('SELECT * FROM stop_runs ORDER BY requested_at DESC LIMIT ?', limit)
        : select(
            'SELECT * FROM stop_runs WHERE requested_at < ? ORDER BY requested_at DESC LIMIT ?',
            before,
            limit,
          );
    },
  };
}

/**
 * Stop runs and their audit entries in SQLite, through the store's write path: when the database is
 * locked, read-only or full, the stop carries on and the records wait in memory, retried in order. A
 * run is written whole each time (upsert, keyed by its id), so a retry is idempotent and only its newest
 * state waits.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { StopRun, StopSurvivor } from '../../../shared/api/stop.js';
import type { AuditEntry, WriteOutcome, WritePath } from '../store/index.js';

export interface StopStorePort {
  readonly db: BetterSqlite3.Database;
  readonly writes: WritePath;
  appendAudit(entry: AuditEntry): WriteOutcome;
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
  evidence: string | null;
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
    evidence: parseJson<string[]>(r.evidence, []),
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
  resume_detail, evidence)
  VALUES (@id, @source, @actor, @reason, @rule_id, @alert_id, @requested_at, @finished_at, @duration_ms,
  @status, @targets, @stopped, @forced, @survivor_count, @survivors, @families, @kill_switch,
  @paused_schedules, @disabled_tasks, @errors, @steps, @recorded_late, @resumed_at, @resumed_by,
  @resume_reason, @resume_detail, @evidence)
  ON CONFLICT(id) DO UPDATE SET source = excluded.source, actor = excluded.actor, reason = excluded.reason,
  rule_id = excluded.rule_id, alert_id = excluded.alert_id, requested_at = excluded.requested_at,
  finished_at = excluded.finished_at, duration_ms = excluded.duration_ms, status = excluded.status,
  targets = excluded.targets, stopped = excluded.stopped, forced = excluded.forced,
  survivor_count = excluded.survivor_count, survivors = excluded.survivors, families = excluded.families,
  kill_switch = excluded.kill_switch, paused_schedules = excluded.paused_schedules,
  disabled_tasks = excluded.disabled_tasks, errors = excluded.errors, steps = excluded.steps,
  recorded_late = excluded.recorded_late, resumed_at = excluded.resumed_at, resumed_by = excluded.resumed_by,
  resume_reason = excluded.resume_reason, resume_detail = COALESCE(excluded.resume_detail, resume_detail),
  evidence = excluded.evidence`;

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
    evidence: JSON.stringify(run.evidence ?? []),
    steps: JSON.stringify(run.steps),
    recorded_late: run.recordedLate ? 1 : 0,
    resumed_at: run.resumedAt,
    resumed_by: run.resumedBy,
    resume_reason: run.resumeReason,
    resume_detail: resumeDetail === undefined ? null : JSON.stringify(resumeDetail),
  };
}

export interface StopRepo {
  /** Writes the run's current state; false while it waits for the database. */
  saveRun(run: StopRun, resumeDetail?: unknown): boolean;
  audit(entry: AuditEntry): boolean;
  /** Stop records still waiting for the database. */
  backlog(): number;
  /** Runs that are not resumed (oldest first); throws when the database cannot be read. */
  unresumed(): StopRun[];
  latest(): StopRun | null;
  lastResumeAt(): number | null;
  history(limit: number, before?: number): StopRun[];
}

export function createStopRepo(store: StopStorePort): StopRepo {
  /** A resume's detail stays with the run's later states while they wait (the upsert keeps it once stored). */
  const resumeDetails = new Map<string, unknown>();

  function select(sql: string, ...params: unknown[]): StopRun[] {
    return (store.db.prepare(sql).all(...params) as RunRow[]).map(rowToRun);
  }

  return {
    saveRun(run, resumeDetail) {
      if (resumeDetail !== undefined) resumeDetails.set(run.id, resumeDetail);
      const params = runParams(structuredClone(run), resumeDetails.get(run.id));
      const outcome = store.writes.write('stop', (db) => db.prepare(UPSERT).run(params), {
        key: `stop-run:${run.id}`,
      });
      return outcome === 'written';
    },
    audit(entry) {
      return store.appendAudit(entry) === 'written';
    },
    backlog: () => store.writes.waitingFor('stop') + store.writes.waitingFor('audit'),
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

/**
 * The bots' rows in SQLite: reads through `db`, every write through the store's write path (it queues
 * while the database refuses writes). Rows are written whole (upserts keyed by bot or run id), so a
 * waiting write is replaced by a newer one of the same row and a retry is idempotent.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { BotExit } from '../../../shared/api/bots.js';
import type { AuditEntry, WriteOutcome, WritePath } from '../store/index.js';
import { type BotCounters, type ExitOutcome, freshCounters } from './policy.js';

export interface BotsStorePort {
  readonly db: BetterSqlite3.Database;
  readonly writes: WritePath;
  appendAudit(entry: AuditEntry): WriteOutcome;
}

export type RunTrigger = 'always' | 'schedule' | 'manual' | 'restart' | 'resume' | 'adopted';

export interface BotRecord {
  counters: BotCounters;
  operatorStopped: boolean;
}

export interface RunRecord {
  runId: string;
  botId: string;
  trigger: RunTrigger;
  startedAt: number;
  pid: number | null;
  endedAt: number | null;
  outcome: ExitOutcome | null;
  exitCode: number | null;
  signal: string | null;
  uptimeMs: number | null;
  error: string | null;
}

export interface HoldRecord {
  held: boolean;
  since: number | null;
  /** Bots to start again on resume (they were running, or about to restart, when the stop came). */
  restore: string[];
}

interface StateRow {
  bot_id: string;
  restarts: number;
  restarts_since: number | null;
  unstable_count: number;
  unstable_since: number | null;
  unstable_last: number | null;
  errored_at: number | null;
  backoff_ms: number;
  operator_stopped: number;
}

interface RunRow {
  run_id: string;
  bot_id: string;
  trigger: RunTrigger;
  started_at: number;
  pid: number | null;
  ended_at: number | null;
  outcome: ExitOutcome | null;
  exit_code: number | null;
  signal: string | null;
  uptime_ms: number | null;
  error: string | null;
}

const OWNER = 'bots';

function toRun(r: RunRow): RunRecord {
  return {
    runId: r.run_id,
    botId: r.bot_id,
    trigger: r.trigger,
    startedAt: r.started_at,
    pid: r.pid,
    endedAt: r.ended_at,
    outcome: r.outcome,
    exitCode: r.exit_code,
    signal: r.signal,
    uptimeMs: r.uptime_ms,
    error: r.error,
  };
}

export function runExit(r: RunRecord): BotExit | null {
  if (r.endedAt === null || r.outcome === null) return null;
  return {
    outcome: r.outcome,
    code: r.exitCode,
    signal: r.signal,
    at: r.endedAt,
    uptimeMs: r.uptimeMs ?? 0,
    error: r.error,
  };
}

export interface BotsRepo {
  loadAll(): Map<string, BotRecord>;
  save(botId: string, record: BotRecord, now: number): void;
  saveRun(run: RunRecord): void;
  openRuns(): RunRecord[];
  lastEndedRun(botId: string): RunRecord | null;
  loadHold(): HoldRecord;
  saveHold(hold: HoldRecord): void;
  /** Keeps the newest `keep` runs of each bot. */
  pruneRuns(keep: number): void;
  audit(entry: AuditEntry): void;
}

export function createBotsRepo(store: BotsStorePort, log: (message: string) => void): BotsRepo {
  const read = <T>(what: string, work: () => T, fallback: T): T => {
    try {
      return work();
    } catch (err) {
      log(`cannot read ${what}: ${err instanceof Error ? err.message : String(err)}`);
      return fallback;
    }
  };
  return {
    loadAll() {
      return read(
        'bot counters',
        () => {
          const rows = store.db.prepare<[], StateRow>('SELECT * FROM bot_state').all();
          return new Map(
            rows.map((r) => [
              r.bot_id,
              {
                counters: {
                  ...freshCounters(),
                  restarts: r.restarts,
                  restartsSince: r.restarts_since,
                  unstableCount: r.unstable_count,
                  unstableSince: r.unstable_since,
                  unstableLast: r.unstable_last,
                  erroredAt: r.errored_at,
                  backoffMs: r.backoff_ms,
                },
                operatorStopped: r.operator_stopped === 1,
              },
            ]),
          );
        },
        new Map(),
      );
    },
    save(botId, { counters: c, operatorStopped }, now) {
      store.writes.write(
        OWNER,
        (db) =>
          db
            .prepare(
              `INSERT INTO bot_state (bot_id, restarts, restarts_since, unstable_count, unstable_since,
                 unstable_last, errored_at, backoff_ms, operator_stopped, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (bot_id) DO UPDATE SET restarts = excluded.restarts,
                 restarts_since = excluded.restarts_since, unstable_count = excluded.unstable_count,
                 unstable_since = excluded.unstable_since, unstable_last = excluded.unstable_last,
                 errored_at = excluded.errored_at, backoff_ms = excluded.backoff_ms,
                 operator_stopped = excluded.operator_stopped, updated_at = excluded.updated_at`,
            )
            .run(
              botId,
              c.restarts,
              c.restartsSince,
              c.unstableCount,
              c.unstableSince,
              c.unstableLast,
              c.erroredAt,
              c.backoffMs,
              operatorStopped ? 1 : 0,
              now,
            ),
        { key: `bot-state:${botId}` },
      );
    },
    saveRun(r) {
      store.writes.write(
        OWNER,
        (db) =>
          db
            .prepare(
              `INSERT INTO bot_runs (run_id, bot_id, trigger, started_at, pid, ended_at, outcome, exit_code,
                 signal, uptime_ms, error)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (run_id) DO UPDATE SET pid = excluded.pid, ended_at = excluded.ended_at,
                 outcome = excluded.outcome, exit_code = excluded.exit_code, signal = excluded.signal,
                 uptime_ms = excluded.uptime_ms, error = excluded.error`,
            )
            .run(
              r.runId,
              r.botId,
              r.trigger,
              r.startedAt,
              r.pid,
              r.endedAt,
              r.outcome,
              r.exitCode,
              r.signal,
              r.uptimeMs,
              r.error,
            ),
        { key: `bot-run:${r.runId}` },
      );
    },
    openRuns() {
      return read(
        'open bot runs',
        () =>
          store.db
            .prepare<[], RunRow>('SELECT * FROM bot_runs WHERE ended_at IS NULL ORDER BY started_at')
            .all()
            .map(toRun),
        [],
      );
    },
    lastEndedRun(botId) {
      return read(
        'bot runs',
        () => {
          const row = store.db
            .prepare<[string], RunRow>(
              'SELECT * FROM bot_runs WHERE bot_id = ? AND ended_at IS NOT NULL ORDER BY ended_at DESC LIMIT 1',
            )
            .get(botId);
          return row ? toRun(row) : null;
        },
        null,
      );
    },
    loadHold() {
      return read(
        'the emergency-stop hold',
        () => {
          const row = store.db
            .prepare<[], { held: number; since: number | null; restore: string }>(
              'SELECT held, since, restore FROM bot_hold WHERE id = 1',
            )
            .get();
          if (!row) return { held: false, since: null, restore: [] };
          let restore: string[] = [];
          try {
            const parsed: unknown = JSON.parse(row.restore);
            if (Array.isArray(parsed)) restore = parsed.filter((x): x is string => typeof x === 'string');
          } catch {
            // a damaged list restores nothing extra; always-on bots still start on resume
          }
          return { held: row.held === 1, since: row.since, restore };
        },
        { held: false, since: null, restore: [] },
      );
    },
    saveHold(hold) {
      store.writes.write(
        OWNER,
        (db) =>
          db
            .prepare(
              `INSERT INTO bot_hold (id, held, since, restore) VALUES (1, ?, ?, ?)
               ON CONFLICT (id) DO UPDATE SET held = excluded.held, since = excluded.since, restore = excluded.restore`,
            )
            .run(hold.held ? 1 : 0, hold.since, JSON.stringify(hold.restore)),
        { key: 'bot-hold' },
      );
    },
    pruneRuns(keep) {
      store.writes.write(OWNER, (db) =>
        db
          .prepare(
            `DELETE FROM bot_runs WHERE ended_at IS NOT NULL AND run_id IN (
               SELECT run_id FROM (
                 SELECT run_id, ROW_NUMBER() OVER (PARTITION BY bot_id ORDER BY started_at DESC) AS n FROM bot_runs
               ) WHERE n > ?)`,
          )
          .run(keep),
      );
    },
    audit(entry) {
      store.appendAudit(entry);
    },
  };
}

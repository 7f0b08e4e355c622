/** The SQL of telemetry (tables of migration 007). Reads here; writes are run by the write path. */
import type BetterSqlite3 from 'better-sqlite3';
import type { BudgetMark, CostBucket } from './cost.js';
import type { RunRecord } from './deadman.js';
import type { StreakState } from './kpis.js';
import type { StateFileMark } from './state-files.js';

export interface EvidenceRecord {
  id: string;
  ts: number;
  text: string;
}

export interface EvidenceRow {
  alertId: string;
  ruleId: string;
  metric: string;
  labels: Record<string, string>;
  at: number;
  value: number | null;
  facts: string[];
  records: EvidenceRecord[];
}

export interface RuleStat {
  ruleId: string;
  bot: string;
  matches: number;
  lastMatchAt: number;
}

export class TelemetryRepo {
  constructor(private readonly db: BetterSqlite3.Database) {}

  costSince(from: number): CostBucket[] {
    return this.db
      .prepare<[number], { bot: string; provider: string; bucket: number; calls: number; cost_usd: number }>(
        'SELECT bot, provider, bucket, calls, cost_usd FROM telemetry_cost WHERE bucket >= ?',
      )
      .all(from)
      .map((r) => ({
        bot: r.bot,
        provider: r.provider,
        bucket: r.bucket,
        calls: r.calls,
        costUsd: r.cost_usd,
      }));
  }

  upsertCost(rows: readonly CostBucket[]): void {
    const stmt = this.db.prepare(
      `INSERT INTO telemetry_cost (bot, provider, bucket, calls, cost_usd) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (bot, provider, bucket) DO UPDATE SET calls = excluded.calls, cost_usd = excluded.cost_usd`,
    );
    for (const r of rows) stmt.run(r.bot, r.provider, r.bucket, r.calls, r.costUsd);
  }

  pruneCost(before: number): void {
    this.db.prepare('DELETE FROM telemetry_cost WHERE bucket < ?').run(before);
  }

  marksSince(periodKeys: readonly string[]): BudgetMark[] {
    if (periodKeys.length === 0) return [];
    return this.db
      .prepare<
        string[],
        { period: string; pct: number; fired_at: number; spent_usd: number; budget_usd: number }
      >(
        `SELECT period, pct, fired_at, spent_usd, budget_usd FROM telemetry_budget_marks
         WHERE period IN (${periodKeys.map(() => '?').join(',')})`,
      )
      .all(...periodKeys)
      .map((r) => ({
        period: r.period,
        pct: r.pct,
        firedAt: r.fired_at,
        spentUsd: r.spent_usd,
        budgetUsd: r.budget_usd,
      }));
  }

  insertMark(m: BudgetMark): void {
    this.db
      .prepare(
        'INSERT OR IGNORE INTO telemetry_budget_marks (period, pct, fired_at, spent_usd, budget_usd) VALUES (?, ?, ?, ?, ?)',
      )
      .run(m.period, m.pct, m.firedAt, m.spentUsd, m.budgetUsd);
  }

  streaks(): Map<string, StreakState> {
    const rows = this.db
      .prepare<
        [],
        {
          bot: string;
          consecutive_failures: number;
          last_success_at: number | null;
          last_failure_at: number | null;
          accounts: string;
        }
      >('SELECT bot, consecutive_failures, last_success_at, last_failure_at, accounts FROM telemetry_streaks')
      .all();
    const out = new Map<string, StreakState>();
    for (const r of rows) {
      let accounts: StreakState['accounts'] = {};
      try {
        accounts = JSON.parse(r.accounts) as StreakState['accounts'];
      } catch {
        // A damaged row keeps its bot-level streak.
      }
      out.set(r.bot, {
        consecutiveFailures: r.consecutive_failures,
        lastSuccessAt: r.last_success_at,
        lastFailureAt: r.last_failure_at,
        accounts,
      });
    }
    return out;
  }

  saveStreak(bot: string, s: StreakState, at: number): void {
    this.db
      .prepare(
        `INSERT INTO telemetry_streaks (bot, consecutive_failures, last_success_at, last_failure_at, accounts, updated_at)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (bot) DO UPDATE SET consecutive_failures = excluded.consecutive_failures,
           last_success_at = excluded.last_success_at, last_failure_at = excluded.last_failure_at,
           accounts = excluded.accounts, updated_at = excluded.updated_at`,
      )
      .run(bot, s.consecutiveFailures, s.lastSuccessAt, s.lastFailureAt, JSON.stringify(s.accounts), at);
  }

  /** Open runs and the newest finished ones of a bot. */
  runs(bot: string, limit: number): RunRecord[] {
    const rows = this.db
      .prepare<[string, string, number], RunRow>(
        `SELECT * FROM telemetry_runs WHERE bot = ? AND finished_at IS NULL
         UNION ALL
         SELECT * FROM (SELECT * FROM telemetry_runs WHERE bot = ? AND finished_at IS NOT NULL
                        ORDER BY started_at DESC LIMIT ?)`,
      )
      .all(bot, bot, limit);
    return rows.map(fromRunRow).sort((a, b) => a.startedAt - b.startedAt);
  }

  saveRun(r: RunRecord): void {
    this.db
      .prepare(
        `INSERT INTO telemetry_runs (id, bot, run_id, source, started_at, finished_at, ok, end_seen, exit_code,
           too_often, double_start, previous_start_at, evidence)
         VALUES (@id, @bot, @run_id, @source, @started_at, @finished_at, @ok, @end_seen, @exit_code, @too_often,
           @double_start, @previous_start_at, @evidence)
         ON CONFLICT (id) DO UPDATE SET finished_at = excluded.finished_at, ok = excluded.ok,
           end_seen = excluded.end_seen, exit_code = excluded.exit_code, evidence = excluded.evidence`,
      )
      .run(toRunRow(r));
  }

  pruneRuns(before: number): void {
    this.db
      .prepare('DELETE FROM telemetry_runs WHERE finished_at IS NOT NULL AND started_at < ?')
      .run(before);
  }

  saveEvidence(e: EvidenceRow): void {
    this.db
      .prepare(
        `INSERT OR IGNORE INTO telemetry_evidence (alert_id, rule_id, metric, labels, at, value, facts, records)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        e.alertId,
        e.ruleId,
        e.metric,
        JSON.stringify(e.labels),
        e.at,
        e.value,
        JSON.stringify(e.facts),
        JSON.stringify(e.records),
      );
  }

  evidence(alertId: string): EvidenceRow | undefined {
    const r = this.db
      .prepare<
        [string],
        {
          alert_id: string;
          rule_id: string;
          metric: string;
          labels: string;
          at: number;
          value: number | null;
          facts: string;
          records: string;
        }
      >('SELECT * FROM telemetry_evidence WHERE alert_id = ?')
      .get(alertId);
    if (!r) return undefined;
    return {
      alertId: r.alert_id,
      ruleId: r.rule_id,
      metric: r.metric,
      labels: JSON.parse(r.labels) as Record<string, string>,
      at: r.at,
      value: r.value,
      facts: JSON.parse(r.facts) as string[],
      records: JSON.parse(r.records) as EvidenceRecord[],
    };
  }

  pruneEvidence(before: number): void {
    this.db.prepare('DELETE FROM telemetry_evidence WHERE at < ?').run(before);
  }

  stateFiles(bot: string): Map<string, StateFileMark> {
    const rows = this.db
      .prepare<[string], { bot: string; path: string; mtime_ms: number; watermark: number }>(
        'SELECT bot, path, mtime_ms, watermark FROM telemetry_state_files WHERE bot = ?',
      )
      .all(bot);
    return new Map(
      rows.map((r) => [r.path, { bot: r.bot, path: r.path, mtimeMs: r.mtime_ms, watermark: r.watermark }]),
    );
  }

  saveStateFiles(marks: readonly StateFileMark[]): void {
    const stmt = this.db.prepare(
      `INSERT INTO telemetry_state_files (bot, path, mtime_ms, watermark) VALUES (?, ?, ?, ?)
       ON CONFLICT (bot, path) DO UPDATE SET mtime_ms = excluded.mtime_ms, watermark = excluded.watermark`,
    );
    for (const m of marks) stmt.run(m.bot, m.path, m.mtimeMs, m.watermark);
  }

  ruleStats(): RuleStat[] {
    return this.db
      .prepare<[], { rule_id: string; bot: string; matches: number; last_match_at: number }>(
        'SELECT rule_id, bot, matches, last_match_at FROM telemetry_rule_stats',
      )
      .all()
      .map((r) => ({ ruleId: r.rule_id, bot: r.bot, matches: r.matches, lastMatchAt: r.last_match_at }));
  }

  saveRuleStats(stats: readonly RuleStat[]): void {
    const stmt = this.db.prepare(
      `INSERT INTO telemetry_rule_stats (rule_id, bot, matches, last_match_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (rule_id, bot) DO UPDATE SET matches = excluded.matches, last_match_at = excluded.last_match_at`,
    );
    for (const s of stats) stmt.run(s.ruleId, s.bot, s.matches, s.lastMatchAt);
  }
}

interface RunRow {
  id: string;
  bot: string;
  run_id: string | null;
  source: RunRecord['from'];
  started_at: number;
  finished_at: number | null;
  ok: number | null;
  end_seen: number;
  exit_code: number | null;
  too_often: number;
  double_start: number;
  previous_start_at: number | null;
  evidence: string | null;
}

function fromRunRow(r: RunRow): RunRecord {
  return {
    id: r.id,
    bot: r.bot,
    runId: r.run_id,
    from: r.source,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    ok: r.ok === null ? null : r.ok === 1,
    endSeen: r.end_seen === 1,
    exitCode: r.exit_code,
    tooOften: r.too_often === 1,
    doubleStart: r.double_start === 1,
    previousStartAt: r.previous_start_at,
    evidence: r.evidence,
  };
}

function toRunRow(r: RunRecord): RunRow {
  return {
    id: r.id,
    bot: r.bot,
    run_id: r.runId,
    source: r.from,
    started_at: r.startedAt,
    finished_at: r.finishedAt,
    ok: r.ok === null ? null : r.ok ? 1 : 0,
    end_seen: r.endSeen ? 1 : 0,
    exit_code: r.exitCode,
    too_often: r.tooOften ? 1 : 0,
    double_start: r.doubleStart ? 1 : 0,
    previous_start_at: r.previousStartAt,
    evidence: r.evidence,
  };
}

import type { Migration } from '../../store/index.js';

/**
 * Bot telemetry: API cost in 15-minute buckets per bot and provider (counts across restarts of the bots
 * and of Nexus Ops), budget thresholds already fired per period (once per threshold per day / month),
 * the failure streak per bot (the automatic stop's "5 in a row" survives a restart), the runs the
 * dead-man's switch saw, what each firing telemetry alert was based on (values and log records: the
 * evidence of an automatic stop), the state files already read, and when each extraction rule last
 * matched each bot (possibly stale rules).
 */
export const telemetryMigration: Migration = {
  version: 13,
  name: 'telemetry',
  up(db) {
    db.exec(`
      CREATE TABLE telemetry_cost (
        bot TEXT NOT NULL,
        provider TEXT NOT NULL,
        bucket INTEGER NOT NULL,
        calls INTEGER NOT NULL CHECK (calls >= 0),
        cost_usd REAL NOT NULL CHECK (cost_usd >= 0),
        PRIMARY KEY (bot, provider, bucket)
      ) STRICT;
      CREATE INDEX telemetry_cost_by_bucket ON telemetry_cost(bucket);
      CREATE TABLE telemetry_budget_marks (
        period TEXT NOT NULL,
        pct REAL NOT NULL,
        fired_at INTEGER NOT NULL,
        spent_usd REAL NOT NULL,
        budget_usd REAL NOT NULL,
        PRIMARY KEY (period, pct)
      ) STRICT;
      CREATE TABLE telemetry_streaks (
        bot TEXT PRIMARY KEY,
        consecutive_failures INTEGER NOT NULL,
        last_success_at INTEGER,
        last_failure_at INTEGER,
        accounts TEXT NOT NULL DEFAULT '{}',
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE telemetry_runs (
        id TEXT PRIMARY KEY,
        bot TEXT NOT NULL,
        run_id TEXT,
        source TEXT NOT NULL CHECK (source IN ('process', 'log', 'task-scheduler')),
        started_at INTEGER NOT NULL,
        finished_at INTEGER,
        ok INTEGER CHECK (ok IN (0, 1)),
        end_seen INTEGER NOT NULL DEFAULT 0 CHECK (end_seen IN (0, 1)),
        exit_code INTEGER,
        too_often INTEGER NOT NULL DEFAULT 0 CHECK (too_often IN (0, 1)),
        double_start INTEGER NOT NULL DEFAULT 0 CHECK (double_start IN (0, 1)),
        previous_start_at INTEGER,
        evidence TEXT
      ) STRICT;
      CREATE INDEX telemetry_runs_by_bot ON telemetry_runs(bot, started_at);
      CREATE TABLE telemetry_evidence (
        alert_id TEXT PRIMARY KEY,
        rule_id TEXT NOT NULL,
        metric TEXT NOT NULL,
        labels TEXT NOT NULL,
        at INTEGER NOT NULL,
        value REAL,
        facts TEXT NOT NULL,
        records TEXT NOT NULL
      ) STRICT;
      CREATE INDEX telemetry_evidence_by_at ON telemetry_evidence(at);
      CREATE TABLE telemetry_state_files (
        bot TEXT NOT NULL,
        path TEXT NOT NULL,
        mtime_ms INTEGER NOT NULL,
        watermark INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (bot, path)
      ) STRICT;
      CREATE TABLE telemetry_rule_stats (
        rule_id TEXT NOT NULL,
        bot TEXT NOT NULL,
        matches INTEGER NOT NULL,
        last_match_at INTEGER NOT NULL,
        PRIMARY KEY (rule_id, bot)
      ) STRICT;
    `);
  },
};

import type { Migration } from '../../store/index.js';

/**
 * Supervised bots: their counters (restarts, the crash-loop window, the backoff, an operator's stop of
 * an always-on bot), one row per run (how each ended: the "last exit" and the history), and the hold of
 * the emergency stop with the bots to start again on resume. All survive a restart of Nexus Ops.
 */
export const botsMigration: Migration = {
  version: 10,
  name: 'bots',
  up(db) {
    db.exec(`
      CREATE TABLE bot_state (
        bot_id TEXT PRIMARY KEY,
        restarts INTEGER NOT NULL DEFAULT 0,
        restarts_since INTEGER,
        unstable_count INTEGER NOT NULL DEFAULT 0,
        unstable_since INTEGER,
        unstable_last INTEGER,
        errored_at INTEGER,
        backoff_ms INTEGER NOT NULL DEFAULT 0,
        operator_stopped INTEGER NOT NULL DEFAULT 0 CHECK (operator_stopped IN (0, 1)),
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE bot_runs (
        run_id TEXT PRIMARY KEY,
        bot_id TEXT NOT NULL,
        trigger TEXT NOT NULL CHECK (trigger IN ('always', 'schedule', 'manual', 'restart', 'resume', 'adopted')),
        started_at INTEGER NOT NULL,
        pid INTEGER,
        ended_at INTEGER,
        outcome TEXT CHECK (outcome IN ('exited', 'failed', 'stopped', 'timeout', 'vanished', 'start-failed')),
        exit_code INTEGER,
        signal TEXT,
        uptime_ms INTEGER,
        error TEXT
      ) STRICT;
      CREATE INDEX bot_runs_by_bot ON bot_runs(bot_id, started_at);
      CREATE INDEX bot_runs_open ON bot_runs(bot_id) WHERE ended_at IS NULL;
      CREATE TABLE bot_hold (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        held INTEGER NOT NULL CHECK (held IN (0, 1)),
        since INTEGER,
        restore TEXT NOT NULL DEFAULT '[]'
      ) STRICT;
    `);
  },
};

import type { Migration } from '../../store/index.js';

/**
 * Emergency stop runs: who or which rule asked, why, the timings of each phase, the result counts,
 * the survivors, the kill-switch files, the schedules and Task Scheduler tasks it paused (so resume
 * re-enables exactly those), and the resume. A row with resumed_at NULL and a finished status means
 * the bots are stopped; that survives a restart. JSON columns hold arrays/objects as text.
 */
export const stopMigration: Migration = {
  version: 5,
  name: 'stop',
  up(db) {
    db.exec(`
      CREATE TABLE stop_runs (
        id TEXT PRIMARY KEY,
        source TEXT NOT NULL CHECK (source IN ('button', 'tray', 'cli', 'rule', 'shortcut')),
        actor TEXT NOT NULL,
        reason TEXT NOT NULL,
        rule_id TEXT,
        alert_id TEXT,
        requested_at INTEGER NOT NULL,
        finished_at INTEGER,
        duration_ms REAL,
        status TEXT NOT NULL CHECK (status IN ('running', 'done', 'survivors', 'interrupted')),
        targets INTEGER NOT NULL DEFAULT 0,
        stopped INTEGER NOT NULL DEFAULT 0,
        forced INTEGER NOT NULL DEFAULT 0,
        survivor_count INTEGER NOT NULL DEFAULT 0,
        survivors TEXT NOT NULL DEFAULT '[]',
        families TEXT NOT NULL DEFAULT '{}',
        kill_switch TEXT NOT NULL DEFAULT '{"written":[],"failed":[]}',
        paused_schedules TEXT NOT NULL DEFAULT '[]',
        disabled_tasks TEXT NOT NULL DEFAULT '[]',
        errors TEXT NOT NULL DEFAULT '[]',
        steps TEXT NOT NULL DEFAULT '[]',
        recorded_late INTEGER NOT NULL DEFAULT 0,
        resumed_at INTEGER,
        resumed_by TEXT,
        resume_reason TEXT,
        resume_detail TEXT
      ) STRICT;
      CREATE INDEX stop_runs_by_requested ON stop_runs(requested_at);
      CREATE INDEX stop_runs_unresumed ON stop_runs(requested_at) WHERE resumed_at IS NULL;
    `);
  },
};

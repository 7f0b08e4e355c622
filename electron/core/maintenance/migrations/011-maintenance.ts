import type { Migration } from '../../store/index.js';

/**
 * Maintenance: per job its watermark (the last slot dispatched: catch-up never runs a slot twice) and
 * pause state (who paused it: the operator or the emergency stop); every run with its slot, trigger,
 * status, exit code, masked output tail and what it changed; per health check its consecutive failures
 * and the heal guard's recent cycles, so a restart does not reset the loop guard.
 */
export const maintenanceMigration: Migration = {
  version: 11,
  name: 'maintenance',
  up(db) {
    db.exec(`
      CREATE TABLE maintenance_jobs (
        id TEXT PRIMARY KEY,
        watermark INTEGER,
        paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
        paused_by TEXT CHECK (paused_by IN ('operator', 'stop')),
        paused_at INTEGER,
        updated_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE maintenance_runs (
        id TEXT PRIMARY KEY,
        job_id TEXT NOT NULL,
        trigger TEXT NOT NULL CHECK (trigger IN ('schedule', 'catch-up', 'manual')),
        slot INTEGER NOT NULL,
        started_at INTEGER NOT NULL,
        finished_at INTEGER,
        status TEXT NOT NULL
          CHECK (status IN ('running', 'ok', 'failed', 'timed-out', 'skipped', 'missed', 'interrupted')),
        exit_code INTEGER,
        duration_ms REAL,
        output TEXT NOT NULL DEFAULT '',
        summary TEXT NOT NULL DEFAULT '',
        changes TEXT NOT NULL DEFAULT '{}',
        error TEXT
      ) STRICT;
      CREATE INDEX maintenance_runs_by_job ON maintenance_runs(job_id, started_at);
      CREATE INDEX maintenance_runs_by_start ON maintenance_runs(started_at);

      CREATE TABLE maintenance_checks (
        id TEXT PRIMARY KEY,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        up INTEGER,
        last_at INTEGER,
        latency_ms REAL,
        message TEXT NOT NULL DEFAULT '',
        heal_cycles TEXT NOT NULL DEFAULT '[]',
        heals INTEGER NOT NULL DEFAULT 0,
        guard_tripped_at INTEGER
      ) STRICT;
    `);
  },
};

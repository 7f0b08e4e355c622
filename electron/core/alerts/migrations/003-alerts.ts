import type { Migration } from '../../store/index.js';

/**
 * Alerts: one row per alert instance (rule × series, from pending to resolved), every change of it in
 * the append-only alert_events, silences created through the API, and a small state table (last
 * resume from an emergency stop, for the action cooldown).
 */
export const alertsMigration: Migration = {
  version: 3,
  name: 'alerts',
  up(db) {
    db.exec(`
      CREATE TABLE alerts (
        id TEXT PRIMARY KEY,
        rule_id TEXT NOT NULL,
        rule_name TEXT NOT NULL,
        series_key TEXT NOT NULL,
        metric TEXT NOT NULL,
        labels TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'firing', 'acknowledged', 'resolved', 'inactive')),
        severity TEXT NOT NULL CHECK (severity IN ('critical', 'warning', 'info')),
        op TEXT NOT NULL,
        threshold REAL NOT NULL,
        value REAL,
        message TEXT NOT NULL DEFAULT '',
        suppressed INTEGER NOT NULL DEFAULT 0 CHECK (suppressed IN (0, 1)),
        suppressed_by TEXT,
        started_at INTEGER NOT NULL,
        fired_at INTEGER,
        acked_at INTEGER,
        ack_by TEXT,
        ack_note TEXT,
        resolved_at INTEGER,
        first_notified_at INTEGER,
        last_notified_at INTEGER,
        escalation_level INTEGER NOT NULL DEFAULT -1,
        action TEXT,
        action_state TEXT CHECK (action_state IN ('done', 'deferred', 'failed', 'skipped')),
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX alerts_one_open_per_series ON alerts(rule_id, series_key)
        WHERE state IN ('pending', 'firing', 'acknowledged');
      CREATE INDEX alerts_open ON alerts(state) WHERE state IN ('pending', 'firing', 'acknowledged');
      CREATE INDEX alerts_by_start ON alerts(started_at);
      CREATE INDEX alerts_by_rule ON alerts(rule_id, started_at);

      CREATE TABLE alert_events (
        seq INTEGER PRIMARY KEY,
        alert_id TEXT NOT NULL REFERENCES alerts(id),
        ts INTEGER NOT NULL,
        type TEXT NOT NULL,
        from_state TEXT,
        to_state TEXT,
        value REAL,
        actor TEXT,
        detail TEXT
      ) STRICT;
      CREATE INDEX alert_events_by_alert ON alert_events(alert_id, seq);
      CREATE INDEX alert_events_by_ts ON alert_events(ts);
      CREATE TRIGGER alert_events_append_only BEFORE UPDATE ON alert_events
      BEGIN
        SELECT RAISE(ABORT, 'alert_events is append-only');
      END;

      CREATE TABLE silences (
        id TEXT PRIMARY KEY,
        rule_id TEXT,
        matchers TEXT NOT NULL,
        starts_at INTEGER NOT NULL,
        ends_at INTEGER NOT NULL,
        reason TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expired_at INTEGER,
        expired_by TEXT
      ) STRICT;
      CREATE INDEX silences_by_end ON silences(ends_at);

      CREATE TABLE alert_engine_state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;
    `);
  },
};

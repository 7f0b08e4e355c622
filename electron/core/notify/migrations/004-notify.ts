import type { Migration } from '../../store/index.js';

/**
 * Notification deliveries: one row per message × channel, with its status and attempts. Title, body
 * and last error are stored masked. `pending_to` (JSON array) lists recipients still to reach when a
 * channel with several recipients (SMS) partly succeeded, so a retry does not text anyone twice.
 */
export const notifyMigration: Migration = {
  version: 4,
  name: 'notify',
  up(db) {
    db.exec(`
      CREATE TABLE notify_deliveries (
        id INTEGER PRIMARY KEY,
        message_id TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        channel_type TEXT NOT NULL,
        kind TEXT NOT NULL
          CHECK (kind IN ('firing', 'escalation', 'repeat', 'resolved', 'stop', 'test')),
        severity TEXT NOT NULL CHECK (severity IN ('critical', 'warning', 'info')),
        alert_id TEXT,
        dedupe_key TEXT,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        status TEXT NOT NULL
          CHECK (status IN ('queued', 'sent', 'failed', 'retrying', 'rate_limited', 'suppressed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        sent_at INTEGER,
        next_attempt_at INTEGER,
        pending_to TEXT
      ) STRICT;
      CREATE INDEX notify_deliveries_by_created ON notify_deliveries(created_at);
      CREATE INDEX notify_deliveries_by_channel ON notify_deliveries(channel_id, created_at);
      CREATE INDEX notify_deliveries_by_alert ON notify_deliveries(alert_id) WHERE alert_id IS NOT NULL;
      CREATE INDEX notify_deliveries_open ON notify_deliveries(status) WHERE status IN ('queued', 'retrying');
      CREATE INDEX notify_deliveries_by_dedupe ON notify_deliveries(channel_id, dedupe_key)
        WHERE dedupe_key IS NOT NULL;
    `);
  },
};

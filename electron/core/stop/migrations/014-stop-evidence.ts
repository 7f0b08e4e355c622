import type { Migration } from '../../store/index.js';

/**
 * What made an automatic stop: the values that crossed and the log records behind them (from the rule's
 * alert), kept with the run so its result and history name them. JSON array of lines.
 */
export const stopEvidenceMigration: Migration = {
  version: 14,
  name: 'stop-evidence',
  up(db) {
    db.exec("ALTER TABLE stop_runs ADD COLUMN evidence TEXT NOT NULL DEFAULT '[]'");
  },
};

import type { Migration } from '../../store/index.js';

/** Runbook steps ticked and unticked, per subject (an incident, an alert or a stop run). */
export const runbooksMigration: Migration = {
  version: 9,
  name: 'runbooks',
  up(db) {
    db.exec(`
      CREATE TABLE runbook_steps (
        seq INTEGER PRIMARY KEY,
        subject TEXT NOT NULL,
        runbook_id TEXT NOT NULL,
        step INTEGER NOT NULL,
        done INTEGER NOT NULL CHECK (done IN (0, 1)),
        actor TEXT NOT NULL,
        at INTEGER NOT NULL,
        note TEXT
      ) STRICT;
      CREATE INDEX runbook_steps_by_subject ON runbook_steps(subject, runbook_id, seq);
    `);
  },
};

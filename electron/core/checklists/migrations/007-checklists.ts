import type { Migration } from '../../store/index.js';

/**
 * Checklist instances (one per template and slot, with the template as it was, so history stays
 * true after a template changes) and every tick and untick with who, when, a note and the evidence
 * at that moment.
 */
export const checklistsMigration: Migration = {
  version: 7,
  name: 'checklists',
  up(db) {
    db.exec(`
      CREATE TABLE checklist_instances (
        id TEXT PRIMARY KEY,
        template_id TEXT NOT NULL,
        slot_at INTEGER NOT NULL,
        local_date TEXT NOT NULL,
        timezone TEXT NOT NULL,
        template TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        completed_at INTEGER,
        reminded_at INTEGER
      ) STRICT;
      CREATE INDEX checklist_instances_by_date ON checklist_instances(local_date);
      CREATE TABLE checklist_ticks (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        instance_id TEXT NOT NULL REFERENCES checklist_instances(id),
        item_id TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('tick', 'untick')),
        actor TEXT NOT NULL,
        at INTEGER NOT NULL,
        note TEXT,
        evidence TEXT NOT NULL
      ) STRICT;
      CREATE INDEX checklist_ticks_by_instance ON checklist_ticks(instance_id, seq);
    `);
  },
};

import type { Migration } from '../../store/index.js';

/**
 * The incident knowledge base (Phase 6 knowledge_management.incident_database: incident_id, category,
 * symptoms, root_cause, solution, prevention) plus what Nexus Ops knows (rule, alert, stop, bot,
 * exception type, first error line, runbook, the timeline around it), the post-incident steps, and a
 * trigram full-text index (external content, kept in step by triggers). `search_text` is the lower-cased
 * text the 1-2 character terms are tested against, after the gram index narrowed the rows.
 */
export const incidentsMigration: Migration = {
  version: 8,
  name: 'incidents',
  up(db) {
    db.exec(`
      CREATE TABLE incidents (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL,
        category TEXT NOT NULL,
        severity TEXT NOT NULL CHECK (severity IN ('critical', 'warning', 'info')),
        status TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
        symptoms TEXT NOT NULL DEFAULT '',
        root_cause TEXT NOT NULL DEFAULT '',
        solution TEXT NOT NULL DEFAULT '',
        prevention TEXT NOT NULL DEFAULT '',
        impact TEXT NOT NULL DEFAULT '',
        source TEXT NOT NULL CHECK (source IN ('alert', 'stop', 'manual')),
        rule_id TEXT,
        alert_id TEXT,
        stop_id TEXT,
        bot TEXT,
        exception_type TEXT,
        first_error TEXT,
        runbook TEXT,
        opened_at INTEGER NOT NULL,
        resolved_at INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        created_by TEXT NOT NULL,
        context TEXT NOT NULL DEFAULT '{}',
        search_text TEXT GENERATED ALWAYS AS (lower(
          title || char(10) || symptoms || char(10) || root_cause || char(10) || solution || char(10) ||
          prevention || char(10) || impact || char(10) || coalesce(first_error, '') || char(10) ||
          coalesce(exception_type, '') || char(10) || coalesce(rule_id, '') || char(10) || coalesce(bot, '')
        )) STORED
      ) STRICT;
      CREATE INDEX incidents_by_opened ON incidents(opened_at);
      CREATE INDEX incidents_by_rule ON incidents(rule_id) WHERE rule_id IS NOT NULL;
      CREATE INDEX incidents_by_bot ON incidents(bot) WHERE bot IS NOT NULL;
      CREATE INDEX incidents_by_exception ON incidents(exception_type) WHERE exception_type IS NOT NULL;

      CREATE VIRTUAL TABLE incidents_fts USING fts5(
        title, symptoms, root_cause, solution, prevention, impact, first_error,
        content='incidents', content_rowid='seq', tokenize='trigram'
      );
      CREATE TRIGGER incidents_fts_insert AFTER INSERT ON incidents BEGIN
        INSERT INTO incidents_fts (rowid, title, symptoms, root_cause, solution, prevention, impact, first_error)
        VALUES (new.seq, new.title, new.symptoms, new.root_cause, new.solution, new.prevention, new.impact, new.first_error);
      END;
      CREATE TRIGGER incidents_fts_delete AFTER DELETE ON incidents BEGIN
        INSERT INTO incidents_fts (incidents_fts, rowid, title, symptoms, root_cause, solution, prevention, impact, first_error)
        VALUES ('delete', old.seq, old.title, old.symptoms, old.root_cause, old.solution, old.prevention, old.impact, old.first_error);
      END;
      CREATE TRIGGER incidents_fts_update AFTER UPDATE ON incidents BEGIN
        INSERT INTO incidents_fts (incidents_fts, rowid, title, symptoms, root_cause, solution, prevention, impact, first_error)
        VALUES ('delete', old.seq, old.title, old.symptoms, old.root_cause, old.solution, old.prevention, old.impact, old.first_error);
        INSERT INTO incidents_fts (rowid, title, symptoms, root_cause, solution, prevention, impact, first_error)
        VALUES (new.seq, new.title, new.symptoms, new.root_cause, new.solution, new.prevention, new.impact, new.first_error);
      END;

      -- 1-2 character terms: each incident's distinct characters and character pairs as ASCII tokens
      -- (electron/core/incidents/grams.ts), written with the incident; a filter, confirmed by instr().
      CREATE VIRTUAL TABLE incidents_grams USING fts5(grams, content='', contentless_delete=1, tokenize='ascii');

      CREATE TABLE incident_steps (
        incident_id TEXT NOT NULL REFERENCES incidents(id),
        step TEXT NOT NULL CHECK (step IN ('record', 'impact', 'root_cause', 'prevention')),
        done INTEGER NOT NULL CHECK (done IN (0, 1)),
        actor TEXT NOT NULL,
        at INTEGER NOT NULL,
        note TEXT,
        PRIMARY KEY (incident_id, step)
      ) STRICT;

      CREATE TABLE incident_events (
        seq INTEGER PRIMARY KEY,
        incident_id TEXT NOT NULL REFERENCES incidents(id),
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        kind TEXT NOT NULL,
        detail TEXT NOT NULL
      ) STRICT;
      CREATE INDEX incident_events_by_incident ON incident_events(incident_id, seq);
    `);
  },
};

import type { Migration } from '../../store/index.js';

/** This capability's schema version (the lead renumbers when branches merge: keep it in this one place). */
export const LOGS_SCHEMA_VERSION = 12;

/**
 * Log ingestion.
 *
 * log_files: every file followed, with its identity (device:inode, or volume serial:file index on
 * Windows), the checksum of its first line, and the offset read and stored: the offset is updated in
 * the same transaction as the records it covers, so a crash never loses or repeats a line. Counters
 * (lines, records, bad lines, duplicates) are committed with it.
 *
 * log_messages: each distinct message text once (a message repeated a thousand times is stored and
 * indexed once); log_fts indexes them with FTS5's trigram tokenizer, detail=none (rowids only: a phrase
 * becomes an AND of its trigrams, and every candidate is then checked with instr, so results are exact
 * substrings), contentless (the text lives in log_messages). Indexed text is lower-cased (ASCII) and
 * ends with two U+E000 so that every character of the text starts a trigram: a 1- or 2-character term
 * is found through the trigrams that start with it (log_fts_terms lists them).
 *
 * log_records: one row per record (a line with its continuation lines). level is Python's number
 * (10 DEBUG … 50 CRITICAL). dup is the de-duplication key (hash of timestamp, level, message and the
 * occurrence within its file) for records with their own timestamp; it is looked up through the ts
 * index. stream: 1 stdout, 2 stderr. flags: 1 raw (not understood), 2 cut, 4 undecodable bytes,
 * 8 binary, 16 cp932.
 *
 * log_retention: per level, the (ts, id) up to which records of that level have been pruned: each
 * record is looked at once per level rule, so pruning stays bounded without an index on level.
 */
export const logsMigration: Migration = {
  version: LOGS_SCHEMA_VERSION,
  name: 'logs',
  up(db) {
    db.exec(`
      CREATE TABLE log_files (
        id INTEGER PRIMARY KEY,
        bot_id TEXT NOT NULL,
        source TEXT NOT NULL,
        path TEXT NOT NULL,
        identity TEXT NOT NULL,
        fingerprint TEXT,
        fingerprint_len INTEGER NOT NULL DEFAULT 0,
        offset INTEGER NOT NULL DEFAULT 0,
        discarding INTEGER NOT NULL DEFAULT 0,
        format TEXT,
        encoding TEXT,
        account TEXT,
        run_started INTEGER,
        state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'gone')),
        first_seen INTEGER NOT NULL,
        last_read INTEGER,
        size INTEGER,
        lines INTEGER NOT NULL DEFAULT 0,
        records INTEGER NOT NULL DEFAULT 0,
        bad_lines INTEGER NOT NULL DEFAULT 0,
        duplicates INTEGER NOT NULL DEFAULT 0,
        expired INTEGER NOT NULL DEFAULT 0,
        last_ts INTEGER,
        dup_state TEXT,
        last_error TEXT
      ) STRICT;
      CREATE INDEX log_files_by_source ON log_files(bot_id, source, state);

      CREATE TABLE log_messages (
        id INTEGER PRIMARY KEY,
        text TEXT NOT NULL
      ) STRICT;
      CREATE VIRTUAL TABLE log_fts USING fts5(
        text, tokenize = 'trigram case_sensitive 1', detail = none, content = '', contentless_delete = 1
      );
      CREATE VIRTUAL TABLE log_fts_terms USING fts5vocab(log_fts, 'row');

      CREATE TABLE log_records (
        id INTEGER PRIMARY KEY,
        ts INTEGER NOT NULL,
        level INTEGER NOT NULL,
        bot_id TEXT NOT NULL,
        file_id INTEGER NOT NULL,
        msg_id INTEGER NOT NULL,
        account TEXT,
        trace_id TEXT,
        logger TEXT,
        stream INTEGER,
        flags INTEGER NOT NULL DEFAULT 0,
        dup INTEGER,
        offset INTEGER NOT NULL,
        fields TEXT
      ) STRICT;
      CREATE INDEX log_records_by_ts ON log_records(ts);
      CREATE INDEX log_records_by_bot ON log_records(bot_id, ts);
      CREATE INDEX log_records_by_msg ON log_records(msg_id);
      CREATE INDEX log_records_warnings ON log_records(ts) WHERE level >= 30;
      CREATE INDEX log_records_by_trace ON log_records(trace_id, ts) WHERE trace_id IS NOT NULL;

      CREATE TABLE log_retention (
        level INTEGER PRIMARY KEY,
        pruned_ts INTEGER NOT NULL,
        pruned_id INTEGER NOT NULL
      ) STRICT;
    `);
  },
};

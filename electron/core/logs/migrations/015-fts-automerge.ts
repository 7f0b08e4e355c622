import type { Migration } from '../../store/index.js';

/**
 * The trigram index merges its segments 16 at a time instead of FTS5's default 4. Every ingest commit
 * adds a segment, and with 4 each indexed trigram is rewritten once per level of a deeper tree: at
 * 300 k lines the merges were 30 % of the database's instructions (callgrind), and with 16 the
 * database's instructions fell 15 %. Searches read a few more segments; the 1 M-line search
 * benchmark's p95 stayed at 11-12 ms. Stored in the index's own config table, so it survives restarts.
 */
export const logsFtsAutomergeMigration: Migration = {
  version: 15,
  name: 'logs-fts-automerge',
  up(db) {
    db.exec("INSERT INTO log_fts (log_fts, rank) VALUES ('automerge', 16)");
  },
};

import type { Migration } from './types.js';

/** Series and raw samples (DESIGN data model), the hash-chained audit trail, and a small key/value table. */
export const coreMigration: Migration = {
  version: 1,
  name: 'core',
  up(db) {
    db.exec(`
      CREATE TABLE series (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        labels TEXT NOT NULL
      ) STRICT;
      CREATE INDEX series_by_name ON series(name);

      CREATE TABLE samples (
        series_id INTEGER NOT NULL REFERENCES series(id),
        ts INTEGER NOT NULL,
        value REAL NOT NULL,
        PRIMARY KEY (series_id, ts)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX samples_by_ts ON samples(ts);

      CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        ts INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        details TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      ) STRICT;

      CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;
    `);
  },
};

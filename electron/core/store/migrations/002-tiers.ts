import type { Migration } from './types.js';

/**
 * Storage tiers: 5-minute and hourly rollups (min/avg/max/count per series and bucket start), and the
 * tier marks: `rollup:5m` / `rollup:1h` (every bucket before it is rolled up, advanced in the same
 * transaction as the rows it covers) and `pruned:raw` / `pruned:5m` / `pruned:1h` (rows before it
 * were deleted by retention, so charts know which tier still covers a range).
 */
export const tiersMigration: Migration = {
  version: 2,
  name: 'tiers',
  up(db) {
    db.exec(`
      CREATE TABLE samples_5m (
        series_id INTEGER NOT NULL REFERENCES series(id),
        ts INTEGER NOT NULL,
        min REAL NOT NULL,
        avg REAL NOT NULL,
        max REAL NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (series_id, ts)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX samples_5m_by_ts ON samples_5m(ts);

      CREATE TABLE samples_1h (
        series_id INTEGER NOT NULL REFERENCES series(id),
        ts INTEGER NOT NULL,
        min REAL NOT NULL,
        avg REAL NOT NULL,
        max REAL NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (series_id, ts)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX samples_1h_by_ts ON samples_1h(ts);

      CREATE TABLE tier_marks (
        name TEXT PRIMARY KEY,
        ts INTEGER NOT NULL
      ) STRICT;
    `);
  },
};

import type BetterSqlite3 from 'better-sqlite3';

/**
 * A numbered, add-only schema step. The store applies pending ones in order, each in its own
 * transaction, and records the version in PRAGMA user_version.
 */
export interface Migration {
  version: number;
  name: string;
  up(db: BetterSqlite3.Database): void;
}

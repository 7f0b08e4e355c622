/**
 * Helpers for migration tests (the Signal-Desktop way): bring a database to version N, seed rows the
 * way that version wrote them, migrate to N+1, and read the schema back.
 */
import Database from 'better-sqlite3';
import { schemaMigrations } from '../../electron/core/index.js';
import { migrate } from '../../electron/core/store/index.js';

export function emptyDb(): Database.Database {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  return db;
}

/** Applies the migrations up to and including `version`. */
export function updateToVersion(db: Database.Database, version: number): void {
  migrate(
    db,
    schemaMigrations.filter((m) => m.version <= version),
    ':memory:',
  );
}

export function insertRow(db: Database.Database, table: string, row: Record<string, unknown>): void {
  const cols = Object.keys(row);
  db.prepare(`INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`).run(
    row,
  );
}

export function tableRows(db: Database.Database, table: string): Record<string, unknown>[] {
  return db.prepare(`SELECT * FROM ${table}`).all() as Record<string, unknown>[];
}

export interface SchemaShape {
  /** table → column → declared type and constraints */
  columns: Record<string, Record<string, string>>;
  indexes: string[];
  triggers: string[];
}

export function schemaShape(db: Database.Database): SchemaShape {
  const tables = db
    .prepare<[], { name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .all()
    .map((r) => r.name);
  const columns: SchemaShape['columns'] = {};
  for (const t of tables) {
    columns[t] = {};
    for (const c of db.prepare(`PRAGMA table_info(${JSON.stringify(t)})`).all() as {
      name: string;
      type: string;
      notnull: number;
      pk: number;
    }[]) {
      (columns[t] as Record<string, string>)[c.name] =
        `${c.type}${c.notnull ? ' NOT NULL' : ''}${c.pk ? ' PK' : ''}`;
    }
  }
  const names = (type: string) =>
    db
      .prepare<[string], { name: string }>(
        "SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE 'sqlite_%' ORDER BY name",
      )
      .all(type)
      .map((r) => r.name);
  return { columns, indexes: names('index'), triggers: names('trigger') };
}

/** The full schema text at the current version (what a snapshot compares). */
export function schemaText(db: Database.Database): string {
  return `${db
    .prepare<[], { sql: string }>(
      "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type, name",
    )
    .all()
    .map((r) => r.sql.replace(/\s+/g, ' ').trim())
    .join(';\n')};\n`;
}

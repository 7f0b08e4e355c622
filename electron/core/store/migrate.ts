import type BetterSqlite3 from 'better-sqlite3';
import type { Migration } from './migrations/types.js';

export class NewerDatabaseError extends Error {}

/** Applies pending migrations in order, each in its own transaction; returns the versions applied. */
export function migrate(db: BetterSqlite3.Database, list: readonly Migration[], file: string): number[] {
  const sorted = [...list].sort((a, b) => a.version - b.version);
  sorted.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration list is not contiguous at ${m.name} (${m.version})`);
  });
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = sorted.length;
  if (current > latest) {
    throw new NewerDatabaseError(
      `${file} was written by a newer Nexus Ops (schema ${current}, this build knows ${latest}). ` +
        'Update Nexus Ops, or point NEXUS_OPS_DATA_DIR at another folder.',
    );
  }
  const applied: number[] = [];
  for (const m of sorted.slice(current)) {
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    })();
    applied.push(m.version);
  }
  return applied;
}

import { coreMigration } from './001-core.js';
import { tiersMigration } from './002-tiers.js';
import type { Migration } from './types.js';

export type { Migration } from './types.js';

/**
 * The store's own schema: series, raw samples, the audit trail, tiers. Every capability lists its
 * migrations in its own folder; versions are global, ordered and add-only: never edit a shipped
 * migration, append a new one with the next number.
 */
export const storeMigrations: readonly Migration[] = [coreMigration, tiersMigration];

import { coreMigration } from './001-core.js';
import { tiersMigration } from './002-tiers.js';
import { alertsMigration } from './003-alerts.js';
import { notifyMigration } from './004-notify.js';
import { stopMigration } from './005-stop.js';
import type { Migration } from './types.js';

export type { Migration } from './types.js';

/** Ordered and add-only: never edit a shipped migration, append a new one. */
export const migrations: readonly Migration[] = [
  coreMigration,
  tiersMigration,
  alertsMigration,
  notifyMigration,
  stopMigration,
];

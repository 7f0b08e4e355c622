import { coreMigration } from './001-core.js';
import type { Migration } from './types.js';

export type { Migration } from './types.js';

/** Ordered and add-only: never edit a shipped migration, append a new one. */
export const migrations: readonly Migration[] = [coreMigration];

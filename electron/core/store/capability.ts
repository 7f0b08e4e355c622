import type { Capability, CoreContext, HandlersOf } from '../capability/index.js';
import type { JobSpec } from '../jobs/index.js';
import { pruneTiers, queryChart, rollupTiers } from './tiers.js';

export const STORE_JOBS = {
  flush: 'store.flush',
  rollup: 'store.rollup',
  prune: 'store.prune',
} as const;

/** Rollup chunks per run: a long catch-up spreads over several minutes instead of blocking. */
const ROLLUP_CHUNKS_PER_RUN = 4;
const HOUR = 3_600_000;

/**
 * The store as a capability: series and chart queries, the audit check, and the jobs that keep the
 * database in shape (retry what waits on the write path, roll samples up into the 5-minute and hourly
 * tiers, prune each tier past its retention).
 */
export function createStoreCapability(ctx: CoreContext): Capability {
  const { store } = ctx;
  const handlers: HandlersOf<'series' | 'audit'> = {
    'series.list': ({ prefix }) => store.listSeries(prefix),
    'series.query': (query) => queryChart(store.db, query),
    'audit.verify': () => store.verifyAudit(),
  };

  const jobs: JobSpec[] = [
    { name: STORE_JOBS.flush, schedule: { every: 2_000 }, run: () => store.writes.flush() },
    {
      name: STORE_JOBS.rollup,
      schedule: { every: () => ctx.config.current().monitor.rollupIntervalSeconds * 1000, startAfter: 5_000 },
      run: ({ now }) => {
        // Buckets are never closed before every sample in them is written.
        const horizon = Math.min(now, store.writes.oldestWaitingTs() ?? now);
        store.writes.write('store', (db) => rollupTiers(db, horizon, { maxChunks: ROLLUP_CHUNKS_PER_RUN }), {
          key: STORE_JOBS.rollup,
        });
      },
    },
    {
      name: STORE_JOBS.prune,
      schedule: { every: HOUR, startAfter: 60_000 },
      run: ({ now }) => {
        store.writes.write('store', (db) => pruneTiers(db, now, undefined, 2), { key: STORE_JOBS.prune });
      },
    },
  ];

  return { name: 'store', handlers, jobs };
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { systemClock } from '../../electron/core/clock/index.js';
import { schemaMigrations } from '../../electron/core/index.js';
import { openStore } from '../../electron/core/store/index.js';
import type { Sample } from '../../shared/series.js';

/**
 * Sample ingest through the store (series lookup, transaction, fault buffering) next to a bare
 * better-sqlite3 prepared insert of the same rows into the same schema: the store's overhead.
 */
export async function benchIngest(cycles = 400, seriesPerCycle = 500) {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-bench-ingest-'));
  try {
    const batches: Sample[][] = [];
    for (let c = 0; c < cycles; c++) {
      const ts = 1_700_000_000_000 + c * 1000;
      batches.push(
        Array.from({ length: seriesPerCycle }, (_, i) => ({
          name: 'bench.metric',
          labels: { n: String(i) },
          ts,
          value: Math.sin(c + i),
        })),
      );
    }

    const store = openStore({
      file: join(dir, 'store.db'),
      clock: systemClock,
      migrations: schemaMigrations,
    });
    let t = performance.now();
    for (const b of batches) store.writeSamples(b);
    const storeMs = performance.now() - t;
    store.close();

    const raw = openStore({ file: join(dir, 'raw.db'), clock: systemClock, migrations: schemaMigrations });
    const ids = batches[0]!.map((s) => raw.seriesId(s.name, s.labels));
    raw.close();
    const db = new Database(join(dir, 'raw.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const insert = db.prepare('INSERT INTO samples (series_id, ts, value) VALUES (?, ?, ?)');
    const write = db.transaction((b: Sample[]) => {
      for (const [i, s] of b.entries()) insert.run(ids[i], s.ts, s.value);
    });
    t = performance.now();
    for (const b of batches) write(b);
    const rawMs = performance.now() - t;
    db.close();

    const rows = cycles * seriesPerCycle;
    return {
      rows,
      store: {
        ms: round(storeMs),
        rowsPerSecond: Math.round(rows / (storeMs / 1000)),
        msPerCycle: round(storeMs / cycles),
      },
      baseline: {
        ms: round(rawMs),
        rowsPerSecond: Math.round(rows / (rawMs / 1000)),
        msPerCycle: round(rawMs / cycles),
      },
      overhead: round(storeMs / rawMs),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

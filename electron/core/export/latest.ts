import type { LiveSample } from '../../../shared/series.js';

export interface LatestValue {
  metric: string;
  labels: Readonly<Record<string, string>>;
  value: number;
  ts: number;
}

export interface LatestTable {
  /** Records a batch (the `samples` hook). Series beyond the bound are dropped and counted. */
  update(samples: readonly LiveSample[], receivedAt: number): void;
  /** Forgets series not refreshed since `before` (a family removed from the config, a disk unplugged). */
  prune(before: number): void;
  /** The newest value of every series of a metric. */
  of(metric: string): readonly LatestValue[];
  metrics(): IterableIterator<string>;
  size(): number;
  /** Series refused because the table was full, since start. */
  dropped(): number;
  /** When the newest batch was taken (its `ts`), or null before the first. */
  newestTs(): number | null;
}

/**
 * The newest value of every series any producer announced, kept in memory for the scrape. Bounded:
 * a producer that suddenly emitted unbounded series cannot grow it past `maxSeries`.
 */
export function createLatestTable(maxSeries: number): LatestTable {
  const byMetric = new Map<string, Map<string, LatestValue & { seenAt: number }>>();
  let count = 0;
  let droppedSeries = 0;
  let newest: number | null = null;

  return {
    update(samples, receivedAt) {
      for (const s of samples) {
        if (!Number.isFinite(s.value)) continue;
        let series = byMetric.get(s.name);
        if (!series) {
          series = new Map();
          byMetric.set(s.name, series);
        }
        const entry = series.get(s.key);
        if (entry) {
          entry.value = s.value;
          entry.ts = s.ts;
          entry.seenAt = receivedAt;
        } else if (count < maxSeries) {
          series.set(s.key, {
            metric: s.name,
            labels: s.labels,
            value: s.value,
            ts: s.ts,
            seenAt: receivedAt,
          });
          count++;
        } else {
          droppedSeries++;
        }
        if (newest === null || s.ts > newest) newest = s.ts;
      }
    },
    prune(before) {
      for (const [metric, series] of byMetric) {
        for (const [key, entry] of series) {
          if (entry.seenAt < before) {
            series.delete(key);
            count--;
          }
        }
        if (series.size === 0) byMetric.delete(metric);
      }
    },
    of: (metric) => [...(byMetric.get(metric)?.values() ?? [])],
    metrics: () => byMetric.keys(),
    size: () => count,
    dropped: () => droppedSeries,
    newestTs: () => newest,
  };
}

import type { Labels } from '../../../shared/api/contract.js';
import { type Sample, seriesKey } from '../../../shared/series.js';

/** Rates (CPU, IO, network, process CPU) are stored as the window's mean; gauges as the last value. */
export function isRateMetric(name: string): boolean {
  return (
    name.startsWith('cpu.') || name.endsWith('_bps') || name.endsWith('_iops') || name === 'proc.cpu_pct'
  );
}

interface Accumulator {
  name: string;
  labels: Labels;
  sum: number;
  count: number;
  last: number;
}

/**
 * Collects the live samples between two stores and yields one stored sample per series, so the raw
 * tier holds one row per series per store interval whatever the live tick is.
 */
export function createStoreWindow() {
  let window = new Map<string, Accumulator>();
  return {
    add(samples: readonly (Sample & { key?: string })[]): void {
      for (const s of samples) {
        const key = s.key ?? seriesKey(s.name, s.labels);
        const acc = window.get(key);
        if (acc) {
          acc.sum += s.value;
          acc.count++;
          acc.last = s.value;
        } else {
          window.set(key, { name: s.name, labels: s.labels, sum: s.value, count: 1, last: s.value });
        }
      }
    },
    flush(ts: number): Sample[] {
      const out: Sample[] = [];
      for (const acc of window.values()) {
        const value = isRateMetric(acc.name) ? Math.round((acc.sum / acc.count) * 100) / 100 : acc.last;
        out.push({ name: acc.name, labels: acc.labels, ts, value });
      }
      window = new Map();
      return out;
    },
  };
}

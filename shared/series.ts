import type { Labels } from './api/contract.js';

/**
 * A series is a metric name plus labels; its key is the canonical text form used everywhere
 * (storage, events, rules): `disk.free_pct{mount=C:}`. Labels are sorted so the key is stable.
 */
export function seriesKey(name: string, labels: Labels = {}): string {
  const names = Object.keys(labels).sort();
  if (names.length === 0) return name;
  return `${name}{${names.map((n) => `${n}=${labels[n]}`).join(',')}}`;
}

export interface Sample {
  name: string;
  labels: Labels;
  ts: number;
  value: number;
}

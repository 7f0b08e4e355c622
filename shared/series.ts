import type { Labels } from './api/contract.js';

/**
 * A series is a metric name plus labels; its key is the canonical text form used everywhere
 * (storage, events, rules): `disk.free_pct{mount=C:}`. Labels are sorted so the key is stable.
 */
export function seriesKey(name: string, labels: Labels = {}): string {
  const names = Object.keys(labels);
  if (names.length === 0) return name;
  // Most series carry one label (core, mount, family); keys are built for every sample every second.
  if (names.length === 1) return `${name}{${names[0]}=${labels[names[0]!]}}`;
  names.sort();
  return `${name}{${names.map((n) => `${n}=${labels[n]}`).join(',')}}`;
}

export interface Sample {
  name: string;
  labels: Labels;
  ts: number;
  value: number;
}

/** A sample as the live view and the alert rules see it: with its series key already built. */
export interface LiveSample extends Sample {
  key: string;
}

import type { LeakTrend } from '../../../shared/api/monitor.js';

export type { LeakTrend } from '../../../shared/api/monitor.js';

const HOUR = 3_600_000;
const MIB = 1024 * 1024;

export interface LeakOptions {
  thresholdMbPerHour: number;
  windowHours: number;
}

/** Least-squares slope of value over ts, value units per ms; null with fewer than 3 points. */
export function slope(points: readonly { ts: number; value: number }[]): number | null {
  const n = points.length;
  if (n < 3) return null;
  let meanT = 0;
  let meanV = 0;
  for (const p of points) {
    meanT += p.ts;
    meanV += p.value;
  }
  meanT /= n;
  meanV /= n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    const dt = p.ts - meanT;
    num += dt * (p.value - meanV);
    den += dt * dt;
  }
  return den > 0 ? num / den : null;
}

/**
 * Resident-memory trend over the last `windowHours` of stored history (bytes). The reported rate is
 * the smallest of the whole window's slope and each half's, so only growth that holds across the
 * window counts: a sawtooth that climbs and falls back (a restart, a cache flush) stays low, and so
 * does a single step late in the window. Needs an hour of history; flagged only when the whole
 * window is covered (15 minutes of slack for the newest bucket still being open).
 */
export function leakTrend(
  points: readonly { ts: number; value: number }[],
  now: number,
  opts: LeakOptions,
): LeakTrend | null {
  const windowMs = opts.windowHours * HOUR;
  const inWindow = points.filter((p) => p.ts >= now - windowMs && p.ts <= now);
  if (inWindow.length < 6) return null;
  const first = inWindow[0]!.ts;
  const last = inWindow[inWindow.length - 1]!.ts;
  const covered = last - first;
  if (covered < HOUR) return null;
  const whole = slope(inWindow);
  if (whole === null) return null;
  const mid = first + covered / 2;
  const halves = [inWindow.filter((p) => p.ts <= mid), inWindow.filter((p) => p.ts >= mid)].map(slope);
  const perHour = (s: number) => (s * HOUR) / MIB;
  const sustained = Math.min(
    perHour(whole),
    ...halves.map((h) => (h === null ? perHour(whole) : perHour(h))),
  );
  const round2 = (v: number) => Math.round(v * 100) / 100;
  return {
    mbPerHour: round2(sustained),
    slopeMbPerHour: round2(perHour(whole)),
    coveredHours: round2(covered / HOUR),
    flagged: sustained > opts.thresholdMbPerHour && covered >= windowMs - 15 * 60_000,
  };
}

import { describe, expect, it } from 'vitest';
import { leakTrend, slope } from '../../electron/core/monitor/leak.js';

const HOUR = 3_600_000;
const MIB = 1024 * 1024;
const NOW = Date.UTC(2026, 0, 2);
const rule = { thresholdMbPerHour: 10, windowHours: 6 };

/** rss(t) every 5 minutes over the last `hours`, as the 5-minute tier holds it. */
function series(hours: number, rss: (hoursAgo: number) => number) {
  const out: { ts: number; value: number }[] = [];
  for (let t = NOW - hours * HOUR; t <= NOW; t += 5 * 60_000)
    out.push({ ts: t, value: rss((NOW - t) / HOUR) });
  return out;
}

function noise(i: number): number {
  return (((i * 7919) % 13) - 6) * 0.4 * MIB;
}

describe('memory-leak trend', () => {
  it('a steady 12 MB/h climb over 6 h fires', () => {
    let i = 0;
    const points = series(6, (ago) => 300 * MIB + (6 - ago) * 12 * MIB + noise(i++));
    const trend = leakTrend(points, NOW, rule)!;
    expect(trend.slopeMbPerHour).toBeGreaterThan(11);
    expect(trend.slopeMbPerHour).toBeLessThan(13);
    expect(trend.flagged).toBe(true);
  });

  it('the same climb over only 3 h of history does not fire yet', () => {
    const points = series(3, (ago) => 300 * MIB + (3 - ago) * 12 * MIB);
    const trend = leakTrend(points, NOW, rule)!;
    expect(trend.mbPerHour).toBeGreaterThan(10);
    expect(trend.flagged).toBe(false);
  });

  it('a sawtooth that climbs 15 MB/h and falls back every 2 h does not fire', () => {
    const points = series(6, (ago) => {
      const phase = (6 - ago) % 2;
      return 400 * MIB + phase * 15 * MIB;
    });
    const trend = leakTrend(points, NOW, rule)!;
    expect(trend.flagged).toBe(false);
    expect(trend.mbPerHour).toBeLessThan(10);
  });

  it('a single jump late in the window is not sustained growth', () => {
    const points = series(6, (ago) => (ago < 1 ? 500 * MIB : 300 * MIB));
    const trend = leakTrend(points, NOW, rule)!;
    expect(trend.slopeMbPerHour).toBeGreaterThan(10);
    expect(trend.mbPerHour).toBeLessThan(10);
    expect(trend.flagged).toBe(false);
  });

  it('flat or shrinking memory does not fire', () => {
    expect(
      leakTrend(
        series(6, () => 200 * MIB),
        NOW,
        rule,
      )!.flagged,
    ).toBe(false);
    expect(
      leakTrend(
        series(6, (ago) => 200 * MIB + ago * 20 * MIB),
        NOW,
        rule,
      )!.mbPerHour,
    ).toBeLessThan(0);
  });

  it('needs an hour of history', () => {
    expect(
      leakTrend(
        series(0.5, (ago) => ago * MIB),
        NOW,
        rule,
      ),
    ).toBeNull();
  });

  it('slope is exact on a line', () => {
    expect(
      slope([
        { ts: 0, value: 1 },
        { ts: 10, value: 3 },
        { ts: 20, value: 5 },
      ]),
    ).toBeCloseTo(0.2, 12);
  });
});

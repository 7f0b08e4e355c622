/**
 * The cost figures the Bots page and the budget rules read, checked against values worked out by hand
 * from the definitions (electron/core/telemetry/README.md "How values are made"):
 *
 * - burn rate: the spend in the 15-minute buckets that cover the last hour, per hour of the span from
 *   the first of those buckets to now (a bucket is counted whole);
 * - day forecast: spent today + the last 3 hours' rate (same rule) × hours left until local midnight;
 * - month forecast: spent this month + the month's average per day so far × days left in the month.
 *
 * Days and months are Asia/Tokyo's. Injected clock; a price of $0.01 per call keeps the sums readable.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/core/clock/index.js';
import { seriesKey } from '../../shared/series.js';
import { telemetryHarness } from '../fixtures/telemetry/harness.js';
import type { LogsRecord } from '../fixtures/telemetry/records.js';

const jst = (text: string) => Date.parse(`${text}+09:00`);
const PRICE = 0.01;
const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

let seq = 0;
/** `n` answers of TwitterAPI.io (billed calls) at `at`, one second apart. */
function answers(at: string, n: number): LogsRecord[] {
  const t = jst(at);
  return Array.from({ length: n }, (_, i) => ({
    id: `c${++seq}`,
    bot: 'tax',
    ts: t + i * 1000,
    level: 'DEBUG' as const,
    stream: 'stdout' as const,
    message: '📡 レスポンス: 200 OK',
    source: 'stdout',
  }));
}

describe('burn rate and forecasts', () => {
  it('equal the values worked out by hand at 12:07 JST on January 10', () => {
    const clock = new ManualClock(jst('2026-01-10T12:07:00'));
    const h = telemetryHarness(clock, {
      telemetry: {
        providers: [{ id: 'twitterapi-io', costPerCallUsd: PRICE }],
        bots: [{ bot: 'tax', packs: ['tradingassistantx'] }],
      },
    });
    closers.push(() => h.close());
    // Last month (not this month's), earlier this month, and today.
    h.feed(answers('2025-12-31T23:50:00', 50)); // $0.50 on Dec 31 JST
    h.feed(answers('2026-01-03T10:00:00', 100)); // $1.00
    h.feed(answers('2026-01-10T08:30:00', 5)); // $0.05, before the 3-hour window
    h.feed(answers('2026-01-10T09:10:00', 30)); // $0.30
    h.feed(answers('2026-01-10T11:03:00', 4)); // $0.04, in the 11:00 bucket (before 11:07)
    h.feed(answers('2026-01-10T11:20:00', 20)); // $0.20
    h.feed(answers('2026-01-10T11:50:00', 10)); // $0.10

    const view = h.telemetry.costView();
    // By hand.
    const today = 0.05 + 0.3 + 0.04 + 0.2 + 0.1; // 0.69
    const month = 1.0 + today; // 1.69 (December's 0.50 is not January's)
    // Last hour: 11:07 falls in the bucket 11:00-11:15, counted whole: 11:00 → 12:07 = 67 minutes.
    const burn = (0.04 + 0.2 + 0.1) / (67 / 60); // $0.304478/h
    // Last 3 hours: 09:07 → bucket from 09:00: 187 minutes; the 08:30 calls are outside.
    const burn3h = (0.3 + 0.04 + 0.2 + 0.1) / (187 / 60); // $0.205348/h
    const hoursLeft = (24 * 60 - (12 * 60 + 7)) / 60; // 11 h 53 min
    const dayForecast = today + burn3h * hoursLeft; // ≈ 3.130244
    const daysElapsed = 9 + (12 * 60 + 7) / 1440; // January 1 00:00 → January 10 12:07
    const daysLeft = 31 - daysElapsed;
    const monthForecast = month + (month / daysElapsed) * daysLeft; // ≈ 5.512053

    expect(view.day.key).toBe('2026-01-10');
    expect(view.day.spentUsd).toBeCloseTo(today, 6);
    expect(view.day.calls).toBe(69);
    expect(view.month.spentUsd).toBeCloseTo(month, 6);
    expect(view.month.calls).toBe(169);
    expect(view.burnUsdPerHour).toBeCloseTo(burn, 5);
    expect(view.day.forecastUsd).toBeCloseTo(dayForecast, 5);
    expect(view.month.forecastUsd).toBeCloseTo(monthForecast, 5);
    expect(view.day.usedPct).toBeCloseTo((today / 30) * 100, 2);

    // The same values go to the alert rules and the export on the publish job.
    h.telemetry.publishAll();
    expect(h.latest(seriesKey('cost.burn_per_hour_usd', {}))).toBeCloseTo(burn, 5);
    expect(h.latest(seriesKey('cost.forecast_day_usd', {}))).toBeCloseTo(dayForecast, 5);
    expect(h.latest(seriesKey('cost.forecast_month_usd', {}))).toBeCloseTo(monthForecast, 5);
    expect(h.latest(seriesKey('bot.cost_usd_day', { bot: 'tax' }))).toBeCloseTo(today, 6);
  });

  it('a quiet last hour brings the burn rate to 0 (the day forecast still uses the last 3 hours); a new month starts from 0', () => {
    const clock = new ManualClock(jst('2026-01-31T22:00:00'));
    const h = telemetryHarness(clock, {
      telemetry: {
        providers: [{ id: 'twitterapi-io', costPerCallUsd: PRICE }],
        bots: [{ bot: 'tax', packs: ['tradingassistantx'] }],
      },
    });
    closers.push(() => h.close());
    h.feed(answers('2026-01-31T20:40:00', 12)); // $0.12
    const at2207 = h.telemetry.costView(jst('2026-01-31T22:07:00'));
    // The last hour (from the 21:00 bucket) holds nothing.
    expect(at2207.burnUsdPerHour).toBe(0);
    // The last 3 hours (from 19:00): $0.12 over 187 minutes, for the 1 h 53 min left of the day.
    expect(at2207.day.forecastUsd).toBeCloseTo(0.12 + (0.12 / (187 / 60)) * (113 / 60), 5);
    // The month ends in 1 h 53 min: forecast = spent + (spent / 30.92 days) × 0.078 days.
    const elapsed = 30 + (22 * 60 + 7) / 1440;
    expect(at2207.month.forecastUsd).toBeCloseTo(0.12 + (0.12 / elapsed) * (31 - elapsed), 5);

    // February 1, 00:30 JST: a new day and month; nothing spent in them yet.
    const feb = h.telemetry.costView(jst('2026-02-01T00:30:00'));
    expect(feb.month.key).toBe('2026-02');
    expect(feb.month.spentUsd).toBe(0);
    expect(feb.month.forecastUsd).toBe(0);
    expect(feb.day.spentUsd).toBe(0);
  });
});

/**
 * A day of both bots' output in their real formats (TradingAssistantX's emoji console, Nexus 02's
 * Python logging with tracebacks), fed record by record through the adapter with the clock moving
 * along: at checkpoints through the day, every KPI equals the value computed here straight from what
 * the generator says happened, and the published samples carry the same values.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/core/clock/index.js';
import type { BotKpi } from '../../shared/api/telemetry.js';
import { seriesKey } from '../../shared/series.js';
import { type TelemetryHarness, telemetryHarness } from '../fixtures/telemetry/harness.js';
import { generateDay, type LogsRecord, type Truth } from '../fixtures/telemetry/records.js';

const DAY_START = Date.parse('2026-01-05T00:00:00+09:00');
const MIN = 60_000;
const PRICE = 0.00015;

/** The minute buckets a window of `minutes` ending at `now` covers (the current minute included). */
const inWindow = (ts: number, now: number, minutes: number) =>
  ts <= now && Math.floor(ts / MIN) > Math.floor(now / MIN) - minutes;
const round2 = (n: number) => Math.round(n * 100) / 100;

function nearestRank(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

function expected(truth: Truth, bot: string, now: number) {
  const outcomes = truth.outcomes.filter((o) => o.bot === bot && o.ts <= now);
  const win = <T extends { ts: number }>(list: T[], minutes: number): T[] =>
    list.filter((x) => inWindow(x.ts, now, minutes));
  const rate15 = win(outcomes, 15);
  let streak = 0;
  for (const o of outcomes) streak = o.ok ? 0 : streak + 1;
  const lastOk = outcomes.filter((o) => o.ok).at(-1);
  const calls = truth.calls.filter((c) => c.bot === bot && c.ts <= now);
  const timeouts = truth.timeouts.filter((c) => c.bot === bot && c.ts <= now);
  const calls15 = win(calls, 15);
  const attempts15 = calls15.length + win(timeouts, 15).length;
  const errors15 = calls15.filter((c) => c.status >= 400).length + win(timeouts, 15).length;
  const rts = calls15.filter((c) => c.rtMs !== null).map((c) => c.rtMs as number);
  const sec = Math.floor(now / 1000);
  let qps = 0;
  for (let s = sec - 9; s <= sec; s++) {
    qps = Math.max(qps, calls.filter((c) => Math.floor(c.ts / 1000) === s).length);
    for (const r of truth.qpsReports)
      if (r.bot === bot && Math.floor(r.ts / 1000) === s) qps = Math.max(qps, r.qps);
  }
  const calls5 = win(calls, 5);
  const attempts5 = calls5.length + win(timeouts, 5).length;
  const fails5 = calls5.filter((c) => c.status >= 500).length + win(timeouts, 5).length;
  const memory = truth.memory.filter((m) => m.bot === bot && m.ts <= now).at(-1);
  return {
    actionsPerHour: win(outcomes, 60).length,
    successRatePct:
      rate15.length >= 5 ? round2((rate15.filter((o) => o.ok).length / rate15.length) * 100) : null,
    apiErrorRatePct: attempts15 >= 5 ? round2((errors15 / attempts15) * 100) : null,
    p50: nearestRank(rts, 50),
    p95: nearestRank(rts, 95),
    qps,
    outage: attempts5 >= 5 && (fails5 / attempts5) * 100 >= 50,
    consecutiveFailures: streak,
    secondsSinceSuccess: lastOk ? Math.round((now - lastOk.ts) / 1000) : null,
    memoryBytes: memory ? Math.round(memory.mb * 1024 * 1024) : null,
    apiCalls: calls.length,
    rateLimitAnswers: truth.rateLimitAnswers.filter((r) => r.bot === bot && r.ts <= now).length,
    chromeStartFailures: truth.chromeFailures.filter((r) => r.bot === bot && r.ts <= now).length,
    errors:
      bot === 'tax'
        ? calls.filter((c) => c.status !== 200).length
        : truth.errors.filter((r) => r.bot === bot && r.ts <= now).length,
    costUsd: calls.length * PRICE,
  };
}

function accountExpected(truth: Truth, bot: string, account: string, now: number) {
  const outcomes = truth.outcomes.filter((o) => o.bot === bot && o.account === account && o.ts <= now);
  const rate15 = outcomes.filter((o) => inWindow(o.ts, now, 15));
  let streak = 0;
  for (const o of outcomes) streak = o.ok ? 0 : streak + 1;
  const perAction: Record<string, number> = {};
  for (const o of outcomes) if (inWindow(o.ts, now, 60)) perAction[o.action] = (perAction[o.action] ?? 0) + 1;
  return {
    actionsPerHour: outcomes.filter((o) => inWindow(o.ts, now, 60)).length,
    successRatePct:
      rate15.length >= 5 ? round2((rate15.filter((o) => o.ok).length / rate15.length) * 100) : null,
    consecutiveFailures: streak,
    perAction,
  };
}

function within(got: number | null, want: number | null) {
  if (want === null) return expect(got).toBeNull();
  expect(got).not.toBeNull();
  // HDR histograms with 2 significant digits: within 1 % (and the 1 ms resolution).
  expect(Math.abs((got as number) - want)).toBeLessThanOrEqual(want * 0.01 + 1);
}

let h: TelemetryHarness;
let records: LogsRecord[];
let truth: Truth;
let clock: ManualClock;
let fed = 0;

function feedUntil(t: number): void {
  while (fed < records.length && (records[fed] as LogsRecord).ts <= t) {
    const r = records[fed++] as LogsRecord;
    if (r.ts > clock.now()) clock.set(r.ts);
    h.feed([r]);
  }
  clock.set(t);
}

beforeAll(() => {
  ({ records, truth } = generateDay(DAY_START, 11));
  clock = new ManualClock(DAY_START);
  h = telemetryHarness(clock, {
    telemetry: {
      bots: [
        { bot: 'tax', packs: ['tradingassistantx'] },
        { bot: 'nexus02', packs: ['nexus02'] },
      ],
    },
  });
});
afterAll(() => h.close());

const CHECKPOINTS = [
  '02:01:30',
  '06:00:04',
  '06:40:00',
  '09:07:30',
  '10:02:30',
  '12:00:05',
  '13:45:03',
  '14:03:00',
  '15:42:10',
  '18:16:00',
  '22:03:20',
  '23:59:59',
];
/** What the checkpoints exercised (a checkpoint where every rate is empty proves little). */
const seen = { successRate: 0, errorRate: 0, p95: 0, qps: 0, streak: 0 };

describe('a replayed day of both bots', () => {
  it('generates a day in the real formats with every kind of line', () => {
    expect(records.length).toBeGreaterThan(1000);
    expect(truth.calls.some((c) => c.status === 429)).toBe(true);
    expect(truth.calls.some((c) => c.status === 500)).toBe(true);
    expect(truth.timeouts.length).toBeGreaterThan(0);
    expect(truth.outcomes.some((o) => !o.ok && o.bot === 'nexus02')).toBe(true);
    expect(truth.chromeFailures.length).toBeGreaterThan(0);
  });

  for (const at of CHECKPOINTS) {
    it(`at ${at} JST every KPI equals the value computed from what happened`, () => {
      const now = Date.parse(`2026-01-05T${at}+09:00`);
      feedUntil(now);
      const views = new Map(h.telemetry.kpiViews(now).map((v) => [v.bot, v]));
      for (const bot of ['tax', 'nexus02']) {
        const v = views.get(bot) as BotKpi;
        const e = expected(truth, bot, now);
        expect(v, bot).toBeDefined();
        expect(
          {
            actionsPerHour: v.actionsPerHour,
            successRatePct: v.successRatePct,
            apiErrorRatePct: v.apiErrorRatePct,
            qps: v.qps,
            outage: v.outage,
            consecutiveFailures: v.consecutiveFailures,
            secondsSinceSuccess: v.secondsSinceSuccess,
            memoryBytes: v.memoryBytes,
            apiCalls: v.counters.apiCalls,
            rateLimitAnswers: v.counters.rateLimitAnswers,
            chromeStartFailures: v.counters.chromeStartFailures,
            errors: v.counters.errors,
          },
          bot,
        ).toEqual({
          actionsPerHour: e.actionsPerHour,
          successRatePct: e.successRatePct,
          apiErrorRatePct: e.apiErrorRatePct,
          qps: e.qps,
          outage: e.outage,
          consecutiveFailures: e.consecutiveFailures,
          secondsSinceSuccess: e.secondsSinceSuccess,
          memoryBytes: e.memoryBytes,
          apiCalls: e.apiCalls,
          rateLimitAnswers: e.rateLimitAnswers,
          chromeStartFailures: e.chromeStartFailures,
          errors: e.errors,
        });
        within(v.responseP50Ms, e.p50);
        within(v.responseP95Ms, e.p95);
        if (e.successRatePct !== null) seen.successRate++;
        if (e.apiErrorRatePct !== null) seen.errorRate++;
        if (e.p95 !== null) seen.p95++;
        if (e.qps > 0) seen.qps++;
        if (e.consecutiveFailures > 0) seen.streak++;
      }
      const nexus = views.get('nexus02') as BotKpi;
      for (const account of ['acc1', 'acc2']) {
        const a = nexus.accounts.find((x) => x.account === account);
        const e = accountExpected(truth, 'nexus02', account, now);
        expect(
          {
            actionsPerHour: a?.actionsPerHour ?? 0,
            successRatePct: a?.successRatePct ?? null,
            consecutiveFailures: a?.consecutiveFailures ?? 0,
            perAction: Object.fromEntries(
              (a?.actions ?? []).filter((x) => x.perHour > 0).map((x) => [x.action, x.perHour]),
            ),
          },
          account,
        ).toEqual(e);
      }
      const cost = h.telemetry.costView(now);
      const taxCost = expected(truth, 'tax', now).costUsd;
      expect(cost.day.spentUsd).toBeCloseTo(taxCost, 6);
      expect(cost.day.calls).toBe(expected(truth, 'tax', now).apiCalls);

      // The samples the rules see carry the same values.
      h.telemetry.publishAll();
      for (const bot of ['tax', 'nexus02']) {
        const e = expected(truth, bot, now);
        expect(h.latest(seriesKey('bot.consecutive_failures', { bot }))).toBe(e.consecutiveFailures);
        expect(h.latest(seriesKey('bot.actions_per_hour', { bot }))).toBe(e.actionsPerHour);
        if (e.successRatePct !== null)
          expect(h.latest(seriesKey('bot.success_rate_pct', { bot }))).toBe(e.successRatePct);
      }
      expect(h.latest('cost.day_usd')).toBeCloseTo(taxCost, 6);
      expect(h.latest(seriesKey('bot.cost_usd_day', { bot: 'tax' }))).toBeCloseTo(taxCost, 6);
    });
  }

  it('the checkpoints saw every KPI with data (success and error rates, percentiles, QPS, a failure streak)', () => {
    expect(seen.successRate).toBeGreaterThan(0);
    expect(seen.errorRate).toBeGreaterThan(0);
    expect(seen.p95).toBeGreaterThan(0);
    expect(seen.qps).toBeGreaterThan(0);
    expect(seen.streak).toBeGreaterThan(0);
  });
});

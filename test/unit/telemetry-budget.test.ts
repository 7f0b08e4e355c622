/**
 * Budgets with OpenMeter's semantics: each warning threshold (80 % of the day, 90 % of the month) fires
 * exactly once per period, at the call that crosses it, and the set resets at local midnight and at the
 * first of the month in Asia/Tokyo, not at UTC midnight (LiteLLM #24675 is what never resetting does).
 * Cost and fired thresholds survive a restart of Nexus Ops; the shipped rules alert once per period.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createAlerts } from '../../electron/core/alerts/index.js';
import { ManualClock } from '../../electron/core/clock/index.js';
import type { TelemetryApiEvent } from '../../shared/api/telemetry.js';
import { type TelemetryHarness, telemetryHarness } from '../fixtures/telemetry/harness.js';
import type { LogsRecord } from '../fixtures/telemetry/records.js';

const PRICE = 0.1; // so a test reaches the budgets with thousands of calls, not millions
const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

const jst = (text: string) => Date.parse(`${text}+09:00`);
let seq = 0;
function calls(from: number, to: number, n: number): LogsRecord[] {
  const out: LogsRecord[] = [];
  for (let i = 0; i < n; i++)
    out.push({
      id: `c${++seq}`,
      bot: 'tax',
      ts: from + Math.floor(((to - from) * i) / Math.max(1, n)),
      level: 'INFO',
      stream: 'stdout',
      message: '📡 レスポンス: 200 OK',
      source: 'stdout',
    });
  return out;
}

function budgetEvents(h: TelemetryHarness) {
  return h.events
    .filter(
      (e): e is Extract<TelemetryApiEvent, { type: 'telemetry.budget' }> => e.type === 'telemetry.budget',
    )
    .map((e) => [e.period, e.pct, Math.round(e.spentUsd * 100) / 100]);
}

/** Feeds calls one by one, the clock following them, and notes after which call each threshold fired. */
function feed(h: TelemetryHarness, clock: ManualClock, records: LogsRecord[]): number[] {
  const firedAt: number[] = [];
  for (const [i, r] of records.entries()) {
    clock.set(r.ts);
    const before = budgetEvents(h).length;
    h.feed([r]);
    if (budgetEvents(h).length > before) firedAt.push(i + 1);
  }
  return firedAt;
}

describe('budgets', () => {
  it('fire once per threshold per period and reset at JST midnight and at the month end, across a restart', () => {
    const clock = new ManualClock(jst('2026-01-29T00:00:00'));
    const h = telemetryHarness(clock, {
      telemetry: {
        providers: [{ id: 'twitterapi-io', costPerCallUsd: PRICE }],
        budgets: { dailyUsd: 30, monthlyUsd: 800, dailyWarnPct: [80], monthlyWarnPct: [90] },
      },
    });
    closers.push(() => h.close());

    // Jan 29: $300 at once crosses the day's 80 % ($24) at the 240th call; nothing else fires.
    expect(feed(h, clock, calls(jst('2026-01-29T08:00:00'), jst('2026-01-29T20:00:00'), 3000))).toEqual([
      240,
    ]);
    // Jan 30 (JST): the day starts again at 00:00 JST = 15:00 UTC the day before.
    const lastOf29 = calls(jst('2026-01-29T23:59:59.999'), jst('2026-01-29T23:59:59.999'), 1);
    feed(h, clock, lastOf29);
    expect(h.telemetry.costView(clock.now()).day).toMatchObject({ key: '2026-01-29', fired: [80] });
    clock.set(jst('2026-01-30T00:00:00'));
    expect(h.telemetry.costView(clock.now()).day).toMatchObject({
      key: '2026-01-30',
      spentUsd: 0,
      fired: [],
    });
    expect(feed(h, clock, calls(jst('2026-01-30T00:00:00'), jst('2026-01-30T12:00:00'), 239))).toEqual([]);
    expect(feed(h, clock, calls(jst('2026-01-30T12:00:00'), jst('2026-01-30T13:00:00'), 50))).toEqual([1]);
    expect(h.telemetry.costView(clock.now()).month.spentUsd).toBeCloseTo((3001 + 289) * PRICE, 6);

    // A restart of Nexus Ops: the month's cost and the fired thresholds carry on.
    h.restart();
    expect(h.telemetry.costView(clock.now()).month.spentUsd).toBeCloseTo((3001 + 289) * PRICE, 6);
    expect(h.telemetry.costView(clock.now()).day.fired).toEqual([80]);
    expect(feed(h, clock, calls(jst('2026-01-30T14:00:00'), jst('2026-01-30T23:00:00'), 100))).toEqual([]);

    // Jan 31: the month's 90 % ($720) is reached at the call that brings it there.
    const monthBefore = h.telemetry.costView(clock.now()).month.spentUsd;
    const need = Math.ceil((720 - monthBefore) / PRICE - 1e-9);
    const jan31 = feed(h, clock, calls(jst('2026-01-31T00:00:00'), jst('2026-01-31T23:59:00'), 5000));
    expect(jan31).toEqual([240, need]);
    expect(budgetEvents(h)).toEqual([
      ['day:2026-01-29', 80, 24],
      ['day:2026-01-30', 80, 24],
      ['day:2026-01-31', 80, 24],
      ['month:2026-01', 90, 720],
    ]);

    // February (JST): the month starts again; its 90 % fires once more, once.
    clock.set(jst('2026-02-01T00:00:00'));
    expect(h.telemetry.costView(clock.now()).month).toMatchObject({ key: '2026-02', spentUsd: 0, fired: [] });
    const feb = [
      ...calls(jst('2026-02-01T00:00:00'), jst('2026-02-01T23:00:00'), 3600),
      ...calls(jst('2026-02-02T00:00:00'), jst('2026-02-02T23:00:00'), 3700),
    ];
    expect(feed(h, clock, feb)).toEqual([240, 3600 + 240, 7200]);
    expect(budgetEvents(h).slice(4)).toEqual([
      ['day:2026-02-01', 80, 24],
      ['day:2026-02-02', 80, 24],
      ['month:2026-02', 90, 720],
    ]);
  }, 60_000);

  it('the shipped budget rules alert once per period and resolve at the boundary', () => {
    const clock = new ManualClock(jst('2026-03-10T09:00:00'));
    const h = telemetryHarness(clock, {
      telemetry: { providers: [{ id: 'twitterapi-io', costPerCallUsd: PRICE }] },
    });
    closers.push(() => h.close());
    const changes: [string, string, number | null][] = [];
    const alerts = createAlerts({
      db: h.store.db,
      clock,
      writes: h.store.writes,
      notifier: { send() {} },
      config: {},
      onEvent: (e) => {
        if (e.type === 'alert.changed' && e.alert.ruleId === 'budget-daily-80')
          changes.push([e.alert.state, e.alert.id, e.alert.firedAt]);
      },
    });
    const evaluate = () => {
      for (const b of h.published.splice(0)) alerts.evaluate(b.samples);
      alerts.tick();
    };
    /** Each alert's states in order, e.g. [['pending', 'firing'], ...]. */
    const firings = () => {
      const byId = new Map<string, string[]>();
      for (const [state, id] of changes) byId.set(id, [...(byId.get(id) ?? []), state]);
      return [...byId.values()].map((states) => states.filter((s, i) => states[i - 1] !== s));
    };
    for (let hour = 9; hour < 24; hour++) {
      clock.set(jst(`2026-03-10T${String(hour).padStart(2, '0')}:00:00`));
      h.feed(calls(clock.now(), clock.now() + 1000, 30));
      h.telemetry.publishAll();
      evaluate();
    }
    // 80 % of $30 = $24 = 240 calls at $0.1: reached with the 8th hour's calls (16:00 JST).
    expect(firings()).toEqual([['firing']]);
    expect(changes.find((c) => c[0] === 'firing')?.[2]).toBe(Date.parse('2026-03-10T16:00:00+09:00'));
    // Next JST day: the day's share drops to 0 and the alert resolves; a new crossing fires again.
    for (const m of [0, 1, 2, 3]) {
      clock.set(jst('2026-03-11T00:00:00') + m * 60_000);
      h.telemetry.publishAll();
      evaluate();
    }
    expect(firings()).toEqual([['firing', 'resolved']]);
    for (let hour = 1; hour < 12; hour++) {
      clock.set(jst(`2026-03-11T${String(hour).padStart(2, '0')}:00:00`));
      h.feed(calls(clock.now(), clock.now() + 1000, 30));
      h.telemetry.publishAll();
      evaluate();
    }
    expect(firings()).toEqual([['firing', 'resolved'], ['firing']]);
  });
});

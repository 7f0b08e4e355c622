/**
 * The shipped windowed rules over what telemetry publishes from real lines: Phase 6 "Chrome起動失敗
 * chrome_startup_failures > 5 in 1h" (critical) and the provider's rate-limit answers over 5 minutes
 * (TASK-003 API制限違反, an automatic stop). The counters come from the bots' own lines.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createAlerts } from '../../electron/core/alerts/index.js';
import { ManualClock } from '../../electron/core/clock/index.js';
import { telemetryHarness } from '../fixtures/telemetry/harness.js';
import { formatAsctime, pythonLogRecords } from '../fixtures/telemetry/records.js';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

function setup() {
  const clock = new ManualClock(Date.parse('2026-01-05T09:00:00+09:00'));
  const h = telemetryHarness(clock, {
    telemetry: {
      bots: [
        { bot: 'tax', packs: ['tradingassistantx'] },
        { bot: 'nexus02', packs: ['nexus02'] },
      ],
    },
  });
  closers.push(() => h.close());
  const actions: string[] = [];
  const alerts = createAlerts({
    db: h.store.db,
    clock,
    writes: h.store.writes,
    notifier: { send() {} },
    config: {},
    actions: { 'emergency-stop': (ctx) => void actions.push(ctx.ruleId) },
  });
  const evaluate = () => {
    for (const b of h.published.splice(0)) alerts.evaluate(b.samples);
  };
  h.telemetry.publishAll();
  evaluate();
  const firing = () =>
    alerts
      .active()
      .filter((a) => a.state === 'firing')
      .map((a) => [a.ruleId, a.labels.bot, a.value]);
  return { clock, h, alerts, evaluate, firing, actions };
}

describe('shipped windowed rules over telemetry', () => {
  it('Chrome start failures: 5 in an hour stay quiet, the 6th fires critical', () => {
    const { clock, h, evaluate, firing, alerts } = setup();
    for (let i = 1; i <= 6; i++) {
      clock.advance(8 * 60_000);
      h.feed(
        pythonLogRecords(
          `${formatAsctime(clock.now())} - ERROR - WebDriverの初期化中にエラーが発生しました: Message: session not created`,
          { bot: 'nexus02', source: 'log/acc1_20260105_090000.log', idPrefix: `c${i}-` },
        ),
      );
      evaluate();
      if (i === 5) expect(firing()).toEqual([]);
    }
    expect(firing()).toEqual([['chrome-start-failures', 'nexus02', 6]]);
    expect(alerts.active()[0]?.severity).toBe('critical');
  });

  it('rate-limit answers: 10 in 5 minutes run the emergency stop; 9 do not', () => {
    const { clock, h, evaluate, firing, actions } = setup();
    const retry = (i: number) => ({
      id: `r${i}`,
      bot: 'tax',
      ts: clock.now(),
      level: 'INFO' as const,
      stream: 'stdout' as const,
      message: '🔄 Rate limit - リトライ 1/3 (4000ms後)',
      source: 'stdout',
    });
    for (let i = 1; i <= 9; i++) {
      clock.advance(20_000);
      h.feed([retry(i)]);
      evaluate();
    }
    expect(firing()).toEqual([]);
    clock.advance(20_000);
    h.feed([retry(10)]);
    evaluate();
    expect(firing()).toEqual([['stop-api-rate-limited', 'tax', 10]]);
    expect(actions).toEqual(['stop-api-rate-limited']);
  });
});

/**
 * The shipped rules on a fresh install: no bot is configured, so nothing about bots can fire; and a
 * bot that only runs on a schedule is not "down" between two runs (only always-on bots have the
 * `bot.up{start="always"}` series).
 */
import { describe, expect, it } from 'vitest';
import { createAlerts } from '../../electron/core/alerts/index.js';
import { ManualClock } from '../../electron/core/clock/index.js';
import { schemaMigrations } from '../../electron/core/index.js';
import { openStore } from '../../electron/core/store/index.js';

function shipped() {
  const clock = new ManualClock(Date.UTC(2026, 0, 7, 3));
  const store = openStore({ file: ':memory:', clock, migrations: schemaMigrations });
  const alerts = createAlerts({
    db: store.db,
    clock,
    writes: store.writes,
    notifier: { send() {} },
    config: {},
  });
  const feed = (name: string, labels: Record<string, string>, value: number, minutes: number) => {
    for (let m = 0; m < minutes; m++) {
      clock.advance(60_000);
      alerts.evaluate([{ key: `${name}${JSON.stringify(labels)}`, name, labels, ts: clock.now(), value }]);
      alerts.tick();
    }
  };
  return { alerts, feed, close: () => store.close() };
}

describe('shipped bot rules', () => {
  it('stay silent when no bot runs and none is configured (the old bot-runner == 0 rule fired here)', () => {
    const h = shipped();
    h.feed('proc.count', { family: 'bot-runner' }, 0, 30);
    h.feed('proc.runs', { family: 'bot-runner' }, 0, 30);
    expect(h.alerts.active()).toEqual([]);
    h.close();
  });

  it('stay silent for a scheduled bot between two runs, and warn for an always-on bot that is down', () => {
    const h = shipped();
    h.feed('bot.up', { bot: 'nexus02', start: 'schedule' }, 0, 30);
    expect(h.alerts.active()).toEqual([]);
    h.feed('bot.up', { bot: 'tax', start: 'always' }, 0, 10);
    expect(h.alerts.active().map((a) => [a.ruleId, a.severity, a.state])).toEqual([
      ['bot-down', 'warning', 'firing'],
    ]);
    h.close();
  });
});

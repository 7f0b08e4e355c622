/**
 * Windowed functions in rules: "more than 5 Chrome start failures in 1 hour" (Phase 6) and a rate
 * over a window, evaluated with an injected clock over a counter that also restarts.
 */
import { describe, expect, it } from 'vitest';
import { createAlerts, parseExpr } from '../../electron/core/alerts/index.js';
import { ManualClock } from '../../electron/core/clock/index.js';
import { schemaMigrations } from '../../electron/core/index.js';
import { openStore } from '../../electron/core/store/index.js';

const MIN = 60_000;

describe('windowed rule functions', () => {
  it('parses increase, rate and the _over_time functions with their range', () => {
    expect(parseExpr('increase(proc.count{family="bot-chrome"}[1h]) > 5')).toMatchObject({
      selector: { metric: 'proc.count' },
      window: { fn: 'increase', rangeMs: 3_600_000 },
      op: '>',
      threshold: 5,
    });
    expect(parseExpr('rate(proc.count[5m]) >= 0.5').window).toEqual({ fn: 'rate', rangeMs: 300_000 });
    expect(parseExpr('avg_over_time(cpu.total[15m]) > 80').window?.fn).toBe('avg_over_time');
    expect(() => parseExpr('increase(cpu.total) > 1')).toThrow(/"\[" and a range/);
  });

  it('fires on a counter that grew more than 5 in the last hour, across a counter restart, and clears when old failures leave the window', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 7, 3));
    const store = openStore({ file: ':memory:', clock, migrations: schemaMigrations });
    const alerts = createAlerts({
      db: store.db,
      clock,
      writes: store.writes,
      notifier: { send() {} },
      config: {
        rules: [
          {
            id: 'chrome-start-failures',
            expr: 'increase(proc.count{family="f"}[1h]) > 5',
            for: '0',
            severity: 'warning',
          },
        ],
        maintenanceWindows: [],
      },
    });
    const feed = (value: number) => {
      clock.advance(MIN);
      alerts.evaluate([
        { key: 'proc.count{family=f}', name: 'proc.count', labels: { family: 'f' }, ts: clock.now(), value },
      ]);
    };
    // 0,1,2,3 then the counter restarts (bot restarted) at 1,2,3: grew 3 + 3 = 6 within the hour.
    for (const v of [0, 1, 2, 3]) feed(v);
    expect(alerts.active()).toEqual([]);
    for (const v of [1, 2]) feed(v);
    expect(alerts.active()).toEqual([]);
    feed(3);
    expect(alerts.active().map((a) => [a.ruleId, a.value])).toEqual([['chrome-start-failures', 6]]);
    // An hour without failures: the old ones leave the window and the alert resolves.
    for (let i = 0; i < 70; i++) feed(3);
    expect(alerts.active()).toEqual([]);
    store.close();
  });

  it('fills the window from stored samples at start', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 7, 3));
    const store = openStore({ file: ':memory:', clock, migrations: schemaMigrations });
    const now = clock.now();
    const stored = Array.from({ length: 10 }, (_, i) => ({ ts: now - (10 - i) * 5 * MIN, value: i }));
    const alerts = createAlerts({
      db: store.db,
      clock,
      writes: store.writes,
      notifier: { send() {} },
      readSeries: (_key, from, to) => stored.filter((p) => p.ts >= from && p.ts <= to),
      config: {
        rules: [{ id: 'r', expr: 'increase(proc.count{family="f"}[1h]) > 5', for: '0', severity: 'info' }],
        maintenanceWindows: [],
      },
    });
    alerts.evaluate([
      { key: 'proc.count{family=f}', name: 'proc.count', labels: { family: 'f' }, ts: now, value: 10 },
    ]);
    expect(alerts.active().map((a) => a.value)).toEqual([10]);
    store.close();
  });
});

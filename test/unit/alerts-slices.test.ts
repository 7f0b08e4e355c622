/**
 * A large evaluation (2 000 rules firing at once) runs in slices with the event loop free between
 * them: other work (a timer, an emergency-stop request) gets a turn before it ends, and every alert is
 * still raised, written and notified exactly once.
 */
import { describe, expect, it } from 'vitest';
import { type AlertNotifyMessage, createAlerts } from '../../electron/core/alerts/index.js';
import { ManualClock } from '../../electron/core/clock/index.js';
import { schemaMigrations } from '../../electron/core/index.js';
import { openStore } from '../../electron/core/store/index.js';

describe('sliced evaluation', () => {
  it('lets the loop turn between slices and raises every alert once', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 7, 3));
    const store = openStore({ file: ':memory:', clock, migrations: schemaMigrations });
    const sent: AlertNotifyMessage[] = [];
    const alerts = createAlerts({
      db: store.db,
      clock,
      writes: store.writes,
      notifier: { send: (m) => sent.push(m) },
      config: {
        rules: Array.from({ length: 2000 }, (_, i) => ({
          id: `r${i}`,
          expr: `cpu.total > ${i % 50}`,
          for: '0',
          severity: 'warning',
        })),
        maintenanceWindows: [],
        escalation: [{ afterMinutes: 0, channels: ['desk'] }],
      },
    });
    let turnedMeanwhile = false;
    setImmediate(() => {
      turnedMeanwhile = true;
    });
    alerts.evaluate([{ key: 'cpu.total', name: 'cpu.total', labels: {}, ts: clock.now(), value: 99 }]);
    expect(alerts.active().length).toBeLessThan(2000);
    await alerts.idle();
    expect(turnedMeanwhile).toBe(true);
    expect(alerts.active()).toHaveLength(2000);
    expect(new Set(sent.map((m) => m.alertId)).size).toBe(2000);
    expect(sent.every((m) => m.kind === 'firing')).toBe(true);
    expect(store.db.prepare("SELECT count(*) AS n FROM alerts WHERE state = 'firing'").get()).toEqual({
      n: 2000,
    });
    store.close();
  });

  it('a small evaluation finishes before evaluate() returns', () => {
    const clock = new ManualClock();
    const store = openStore({ file: ':memory:', clock, migrations: schemaMigrations });
    const alerts = createAlerts({
      db: store.db,
      clock,
      writes: store.writes,
      notifier: { send() {} },
      config: {
        rules: [{ id: 'cpu', expr: 'cpu.total > 90', for: '0', severity: 'critical' }],
        maintenanceWindows: [],
      },
    });
    alerts.evaluate([{ key: 'cpu.total', name: 'cpu.total', labels: {}, ts: clock.now(), value: 99 }]);
    expect(alerts.active().map((a) => a.state)).toEqual(['firing']);
    store.close();
  });
});

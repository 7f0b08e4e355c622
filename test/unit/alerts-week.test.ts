// Maintenance windows are in the operator's local time; the simulation runs in Japan.
process.env.TZ = 'Asia/Tokyo';

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type AlertNotifyMessage,
  createAlerts,
  defaultRules,
  type LatestSample,
} from '../../electron/core/alerts/index.js';
import { alertsMigration } from '../../electron/core/alerts/migrations/003-alerts.js';
import { ManualClock } from '../../electron/core/clock/index.js';
import { seriesKey } from '../../shared/series.js';
import { benchEvaluate } from '../bench/alerts-evaluate.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

describe('a simulated week', () => {
  it('runs ~60k evaluation cycles of 10 s and raises exactly the expected alerts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nexus-alerts-week-'));
    dirs.push(dir);
    const db = new Database(join(dir, 'week.db'));
    db.pragma('journal_mode = WAL');
    db.transaction(() => alertsMigration.up(db))();

    const start = Date.parse('2026-11-16T00:00:00+09:00'); // Monday, local (Asia/Tokyo)
    const clock = new ManualClock(start);
    const sent: AlertNotifyMessage[] = [];
    const actions: string[] = [];
    const alerts = createAlerts({
      db,
      clock,
      notifier: { send: (m) => sent.push(m) },
      actions: { 'emergency-stop': (ctx) => void actions.push(ctx.ruleId) },
      // Flat disk history: the forecast rule is evaluated but never fires.
      readSeries: (_key, from, to) =>
        Array.from({ length: 73 }, (_, i) => ({ ts: from + ((to - from) * i) / 72, value: 60 })),
      config: {}, // shipped rules, shipped maintenance windows, shipped escalation
    });
    expect(alerts.loadErrors()).toEqual([]);

    const series: { name: string; labels: Record<string, string> }[] = [
      { name: 'cpu.total', labels: {} },
      { name: 'mem.used_pct', labels: {} },
      { name: 'swap.used_pct', labels: {} },
      { name: 'disk.free_pct', labels: { mount: 'C:' } },
      { name: 'disk.free_pct', labels: { mount: 'D:' } },
      { name: 'bot.up', labels: { bot: 'tax', start: 'always' } },
      { name: 'proc.count', labels: { family: 'bot-chrome' } },
      { name: 'proc.zombies', labels: { family: 'bot-chrome' } },
      { name: 'proc.hung', labels: { family: 'bot-python' } },
      { name: 'proc.leak_mb_per_h', labels: { family: 'bot-python' } },
      { name: 'proc.leak_mb_per_h', labels: { family: 'bot-chrome' } },
    ];
    const latest: LatestSample[] = series.map((s) => ({
      key: seriesKey(s.name, s.labels),
      name: s.name,
      labels: s.labels,
      ts: start,
      value: 0,
    }));

    let seed = 42;
    const noise = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const STEP = 10_000;
    const cycles = (7 * 24 * 3600 * 1000) / STEP;
    const t0 = performance.now();
    for (let c = 0; c < cycles; c++) {
      const now = clock.advance(STEP);
      const local = new Date(now);
      const minuteOfDay = local.getHours() * 60 + local.getMinutes();
      // A daily CPU spike 02:10-02:30 local: 20 min above 90 → one critical alert a day.
      const spike = minuteOfDay >= 130 && minuteOfDay < 150;
      const day = Math.floor((now - start) / 86_400_000);
      const values = [
        spike ? 95 + noise() * 4 : 30 + noise() * 40,
        50 + noise() * 30,
        10,
        60,
        40 - day * 0.5,
        // The always-on bot is down for 12 minutes on Wednesday at 15:00 → one warning.
        day === 2 && minuteOfDay >= 900 && minuteOfDay < 912 ? 0 : 1,
        8 + Math.floor(noise() * 8),
        0,
        0,
        noise() * 5,
        noise() * 5,
      ];
      for (let i = 0; i < latest.length; i++) {
        const s = latest[i]!;
        s.ts = now;
        s.value = values[i]!;
      }
      alerts.evaluate(latest);
      alerts.tick();
    }
    const elapsed = performance.now() - t0;
    console.log(
      `alerts: simulated week, ${cycles} cycles × ${series.length} series × ${defaultRules.length} rules in ${elapsed.toFixed(0)} ms (${((elapsed / cycles) * 1000).toFixed(1)} µs/cycle)`,
    );

    const history = alerts.api['alerts.history']({ includeInactive: false, limit: 1000 }).alerts;
    const cpu = history.filter((a) => a.ruleId === 'cpu-critical');
    expect(cpu).toHaveLength(7);
    expect(cpu.every((a) => a.state === 'resolved')).toBe(true);
    // Sunday 02:10 falls in the weekly 02:00-04:00 window: recorded, not sent.
    const sunday = cpu.filter((a) => new Date(a.startedAt).getDay() === 0);
    expect(sunday).toHaveLength(1);
    expect(sunday[0]!.lastNotifiedAt).toBeNull();
    const cpuSent = sent.filter((m) => cpu.some((a) => a.id === m.alertId));
    expect(cpuSent.filter((m) => m.kind === 'firing')).toHaveLength(6);
    expect(cpuSent.filter((m) => m.kind === 'resolved')).toHaveLength(6);
    expect(cpuSent.filter((m) => m.kind === 'escalation')).toHaveLength(0);

    const runner = history.filter((a) => a.ruleId === 'bot-down');
    expect(runner).toHaveLength(1);
    expect(history.map((a) => a.ruleId).sort()).toEqual(
      [...Array(7).fill('cpu-critical'), 'bot-down'].sort(),
    );
    expect(actions).toEqual([]);
    expect(alerts.active()).toEqual([]);
    expect(alerts.health()).toBe('ok');
    db.close();
  });
});

describe('benchmark entry point', () => {
  it('benchEvaluate runs 200 rules over 500 series and reports ms per cycle', () => {
    const r = benchEvaluate(200, 500, 300);
    console.log(
      `alerts: benchEvaluate(200 rules, 500 series): ${r.msPerCycle.toFixed(3)} ms/cycle, p95 ${r.p95Ms.toFixed(3)} ms, ${r.cpuPctAt1s.toFixed(2)} % CPU at 1 s, ${r.stateChanges} state changes`,
    );
    expect(r).toMatchObject({ rules: 200, series: 500, cycles: 300 });
    expect(r.msPerCycle).toBeGreaterThan(0);
    expect(r.stateChanges).toBeGreaterThan(0);
  });
});

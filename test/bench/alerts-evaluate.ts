import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AlertsEngine, type LatestSample } from '../../electron/core/alerts/index.js';
import { alertsMigration } from '../../electron/core/alerts/migrations/003-alerts.js';

export interface BenchResult {
  rules: number;
  series: number;
  cycles: number;
  /** Mean evaluation time of one cycle. */
  msPerCycle: number;
  p95Ms: number;
  /** CPU share of evaluation at a 1 s cycle. */
  cpuPctAt1s: number;
  /** State changes recorded during the run (some rules are meant to fire, so writes are included). */
  stateChanges: number;
}

/**
 * Evaluation cost with `rules` rules over `series` series, on a real SQLite file. The series are
 * spread over the monitor's metrics; a tenth of the rules are set to fire and resolve now and then so
 * writes are part of the figure.
 */
export function benchEvaluate(rules = 200, series = 500, cycles = 600): BenchResult {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-alerts-bench-'));
  const db = new Database(join(dir, 'bench.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.transaction(() => alertsMigration.up(db))();
    let now = Date.UTC(2026, 0, 5, 12, 0, 0);
    const clock = { now: () => now };

    const names = [
      'proc.count',
      'proc.cpu_pct',
      'proc.rss',
      'proc.zombies',
      'proc.hung',
      'cpu.core',
      'disk.free_pct',
    ];
    const latest: LatestSample[] = [];
    for (let i = 0; i < series; i++) {
      const name = names[i % names.length] as string;
      const labelName = name === 'cpu.core' ? 'core' : name === 'disk.free_pct' ? 'mount' : 'family';
      const labels = { [labelName]: `${labelName}-${Math.floor(i / names.length)}` };
      latest.push({ key: `${name}{${labelName}=${labels[labelName]}}`, name, labels, ts: now, value: 50 });
    }
    const ruleList: unknown[] = [];
    for (let r = 0; r < rules; r++) {
      const name = names[r % names.length] as string;
      const labelName = name === 'cpu.core' ? 'core' : name === 'disk.free_pct' ? 'mount' : 'family';
      const firing = r % 10 === 0;
      ruleList.push({
        id: `bench-${r}`,
        expr:
          r % 3 === 0
            ? `${name}{${labelName}=~"${labelName}-${r % 7}.*"} > ${firing ? 55 : 90 + (r % 10)}`
            : `${name}{${labelName}="${labelName}-${r % 50}"} > ${firing ? 55 : 90}`,
        for: firing ? '1m' : '5m',
        clear: firing ? 50 : undefined,
        severity: r % 2 ? 'warning' : 'critical',
      });
    }
    const engine = new AlertsEngine({
      db,
      clock,
      notifier: { send() {} },
      config: { rules: ruleList, maintenanceWindows: [] },
    });

    const times: number[] = [];
    for (let c = 0; c < cycles; c++) {
      now += 1000;
      // Every series moves; every 3 minutes the "hot" values swing above and below 55, so alerts
      // go pending, fire and resolve during the run.
      const hot = Math.floor(c / 180) % 2 === 0 ? 60 : 45;
      for (let i = 0; i < latest.length; i++) {
        const s = latest[i] as LatestSample;
        s.ts = now;
        s.value = i % 3 === 0 ? hot : 40 + ((c + i) % 10);
      }
      const t0 = process.hrtime.bigint();
      engine.evaluate(latest);
      if (c % 5 === 0) engine.tick();
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const sorted = [...times].sort((a, b) => a - b);
    const msPerCycle = times.reduce((a, b) => a + b, 0) / times.length;
    return {
      rules,
      series,
      cycles,
      msPerCycle,
      p95Ms: sorted[Math.floor(sorted.length * 0.95)] ?? 0,
      cpuPctAt1s: (msPerCycle / 1000) * 100,
      stateChanges: (db.prepare('SELECT COUNT(*) AS n FROM alert_events').get() as { n: number }).n,
    };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}

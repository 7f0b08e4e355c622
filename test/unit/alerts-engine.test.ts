// Maintenance windows are in the operator's local time; the tests pin it to Japan.
process.env.TZ = 'Asia/Tokyo';

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ActionContext,
  type AlertNotifyMessage,
  type Alerts,
  createAlerts,
  defaultRules,
  healthOf,
  type LatestSample,
} from '../../electron/core/alerts/index.js';
import { alertsMigration } from '../../electron/core/alerts/migrations/003-alerts.js';
import { ManualClock } from '../../electron/core/clock/index.js';
import type { AlertApiEvent } from '../../shared/api/alerts.js';
import { seriesKey } from '../../shared/series.js';

const SEC = 1000;
const MIN = 60 * SEC;
const dirs: string[] = [];
const dbs: BetterSqlite3.Database[] = [];

afterEach(() => {
  for (const db of dbs.splice(0)) if (db.open) db.close();
  for (const d of dirs.splice(0))
    rmSync(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

function openDb(file?: string): { db: BetterSqlite3.Database; file: string } {
  let path = file;
  if (!path) {
    const dir = mkdtempSync(join(tmpdir(), 'nexus-alerts-'));
    dirs.push(dir);
    path = join(dir, 'nexus.db');
  }
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 250'); // as the store sets it
  if ((db.pragma('user_version', { simple: true }) as number) === 0) {
    db.transaction(() => {
      alertsMigration.up(db);
      db.pragma('user_version = 3');
    })();
  }
  dbs.push(db);
  return { db, file: path };
}

interface Harness {
  alerts: Alerts;
  clock: ManualClock;
  db: BetterSqlite3.Database;
  file: string;
  sent: AlertNotifyMessage[];
  events: AlertApiEvent[];
  actions: ActionContext[];
  logs: string[];
  /** Feeds one value per series and evaluates. */
  feed(values: Record<string, number>, labels?: Record<string, Record<string, string>>): void;
  /** Feeds the same values every `step` for `duration`, ticking too. */
  hold(values: Record<string, number>, duration: number, step?: number): void;
}

/** Local Sunday 2026-11-22 12:00 JST: not in any maintenance window. */
const NOON_SUNDAY_JST = Date.parse('2026-11-22T12:00:00+09:00');
const WEDNESDAY_JST = Date.parse('2026-11-25T10:00:00+09:00');

function harness(
  config: unknown,
  opts: {
    start?: number;
    file?: string;
    clock?: ManualClock;
    readSeries?: (key: string, from: number, to: number) => { ts: number; value: number }[];
  } = {},
): Harness {
  const clock = opts.clock ?? new ManualClock(opts.start ?? WEDNESDAY_JST);
  const { db, file } = openDb(opts.file);
  const sent: AlertNotifyMessage[] = [];
  const events: AlertApiEvent[] = [];
  const actions: ActionContext[] = [];
  const logs: string[] = [];
  const alerts = createAlerts({
    db,
    clock,
    notifier: { send: (m) => sent.push(m) },
    onEvent: (e) => events.push(e),
    actions: { 'emergency-stop': (ctx) => void actions.push(ctx) },
    config,
    configFile: 'config.yaml',
    log: (m) => logs.push(m),
    ...(opts.readSeries ? { readSeries: opts.readSeries } : {}),
  });
  const labelsOf = new Map<string, Record<string, string>>();
  const h: Harness = {
    alerts,
    clock,
    db,
    file,
    sent,
    events,
    actions,
    logs,
    feed(values, labels = {}) {
      const now = clock.now();
      const latest: LatestSample[] = Object.entries(values).map(([name, value]) => {
        const l = labels[name] ?? labelsOf.get(name) ?? {};
        labelsOf.set(name, l);
        const metric = name.split('#')[0] as string;
        return { key: seriesKey(metric, l), name: metric, labels: l, ts: now, value };
      });
      alerts.evaluate(latest);
    },
    hold(values, duration, step = 10 * SEC) {
      const end = clock.now() + duration;
      while (clock.now() < end) {
        clock.advance(step);
        h.feed(values);
        alerts.tick();
      }
    },
  };
  return h;
}

function rulesConfig(rules: unknown[], extra: Record<string, unknown> = {}): unknown {
  return { rules, maintenanceWindows: [], ...extra };
}

function defaultRule(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const rule = defaultRules.find((r) => r.id === id);
  if (!rule) throw new Error(`no default rule ${id}`);
  return { ...rule, ...overrides };
}

const only = (h: Harness) => {
  const list = h.alerts.active();
  expect(list).toHaveLength(1);
  return list[0]!;
};

describe('migration 3', () => {
  it('creates STRICT tables and keeps alert_events append-only', () => {
    const { db } = openDb();
    const tables = db
      .prepare<[], { name: string; sql: string }>("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
      .all();
    for (const t of ['alerts', 'alert_events', 'silences', 'alert_engine_state']) {
      const row = tables.find((x) => x.name === t);
      expect(row?.sql).toMatch(/STRICT/);
    }
    const h = harness(rulesConfig([{ id: 't', expr: 'cpu.total > 90', severity: 'warning' }]), {
      file: dbs[0]!.name,
    });
    h.feed({ 'cpu.total': 95 });
    expect(() => h.db.prepare("UPDATE alert_events SET type = 'x'").run()).toThrow(/append-only/);
    expect(() => h.db.prepare("UPDATE alerts SET state = 'bogus'").run()).toThrow(/CHECK/);
  });
});

/**
 * Every shipped rule walked through pending → firing → acknowledged → resolved, with the first
 * notice and the resolved notice.
 */
describe('default rules lifecycle', () => {
  const cases: {
    id: string;
    series: string;
    labels?: Record<string, string>;
    bad: number;
    good: number;
  }[] = [
    { id: 'cpu-critical', series: 'cpu.total', bad: 95, good: 50 },
    { id: 'cpu-warning', series: 'cpu.total', bad: 85, good: 50 },
    { id: 'memory-critical', series: 'mem.used_pct', bad: 97, good: 60 },
    { id: 'memory-warning', series: 'mem.used_pct', bad: 90, good: 60 },
    { id: 'disk-critical', series: 'disk.free_pct', labels: { mount: 'C:' }, bad: 3, good: 40 },
    { id: 'disk-warning', series: 'disk.free_pct', labels: { mount: 'C:' }, bad: 15, good: 40 },
    { id: 'bot-down', series: 'bot.up', labels: { bot: 'tax', start: 'always' }, bad: 0, good: 1 },
    { id: 'bot-crash-loop', series: 'bot.errored', labels: { bot: 'tax' }, bad: 1, good: 0 },
    { id: 'memory-leak', series: 'proc.leak_mb_per_h', labels: { family: 'bot-python' }, bad: 25, good: 1 },
    { id: 'zombie-processes', series: 'proc.zombies', labels: { family: 'bot-chrome' }, bad: 2, good: 0 },
    { id: 'hung-processes', series: 'proc.hung', labels: { family: 'bot-python' }, bad: 1, good: 0 },
    { id: 'stop-chrome-runaway', series: 'proc.count', labels: { family: 'bot-chrome' }, bad: 75, good: 10 },
    { id: 'stop-api-limit', series: 'bot.qps_violations', labels: { bot: 'tax' }, bad: 3, good: 0 },
    { id: 'stop-cost-spike', series: 'cost.day_usd', bad: 120, good: 20 },
    {
      id: 'stop-consecutive-failures',
      series: 'bot.consecutive_failures',
      labels: { bot: 'tax' },
      bad: 5,
      good: 0,
    },
    { id: 'stop-api-outage', series: 'bot.api_outage', labels: { bot: 'tax' }, bad: 1, good: 0 },
    { id: 'api-error-rate', series: 'bot.api_error_rate_pct', labels: { bot: 'tax' }, bad: 12, good: 2 },
    { id: 'api-response-time', series: 'bot.response_time_ms', labels: { bot: 'tax' }, bad: 1500, good: 300 },
    { id: 'api-qps', series: 'bot.qps', labels: { bot: 'tax' }, bad: 230, good: 150 },
    { id: 'api-cost-daily', series: 'cost.day_usd', bad: 60, good: 10 },
    { id: 'budget-daily-80', series: 'cost.budget_day_pct', bad: 85, good: 10 },
    { id: 'budget-monthly-90', series: 'cost.budget_month_pct', bad: 95, good: 10 },
    {
      id: 'consecutive-failures',
      series: 'bot.consecutive_failures',
      labels: { bot: 'tax' },
      bad: 3,
      good: 0,
    },
    { id: 'success-rate', series: 'bot.success_rate_pct', labels: { bot: 'tax' }, bad: 70, good: 99 },
    { id: 'deadman-late', series: 'bot.dms_state', labels: { bot: 'nexus02' }, bad: 3, good: 0 },
    { id: 'deadman-down', series: 'bot.dms_state', labels: { bot: 'nexus02' }, bad: 4, good: 0 },
    {
      id: 'checklist-overdue',
      series: 'app.checklist_overdue',
      bad: 4,
      good: 0,
      labels: { slot: 'morning' },
    },
    // maintenance
    {
      id: 'job-failed-critical',
      series: 'job.failed',
      labels: { job: 'backup', severity: 'critical' },
      bad: 1,
      good: 0,
    },
    {
      id: 'job-failed-warning',
      series: 'job.failed',
      labels: { job: 'log-rotation', severity: 'warning' },
      bad: 1,
      good: 0,
    },
    {
      id: 'job-failed-info',
      series: 'job.failed',
      labels: { job: 'weekly-report', severity: 'info' },
      bad: 1,
      good: 0,
    },
    { id: 'backup-verify-failed', series: 'backup.verify_failed', bad: 1, good: 0 },
    { id: 'backup-stale', series: 'backup.last_verified_age_s', bad: 100_000, good: 3_600 },
    { id: 'check-failing', series: 'check.consecutive_failures', labels: { check: 'api' }, bad: 3, good: 0 },
    { id: 'check-heal-stopped', series: 'check.heal_guard', labels: { check: 'api' }, bad: 1, good: 0 },
    {
      id: 'stop-provider-check',
      series: 'check.consecutive_failures',
      labels: { check: 'twitterapi-io' },
      bad: 3,
      good: 0,
    },
    { id: 'dependency-audit', series: 'audit.findings', labels: { audit: 'npm' }, bad: 4, good: 0 },
    {
      id: 'browser-version-mismatch',
      series: 'browser.version_mismatch',
      labels: { browser: 'chrome' },
      bad: 1,
      good: 0,
    },
  ];

  it('covers every shipped rule except the forecast (tested below) and the windowed ones', () => {
    // Windowed rules (increase over a range) need a growing counter: test/unit/telemetry-shipped-rules.test.ts.
    const covered = new Set([
      ...cases.map((c) => c.id),
      'disk-forecast',
      'stop-api-rate-limited',
      'chrome-start-failures',
    ]);
    expect(defaultRules.map((r) => r.id).filter((id) => !covered.has(id))).toEqual([]);
  });

  for (const c of cases) {
    it(`${c.id}: pending → firing → acknowledged → resolved`, () => {
      const rule = defaultRule(c.id, { enabled: true });
      const h = harness(rulesConfig([rule]));
      expect(h.alerts.loadErrors()).toEqual([]);
      const info = h.alerts.api['alerts.rules']({}).rules[0]!;
      const labels = { [c.series]: c.labels ?? {} };

      h.feed({ [c.series]: c.bad }, labels);
      let a = only(h);
      if (info.forMs > 0) {
        expect(a.state).toBe('pending');
        h.hold({ [c.series]: c.bad }, info.forMs - 10 * SEC);
        expect(only(h).state).toBe('pending');
        expect(h.sent).toHaveLength(0);
        h.hold({ [c.series]: c.bad }, 10 * SEC);
      }
      a = only(h);
      expect(a.state).toBe('firing');
      expect(a.severity).toBe(rule.severity);
      expect(a.message).not.toMatch(/\{\{/);
      const firing = h.sent.filter((m) => m.kind === 'firing');
      expect(firing).toHaveLength(1);
      expect(firing[0]).toMatchObject({
        alertId: a.id,
        channels: ['desktop', 'slack'],
        severity: rule.severity,
      });
      if (rule.action) {
        expect(h.actions).toEqual([{ ruleId: c.id, alertId: a.id, reason: expect.any(String) }]);
      } else {
        expect(h.actions).toEqual([]);
      }

      const acked = h.alerts.api['alerts.ack']({ id: a.id, by: '山田', note: '調査中' });
      expect(acked).toMatchObject({ state: 'acknowledged', ackBy: '山田', ackNote: '調査中' });
      expect(acked.ackedAt).toBe(h.clock.now());

      h.hold({ [c.series]: c.good }, info.clearForMs + 10 * SEC);
      expect(h.alerts.active()).toEqual([]);
      const history = h.alerts.api['alerts.history']({ includeInactive: false, limit: 10 }).alerts;
      expect(history).toHaveLength(1);
      expect(history[0]).toMatchObject({ id: a.id, state: 'resolved', ackBy: '山田' });
      expect(h.sent.filter((m) => m.kind === 'resolved')).toHaveLength(1);

      const events = h.alerts.api['alerts.events']({ alertId: a.id }).events.map((e) => e.type);
      const lifecycle = events.filter((t) => ['pending', 'firing', 'acknowledged', 'resolved'].includes(t));
      expect(lifecycle).toEqual(['pending', 'firing', 'acknowledged', 'resolved']);
      expect(h.actions.length).toBe(rule.action ? 1 : 0);
    });
  }

  it('disk-forecast warns while the trend reaches 20 % within 24 h, and resolves when it flattens', () => {
    let slopePerHour = -1; // 40 % now, 1 point per hour down → 16 % in 24 h
    const readSeries = (_key: string, from: number, to: number) => {
      const out: { ts: number; value: number }[] = [];
      for (let t = from; t <= to; t += 5 * MIN)
        out.push({ ts: t, value: 40 + (slopePerHour * (t - to)) / 3_600_000 });
      return out;
    };
    const h = harness(rulesConfig([defaultRule('disk-forecast')]), { readSeries });
    const labels = { 'disk.free_pct': { mount: 'C:' } };
    h.feed({ 'disk.free_pct': 40 }, labels);
    expect(only(h)).toMatchObject({ state: 'pending' });
    expect(only(h).value).toBeCloseTo(16, 5);
    h.hold({ 'disk.free_pct': 40 }, 15 * MIN);
    const a = only(h);
    expect(a.state).toBe('firing');
    expect(a.message).toContain('C:');
    expect(h.sent.filter((m) => m.kind === 'firing')).toHaveLength(1);
    h.alerts.api['alerts.ack']({ id: a.id, by: 'op' });
    slopePerHour = 0;
    h.hold({ 'disk.free_pct': 40 }, 15 * MIN);
    expect(h.alerts.active()).toEqual([]);
  });

  it('a forecast with too little history changes nothing', () => {
    const h = harness(rulesConfig([defaultRule('disk-forecast')]), {
      readSeries: (_k, _f, to) => [
        { ts: to - MIN, value: 40 },
        { ts: to, value: 10 },
      ],
    });
    h.feed({ 'disk.free_pct': 40 }, { 'disk.free_pct': { mount: 'C:' } });
    expect(h.alerts.active()).toEqual([]);
  });
});

describe('selectors', () => {
  it('creates one alert per matching series and ignores the others', () => {
    const h = harness(
      rulesConfig([
        { id: 'rss', expr: 'proc.rss{family=~"bot-.*",family!="bot-idle"} > 100', severity: 'info' },
      ]),
    );
    const now = h.clock.now();
    const s = (family: string, value: number): LatestSample => ({
      key: seriesKey('proc.rss', { family }),
      name: 'proc.rss',
      labels: { family },
      ts: now,
      value,
    });
    h.alerts.evaluate([s('bot-chrome', 200), s('bot-python', 300), s('bot-idle', 500), s('chrome', 900)]);
    const list = h.alerts.active();
    expect(list.map((a) => a.labels.family).sort()).toEqual(['bot-chrome', 'bot-python']);
    expect(new Set(list.map((a) => a.id)).size).toBe(2);
  });
});

describe('no flapping', () => {
  it('a value hovering at 90 with clear 85 gives one alert and one notification', () => {
    const h = harness(rulesConfig([defaultRule('cpu-critical')]));
    h.feed({ 'cpu.total': 95 });
    h.hold({ 'cpu.total': 95 }, 15 * MIN);
    expect(only(h).state).toBe('firing');
    // Two hours of 89.9 / 90.1 alternating every 10 s.
    for (let i = 0; i < 720; i++) {
      h.clock.advance(10 * SEC);
      h.feed({ 'cpu.total': i % 2 ? 90.1 : 89.9 });
      h.alerts.tick();
    }
    expect(only(h).state).toBe('firing');
    const history = h.alerts.api['alerts.history']({ includeInactive: true, limit: 100 }).alerts;
    expect(history).toHaveLength(1);
    expect(h.sent.filter((m) => m.kind === 'firing')).toHaveLength(1);
    expect(h.sent.filter((m) => m.kind === 'resolved')).toHaveLength(0);
    // Below the trigger but above the clear threshold, for long: still firing (hysteresis).
    h.hold({ 'cpu.total': 87 }, 30 * MIN);
    expect(only(h).state).toBe('firing');
    // Below the clear threshold, but only for 2 minutes at a time: still one alert.
    for (let i = 0; i < 3; i++) {
      h.hold({ 'cpu.total': 80 }, 2 * MIN);
      h.hold({ 'cpu.total': 92 }, 30 * SEC);
    }
    expect(only(h).state).toBe('firing');
    // Clear for longer than clearFor (5 min for a 15 min rule): resolved, once.
    h.hold({ 'cpu.total': 80 }, 6 * MIN);
    expect(h.alerts.active()).toEqual([]);
    expect(h.sent.filter((m) => m.kind === 'resolved')).toHaveLength(1);
    expect(h.alerts.api['alerts.history']({ includeInactive: true, limit: 100 }).alerts).toHaveLength(1);
  });

  it('without a clear threshold, a zero-duration rule still waits clearFor before resolving', () => {
    const h = harness(rulesConfig([{ id: 'hot', expr: 'cpu.total > 90', severity: 'warning' }]));
    for (let i = 0; i < 360; i++) {
      h.clock.advance(10 * SEC);
      h.feed({ 'cpu.total': i % 3 === 0 ? 89 : 91 });
    }
    expect(h.alerts.api['alerts.history']({ includeInactive: true, limit: 100 }).alerts).toHaveLength(1);
    expect(h.sent.filter((m) => m.kind === 'firing')).toHaveLength(1);
  });

  it('a pending alert survives a gap in data and resets when the condition is false', () => {
    const h = harness(rulesConfig([defaultRule('cpu-critical')]));
    h.feed({ 'cpu.total': 95 });
    const started = only(h).startedAt;
    h.clock.advance(8 * MIN); // no samples: a gap
    h.feed({ 'cpu.total': 95 });
    expect(only(h)).toMatchObject({ state: 'pending', startedAt: started });
    h.clock.advance(7 * MIN);
    h.feed({ 'cpu.total': 95 });
    expect(only(h).state).toBe('firing');

    const h2 = harness(rulesConfig([defaultRule('cpu-critical')]));
    h2.feed({ 'cpu.total': 95 });
    h2.hold({ 'cpu.total': 95 }, 10 * MIN);
    h2.hold({ 'cpu.total': 70 }, 10 * SEC);
    expect(h2.alerts.active()).toEqual([]);
    h2.hold({ 'cpu.total': 95 }, 10 * MIN);
    expect(only(h2).state).toBe('pending');
    const all = h2.alerts.api['alerts.history']({ includeInactive: true, limit: 10 }).alerts;
    expect(all.map((a) => a.state).sort()).toEqual(['inactive', 'pending']);
  });

  it('an alert whose series stops reporting resolves as stale after staleAfterMinutes', () => {
    const h = harness(rulesConfig([{ id: 'd', expr: 'disk.free_pct < 5', severity: 'critical' }]));
    h.feed({ 'disk.free_pct': 2 }, { 'disk.free_pct': { mount: 'E:' } });
    expect(only(h).state).toBe('firing');
    h.hold({ 'cpu.total': 10 }, 31 * MIN, MIN);
    expect(h.alerts.active()).toEqual([]);
    const events = h.alerts.api['alerts.events']({ alertId: h.sent[0]!.alertId! }).events;
    expect(events.at(-1)).toMatchObject({ type: 'resolved', detail: expect.stringMatching(/no data/) });
  });
});

describe('escalation', () => {
  const rule = { id: 'crit', name: 'テスト重大', expr: 'cpu.total > 90', severity: 'critical' };

  it('sends each level once at 15 / 30 / 60 minutes while unacknowledged', () => {
    const h = harness(rulesConfig([rule], { repeatIntervalMinutes: 1000 }));
    h.feed({ 'cpu.total': 99 });
    h.hold({ 'cpu.total': 99 }, 2 * 60 * MIN);
    const byKind = (k: string) => h.sent.filter((m) => m.kind === k);
    expect(byKind('firing').map((m) => m.channels)).toEqual([['desktop', 'slack']]);
    expect(byKind('escalation').map((m) => m.channels)).toEqual([
      ['email-management'],
      ['sms'],
      ['email-executives'],
    ]);
    const a = only(h);
    const events = h.alerts.api['alerts.events']({ alertId: a.id }).events.filter(
      (e) => e.type === 'escalated',
    );
    expect(events.map((e) => e.ts - a.firedAt!)).toEqual([15 * MIN, 30 * MIN, 60 * MIN]);
    expect(a.escalationLevel).toBe(3);
  });

  it('a warning escalates only to the levels configured for warnings', () => {
    const h = harness(rulesConfig([{ ...rule, severity: 'warning' }], { repeatIntervalMinutes: 1000 }));
    h.feed({ 'cpu.total': 99 });
    h.hold({ 'cpu.total': 99 }, 2 * 60 * MIN);
    expect(h.sent.map((m) => [m.kind, m.channels.join('+')])).toEqual([
      ['firing', 'desktop+slack'],
      ['escalation', 'email-management'],
    ]);
  });

  it('stops escalating once acknowledged', () => {
    const h = harness(rulesConfig([rule]));
    h.feed({ 'cpu.total': 99 });
    h.hold({ 'cpu.total': 99 }, 20 * MIN);
    h.alerts.api['alerts.ack']({ id: only(h).id, by: 'op' });
    h.hold({ 'cpu.total': 99 }, 3 * 60 * MIN);
    expect(h.sent.map((m) => m.kind)).toEqual(['firing', 'escalation']);
  });

  it('time spent silenced does not count towards escalation', () => {
    const h = harness(rulesConfig([rule], { repeatIntervalMinutes: 1000 }));
    h.feed({ 'cpu.total': 99 });
    h.hold({ 'cpu.total': 99 }, 10 * MIN);
    h.alerts.api['alerts.silence']({
      ruleId: 'crit',
      durationMinutes: 120,
      reason: '作業中',
      by: 'op',
      matchers: [],
    });
    h.hold({ 'cpu.total': 99 }, 120 * MIN);
    expect(h.sent.map((m) => m.kind)).toEqual(['firing']);
    // 10 unsilenced minutes so far: level 1 comes 5 minutes after the silence ends, not at once.
    h.hold({ 'cpu.total': 99 }, 4 * MIN);
    expect(h.sent.map((m) => m.kind)).toEqual(['firing']);
    h.hold({ 'cpu.total': 99 }, 1 * MIN + 10 * SEC);
    expect(h.sent.map((m) => m.kind)).toEqual(['firing', 'escalation']);
  });

  it('repeats a still-firing, unacknowledged alert every repeatIntervalMinutes to its current level', () => {
    const h = harness(
      rulesConfig([rule], {
        repeatIntervalMinutes: 20,
        escalation: [{ afterMinutes: 0, channels: ['desktop'] }],
      }),
    );
    h.feed({ 'cpu.total': 99 });
    h.hold({ 'cpu.total': 99 }, 65 * MIN);
    expect(h.sent.map((m) => m.kind)).toEqual(['firing', 'repeat', 'repeat', 'repeat']);
    expect(h.sent.every((m) => m.channels.join() === 'desktop')).toBe(true);
  });
});

describe('restart', () => {
  it('keeps a firing alert firing without notifying again, and escalation continues on time', () => {
    const clock = new ManualClock(WEDNESDAY_JST);
    const rule = { id: 'crit', expr: 'cpu.total > 90', for: '1m', severity: 'critical' };
    const h1 = harness(rulesConfig([rule]), { clock });
    h1.feed({ 'cpu.total': 99 });
    h1.hold({ 'cpu.total': 99 }, 5 * MIN);
    const before = only(h1);
    expect(before.state).toBe('firing');
    expect(h1.sent).toHaveLength(1);
    h1.db.close();

    const h2 = harness(rulesConfig([rule]), { clock, file: h1.file });
    expect(only(h2)).toMatchObject({ id: before.id, state: 'firing', firedAt: before.firedAt });
    expect(h2.alerts.health()).toBe('critical');
    h2.hold({ 'cpu.total': 99 }, 5 * MIN);
    expect(h2.sent).toEqual([]);
    // 15 minutes after the first notice (sent by the first engine): level 1, once.
    h2.hold({ 'cpu.total': 99 }, 6 * MIN);
    expect(h2.sent.map((m) => m.kind)).toEqual(['escalation']);
    expect(h2.sent[0]!.alertId).toBe(before.id);
    h2.alerts.api['alerts.ack']({ id: before.id, by: 'op' });
    h2.db.close();

    const h3 = harness(rulesConfig([rule]), { clock, file: h1.file });
    expect(only(h3).state).toBe('acknowledged');
    h3.hold({ 'cpu.total': 99 }, 60 * MIN);
    expect(h3.sent).toEqual([]);
  });

  it('a rule removed from the config resolves its open alert', () => {
    const h = harness(rulesConfig([{ id: 'gone', expr: 'cpu.total > 90', severity: 'warning' }]));
    h.feed({ 'cpu.total': 99 });
    expect(only(h).state).toBe('firing');
    h.alerts.setConfig(rulesConfig([]));
    expect(h.alerts.active()).toEqual([]);
  });
});

describe('silences', () => {
  const rule = { id: 'crit', expr: 'cpu.total > 90', severity: 'critical' };

  it('records a silenced alert without sending it, and sends when the silence ends', () => {
    const h = harness(rulesConfig([rule]));
    const s = h.alerts.api['alerts.silence']({
      ruleId: 'crit',
      durationMinutes: 30,
      reason: '負荷試験',
      by: 'op',
      matchers: [],
    });
    expect(s.active).toBe(true);
    h.feed({ 'cpu.total': 99 });
    expect(only(h)).toMatchObject({ state: 'firing', suppressed: true, suppressedBy: `silence:${s.id}` });
    expect(h.alerts.health()).toBe('ok');
    h.hold({ 'cpu.total': 99 }, 29 * MIN);
    expect(h.sent).toEqual([]);
    h.hold({ 'cpu.total': 99 }, 2 * MIN);
    expect(only(h).suppressed).toBe(false);
    expect(h.sent.map((m) => m.kind)).toEqual(['firing']);
    const types = h.alerts.api['alerts.events']({ alertId: only(h).id }).events.map((e) => e.type);
    expect(types).toEqual(['pending', 'firing', 'unsuppressed', 'notified']);
  });

  it('matches by labels (regex), and unsilence lifts it at once', () => {
    const h = harness(rulesConfig([{ id: 'zomb', expr: 'proc.zombies > 0', severity: 'warning' }]));
    const s = h.alerts.api['alerts.silence']({
      matchers: [{ label: 'family', op: '=~', value: 'bot-.*' }],
      durationMinutes: 60,
      reason: 'known',
      by: 'op',
    });
    const now = h.clock.now();
    h.alerts.evaluate([
      {
        key: 'proc.zombies{family=bot-chrome}',
        name: 'proc.zombies',
        labels: { family: 'bot-chrome' },
        ts: now,
        value: 1,
      },
      {
        key: 'proc.zombies{family=explorer}',
        name: 'proc.zombies',
        labels: { family: 'explorer' },
        ts: now,
        value: 1,
      },
    ]);
    const list = h.alerts.active();
    expect(list.find((a) => a.labels.family === 'bot-chrome')?.suppressed).toBe(true);
    expect(list.find((a) => a.labels.family === 'explorer')?.suppressed).toBe(false);
    expect(h.sent.map((m) => m.alertId)).toEqual([list.find((a) => a.labels.family === 'explorer')?.id]);
    h.alerts.api['alerts.unsilence']({ id: s.id, by: 'op' });
    expect(h.sent).toHaveLength(2);
    expect(h.alerts.api['alerts.silences']({ includeExpired: false }).silences).toEqual([]);
    expect(h.alerts.api['alerts.silences']({ includeExpired: true }).silences[0]).toMatchObject({
      id: s.id,
      active: false,
    });
  });

  it('silences declared in config apply and cannot be removed through the API', () => {
    const h = harness(
      rulesConfig([rule], {
        silences: [{ id: 'migration', ruleId: 'crit', until: '2026-11-26T00:00:00+09:00', reason: 'DB移行' }],
      }),
    );
    h.feed({ 'cpu.total': 99 });
    expect(only(h)).toMatchObject({ suppressed: true, suppressedBy: 'silence:config:migration' });
    expect(() => h.alerts.api['alerts.unsilence']({ id: 'config:migration', by: 'op' })).toThrow(
      /config file/,
    );
  });

  it('a silence survives a restart', () => {
    const clock = new ManualClock(WEDNESDAY_JST);
    const h1 = harness(rulesConfig([rule]), { clock });
    h1.alerts.api['alerts.silence']({
      ruleId: 'crit',
      durationMinutes: 60,
      reason: 'r',
      by: 'op',
      matchers: [],
    });
    h1.db.close();
    const h2 = harness(rulesConfig([rule]), { clock, file: h1.file });
    h2.feed({ 'cpu.total': 99 });
    expect(only(h2).suppressed).toBe(true);
    expect(h2.sent).toEqual([]);
  });
});

describe('maintenance windows (operator local time, here Asia/Tokyo)', () => {
  const rule = { id: 'crit', expr: 'cpu.total > 90', severity: 'critical' };
  const withDefaults = () => ({ rules: [rule] });

  it('the weekly Sunday 02:00-04:00 window suppresses, then the alert is sent at 04:00', () => {
    const h = harness(withDefaults(), { start: Date.parse('2026-11-22T02:30:00+09:00') });
    const m = h.alerts.api['alerts.maintenance']({});
    expect(m.activeNow).toEqual(['weekly']);
    const weekly = m.windows.find((w) => w.id === 'weekly')!;
    expect(weekly).toMatchObject({
      timezone: 'Asia/Tokyo',
      lastStart: Date.parse('2026-11-22T02:00:00+09:00'),
      lastEnd: Date.parse('2026-11-22T04:00:00+09:00'),
      nextStart: Date.parse('2026-11-29T02:00:00+09:00'),
    });
    h.feed({ 'cpu.total': 99 });
    expect(only(h)).toMatchObject({ state: 'firing', suppressed: true, suppressedBy: 'maintenance:weekly' });
    h.hold({ 'cpu.total': 99 }, 89 * MIN);
    expect(h.sent).toEqual([]);
    h.hold({ 'cpu.total': 99 }, 2 * MIN);
    expect(only(h).suppressed).toBe(false);
    expect(h.sent.map((m) => m.kind)).toEqual(['firing']);
  });

  it('the monthly first-Sunday 01:00-05:00 window covers 04:30 on the first Sunday only', () => {
    const first = harness(withDefaults(), { start: Date.parse('2026-12-06T04:30:00+09:00') });
    expect(first.alerts.api['alerts.maintenance']({}).activeNow).toEqual(['monthly']);
    first.feed({ 'cpu.total': 99 });
    expect(only(first).suppressedBy).toBe('maintenance:monthly');

    const second = harness(withDefaults(), { start: Date.parse('2026-12-13T04:30:00+09:00') });
    expect(second.alerts.api['alerts.maintenance']({}).activeNow).toEqual([]);
    second.feed({ 'cpu.total': 99 });
    expect(only(second).suppressed).toBe(false);
    expect(second.sent).toHaveLength(1);
  });

  it('outside the windows nothing is suppressed (Sunday noon, and the UTC reading of 02:00)', () => {
    const h = harness(withDefaults(), { start: NOON_SUNDAY_JST });
    h.feed({ 'cpu.total': 99 });
    expect(only(h).suppressed).toBe(false);
    // 02:30 UTC on Sunday is 11:30 in Tokyo: not a window.
    const utc = harness(withDefaults(), { start: Date.parse('2026-11-22T02:30:00Z') });
    expect(utc.alerts.api['alerts.maintenance']({}).activeNow).toEqual([]);
  });

  it('an explicit timezone in config wins over the local one', () => {
    const h = harness({ rules: [rule], timezone: 'UTC' }, { start: Date.parse('2026-11-22T02:30:00Z') });
    expect(h.alerts.api['alerts.maintenance']({}).activeNow).toEqual(['weekly']);
  });

  it('a bad cron is reported and the other windows keep working', () => {
    const h = harness(
      {
        rules: [rule],
        maintenanceWindows: [
          { id: 'broken', cron: '0 99 * * 0', durationMinutes: 60 },
          { id: 'ok', cron: '0 2 * * 0', durationMinutes: 120 },
        ],
      },
      { start: Date.parse('2026-11-22T02:30:00+09:00') },
    );
    expect(h.alerts.loadErrors()).toEqual([
      expect.objectContaining({
        ruleIndex: -1,
        reason: expect.stringMatching(/maintenanceWindows\[0\] \(broken\)/),
      }),
    ]);
    expect(h.alerts.api['alerts.maintenance']({}).activeNow).toEqual(['ok']);
  });
});

describe('actions', () => {
  const stopRule = defaultRule('stop-chrome-runaway');
  const chrome = (n: number) => ({ 'proc.count': n });
  const labels = { 'proc.count': { family: 'bot-chrome' } };

  it('runs emergency-stop once when the alert fires, not on every cycle', () => {
    const h = harness(rulesConfig([stopRule]));
    h.feed(chrome(80), labels);
    h.hold(chrome(80), 30 * MIN);
    expect(h.actions).toHaveLength(1);
    expect(h.actions[0]).toMatchObject({ ruleId: 'stop-chrome-runaway', alertId: only(h).id });
    expect(only(h).actionState).toBe('done');
  });

  it('after a resume, a new trigger waits the cooldown, then acts if still firing', () => {
    const h = harness(rulesConfig([stopRule]));
    h.feed(chrome(80), labels);
    h.hold(chrome(80), 3 * MIN);
    expect(h.actions).toHaveLength(1);
    h.hold(chrome(0), 10 * MIN); // the stop killed them: resolved
    expect(h.alerts.active()).toEqual([]);
    h.alerts.noteResume(h.clock.now());
    h.hold(chrome(80), 5 * MIN);
    const a = only(h);
    expect(a).toMatchObject({ state: 'firing', actionState: 'deferred' });
    expect(h.actions).toHaveLength(1);
    expect(h.sent.filter((m) => m.kind === 'firing')).toHaveLength(2);
    h.hold(chrome(80), 25 * MIN);
    expect(h.actions).toHaveLength(2);
    expect(only(h).actionState).toBe('done');
  });

  it('the cooldown survives a restart, and acknowledging a deferred alert cancels its action', () => {
    const clock = new ManualClock(WEDNESDAY_JST);
    const h1 = harness(rulesConfig([stopRule]), { clock });
    h1.alerts.noteResume(clock.now());
    h1.db.close();
    const h2 = harness(rulesConfig([stopRule]), { clock, file: h1.file });
    h2.feed(chrome(80), labels);
    h2.hold(chrome(80), 3 * MIN);
    expect(only(h2).actionState).toBe('deferred');
    h2.alerts.api['alerts.ack']({ id: only(h2).id, by: 'op', note: '手動で対応' });
    h2.hold(chrome(80), 40 * MIN);
    expect(h2.actions).toEqual([]);
    expect(only(h2).actionState).toBe('skipped');
  });

  it('an action that throws is recorded as failed and evaluation goes on', () => {
    const { db } = openDb();
    const clock = new ManualClock(WEDNESDAY_JST);
    const logs: string[] = [];
    const alerts = createAlerts({
      db,
      clock,
      notifier: { send() {} },
      actions: {
        'emergency-stop': () => {
          throw new Error('kill-switch folder is read-only');
        },
      },
      config: rulesConfig([{ ...stopRule, for: '0' }]),
      log: (m) => logs.push(m),
    });
    const now = clock.now();
    alerts.evaluate([
      {
        key: 'proc.count{family=bot-chrome}',
        name: 'proc.count',
        labels: { family: 'bot-chrome' },
        ts: now,
        value: 90,
      },
    ]);
    const a = alerts.active()[0]!;
    expect(a.actionState).toBe('failed');
    expect(logs.join()).toMatch(/read-only/);
    const types = alerts.api['alerts.events']({ alertId: a.id }).events.map((e) => e.type);
    expect(types).toContain('action-failed');
  });
});

describe('health and events', () => {
  it('healthOf counts firing and acknowledged, unsuppressed alerts', () => {
    expect(healthOf([])).toBe('ok');
    expect(healthOf([{ state: 'pending', severity: 'critical', suppressed: false }])).toBe('ok');
    expect(healthOf([{ state: 'firing', severity: 'warning', suppressed: false }])).toBe('warning');
    expect(
      healthOf([
        { state: 'firing', severity: 'warning', suppressed: false },
        { state: 'acknowledged', severity: 'critical', suppressed: false },
      ]),
    ).toBe('critical');
    expect(healthOf([{ state: 'firing', severity: 'critical', suppressed: true }])).toBe('ok');
    expect(healthOf([{ state: 'firing', severity: 'info', suppressed: false }])).toBe('ok');
  });

  it('emits alert.changed on transitions and alert.health when it changes', () => {
    const h = harness(rulesConfig([{ id: 'w', expr: 'mem.used_pct > 85', for: '1m', severity: 'warning' }]));
    h.events.length = 0;
    h.feed({ 'mem.used_pct': 90 });
    h.hold({ 'mem.used_pct': 90 }, 2 * MIN);
    const changed = h.events.filter((e) => e.type === 'alert.changed');
    expect(changed.map((e) => (e.type === 'alert.changed' ? e.alert.state : ''))).toEqual([
      'pending',
      'firing',
    ]);
    const health = h.events.filter((e) => e.type === 'alert.health');
    expect(health.map((e) => (e.type === 'alert.health' ? e.health : ''))).toEqual(['ok', 'warning']);
  });

  it('API errors carry precise codes', () => {
    const h = harness(rulesConfig([{ id: 'w', expr: 'mem.used_pct > 85', for: '1m', severity: 'warning' }]));
    expect(() => h.alerts.api['alerts.ack']({ id: 'nope', by: 'op' })).toThrow(
      expect.objectContaining({ code: 'not_found' }),
    );
    h.feed({ 'mem.used_pct': 90 });
    expect(() => h.alerts.api['alerts.ack']({ id: only(h).id, by: 'op' })).toThrow(
      expect.objectContaining({ code: 'conflict' }),
    );
    expect(() =>
      h.alerts.api['alerts.silence']({
        ruleId: 'w',
        endsAt: h.clock.now() - 1,
        reason: 'x',
        by: 'op',
        matchers: [],
      }),
    ).toThrow(expect.objectContaining({ code: 'invalid_input' }));
  });
});

describe('history', () => {
  it('filters by rule, severity, state and time, newest first, with paging', () => {
    const h = harness(
      rulesConfig([
        { id: 'c', expr: 'cpu.total > 90', severity: 'critical', clearFor: '0' },
        { id: 'm', expr: 'mem.used_pct > 90', severity: 'warning', clearFor: '0' },
      ]),
    );
    const t0 = h.clock.now();
    for (let i = 0; i < 3; i++) {
      h.clock.advance(MIN);
      h.feed({ 'cpu.total': 99, 'mem.used_pct': 99 });
      h.clock.advance(MIN);
      h.feed({ 'cpu.total': 10, 'mem.used_pct': 10 });
    }
    h.clock.advance(MIN);
    h.feed({ 'cpu.total': 99, 'mem.used_pct': 10 });
    const api = h.alerts.api['alerts.history'];
    const all = api({ includeInactive: false, limit: 100 }).alerts;
    expect(all).toHaveLength(7);
    expect(all[0]!.state).toBe('firing');
    expect(all.map((a) => a.startedAt)).toEqual([...all.map((a) => a.startedAt)].sort((a, b) => b - a));
    expect(api({ ruleId: 'm', includeInactive: false, limit: 100 }).alerts).toHaveLength(3);
    expect(api({ severity: 'critical', includeInactive: false, limit: 100 }).alerts).toHaveLength(4);
    expect(api({ states: ['firing'], includeInactive: false, limit: 100 }).alerts).toHaveLength(1);
    expect(api({ to: t0 + 2 * MIN, includeInactive: false, limit: 100 }).alerts).toHaveLength(2);
    // Paging with a (startedAt, id) cursor: cpu and mem alerts start at the same instant.
    const seen: string[] = [];
    let cursor: { before?: number; beforeId?: string } = {};
    for (let page = 0; page < 5; page++) {
      const rows = api({ includeInactive: false, limit: 3, ...cursor }).alerts;
      if (rows.length === 0) break;
      seen.push(...rows.map((a) => a.id));
      cursor = { before: rows.at(-1)!.startedAt, beforeId: rows.at(-1)!.id };
    }
    expect(seen).toEqual(all.map((a) => a.id));
  });
});

describe('a database that refuses writes', () => {
  const stopRule = { ...defaultRule('stop-chrome-runaway'), for: '0' };
  const chrome = (n: number) => ({ 'proc.count': n });
  const labels = { 'proc.count': { family: 'bot-chrome' } };

  /** Another connection holding the write lock, as a backup or a second instance would. */
  function lockWrites(file: string): { release(): void } {
    const other = new Database(file);
    dbs.push(other);
    other.exec('BEGIN EXCLUSIVE');
    return { release: () => other.exec('COMMIT') };
  }

  const count = (db: BetterSqlite3.Database, sql: string, ...args: unknown[]) =>
    (db.prepare(sql).get(...args) as { n: number }).n;

  it('still notifies and runs emergency-stop while another connection locks the database, then persists', () => {
    const h = harness(rulesConfig([stopRule]));
    const lock = lockWrites(h.file);

    expect(() => h.feed(chrome(90), labels)).not.toThrow();
    expect(h.sent.map((m) => m.kind)).toEqual(['firing']);
    expect(h.actions).toHaveLength(1);
    const fired = only(h);
    expect(fired).toMatchObject({ state: 'firing', actionState: 'done' });
    expect(count(h.db, 'SELECT count(*) AS n FROM alerts')).toBe(0);

    // Timers keep calling in while the lock holds: none of this may throw.
    expect(() => h.hold(chrome(90), 20 * MIN, 5 * MIN)).not.toThrow();
    expect(() => h.alerts.noteResume(h.clock.now())).not.toThrow();
    expect(() => h.alerts.setConfig(rulesConfig([stopRule]))).not.toThrow();
    expect(h.sent.map((m) => m.kind)).toEqual(['firing', 'escalation']);
    expect(h.actions).toHaveLength(1);
    expect(h.logs.filter((l) => l.includes('refused a write'))).toHaveLength(1);

    lock.release();
    h.clock.advance(10 * SEC);
    h.alerts.tick();
    const row = h.db
      .prepare('SELECT state, action_state, escalation_level FROM alerts WHERE id = ?')
      .get(fired.id);
    expect(row).toEqual({ state: 'firing', action_state: 'done', escalation_level: 1 });
    const types = h.alerts.api['alerts.events']({ alertId: fired.id }).events.map((e) => e.type);
    expect(types).toEqual(['pending', 'firing', 'action', 'notified', 'escalated']);
    expect(
      h.db.prepare("SELECT value FROM alert_engine_state WHERE key = 'lastResumeAt'").get(),
    ).toBeDefined();
    expect(h.logs.some((l) => l.includes('accepts writes again'))).toBe(true);
  });

  it('keeps working on a read-only connection (query_only) and writes everything once it is writable', () => {
    const h = harness(rulesConfig([stopRule]));
    h.db.pragma('query_only = 1');
    expect(() => h.feed(chrome(90), labels)).not.toThrow();
    expect(h.actions).toHaveLength(1);
    const id = only(h).id;
    expect(() => h.hold(chrome(0), 10 * MIN)).not.toThrow();
    expect(h.alerts.active()).toEqual([]);
    expect(h.sent.map((m) => m.kind)).toEqual(['firing', 'resolved']);

    h.db.pragma('query_only = 0');
    h.clock.advance(10 * SEC);
    h.alerts.tick();
    expect(h.db.prepare('SELECT state FROM alerts WHERE id = ?').get(id)).toEqual({ state: 'resolved' });
    expect(count(h.db, 'SELECT count(*) AS n FROM alert_events WHERE alert_id = ?', id)).toBe(5);
  });

  it('an action that fails while the database is read-only is recorded as failed later', async () => {
    const { db } = openDb();
    const clock = new ManualClock(WEDNESDAY_JST);
    const logs: string[] = [];
    const alerts = createAlerts({
      db,
      clock,
      notifier: { send() {} },
      actions: { 'emergency-stop': () => Promise.reject(new Error('kill-switch folder is read-only')) },
      config: rulesConfig([stopRule]),
      log: (m) => logs.push(m),
    });
    db.pragma('query_only = 1');
    const key = 'proc.count{family=bot-chrome}';
    alerts.evaluate([
      { key, name: 'proc.count', labels: { family: 'bot-chrome' }, ts: clock.now(), value: 90 },
    ]);
    await new Promise((resolve) => setImmediate(resolve));
    const a = alerts.active()[0]!;
    expect(a.actionState).toBe('failed');
    db.pragma('query_only = 0');
    clock.advance(10 * SEC);
    alerts.tick();
    const types = alerts.api['alerts.events']({ alertId: a.id }).events.map((e) => e.type);
    expect(types).toContain('action-failed');
    expect(db.prepare('SELECT action_state FROM alerts WHERE id = ?').get(a.id)).toEqual({
      action_state: 'failed',
    });
  });

  it('starts while the database is locked, even when restored alerts must be closed', () => {
    const clock = new ManualClock(WEDNESDAY_JST);
    const h1 = harness(rulesConfig([stopRule]), { clock });
    h1.feed(chrome(90), labels);
    const id = only(h1).id;
    h1.db.close();
    const lock = lockWrites(h1.file);
    let h2: Harness | undefined;
    // The rule is gone from the config: the restored alert resolves during construction.
    expect(() => {
      h2 = harness(rulesConfig([]), { clock, file: h1.file });
    }).not.toThrow();
    expect(h2?.alerts.active()).toEqual([]);
    lock.release();
    clock.advance(10 * SEC);
    h2?.alerts.tick();
    expect(h2?.db.prepare('SELECT state FROM alerts WHERE id = ?').get(id)).toEqual({ state: 'resolved' });
  });
});

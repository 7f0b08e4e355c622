import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { LineCounter, parseDocument } from 'yaml';
import {
  compileRules,
  createAlerts,
  defaultRules,
  parseDuration,
  parseExpr,
} from '../../electron/core/alerts/index.js';
import { alertsMigration } from '../../electron/core/alerts/migrations/003-alerts.js';
import { ManualClock } from '../../electron/core/clock/index.js';
import { alertsConfigSchema } from '../../shared/config/alerts.js';

/** A locate like the config loader's: YAML path from the document root → 1-based line/col. */
function yamlWithLocate(text: string) {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const locate = (path: readonly (string | number)[]) => {
    const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
    if (!node?.range) return undefined;
    return lineCounter.linePos(node.range[0]);
  };
  return { raw: doc.toJS() as { alerts: { rules: unknown[] } }, locate };
}

describe('expressions', () => {
  it('parses selectors, operators and thresholds', () => {
    expect(parseExpr('cpu.total > 90')).toMatchObject({
      selector: { metric: 'cpu.total', matchers: [] },
      op: '>',
      threshold: 90,
    });
    const e = parseExpr(`proc.count{family="bot-runner", host=~'pc-.*' ,mount!=C:} <= -1.5e1`);
    expect(e.op).toBe('<=');
    expect(e.threshold).toBe(-15);
    expect(e.selector.matchers.map((m) => [m.label, m.op, m.value])).toEqual([
      ['family', '=', 'bot-runner'],
      ['host', '=~', 'pc-.*'],
      ['mount', '!=', 'C:'],
    ]);
    expect(parseExpr('mem.used_pct>=85%').threshold).toBe(85);
    for (const op of ['>', '>=', '<', '<=', '==', '!=']) expect(parseExpr(`cpu.total ${op} 1`).op).toBe(op);
  });

  it('anchors regex matchers', () => {
    const m = parseExpr('proc.rss{family=~"bot"} > 1').selector.matchers[0]!;
    expect(m.re?.test('bot')).toBe(true);
    expect(m.re?.test('bot-chrome')).toBe(false);
  });

  it('parses forecast with horizon and optional look-back', () => {
    expect(parseExpr('forecast(disk.free_pct{mount="C:"}, 24h) < 20').forecast).toEqual({
      horizonMs: 24 * 3_600_000,
      lookbackMs: 6 * 3_600_000,
    });
    expect(parseExpr('forecast(disk.free_pct, 2d, 12h) < 20').forecast).toEqual({
      horizonMs: 48 * 3_600_000,
      lookbackMs: 12 * 3_600_000,
    });
  });

  it('rejects bad operators, metrics, values and trailing text with a reason', () => {
    expect(() => parseExpr('cpu.total => 90')).toThrow(/bad operator "=>"/);
    expect(() => parseExpr('cpu.total = 90')).toThrow(/bad operator "="/);
    expect(() => parseExpr('cpu.total 90')).toThrow(/expected an operator/);
    expect(() => parseExpr('CPU > 90')).toThrow(/bad metric name "CPU"/);
    expect(() => parseExpr('cpu.total > ninety')).toThrow(/expected a number/);
    expect(() => parseExpr('cpu.total > 90 for 5m')).toThrow(/unexpected/);
    expect(() => parseExpr('proc.rss{family=~"("} > 1')).toThrow(/bad regular expression/);
    expect(() => parseExpr('forecast(disk.free_pct, 24x) < 20')).toThrow(/bad duration "24x"/);
  });

  it('parses durations', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('6h')).toBe(21_600_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration(0)).toBe(0);
    expect(() => parseDuration('15x')).toThrow(/bad duration "15x"/);
    expect(() => parseDuration('5')).toThrow(/bad duration/);
    expect(() => parseDuration(5)).toThrow(/no unit/);
    expect(() => parseDuration('-5m')).toThrow(/bad duration/);
  });
});

describe('loading rules', () => {
  const text = `server:
  port: 17380
alerts:
  rules:
    - id: cpu-high
      expr: cpu.total > 90
      for: 15m
      severity: critical
    - id: bad-duration
      expr: mem.used_pct > 95
      for: 15x
      severity: critical
    - id: bad-op
      expr: mem.used_pct => 95
      severity: warning
    - id: typo-metric
      expr: cpu.totl > 90
      severity: warning
    - id: bad-severity
      expr: cpu.total > 1
      severity: urgent
    - id: cpu-high
      expr: cpu.total > 95
      severity: warning
    - id: wrong-clear
      expr: cpu.total > 90
      clear: 95
      severity: warning
    - id: bot-metric
      expr: bot.cost_usd_day > 100
      severity: critical
`;

  it('rejects each bad rule with its line and reason, and keeps the rest', () => {
    const { raw, locate } = yamlWithLocate(text);
    const { rules, errors } = compileRules(raw.alerts.rules, { file: '/data/config.yaml', locate });
    expect(rules.map((r) => r.id)).toEqual(['cpu-high', 'bot-metric']);
    const summary = errors.map((e) => [e.ruleIndex, e.ruleId, e.line, e.file]);
    expect(summary).toEqual([
      [1, 'bad-duration', 11, '/data/config.yaml'],
      [2, 'bad-op', 14, '/data/config.yaml'],
      [3, 'typo-metric', 17, '/data/config.yaml'],
      [4, 'bad-severity', 21, '/data/config.yaml'],
      [5, 'cpu-high', 22, '/data/config.yaml'],
      [6, 'wrong-clear', 27, '/data/config.yaml'],
    ]);
    expect(errors[0]!.reason).toMatch(/^for: bad duration "15x"/);
    expect(errors[0]!.col).toBe(12);
    expect(errors[1]!.reason).toMatch(/bad operator "=>"/);
    expect(errors[2]!.reason).toMatch(/unknown metric "cpu.totl": did you mean "cpu.total"\?/);
    expect(errors[3]!.reason).toMatch(/^severity:/);
    expect(errors[4]!.reason).toMatch(/duplicate rule id/);
    expect(errors[5]!.reason).toMatch(/clear: 95 is above the threshold 90/);
  });

  it('accepts every metric the monitor emits (from the catalog) and rejects names nothing produces', () => {
    const emitted = [
      'disk.read_bps',
      'disk.write_bps',
      'disk.read_iops',
      'disk.write_iops',
      'disk.used_bytes',
      'mem.used_bytes',
      'mem.available_bytes',
      'net.rx_bps',
    ];
    const { rules, errors } = compileRules(
      [
        ...emitted.map((m, i) => ({ id: `r${i}`, expr: `${m} > 1`, for: '1m', severity: 'warning' })),
        { id: 'custom', expr: 'custom.orders_per_min < 1', for: '1m', severity: 'info' },
        { id: 'unknown-ns', expr: 'bots.cost > 1', for: '1m', severity: 'info' },
      ],
      { file: 'x.yaml' },
    );
    expect(rules.map((r) => r.id)).toEqual([...emitted.map((_, i) => `r${i}`), 'custom']);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.reason).toMatch(/unknown metric "bots.cost"/);
  });

  it('the whole-config schema accepts any rules list, so one bad rule never rejects the file', () => {
    const { raw } = yamlWithLocate(text);
    expect(alertsConfigSchema.safeParse(raw.alerts).success).toBe(true);
    expect(alertsConfigSchema.safeParse({ rules: [42, 'x', null] }).success).toBe(true);
    expect(alertsConfigSchema.safeParse({ escalaton: [] }).success).toBe(false);
  });

  it('a rule that is not an object is reported, not thrown', () => {
    const { errors } = compileRules([42, null], { file: 'c.yaml' });
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({ ruleIndex: 0, line: 0, col: 0 });
  });

  it('every shipped default rule loads', () => {
    const { rules, errors } = compileRules(defaultRules, { file: 'defaults' });
    expect(errors).toEqual([]);
    expect(rules).toHaveLength(defaultRules.length);
    const byId = Object.fromEntries(rules.map((r) => [r.id, r]));
    expect(byId['cpu-critical']).toMatchObject({ forMs: 15 * 60_000, severity: 'critical', clear: 85 });
    expect(byId['cpu-warning']).toMatchObject({ forMs: 30 * 60_000, severity: 'warning' });
    expect(byId['memory-critical']).toMatchObject({ forMs: 10 * 60_000, severity: 'critical' });
    expect(byId['memory-warning']).toMatchObject({ forMs: 30 * 60_000, severity: 'warning' });
    expect(byId['disk-critical']).toMatchObject({ forMs: 0, severity: 'critical' });
    expect(byId['disk-forecast']?.expr.forecast).toEqual({ horizonMs: 86_400_000, lookbackMs: 21_600_000 });
    expect(byId['memory-leak']).toMatchObject({ forMs: 15 * 60_000 });
    const actionRules = rules.filter((r) => r.action === 'emergency-stop');
    // TASK-003 緊急停止システム: every trigger ships enabled, over the metrics bot telemetry publishes.
    expect(actionRules.filter((r) => r.enabled).map((r) => r.id)).toEqual([
      'stop-chrome-runaway',
      'stop-api-limit',
      'stop-api-rate-limited',
      'stop-cost-spike',
      'stop-consecutive-failures',
      'stop-api-outage',
      'stop-provider-check',
    ]);
    expect(actionRules).toHaveLength(7);
  });

  it('the shipped config file, when it lists alert rules, lists the same ones', () => {
    const file = join(import.meta.dirname, '../../resources/config/default.yaml');
    if (!existsSync(file)) return;
    const raw = parseDocument(readFileSync(file, 'utf8')).toJS() as { alerts?: { rules?: unknown[] } } | null;
    const shipped = raw?.alerts?.rules;
    if (!shipped) return;
    const norm = (list: readonly unknown[]) =>
      compileRules(list, { file }).rules.map((r) => [
        r.id,
        r.exprText,
        r.forMs,
        r.clear,
        r.severity,
        r.action,
        r.enabled,
      ]);
    expect(compileRules(shipped, { file }).errors).toEqual([]);
    expect(norm(shipped)).toEqual(norm(defaultRules));
  });

  it('setConfig on the engine reports bad rules with their lines and runs the good ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nexus-alerts-rules-'));
    const db = new Database(join(dir, 'a.db'));
    try {
      db.transaction(() => alertsMigration.up(db))();
      const clock = new ManualClock(Date.parse('2026-11-25T10:00:00+09:00'));
      const sent: string[] = [];
      const alerts = createAlerts({
        db,
        clock,
        notifier: { send: (m) => sent.push(m.title) },
        config: { rules: [] },
        configFile: '/data/config.yaml',
      });
      const { raw, locate } = yamlWithLocate(text);
      const errors = alerts.setConfig(raw.alerts, locate);
      expect(errors.map((e) => `${e.file}:${e.line}:${e.col} ${e.ruleId}`)).toEqual([
        '/data/config.yaml:11:12 bad-duration',
        '/data/config.yaml:14:13 bad-op',
        '/data/config.yaml:17:13 typo-metric',
        '/data/config.yaml:21:17 bad-severity',
        '/data/config.yaml:22:11 cpu-high',
        '/data/config.yaml:27:14 wrong-clear',
      ]);
      expect(alerts.api['alerts.rules']({}).errors).toEqual(errors);
      alerts.evaluate([{ key: 'cpu.total', name: 'cpu.total', labels: {}, ts: clock.now(), value: 99 }]);
      expect(alerts.active().map((a) => [a.ruleId, a.state])).toEqual([['cpu-high', 'pending']]);
      const bad = alerts.setConfig({ rules: [], escalation: 'often' }, locate);
      expect(bad).toEqual([
        expect.objectContaining({ ruleIndex: -1, reason: expect.stringMatching(/^alerts.escalation/) }),
      ]);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    }
  });
});

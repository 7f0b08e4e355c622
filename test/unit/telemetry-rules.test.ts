/**
 * Extraction rules against the real bots' lines (fixtures quoted from BOTS.md and the bots' code): each
 * line gives the event it stands for; a bad operator rule is refused with its place while the others
 * run; the adapter maps the logs capability's records.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { ManualClock } from '../../electron/core/clock/index.js';
import { defaultExtractionRules, recordsFromLogs } from '../../electron/core/telemetry/index.js';
import { compileRules, eventOf, matchRule } from '../../electron/core/telemetry/rules.js';
import { telemetryHarness } from '../fixtures/telemetry/harness.js';
import {
  consoleRecords,
  type LogsRecord,
  pythonLogRecords,
  readFixture,
} from '../fixtures/telemetry/records.js';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

function classify(records: readonly LogsRecord[]) {
  const { rules, problems } = compileRules(defaultExtractionRules);
  expect(problems).toEqual([]);
  return recordsFromLogs(records).map((rec) => {
    for (const r of rules) {
      const g = matchRule(r, rec);
      if (g) return { line: rec.message, ...eventOf(r, rec, g) };
    }
    return { line: rec.message, kind: null };
  });
}

describe('announced records', () => {
  it('read the level however it is spelled, and no property name of Object as one', () => {
    const records = recordsFromLogs({
      records: ['ERROR', 'warn', 'Critical', 'constructor', '__proto__'].map((level, i) => ({
        id: i + 1,
        botId: 'nexus02',
        ts: 1000 + i,
        level,
        message: `メッセージ ${i}`,
      })),
    });
    expect(records.map((r) => r.level)).toEqual(['ERROR', 'WARNING', 'CRITICAL', undefined, undefined]);
  });
});

describe('shipped extraction rules on the real lines', () => {
  it('Nexus 02 Python logging: actions with their account, limits, locks, WebDriver, memory, tracebacks', () => {
    const records = pythonLogRecords(readFixture('nexus02', 'log', 'acc1_20260105_100000.log'), {
      bot: 'nexus02',
      source: 'log/acc1_20260105_100000.log',
      idPrefix: 'n',
    });
    const got = classify(records).map((e) => [
      e.line.slice(0, 20),
      e.kind,
      'account' in e ? e.account : undefined,
      'action' in e ? e.action : undefined,
      'value' in e ? e.value : undefined,
    ]);
    expect(got).toEqual([
      ['ヘッドレスモードでWebDriverを起', null, undefined, undefined, undefined],
      ['現在のメモリ使用量: 88.4 MB', 'memory', 'acc1', undefined, 88.4],
      ['新しいWebDriverインスタンスを初', null, undefined, undefined, undefined],
      ['現在のメモリ使用量: 131.9 MB', 'memory', 'acc1', undefined, 131.9],
      ['[acc1] [like] target', null, undefined, undefined, undefined],
      ['[acc1] [like] succes', 'success', 'acc1', 'like', undefined],
      ['[acc1] [like] target', null, undefined, undefined, undefined],
      ['[acc1] [like] failed', 'failure', 'acc1', 'like', undefined],
      ['[acc1] [comment] hou', 'action-limit', 'acc1', 'comment', undefined],
      ['[acc1] [profile-lock', 'profile-lock-timeout', 'acc1', undefined, undefined],
      ['WebDriverの強制再起動を実行しま', null, undefined, undefined, undefined],
      ['WebDriverを再起動しました（起動', 'webdriver-restart', 'acc1', undefined, 2],
      ['現在のメモリ使用量: 140.2 MB', 'memory', 'acc1', undefined, 140.2],
      ['WebDriverの初期化中にエラーが発', 'chrome-start-failure', 'acc1', undefined, undefined],
      ['返信処理中に予期せぬエラーが発生しました', 'error', 'acc1', undefined, undefined],
      ['[acc1] [like] succes', 'success', 'acc1', 'like', undefined],
    ]);
    // The traceback travels with its record, its last line (the exception) kept.
    const err = classify(records).find((e) => e.kind === 'error') as { text: string };
    expect(err.text).toContain('IndexError: list index out of range');
  });

  it('TradingAssistantX console: workflow runs, API answers with status, QPS waits, retries, budget, timeouts', () => {
    const records = consoleRecords(readFixture('tax', 'console.txt'), {
      bot: 'tax',
      start: 0,
      idPrefix: 't',
    });
    const got = classify(records)
      .filter((e) => e.kind !== null)
      .map((e) => {
        const ev = e as Record<string, unknown>;
        return [
          ev.kind,
          ev.action ?? null,
          ev.status ?? null,
          ev.qps ?? null,
          ev.value ?? null,
          ev.run ?? null,
          ev.executionId ?? null,
        ];
      });
    expect(got).toEqual([
      ['run', 'post', null, null, null, 'start', 'exec_1767560400004_post'],
      ['api-request', null, null, null, null, null, null],
      ['api-call', null, 200, null, null, null, null],
      ['qps-wait', null, null, 200, 412, null, null],
      ['api-request', null, null, null, null, null, null],
      ['api-call', null, 429, null, null, null, null],
      ['error', null, null, null, null, null, null],
      ['rate-limit-answer', null, null, null, null, null, null],
      ['api-request', null, null, null, null, null, null],
      ['api-call', null, 200, null, null, null, null],
      ['api-call', null, null, null, null, null, null],
      ['budget-warning', null, null, null, 4.0012, null, null],
      ['success', 'post', null, null, 7341, 'finish', 'exec_1767560400004_post'],
      ['run', 'like', null, null, null, 'start', 'exec_1767561300000_like'],
      ['api-request', null, null, null, null, null, null],
      ['api-error', null, null, null, 10000, null, null],
      ['failure', 'like', null, null, null, 'finish-error', 'exec_1767561300000_like'],
    ]);
  });
});

describe('operator rules', () => {
  it('a rule with a catastrophic or look-around pattern is refused with its line; the others run', () => {
    const clock = new ManualClock(Date.parse('2026-01-05T10:00:00+09:00'));
    const h = telemetryHarness(clock, {
      telemetry: {
        rules: [
          { id: 'ok-rule', match: 'orders=(?P<value>\\d+)', event: 'count', metric: 'custom.orders' },
          { id: 'lookahead', match: 'foo(?=bar)', event: 'failure' },
          { id: 'no-match', event: 'success' },
        ],
      },
    });
    closers.push(() => h.close());
    const issues = h.telemetry.configIssues();
    expect(issues.map((i) => i.path)).toEqual(['telemetry.rules.1.match', 'telemetry.rules.2']);
    expect(issues[0]?.message).toContain('look-around');
    expect(issues[1]?.message).toContain('give match');
    h.feed([
      { id: 'r1', bot: 'tax', ts: clock.now(), level: 'INFO', message: 'orders=3', source: 'stdout' },
      { id: 'r2', bot: 'tax', ts: clock.now(), level: 'INFO', message: 'orders=4', source: 'stdout' },
    ]);
    h.telemetry.publishAll();
    expect(h.latest('custom.orders')).toBe(7);
    // A long line against every rule is matched in linear time (RE2), never a hang.
    h.feed([
      {
        id: 'r3',
        bot: 'tax',
        ts: clock.now(),
        level: 'INFO',
        message: `${'a'.repeat(100_000)}!`,
        source: 'stdout',
      },
    ]);
    expect(h.telemetry.stats.records).toBe(3);
  });

  it('the shipped config file lists the same extraction rules as the code', () => {
    const file = join(import.meta.dirname, '../../resources/config/default.yaml');
    const raw = parseDocument(readFileSync(file, 'utf8')).toJS() as { telemetry?: { rules?: unknown[] } };
    expect(raw.telemetry?.rules).toEqual(JSON.parse(JSON.stringify(defaultExtractionRules)));
  });
});

describe('the logs adapter', () => {
  it('maps announced records (plain, JSON lines with the Phase 6 fields) and skips unusable ones', () => {
    const out = recordsFromLogs({
      records: [
        {
          id: 1,
          bot: 'nexus02',
          ts: 1000,
          level: 'warn',
          message: 'first\nsecond line',
          source: 'log/a.log',
        },
        {
          id: 'j1',
          bot: 'nexus02',
          timestamp: '2026-01-05T01:00:00Z',
          level: 'ERROR',
          message: 'API failed',
          fields: { account_id: 'acc9', correlation_id: 'c-1', metadata: { status: 503 } },
        },
        { id: 'x', message: 'no bot', ts: 1 },
        { id: 'y', bot: 'b', message: 'no time' },
        'garbage',
      ],
    });
    expect(out.map((r) => [r.id, r.level, r.message, r.detail, r.account, r.executionId])).toEqual([
      ['1', 'WARNING', 'first', 'second line', undefined, undefined],
      ['j1', 'ERROR', 'API failed', undefined, 'acc9', 'c-1'],
    ]);
    expect(out[1]?.ts).toBe(Date.parse('2026-01-05T01:00:00Z'));
    expect(out.skipped).toBe(3);
  });
});

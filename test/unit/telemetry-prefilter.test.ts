/**
 * The literal prefilter and the per-message answers of the extraction rules change nothing but the
 * time: a literal taken from a pattern is in every text the pattern matches (random patterns with texts
 * built to match them, near misses, other cases), and the rules give exactly the events that running
 * every rule's regex on every record gives, over the real bots' lines, the bench corpus and near misses.
 */
import { describe, expect, it } from 'vitest';
import { defaultExtractionRules, recordsFromLogs } from '../../electron/core/telemetry/index.js';
import { requiredLiteral } from '../../electron/core/telemetry/literal.js';
import { type CompiledRule, compileRules, eventOf, matchRule } from '../../electron/core/telemetry/rules.js';
import type { TelemetryRecord } from '../../electron/core/telemetry/types.js';
import { compileSafeRegex } from '../../shared/regex/index.js';
import { nexusMessage, prng } from '../bench/logs-corpus.js';
import { matcherGroups } from '../fixtures/regex/matcher-groups.js';
import { randomPatterns } from '../fixtures/regex/random-patterns.js';
import { consoleRecords, generateDay, pythonLogRecords, readFixture } from '../fixtures/telemetry/records.js';

describe('requiredLiteral', () => {
  it.each([
    ['⚡ MainWorkflow実行開始 - ExecutionID: (?P<exec>exec_\\d+)', '⚡ MainWorkflow実行開始 - ExecutionID: '],
    ['^(?:\\[(?P<account>[^\\]\\s]+)\\] )?\\[(?P<action>[a-z_]+)\\] success: ', '] success: '],
    ['WebDriverの(?:初期化中|再起動中)にエラー', 'WebDriverの'],
    ['⚠️ (?:日次|月次)予算警告: \\$(?P<value>[\\d.]+)', '予算警告: $'],
    // A quantifier that allows zero takes its character back; `+` keeps it but ends the run.
    ['abcd?ef', 'abc'],
    ['abc*defg', 'defg'],
    ['ab+cd', 'ab'],
    ['x{2}yz', 'yz'],
    ['abc{0,3}de', 'ab'],
    ['\\.\\.\\.?', '..'],
    // A quantifier after an emoji's variation selector applies to the selector only.
    ['⚠️?x', '⚠'],
    // Classes, groups, escapes and anchors end a run.
    ['ab[cd]ef', 'ab'],
    ['[]x]yz', 'yz'],
    ['ab\\dcde', 'cde'],
    ['\\pLxyz', 'xyz'],
    ['\\p{Greek}xyz', 'xyz'],
    ['^abc$', 'abc'],
    ['a.bc', 'bc'],
    ['(abc)de', 'de'],
  ])('%s → %s', (pattern, literal) => {
    expect(requiredLiteral(pattern)).toBe(literal);
  });

  it.each([
    ['\\S', 'no literal at all'],
    ['abc|def', 'a top-level alternation'],
    ['(?i)timeout', 'a flag changes how literals match'],
    ['abc(?i:x)', 'a flag group anywhere'],
    ['a(?s).b', 'any flag'],
    ['\\Qa.b\\E', 'quoted text'],
    ['ab\\x41cd', 'a numeric escape'],
    ['ab\\ncd', 'a control escape'],
    ['[[:alpha:]]abc', 'a POSIX class'],
    ['ab{,3}', 'a brace that is not a repeat'],
    ['(abc', 'an unbalanced group'],
  ])('%s gives none (%s)', (pattern) => {
    expect(requiredLiteral(pattern)).toBeUndefined();
  });

  it('gives none when the rule is case-insensitive', () => {
    expect(requiredLiteral('timeout', { ignoreCase: true })).toBeUndefined();
  });

  /**
   * Random patterns, each built with a text it matches (and near misses of that text): whenever RE2
   * matches a text, the pattern's literal is in it.
   */
  it('every text a random pattern matches holds its literal', () => {
    const gen = randomPatterns(11);
    let withLiteral = 0;
    let matched = 0;
    for (let p = 0; p < 3000; p++) {
      const { pattern, sample } = gen.next();
      let re: ReturnType<typeof compileSafeRegex>;
      try {
        re = compileSafeRegex(pattern);
      } catch {
        continue;
      }
      const literal = requiredLiteral(pattern);
      if (literal === undefined) continue;
      withLiteral++;
      for (let t = 0; t < 20; t++) {
        const exact = sample();
        for (const text of [exact, gen.nearMiss(exact), gen.nearMiss(gen.nearMiss(exact))]) {
          if (!re.test(text)) continue;
          matched++;
          if (!text.includes(literal))
            throw new Error(
              `/${pattern}/ matches ${JSON.stringify(text)} without ${JSON.stringify(literal)}`,
            );
        }
      }
    }
    // Not vacuous: many patterns had a literal and many texts matched them.
    expect(withLiteral).toBeGreaterThan(1000);
    expect(matched).toBeGreaterThan(20_000);
  });
});

/**
 * The rules as they were before: no literal, every regex run (a Matcher: find, then the groups),
 * nothing remembered.
 */
function unfiltered(rules: readonly CompiledRule[]): CompiledRule[] {
  class Forgetful extends Map<string, Readonly<Record<string, string>> | null> {
    override set() {
      return this;
    }
  }
  return rules.map((r) => ({
    ...r,
    re: r.re && { ...r.re, groups: matcherGroups(r.re.source) },
    literal: undefined,
    answers: new Forgetful(),
  }));
}

function firstEvent(rules: readonly CompiledRule[], record: TelemetryRecord) {
  for (const r of rules) {
    const g = matchRule(r, record);
    if (g) return eventOf(r, record, g);
  }
  return null;
}

/** Every record's event (or none) under the rules, compared with running every regex. */
function expectSameEvents(rawRules: readonly unknown[], records: readonly TelemetryRecord[]): number {
  const { rules, problems } = compileRules(rawRules);
  expect(problems).toEqual([]);
  const slow = unfiltered(rules);
  let events = 0;
  records.forEach((record, i) => {
    const got = firstEvent(rules, record);
    const want = firstEvent(slow, record);
    if (JSON.stringify(got) !== JSON.stringify(want))
      throw new Error(
        `record ${i} ${JSON.stringify(record.message)}: ${JSON.stringify(got)} ≠ ${JSON.stringify(want)}`,
      );
    if (got) events++;
  });
  return events;
}

/** Lines that carry a rule's literal but not its match, or its words in another case. */
const NEAR_MISSES = [
  '⚡ MainWorkflow実行開始 - ExecutionID: exec_abc_post',
  '⚡ mainworkflow実行開始 - ExecutionID: exec_1_post',
  '✅ MainWorkflow実行完了 - ExecutionID: exec_1_post - 実行時間: 12ms - 結果: failure',
  '🌐 HTTP PUT リクエスト',
  '🌐 http GET リクエスト',
  '📡 レスポンス: 20',
  '📋 HTTP Response:',
  'postでエラー: timeout',
  'postでエラー: Request timeout after 10000ms',
  'postでエラー: request timeout after 10000ms',
  '⏱️ QPS制限により待機: ms',
  '⏱ QPS制限により待機: 120ms',
  '🔄 Rate limit - リトライ a/3',
  '⚠️ 週次予算警告: $4.5',
  '[acc1] [Like] success: 1',
  '[acc1][like] success: 1',
  '[acc1] [like] SUCCESS: 1',
  '[acc 1] [like] success: 1',
  'x [like] success: 1',
  '[like] failed 1',
  '[comment] hourly limit',
  '[acc1] [profile-lock] timeout waiting:',
  'WebDriverを再起動しました（起動回数: ）',
  'WebDriverの初期化中にエラー',
  '現在のメモリ使用量: 1.2.3 MB',
  '現在のメモリ使用量: 12MB',
  '',
  ' ',
];

describe('the prefiltered rules give the events of every regex run', () => {
  it('on the real bots’ lines, a generated day of both bots and the bench corpus', () => {
    const records = [
      ...recordsFromLogs(
        pythonLogRecords(readFixture('nexus02', 'log', 'acc1_20260105_100000.log'), {
          bot: 'nexus02',
          source: 'log/acc1_20260105_100000.log',
          idPrefix: 'n',
        }),
      ),
      ...recordsFromLogs(
        consoleRecords(readFixture('tax', 'console.txt'), {
          bot: 'tradingassistantx',
          start: 0,
          idPrefix: 't',
        }),
      ),
      ...recordsFromLogs(generateDay(Date.UTC(2026, 0, 5, -9)).records),
    ];
    const r = prng(3);
    for (let i = 0; i < 20_000; i++) {
      const m = nexusMessage(r);
      records.push({ id: `b${i}`, bot: 'nexus02', ts: i, level: m.level as 'INFO', message: m.message });
    }
    const events = expectSameEvents(defaultExtractionRules, records);
    expect(events).toBeGreaterThan(10_000);
  });

  it('on near misses at every level and stream, twice (the second time from the answers kept)', () => {
    const levels = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL', undefined] as const;
    const records: TelemetryRecord[] = [];
    for (const message of NEAR_MISSES)
      for (const level of levels)
        for (const stream of ['stdout', 'stderr', undefined] as const)
          records.push({
            id: String(records.length),
            bot: 'b',
            ts: 1,
            message,
            ...(level ? { level } : {}),
            ...(stream ? { stream } : {}),
          });
    expectSameEvents(defaultExtractionRules, [...records, ...records]);
  });

  it('operator rules: case-insensitive, alternations, stream and field rules', () => {
    const rules = [
      { id: 'ci', match: '(?i)request timeout', event: 'api-error' },
      { id: 'alt', match: 'quota exceeded|rate limited', event: 'rate-limit-answer' },
      { id: 'cased', match: 'Timeout after (?P<ms>\\d+)', event: 'api-error' },
      { id: 'err', match: 'boom', stream: 'stderr', event: 'failure' },
      { id: 'status', match: 'done', field: { path: 'metadata.status', equals: 'ok' }, event: 'success' },
    ];
    const messages = [
      'REQUEST TIMEOUT',
      'Request Timeout after 5',
      'timeout after 5',
      'Timeout after 5',
      'TIMEOUT AFTER 5',
      'rate limited',
      'Rate Limited',
      'quota exceeded now',
      'boom',
      'BOOM',
      'done',
      'Done',
    ];
    const records: TelemetryRecord[] = [];
    for (const message of messages)
      for (const stream of ['stdout', 'stderr'] as const)
        for (const fields of [undefined, { metadata: { status: 'ok' } }, { status: 'no' }])
          records.push({
            id: String(records.length),
            bot: 'b',
            ts: 1,
            message,
            stream,
            ...(fields ? { fields } : {}),
          });
    const events = expectSameEvents(rules, records);
    expect(events).toBeGreaterThan(20);
  });

  it('keeps answers for a bounded number of messages, and a caller changing one changes nothing', () => {
    const { rules } = compileRules([{ id: 'm', match: 'n=(?P<value>\\d+)', event: 'memory' }]);
    const rule = rules[0] as CompiledRule;
    const rec = (message: string): TelemetryRecord => ({ id: '1', bot: 'b', ts: 1, message });
    const first = matchRule(rule, rec('n=1'));
    expect(first).toEqual({ value: '1' });
    (first as Record<string, string>).value = 'changed';
    expect(matchRule(rule, rec('n=1'))).toEqual({ value: '1' });
    for (let i = 0; i < 5000; i++) expect(matchRule(rule, rec(`n=${i}`))).toEqual({ value: String(i) });
    expect(rule.answers.size).toBeLessThanOrEqual(1024);
    expect(matchRule(rule, rec('m=1'))).toBeNull();
  });
});

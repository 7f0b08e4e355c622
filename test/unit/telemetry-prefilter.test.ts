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
    const r = prng(11);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
    const ATOMS = ['a', 'b', 'A', 'B', 'x', ':', ' ', 'あ', 'ア', '漢', '🌐', '⚠️', '1', '-', '_'];
    const ESCAPED = [
      '\\.',
      '\\[',
      '\\]',
      '\\$',
      '\\(',
      '\\)',
      '\\*',
      '\\+',
      '\\?',
      '\\{',
      '\\|',
      '\\\\',
      '\\-',
    ];
    interface Node {
      re: string;
      sample(): string;
    }
    const lit = (c: string): Node => ({ re: c, sample: () => c });
    function atom(depth: number): Node {
      const x = r();
      if (x < 0.45) return lit(pick(ATOMS));
      if (x < 0.55) {
        const e = pick(ESCAPED);
        return { re: e, sample: () => e.slice(1) };
      }
      if (x < 0.62) return { re: '\\d', sample: () => String(Math.floor(r() * 10)) };
      if (x < 0.66) return { re: '\\s', sample: () => pick([' ', '\t']) };
      if (x < 0.7) return { re: '.', sample: () => pick(ATOMS) };
      if (x < 0.76) {
        const members = [pick(ATOMS), pick(ATOMS)].filter((c) => [...c].length === 1);
        if (members.length === 0) return lit('a');
        return { re: `[${members.join('')}]`, sample: () => pick(members) };
      }
      if (depth < 3 && x < 0.92) {
        const a = seq(depth + 1, 1 + Math.floor(r() * 3));
        const b = seq(depth + 1, 1 + Math.floor(r() * 3));
        const open = pick(['(', '(?:', '(?P<g>', '(?i:']);
        const alt = r() < 0.5;
        const upper = (s: string) => (open === '(?i:' && r() < 0.5 ? s.toUpperCase() : s);
        return {
          re: `${open}${a.re}${alt ? `|${b.re}` : ''})`,
          sample: () => upper(alt && r() < 0.5 ? b.sample() : a.sample()),
        };
      }
      return lit(pick(ATOMS));
    }
    function quantified(depth: number): Node {
      const a = atom(depth);
      const x = r();
      const rep = (min: number, max: number) => () => {
        let s = '';
        const n = min + Math.floor(r() * (max - min + 1));
        for (let i = 0; i < n; i++) s += a.sample();
        return s;
      };
      const lazy = r() < 0.2 ? '?' : '';
      if (x < 0.1) return { re: `${a.re}*${lazy}`, sample: rep(0, 3) };
      if (x < 0.2) return { re: `${a.re}+${lazy}`, sample: rep(1, 3) };
      if (x < 0.3) return { re: `${a.re}?${lazy}`, sample: rep(0, 1) };
      if (x < 0.35) return { re: `${a.re}{2}`, sample: rep(2, 2) };
      if (x < 0.4) return { re: `${a.re}{0,2}`, sample: rep(0, 2) };
      return a;
    }
    function seq(depth: number, n: number): Node {
      const parts = Array.from({ length: n }, () => quantified(depth));
      return { re: parts.map((p) => p.re).join(''), sample: () => parts.map((p) => p.sample()).join('') };
    }
    function noise(): string {
      let s = '';
      const n = Math.floor(r() * 6);
      for (let i = 0; i < n; i++) s += pick(ATOMS);
      return s;
    }
    function nearMiss(text: string): string {
      const chars = [...text];
      if (chars.length === 0) return text;
      const i = Math.floor(r() * chars.length);
      const c = chars[i] as string;
      const x = r();
      if (x < 0.4) chars[i] = c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase();
      else if (x < 0.7) chars.splice(i, 1);
      else chars[i] = pick(ATOMS);
      return chars.join('');
    }

    let withLiteral = 0;
    let matched = 0;
    for (let p = 0; p < 3000; p++) {
      const node =
        r() < 0.15
          ? (() => {
              const a = seq(0, 2);
              const b = seq(0, 2);
              return { re: `${a.re}|${b.re}`, sample: () => (r() < 0.5 ? a.sample() : b.sample()) };
            })()
          : seq(0, 2 + Math.floor(r() * 6));
      const pattern = r() < 0.05 ? `(?i)${node.re}` : node.re;
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
        const exact = noise() + node.sample() + noise();
        for (const text of [exact, nearMiss(exact), nearMiss(nearMiss(exact))]) {
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

/** The rules as they were before the prefilter: no literal, every regex run, nothing remembered. */
function unfiltered(rules: readonly CompiledRule[]): CompiledRule[] {
  class Forgetful extends Map<string, Readonly<Record<string, string>> | null> {
    override set() {
      return this;
    }
  }
  return rules.map((r) => ({ ...r, literal: undefined, answers: new Forgetful() }));
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

/**
 * SafeRegex.groups runs the engine once for the match and its groups: the groups are exactly those a
 * Matcher gives (find, then its groups), over random patterns with texts they match and near misses,
 * and over the shipped extraction rules on the ingest bench's corpus.
 */
import { describe, expect, it } from 'vitest';
import { defaultExtractionRules } from '../../electron/core/telemetry/index.js';
import { compileSafeRegex } from '../../shared/regex/index.js';
import { nexusMessage, prng } from '../bench/logs-corpus.js';
import { matcherGroups } from '../fixtures/regex/matcher-groups.js';
import { randomPatterns } from '../fixtures/regex/random-patterns.js';

describe('SafeRegex.groups', () => {
  it('gives the groups a Matcher gives, on random patterns, matching texts and near misses', () => {
    const gen = randomPatterns(23);
    let matched = 0;
    let captured = 0;
    for (let p = 0; p < 3000; p++) {
      const { pattern, sample } = gen.next();
      let fast: ReturnType<typeof compileSafeRegex>;
      try {
        fast = compileSafeRegex(pattern);
      } catch {
        continue;
      }
      const slow = matcherGroups(pattern);
      for (let t = 0; t < 10; t++) {
        const exact = sample();
        for (const text of [exact, gen.nearMiss(exact), '']) {
          const want = slow(text);
          expect(fast.groups(text), `/${pattern}/ on ${JSON.stringify(text)}`).toEqual(want);
          if (want) matched++;
          if (want && Object.keys(want).length > 0) captured++;
        }
      }
    }
    // Not vacuous: most samples matched, thousands with named groups captured.
    expect(matched).toBeGreaterThan(20_000);
    expect(captured).toBeGreaterThan(3_000);
  });

  it('gives the groups a Matcher gives for the shipped extraction rules on the bench corpus', () => {
    const r = prng(9);
    const lines = Array.from({ length: 5000 }, () => nexusMessage(r).message);
    lines.push('⚡ MainWorkflow実行開始 - ExecutionID: exec_1700000000_post', '📡 レスポンス: 429 Too Many');
    let hits = 0;
    for (const rule of defaultExtractionRules) {
      const fast = compileSafeRegex(rule.match as string);
      const slow = matcherGroups(rule.match as string);
      for (const line of lines) {
        const want = slow(line);
        expect(fast.groups(line)).toEqual(want);
        if (want) hits++;
      }
    }
    expect(hits).toBeGreaterThan(5000);
  });

  it('still anchors both ends for whole-text patterns', () => {
    const re = compileSafeRegex('(?P<name>[a-z]+)', { whole: true });
    expect(re.groups('abc')).toEqual({ name: 'abc' });
    expect(re.groups('abc1')).toBeNull();
    expect(compileSafeRegex('(?P<name>[a-z]+)').groups('1abc2')).toEqual({ name: 'abc' });
  });
});

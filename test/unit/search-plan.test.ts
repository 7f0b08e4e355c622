import { describe, expect, it } from 'vitest';
import { highlightRanges, likePattern, planSearch } from '../../shared/search/index.js';

describe('search plan for Japanese and English', () => {
  it('sends terms of 3+ characters to MATCH and keeps 1-2 character terms as substrings', () => {
    expect(planSearch('認証エラー 失敗 x')).toEqual({
      match: '"認証エラー"',
      substrings: ['失敗', 'x'],
      terms: ['認証エラー', '失敗', 'x'],
    });
    expect(planSearch('認証　エラー')).toMatchObject({ match: '"エラー"', substrings: ['認証'] });
  });

  it('keeps quoted phrases together and escapes quotes inside them', () => {
    expect(planSearch('"rate limit" timeout').match).toBe('"rate limit" AND "timeout"');
    expect(planSearch('a"b').terms).toEqual(['a', 'b']);
    expect(planSearch('  ').match).toBeNull();
  });

  it('escapes LIKE wildcards', () => {
    expect(likePattern('50%_a\\b')).toBe('%50\\%\\_a\\\\b%');
  });

  it('highlights every occurrence, merged and in order', () => {
    expect(highlightRanges('API認証エラー: 認証失敗', ['認証', 'エラー'])).toEqual([
      [3, 8],
      [10, 12],
    ]);
    expect(highlightRanges('Timeout TIMEOUT', ['timeout'])).toEqual([
      [0, 7],
      [8, 15],
    ]);
  });
});

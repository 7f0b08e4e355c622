/**
 * The log masker checks for a pattern's separator before running it (cookies need ':', session ids
 * '='): the output is byte for byte what running every pattern on every line gives, over the ingest
 * bench's corpus and a fuzz corpus of credential-shaped fragments, and still masks what it should.
 */
import { describe, expect, it } from 'vitest';
import { COOKIE, createMasker, SESSION_ID } from '../../electron/core/logs/mask.js';
import { MASK, maskSecrets } from '../../electron/core/secrets/index.js';
import { nexusMessage, prng } from '../bench/logs-corpus.js';

/** Every pattern on every line, as before the checks. */
function maskEverything(text: string): string {
  return maskSecrets(text).replace(COOKIE, `$1${MASK}`).replace(SESSION_ID, `$1${MASK}`);
}

const FRAGMENTS = [
  'Cookie: a=1; sid=2',
  'cookie:x',
  'Set-Cookie: ct0=abc',
  'SET-COOKIE:',
  'Cookie',
  'sid=abcdef',
  'SID=1',
  'sessid=',
  'session=s3cr3t;',
  'jsessionid=ABC&x=1',
  'csrftoken=zz',
  'xsrf-token=q',
  'auth_token=t',
  'ct0="x"',
  'session',
  '=',
  ':',
  ' ',
  '\t',
  '\r',
  '\n',
  ';',
  '&',
  ',',
  '"',
  "'",
  'api_key=sk-abcdefghijklmnopqrstuvwxyz',
  'Bearer abcdefghijkl',
  'https://u:p@host/x',
  'password: hunter2',
  '[alice]',
  '投稿',
  'セッション=値',
  '🍪',
  'x',
];

describe('log masking with separator checks', () => {
  it('gives what running every pattern gives, on the bench corpus and on fuzzed fragments', () => {
    const masker = createMasker([]);
    const r = prng(5);
    const texts: string[] = [];
    for (let i = 0; i < 20_000; i++) texts.push(nexusMessage(r).message);
    for (let i = 0; i < 20_000; i++) {
      let s = '';
      const n = 1 + Math.floor(r() * 6);
      for (let k = 0; k < n; k++) s += FRAGMENTS[Math.floor(r() * FRAGMENTS.length)];
      texts.push(s);
    }
    let changed = 0;
    for (const t of texts) {
      const want = maskEverything(t);
      expect(masker.mask(t)).toBe(want);
      if (want !== t) changed++;
    }
    // Not vacuous: thousands of the fuzzed lines had something masked.
    expect(changed).toBeGreaterThan(5_000);
  });

  it('still masks cookies and session ids, with or without the other separator', () => {
    const masker = createMasker([]);
    expect(masker.mask('Cookie: theme')).toBe(`Cookie: ${MASK}`);
    expect(masker.mask('GET /?sid=abc123 done')).toBe(`GET /?sid=${MASK} done`);
    expect(masker.mask('set-cookie: sid=abc')).toBe(`set-cookie: ${MASK}`);
  });
});

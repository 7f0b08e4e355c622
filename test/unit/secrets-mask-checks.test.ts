/**
 * maskSecrets runs each pattern only on text that holds what every match of it needs (a separator, a
 * word, a run of token characters): the output is byte for byte that of running every pattern, over
 * the log ingest bench's corpus and a fuzz corpus built from credential-shaped fragments, runs of
 * token characters around the thresholds (10-12, 31-33), separators and Japanese text.
 */
import { describe, expect, it } from 'vitest';
import { MASK, maskSecrets, maskSecretsUnchecked } from '../../electron/core/secrets/index.js';
import { nexusMessage, prng } from '../bench/logs-corpus.js';

const FRAGMENTS = [
  'https://user:pw@example.com/x',
  'postgres://bot:s3cr3t@db:5432/app',
  'https://hooks.slack.com/services/T000/B000/XXXX',
  'HTTPS://HOOKS.SLACK.COM/services/T0/B0/x',
  'https://discord.com/api/webhooks/123/abc',
  'discordapp.com/api/webhooks/1/x',
  'Authorization: Bearer abcdefgh12345678',
  'Token abcdefghijkl',
  'Basic dXNlcjpwYXNzd29yZA==',
  'Basic authentication',
  'api_key=AIzaSyA1234567890abcdefghijklmnopqrstuv',
  'GEMINI_API_KEY="abc def"',
  "password='hunter2'",
  '"token": "xyz"',
  '--api-key sk-proj-abcdefghijklmnopqrstuvwxyz0123',
  '--password hunter2',
  // Every word of a sensitive name, in other cases: the check for one runs before the assignment patterns.
  'X-Api-Key: abc123',
  'authToken=abc',
  'MY_PWD=x',
  'req.sig=abc',
  'webhookUrl=https://example.com/h',
  'Credentials: x',
  'PASSPHRASE=x',
  'SecretKey: x',
  '--db-password x',
  '-p secret',
  '/password:hunter2',
  '/token=abc',
  'xoxb-1234567890-abc',
  'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
  'github_pat_abcdefghijklmnopqrstuvwxyz01234',
  'SK0123456789abcdef0123456789abcdef',
  'AKIAABCDEFGHIJKLMNOP',
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig',
  // The shortest token shape: a JWT of 11-character runs.
  ' eyJabcdefgh.eyJabcdefgh.s ',
  '0123456789abcdef0123456789abcdef',
  'aB3aB3aB3aB3aB3aB3aB3aB3aB3aB3aB3',
  '=',
  ':',
  '://',
  '/',
  '-',
  '--',
  ' ',
  '\t',
  '"',
  "'",
  ';',
  '&',
  '?',
  '{',
  '(',
  '.',
  '_',
  '+',
  '==',
  'Bearer',
  'Token',
  'Basic',
  '[acc1] [like] success: 1966123456789012345 をいいねしました',
  '現在のメモリ使用量: 412.3 MB',
  '投稿',
  '🍪',
];

function tokenRun(r: () => number): string {
  const chars = 'abcdefABCDEF0123456789xyzXYZ_-+';
  const n = [10, 11, 12, 31, 32, 33][Math.floor(r() * 6)] as number;
  let s = '';
  for (let i = 0; i < n; i++) s += chars[Math.floor(r() * chars.length)];
  return s;
}

describe('maskSecrets with checks before each pattern', () => {
  it('gives what running every pattern gives, on the bench corpus and on fuzzed fragments', () => {
    const r = prng(13);
    const texts: string[] = ['', 'x'];
    for (let i = 0; i < 20_000; i++) texts.push(nexusMessage(r).message);
    for (let i = 0; i < 40_000; i++) {
      let s = '';
      const n = 1 + Math.floor(r() * 6);
      for (let k = 0; k < n; k++)
        s += r() < 0.2 ? tokenRun(r) : (FRAGMENTS[Math.floor(r() * FRAGMENTS.length)] as string);
      texts.push(s);
    }
    let masked = 0;
    for (const t of texts) {
      const want = maskSecretsUnchecked(t);
      const got = maskSecrets(t);
      if (got !== want)
        throw new Error(`${JSON.stringify(t)}: ${JSON.stringify(got)} ≠ ${JSON.stringify(want)}`);
      if (want.includes(MASK)) masked++;
    }
    // Not vacuous: most fuzzed lines had something masked.
    expect(masked).toBeGreaterThan(20_000);
  });
});

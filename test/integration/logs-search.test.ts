import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asciiLower } from '../../electron/core/logs/index.js';
import type { LogHit, LogsSearchOutput } from '../../shared/api/logs.js';
import { prng, writePythonLog } from '../bench/logs-corpus.js';
import { type LogsHarness, openLogsCore, q } from '../helpers/logs-core.js';

let h: LogsHarness;
let stored: { id: number; message: string; level: string; account: string | null }[] = [];

beforeAll(() => {
  h = openLogsCore({
    config: (dir) => `
bots:
  - id: nexus02
    root: ${q(join(dir, 'bot'))}
    logs:
      - path: log/*.log
`,
  });
  mkdirSync(join(h.dir, 'bot', 'log'), { recursive: true });
  writePythonLog(join(h.dir, 'bot', 'log', 'main_process.log'), 20_000, Date.now(), 11);
  h.drain({ discover: true });
  stored = h.core.store.db
    .prepare<[], { id: number; message: string; level: number; account: string | null }>(
      'SELECT r.id, m.text AS message, r.level, r.account FROM log_records r JOIN log_messages m ON m.id = r.msg_id',
    )
    .all()
    .map((r) => ({
      ...r,
      level: ({ 10: 'DEBUG', 20: 'INFO', 30: 'WARNING', 40: 'ERROR', 50: 'CRITICAL' } as const)[
        r.level as 10
      ],
    }));
}, 120_000);
afterAll(async () => {
  await h?.close();
});

async function searchAll(input: Record<string, unknown>): Promise<LogHit[]> {
  const out: LogHit[] = [];
  let before: unknown;
  for (;;) {
    const page = await h.call<LogsSearchOutput>('logs.search', { ...input, limit: 1000, before });
    out.push(...page.hits);
    if (!page.hasMore) return out;
    before = page.nextCursor;
  }
}

/** The oracle: every term a substring of the message (ASCII case-insensitive), by a plain scan. */
function scan(terms: string[], level?: string): number[] {
  return stored
    .filter((r) => (level ? r.level === level : true))
    .filter((r) => terms.every((t) => asciiLower(r.message).includes(asciiLower(t))))
    .map((r) => r.id)
    .sort((a, b) => a - b);
}

describe('search over stored Japanese log lines', () => {
  it('returns exactly what a plain substring scan finds, for random 1- to 4-character Japanese queries', async () => {
    expect(stored.length).toBeGreaterThan(15_000);
    const r = prng(99);
    const japanese = [
      ...new Set(stored.flatMap((s) => [...s.message]).filter((c) => c.charCodeAt(0) > 0x3000)),
    ];
    const checked: { query: string; hits: number }[] = [];
    for (let i = 0; i < 100; i++) {
      const len = 1 + Math.floor(r() * 4);
      let query: string;
      if (r() < 0.6) {
        // A piece of a stored message (so most queries find something)…
        const chars = [...(stored[Math.floor(r() * stored.length)]?.message ?? '')].filter(
          (c) => c.charCodeAt(0) > 0x3000,
        );
        const at = Math.floor(r() * Math.max(1, chars.length - len));
        query = chars.slice(at, at + len).join('');
      } else {
        // …or random characters of the corpus (mostly no hit, sometimes a rare one).
        query = Array.from({ length: len }, () => japanese[Math.floor(r() * japanese.length)]).join('');
      }
      if (!query) continue;
      const got = (await searchAll({ query })).map((x) => x.id).sort((a, b) => a - b);
      expect({ query, ids: got }).toEqual({ query, ids: scan([query]) });
      checked.push({ query, hits: got.length });
    }
    // The queries covered short and long terms, with and without hits.
    expect(checked.some((c) => [...c.query].length === 1 && c.hits > 0)).toBe(true);
    expect(checked.some((c) => [...c.query].length === 2 && c.hits > 0)).toBe(true);
    expect(checked.some((c) => [...c.query].length >= 3 && c.hits > 0)).toBe(true);
    expect(checked.some((c) => c.hits === 0)).toBe(true);
  }, 120_000);

  it('ANDs short and long terms (a 2-character term is never dropped) and combines them with filters', async () => {
    for (const [query, terms, level] of [
      ['メモリ 上限', ['メモリ', '上限'], undefined],
      ['再起動 回数', ['再起動', '回数'], 'INFO'],
      ['占い 処理', ['占い', '処理'], undefined],
      ['like SUCCESS', ['like', 'SUCCESS'], undefined],
      ['"hourly limit" 待機', ['hourly limit', '待機'], 'WARNING'],
    ] as const) {
      const got = (await searchAll({ query, levels: level ? [level] : undefined }))
        .map((x) => x.id)
        .sort((a, b) => a - b);
      expect({ query, n: got.length, ids: got }).toEqual({
        query,
        n: scan([...terms], level).length,
        ids: scan([...terms], level),
      });
    }
  });

  it('pages newest first without gaps or repeats, and highlights every term', async () => {
    const one = await searchAll({ query: 'の' });
    const paged: LogHit[] = [];
    let before: unknown;
    for (;;) {
      const page = await h.call<LogsSearchOutput>('logs.search', { query: 'の', limit: 137, before });
      paged.push(...page.hits);
      if (!page.hasMore) break;
      before = page.nextCursor;
    }
    expect(paged.map((x) => x.id)).toEqual(one.map((x) => x.id));
    for (let i = 1; i < paged.length; i++) {
      const a = paged[i - 1] as LogHit;
      const b = paged[i] as LogHit;
      expect(a.ts > b.ts || (a.ts === b.ts && a.id > b.id)).toBe(true);
    }
    const hit = (await h.call<LogsSearchOutput>('logs.search', { query: 'メモリ 上限', limit: 1 }))
      .hits[0] as LogHit;
    const marked = hit.highlights.map(([s, e]) => hit.message.slice(s, e));
    expect(marked).toEqual(['メモリ', '上限']);
  });
});

/**
 * `logs.search` filters by account and by time (issue 11), on a real core with a real SQLite file:
 * Nexus 02's per-run files (`<account>_<YYYYMMDD_HHMMSS>.log`) give their lines the account, JSON lines
 * carry `account_id`, `main_process.log` has none. Every filter's result equals what the test wrote,
 * filtered by hand.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogHit, LogsSearchOutput } from '../../shared/api/logs.js';
import { type LogsHarness, openLogsCore, q } from '../helpers/logs-core.js';
import { appendLines, pythonLine } from '../helpers/logs-writers.js';

interface Written {
  tag: string;
  ts: number;
  account: string | null;
}

let h: LogsHarness;
const written: Written[] = [];
const MINUTE = 60_000;
// Whole seconds in the past, so the line's asctime (ms precision) round-trips exactly.
const base = Math.floor(Date.now() / 1000) * 1000 - 6 * 60 * MINUTE;

beforeAll(() => {
  h = openLogsCore({
    config: (dir) => `
bots:
  - id: nexus02
    root: ${q(join(dir, 'bot'))}
    logs:
      - path: log/*.log
      - path: log/*.jsonl
`,
  });
  const logDir = join(h.dir, 'bot', 'log');
  mkdirSync(logDir, { recursive: true });
  const files: Record<string, string[]> = {};
  const add = (
    file: string,
    account: string | null,
    i: number,
    line: (ts: number, tag: string) => string,
  ) => {
    const ts = base + i * MINUTE + (i % 7) * 13;
    const tag = `filt${String(i).padStart(4, '0')}`;
    written.push({ tag, ts, account });
    files[file] = [...(files[file] ?? []), line(ts, tag)];
  };
  for (let i = 0; i < 300; i++) {
    const py = (ts: number, tag: string) => pythonLine(ts, 'INFO', `[like] success: いいね完了 ${tag}`);
    if (i % 4 === 0) add('nexus_main_20250913_120000.log', 'nexus_main', i, py);
    else if (i % 4 === 1) add('サブ垢_1_20250913_140000.log', 'サブ垢_1', i, py);
    else if (i % 4 === 2) add('main_process.log', null, i, py);
    else
      add('events.jsonl', 'json_acct', i, (ts, tag) =>
        JSON.stringify({
          timestamp: new Date(ts).toISOString(),
          level: 'INFO',
          logger_name: 'bench',
          account_id: 'json_acct',
          message: `返信しました ${tag}`,
        }),
      );
  }
  for (const [file, lines] of Object.entries(files)) {
    if (file.endsWith('.jsonl')) writeFileSync(join(logDir, file), `${lines.join('\n')}\n`);
    else appendLines(join(logDir, file), lines);
  }
  h.drain({ discover: true });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

async function searchAll(input: Record<string, unknown>): Promise<LogHit[]> {
  const out: LogHit[] = [];
  let before: unknown;
  for (;;) {
    const page = await h.call<LogsSearchOutput>('logs.search', { ...input, limit: 50, before });
    out.push(...page.hits);
    if (!page.hasMore) return out;
    before = page.nextCursor;
  }
}

const tags = (hits: LogHit[]) => hits.map((hit) => /filt\d{4}/.exec(hit.message)?.[0] ?? hit.message).sort();
const expected = (keep: (w: Written) => boolean) =>
  written
    .filter(keep)
    .map((w) => w.tag)
    .sort();

describe('logs.search filters', () => {
  it('stores every line with its account (per-run file name, JSON account_id, none)', async () => {
    const all = await searchAll({ query: 'filt' });
    expect(tags(all)).toEqual(expected(() => true));
    const byTag = new Map(all.map((hit) => [tags([hit])[0], hit]));
    for (const w of written)
      expect({ tag: w.tag, account: byTag.get(w.tag)?.account }).toEqual({ tag: w.tag, account: w.account });
  });

  it('by account: one, several, and one combined with a query term', async () => {
    expect(tags(await searchAll({ accounts: ['nexus_main'] }))).toEqual(
      expected((w) => w.account === 'nexus_main'),
    );
    expect(tags(await searchAll({ accounts: ['サブ垢_1', 'json_acct'] }))).toEqual(
      expected((w) => w.account === 'サブ垢_1' || w.account === 'json_acct'),
    );
    expect(tags(await searchAll({ query: 'いいね', accounts: ['json_acct'] }))).toEqual([]);
    expect(tags(await searchAll({ query: '返信', accounts: ['json_acct'] }))).toEqual(
      expected((w) => w.account === 'json_acct'),
    );
    expect(await searchAll({ accounts: ['nobody'] })).toEqual([]);
  });

  it('by time: from and to are inclusive, alone or together, and combine with account and query', async () => {
    const from = written[40]!.ts;
    const to = written[200]!.ts;
    expect(tags(await searchAll({ from }))).toEqual(expected((w) => w.ts >= from));
    expect(tags(await searchAll({ to }))).toEqual(expected((w) => w.ts <= to));
    expect(tags(await searchAll({ from, to }))).toEqual(expected((w) => w.ts >= from && w.ts <= to));
    expect(tags(await searchAll({ from: from + 1, to: to - 1 }))).toEqual(
      expected((w) => w.ts > from && w.ts < to),
    );
    expect(tags(await searchAll({ query: '完了', accounts: ['nexus_main'], from, to }))).toEqual(
      expected((w) => w.account === 'nexus_main' && w.ts >= from && w.ts <= to),
    );
    expect(await searchAll({ from: to, to: from })).toEqual([]);
  });
});

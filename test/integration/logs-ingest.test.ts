import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/core/clock/index.js';
import type { LogHit, LogsContext, LogsSearchOutput, LogsSources } from '../../shared/api/logs.js';
import { copyFixtures, type LogsHarness, openLogsCore, q, tempDir } from '../helpers/logs-core.js';
import { CaptureWriter } from '../helpers/logs-writers.js';

const harnesses: LogsHarness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

/** The fixtures are from 2025-09-13 (local time): the clock stands an hour later, inside every retention. */
function fixtureClock(): ManualClock {
  return new ManualClock(new Date(2025, 8, 13, 13, 0, 0).getTime());
}

function open(config: (dir: string) => string, clock = fixtureClock()): LogsHarness {
  const dir = tempDir();
  copyFixtures(dir);
  const h = openLogsCore({ dir, config, clock });
  harnesses.push({ ...h, close: async () => h.close() });
  return h;
}

async function all(h: LogsHarness, filter: Record<string, unknown> = {}): Promise<LogHit[]> {
  const out: LogHit[] = [];
  let before: unknown;
  for (;;) {
    const page = await h.call<LogsSearchOutput>('logs.search', { ...filter, limit: 1000, before });
    out.push(...page.hits);
    if (!page.hasMore) return out;
    before = page.nextCursor;
  }
}

const NEXUS = (dir: string) => `
bots:
  - id: nexus02
    name: TwitterBot Nexus 02
    root: ${q(join(dir, 'nexus02'))}
    logs:
      - path: log/*.log
      - path: log/*.jsonl
`;

describe('log ingestion from the bots’ real formats', () => {
  it('joins tracebacks to their record, reads the [emotion_link] variant, and takes the account from per-run file names', async () => {
    const h = open(NEXUS);
    h.drain();
    const records = await all(h, { bots: ['nexus02'] });
    const failed = records.find((r) => r.message.startsWith('[alice] 返信の投稿に失敗しました'));
    expect(failed?.level).toBe('ERROR');
    expect(failed?.account).toBe('alice');
    expect(failed?.message.split('\n')).toHaveLength(7);
    expect(failed?.message).toContain('ElementClickInterceptedException');
    expect(records.some((r) => r.message.startsWith('Traceback'))).toBe(false);

    const emotion = records.filter((r) => r.logger === 'emotion_link');
    expect(emotion.map((r) => r.level).sort()).toEqual(['ERROR', 'INFO', 'INFO', 'WARNING']);
    expect(emotion.find((r) => r.level === 'ERROR')?.message).toContain(
      'RuntimeError: 429 Too Many Requests',
    );

    // Local time: 12:00:12,450 in this process's zone.
    expect(failed?.ts).toBe(new Date(2025, 8, 13, 12, 0, 12, 450).getTime());
  });

  it('stores a line that leaked into an earlier account’s file once, as the later account’s', async () => {
    const h = open(NEXUS);
    h.drain();
    const bobLines = readFileSync(join(h.dir, 'nexus02', 'log', 'bob_20250913_120500.log'), 'utf8')
      .split('\n')
      .filter((l) => /^\d{4}-/.test(l));
    const records = await all(h, { query: '[bob]' });
    expect(records).toHaveLength(bobLines.length);
    for (const r of records) expect(r.account).toBe('bob');
    const memory = await all(h, { query: '現在のメモリ使用量' });
    expect(memory.map((r) => [r.account, r.message]).sort()).toEqual([
      ['alice', '[alice] 現在のメモリ使用量: 412 MB'],
      ['bob', '[bob] 現在のメモリ使用量: 655 MB'],
    ]);
    const sources = await h.call<LogsSources>('logs.sources');
    const files = sources.sources.flatMap((s) => s.files);
    const alice = files.find((f) => f.path.endsWith('alice_20250913_120000.log'));
    const bob = files.find((f) => f.path.endsWith('bob_20250913_120500.log'));
    // Whichever file was read first stored bob's lines; the other counted them as duplicates.
    expect((alice?.duplicates ?? 0) + (bob?.duplicates ?? 0)).toBeGreaterThan(0);
    expect(sources.totals.duplicates).toBe(bobLines.length - 1);
  });

  it('reads JSON lines in the Phase 6 schema, keeps a non-JSON line raw and counts it, and masks secrets', async () => {
    const h = open(NEXUS);
    h.drain();
    const json = await all(h, { traceId: 'req-7f3a' });
    expect(json.map((r) => r.level)).toEqual(['ERROR', 'WARNING', 'INFO']);
    const error = json[0] as LogHit;
    expect(error.logger).toBe('reply_bot.reply_processor.generate');
    expect(error.account).toBe('alice');
    expect(error.ts).toBe(Date.parse('2025-09-13T03:10:05.000Z'));
    expect(JSON.stringify(error.fields)).not.toContain('abcdefghijklmnop');
    expect(error.fields?.status).toBe(500);
    const raw = await all(h, { query: 'stray line' });
    expect(raw).toHaveLength(1);
    expect(raw[0]?.raw).toBe(true);
    const sources = await h.call<LogsSources>('logs.sources');
    const jsonFile = sources.sources.flatMap((s) => s.files).find((f) => f.path.endsWith('app.jsonl'));
    expect(jsonFile?.format).toBe('json');
    expect(jsonFile?.badLines).toBe(1);
    // The Gemini key in the [emotion_link] error is masked in storage: searching for it finds nothing.
    expect(await all(h, { query: 'AIzaSyA1234567890' })).toHaveLength(0);
    const masked = await all(h, { query: 'api_key' });
    expect(masked[0]?.message).toContain('api_key=[masked]');
  });

  it('keeps identical records of one millisecond, also across a restart among them, and another file’s copies once', async () => {
    const dir = tempDir();
    const logDir = join(dir, 'bot', 'log');
    mkdirSync(logDir, { recursive: true });
    const config = (d: string) => `
bots:
  - id: bot
    root: ${q(join(d, 'bot'))}
    logs:
      - path: log/*.log
`;
    const at = '2025-09-13 12:00:00,000 - INFO - ';
    const first = join(logDir, 'alice_20250913_120000.log');
    writeFileSync(first, ['same', 'same', 'other', 'same'].map((m) => `${at}${m}\n`).join(''));
    const h1 = openLogsCore({ dir, config, clock: fixtureClock() });
    h1.drain();
    expect((await all(h1)).length).toBe(4);
    await h1.close();

    // Nexus Ops restarts; the bot goes on writing in the same millisecond.
    writeFileSync(first, ['other', 'same', 'same'].map((m) => `${at}${m}\n`).join(''), { flag: 'a' });
    const h = openLogsCore({ dir, config, clock: fixtureClock() });
    harnesses.push(h);
    h.drain();
    const stored = await all(h);
    expect(stored.map((r) => r.message).sort()).toEqual([
      'other',
      'other',
      'same',
      'same',
      'same',
      'same',
      'same',
    ]);

    // A later run's file repeating those lines (Nexus 02 writes later accounts' lines into earlier
    // files too): each already stored once, none stored again.
    writeFileSync(
      join(logDir, 'bob_20250913_120500.log'),
      ['same', 'same', 'other', 'same', 'other'].map((m) => `${at}${m}\n`).join(''),
    );
    h.drain({ discover: true });
    expect((await all(h)).length).toBe(7);
    const sources = await h.call<LogsSources>('logs.sources');
    expect(sources.totals.duplicates).toBe(5);
  });

  it('decodes CRLF line ends and cp932 bytes line by line', async () => {
    const h = open(NEXUS);
    const file = join(h.dir, 'nexus02', 'log', 'main_process.log');
    const cp932 = Buffer.from([0x83, 0x65, 0x83, 0x58, 0x83, 0x67]); // テスト in cp932
    writeFileSync(
      file,
      Buffer.concat([
        Buffer.from('2025-09-13 12:30:00,000 - INFO - UTF-8 の行です\r\n'),
        // A whole line in cp932 (what a Japanese Windows program writes when it does not say otherwise).
        Buffer.from('2025-09-13 12:30:01,000 - INFO - cp932: '),
        cp932,
        Buffer.from('\r\n2025-09-13 12:30:02,000 - WARNING - 壊れたバイト: '),
        Buffer.from([0xff, 0xfe, 0x0d, 0x0a]),
      ]),
    );
    h.drain();
    expect((await all(h, { query: 'の行です' })).map((r) => r.message)).toEqual(['UTF-8 の行です']);
    expect((await all(h, { query: 'テスト' })).map((r) => r.message)).toEqual(['cp932: テスト']);
    // Neither UTF-8 nor cp932: decoded as far as possible, kept, and counted as a bad line.
    const broken = await all(h, { query: '壊れたバイト' });
    expect(broken.map((r) => r.message)).toEqual(['壊れたバイト: \uFFFD\uFFFD']);
    const sources = await h.call<LogsSources>('logs.sources');
    const main = sources.sources.flatMap((s) => s.files).find((f) => f.path.endsWith('main_process.log'));
    expect(main?.records).toBe(3);
    expect(main?.badLines).toBe(1);
  });

  it('reads captured output as one stream per bot: emoji levels, stderr errors, object dumps, execution ids', async () => {
    const clock = fixtureClock();
    const h = open(
      (dir) => `
bots:
  - id: tax
    name: TradingAssistantX
    root: ${q(join(dir, 'tax'))}
    run: { mode: supervised, command: pnpm, args: [start] }
`,
      clock,
    );
    const writer = new CaptureWriter(h.dir, 'tax', () => clock.advance(1));
    const out = readFileSync(join(h.dir, 'tax', 'stdout.txt'), 'utf8')
      .trimEnd()
      .split('\n');
    const err = readFileSync(join(h.dir, 'tax', 'stderr.txt'), 'utf8')
      .trimEnd()
      .split('\n');
    for (const l of out.slice(0, 9)) writer.write('o', l);
    writer.rotate(); // between two records: the files are read in the order they were written
    for (const l of out.slice(9)) writer.write('o', l);
    for (const l of err) writer.write('e', l);
    writer.close();
    h.drain();
    const records = (await all(h, { bots: ['tax'] })).reverse();
    expect(records.map((r) => [r.level, r.stream])).toEqual([
      ['INFO', 'stdout'], // 🚀
      ['INFO', 'stdout'], // ⏱️
      ['DEBUG', 'stdout'], // 📡
      ['INFO', 'stdout'], // 📊 with its object dump
      ['INFO', 'stdout'], // ✅
      ['WARNING', 'stdout'], // 🔄
      ['WARNING', 'stdout'], // ⚠️
      ['ERROR', 'stderr'], // ❌
      ['ERROR', 'stderr'], // Error: with its stack
    ]);
    expect(records[3]?.message.split('\n')).toHaveLength(5);
    expect(records[4]?.traceId).toBe('exec_1757732400000_post');
    expect(records[7]?.traceId).toBe('exec_1757736000000_post');
    expect(records[8]?.message).toContain('at async MainWorkflow.execute');

    const ctx = await h.call<LogsContext>('logs.context', { id: records[4]?.id, around: 2 });
    expect(ctx.before.map((r) => r.id)).toEqual([records[2]?.id, records[3]?.id]);
    expect(ctx.after.map((r) => r.id)).toEqual([records[5]?.id, records[6]?.id]);
    expect(ctx.trace.map((r) => r.id)).toEqual([records[4]?.id]);
  });

  it('survives garbage in a file (binary, bad bytes, a line longer than a read, no final newline) and counts it', async () => {
    const h = open(
      (dir) => `
bots:
  - id: g
    root: ${q(join(dir, 'garbage'))}
    logs:
      - path: '*.log'
        format: python
`,
    );
    const parts: Buffer[] = [];
    const t = (ms: number) => `2025-09-13 12:40:${String(ms).padStart(2, '0')},000`;
    parts.push(Buffer.from(`${t(0)} - INFO - 最初の行\n`));
    parts.push(Buffer.from([0x00, 0x01, 0x02, 0x0a])); // binary: continues the record before it
    parts.push(Buffer.from('x'.repeat(3 * 1024 * 1024)), Buffer.from('\n')); // 3 MB: cut, rest skipped
    parts.push(Buffer.from(`${t(1)} - WARNING - 長い行の後\n`));
    parts.push(Buffer.from([0xff, 0xfe, 0x0a])); // neither UTF-8 nor cp932
    parts.push(Buffer.from('\n\n'));
    parts.push(Buffer.from(`${t(2)} - ERROR - 最後の行（改行なし）`));
    const dir = join(h.dir, 'garbage');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'g.log'), Buffer.concat(parts));
    h.drain();
    const records = (await all(h, { bots: ['g'] })).reverse();
    expect(records.map((r) => r.message.slice(0, 12))).toEqual([
      '最初の行\n␀␁␂\nxxx',
      '長い行の後\n\uFFFD\uFFFD',
    ]);
    expect(records[0]?.truncated).toBe(true);
    expect(records[0]?.message.length).toBeLessThan(70_000);
    const file = (await h.call<LogsSources>('logs.sources')).sources[0]?.files[0];
    expect(file?.badLines).toBe(3);
    expect(file?.lines).toBe(7); // the last line has no end yet: it waits for one
  });
});

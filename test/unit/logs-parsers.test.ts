import { describe, expect, it } from 'vitest';
import {
  compileOperatorPattern,
  consoleLevel,
  createMasker,
  createParser,
  createWallClock,
  detectFormat,
  type FileFormat,
  type Line,
  type ParsedRecord,
  parseAsctime,
  perRunFile,
  sourcesOf,
  splitLines,
} from '../../electron/core/logs/index.js';
import { configSchema } from '../../shared/config/schema.js';

const tokyo = createWallClock('Asia/Tokyo');

function lines(text: string): Line[] {
  return splitLines(Buffer.from(text), 0, { encoding: 'auto', maxLineBytes: 65536, final: true }).lines;
}

function parse(format: FileFormat, text: string, pattern?: string): ParsedRecord[] {
  const re = pattern ? compileOperatorPattern(pattern) : null;
  const p = createParser(format, { clock: tokyo, pattern: re && 're' in re ? re.re : null });
  const out: ParsedRecord[] = [];
  for (const l of lines(text)) p.push(l, out);
  p.flush(out);
  return out;
}

describe('log parsers', () => {
  it('reads a level however a bot spells it, and no property name of Object as one', () => {
    const levels = ['warn', 'Warning', 'FATAL', 'err', 'notice', 'constructor', 'toString', '警告'];
    const recs = parse(
      'json',
      levels.map((level) => JSON.stringify({ level, message: `m ${level}` })).join('\n'),
    );
    expect(recs.map((r) => r.level)).toEqual([
      'WARNING',
      'WARNING',
      'CRITICAL',
      'ERROR',
      'INFO',
      'INFO',
      'INFO',
      'INFO',
    ]);
    // A level that is a piece of a line holding Japanese (a two-byte string) reads the same.
    const [jp] = parse('python', '2025-09-13 12:02:34,123 - ERROR - 認証エラー\n');
    expect(jp?.level).toBe('ERROR');
  });

  it('reads Python logging lines in the bots’ time zone, with and without a logger name', () => {
    const recs = parse(
      'python',
      [
        '2025-09-13 12:02:34,123 - INFO - [acct] [like] success: 1966',
        '2025-09-13 12:02:35,5 - [emotion_link] - WARN - 遅延',
        '2025-09-13 12:02:36.250 - reply_bot.multi_main - FATAL - 停止',
      ].join('\n'),
    );
    expect(recs.map((r) => [r.ts, r.level, r.logger, r.message])).toEqual([
      [Date.parse('2025-09-13T03:02:34.123Z'), 'INFO', null, '[acct] [like] success: 1966'],
      [Date.parse('2025-09-13T03:02:35.500Z'), 'WARNING', 'emotion_link', '遅延'],
      [Date.parse('2025-09-13T03:02:36.250Z'), 'CRITICAL', 'reply_bot.multi_main', '停止'],
    ]);
    expect(parseAsctime('2025-13-01 00:00:00', tokyo)).toBeNaN();
  });

  it('takes the level from a console line’s emoji, a level word, or its pipe', () => {
    expect(consoleLevel('✅ 完了', 'stdout')).toBe('INFO');
    expect(consoleLevel('❌ 失敗', 'stdout')).toBe('ERROR');
    expect(consoleLevel('⚠️ 日次予算警告: $4 / $5', 'stdout')).toBe('WARNING');
    expect(consoleLevel('🔄 Rate limit - リトライ 1/3', 'stdout')).toBe('WARNING');
    expect(consoleLevel('⏱️ QPS制限により待機: 700ms (現在QPS: 3/200)', 'stdout')).toBe('INFO');
    expect(consoleLevel('📡 レスポンス: 200 OK', 'stdout')).toBe('DEBUG');
    expect(consoleLevel('[WARN] disk', 'stdout')).toBe('WARNING');
    expect(consoleLevel('plain text', 'stderr')).toBe('ERROR');
    expect(consoleLevel('plain text', 'stdout')).toBe('INFO');
    expect(consoleLevel('(node:1234) DeprecationWarning: x', 'stderr')).toBe('WARNING');
  });

  it('keeps a Python traceback printed to the console together up to its exception line', () => {
    const recs = parse(
      'console',
      [
        'Traceback (most recent call last):',
        '  File "x.py", line 1, in <module>',
        'ValueError: 悪い値',
        '次の行',
      ].join('\n'),
    );
    expect(recs.map((r) => [r.level, r.lines])).toEqual([
      ['ERROR', 3],
      ['INFO', 1],
    ]);
  });

  it('reads a regex format with named groups (RE2), extra groups as fields, and non-matching lines as continuations', () => {
    const recs = parse(
      'regex',
      ['2025-09-13 12:00:00 [ERROR] (acct1) 失敗 code=7', '  詳細行', '[INFO] ignored?'].join('\n'),
      '^(?P<ts>\\S+ \\S+) \\[(?P<level>\\w+)\\] \\((?P<account>\\w+)\\) (?P<message>.*?) code=(?P<code>\\d+)$',
    );
    expect(recs).toHaveLength(1);
    expect(recs[0]).toMatchObject({ level: 'ERROR', account: 'acct1', fields: { code: '7' }, lines: 3 });
    expect(recs[0]?.message).toBe('失敗\n  詳細行\n[INFO] ignored?');
  });

  it('reads the supervisor’s capture lines: arrival time, pipe, a tab inside the text kept', () => {
    const recs = parse(
      'capture',
      ['1757732400000\to\t列1\t列2', '1757732400100\te\t❌ 失敗', 'broken line'].join('\n'),
    );
    expect(recs.map((r) => [r.ts, r.stream, r.level, r.message, r.raw])).toEqual([
      [1757732400000, 'stdout', 'INFO', '列1\t列2', false],
      [1757732400100, 'stderr', 'ERROR', '❌ 失敗', false],
      [null, null, 'INFO', 'broken line', true],
    ]);
  });

  it('detects one format per file from its first lines', () => {
    expect(detectFormat(lines('garbage first\n2025-09-13 12:00:00,000 - INFO - x\n'), tokyo)).toBe('python');
    expect(detectFormat(lines('{"message":"a","level":"INFO"}\n{"message":"b"}\nnot json\n'), tokyo)).toBe(
      'json',
    );
    expect(detectFormat(lines('✅ 完了\n📡 レスポンス\n'), tokyo)).toBe('console');
  });

  it('names the account and start of a per-run file', () => {
    expect(perRunFile('C:\\bots\\log\\my_acct_20250913_120500.log', tokyo)).toEqual({
      account: 'my_acct',
      startedAt: Date.parse('2025-09-13T03:05:00Z'),
    });
    expect(perRunFile('/x/log/main_process.log', tokyo)).toBeNull();
  });

  it('masks secrets, cookies and session ids, and the operator’s patterns (only their secret group)', () => {
    const re = compileOperatorPattern('proxy (?P<secret>[a-z]+:\\w+)@');
    const m = createMasker('re' in re ? [re.re] : []);
    expect(m.mask('token=abcdef1234567890abcdef Cookie: auth_token=xyz; ct0=abc')).toBe(
      'token=[masked] Cookie: [masked]',
    );
    expect(m.mask('session=0123456789abcdef&x=1')).toBe('session=[masked]&x=1');
    expect(m.mask('proxy user:pass1@host ok')).toBe('proxy [masked]@host ok');
    expect(m.maskFields({ apiKey: 'plain', nested: { note: 'Bearer abcdefghijklmnop' } })).toEqual({
      apiKey: '[masked]',
      nested: { note: 'Bearer [masked]' },
    });
  });

  it('reports broken operator patterns as config issues naming the place', () => {
    const config = configSchema.parse({
      bots: [
        { id: 'a', root: '/tmp/a', logs: [{ path: '*.log', format: 'regex', pattern: '(?P<message>(a' }] },
        { id: 'b', root: '/tmp/b', logs: [{ path: '*.log', format: 'regex', pattern: '(?P<msg>.*)' }] },
        { id: 'c', root: '/tmp/c', run: { mode: 'supervised', command: 'node' } },
      ],
    });
    const { specs, issues } = sourcesOf(config, '/data');
    expect(issues.map((i) => i.path)).toEqual(['bots.0.logs.0.pattern', 'bots.1.logs.0.pattern']);
    expect(issues[1]?.message).toContain('message');
    expect(specs.find((s) => s.botId === 'c')).toMatchObject({ source: 'output', format: 'capture' });
  });
});

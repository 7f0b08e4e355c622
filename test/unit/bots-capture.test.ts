/**
 * The capture format (the contract with the log ingestion), line splitting across chunks, decoding
 * (UTF-8, cp932 fallback per line, ANSI colours removed) and the rotating writer on real files, with a
 * clock moved by hand for the daily rotation.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CapturedLine,
  CaptureWriter,
  decodeLine,
  formatRecord,
  LineSplitter,
  MAX_LINE_BYTES,
  parseRecord,
  readOutputTail,
  rotatedFiles,
} from '../../electron/core/bots/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0))
    rmSync(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});
function temp(): string {
  const d = mkdtempSync(join(tmpdir(), 'nexus-ops-capture-'));
  dirs.push(d);
  return d;
}

const cp932 = (text: string) => {
  // Node has no cp932 encoder: these are the bytes of 「日本語のログ」 in Shift_JIS / cp932.
  expect(text).toBe('日本語のログ');
  return Buffer.from([0x93, 0xfa, 0x96, 0x7b, 0x8c, 0xea, 0x82, 0xcc, 0x83, 0x8d, 0x83, 0x4f]);
};

describe('decoding one line', () => {
  it('reads UTF-8, falls back to cp932 for a line that is not UTF-8, and strips colours', () => {
    expect(decodeLine(Buffer.from('✅ 実行完了 - 結果: success'))).toBe('✅ 実行完了 - 結果: success');
    expect(decodeLine(cp932('日本語のログ'))).toBe('日本語のログ');
    expect(decodeLine(Buffer.from('\x1b[31m❌ エラー\x1b[0m: \x1b[1mbold\x1b[22m'))).toBe('❌ エラー: bold');
    expect(decodeLine(Buffer.from('\ufeffBOM first'))).toBe('BOM first');
    expect(decodeLine(Buffer.from('plain ascii'))).toBe('plain ascii');
  });
});

describe('the record format', () => {
  it('is <epoch ms>\\t<o|e>\\t<text>\\n and reads back, tabs in the text included', () => {
    const line: CapturedLine = { ts: 1764547200123, stream: 'e', text: 'a\tb ❌' };
    expect(formatRecord(line)).toBe('1764547200123\te\ta\tb ❌\n');
    expect(parseRecord('1764547200123\te\ta\tb ❌')).toEqual(line);
    expect(parseRecord('garbage')).toBeNull();
    expect(parseRecord('12\tx\ttext')).toBeNull();
  });
});

describe('LineSplitter', () => {
  it('joins lines split across chunks (even inside a character), handles CRLF, keeps empty lines', () => {
    const out: CapturedLine[] = [];
    const s = new LineSplitter('o', (l) => out.push(l));
    const bytes = Buffer.from('一行目\r\n二行目の途中');
    s.push(bytes.subarray(0, 5), 1); // cuts the second character of 一行目 in half
    s.push(bytes.subarray(5), 2);
    expect(out.map((l) => [l.text, l.ts])).toEqual([['一行目', 2]]);
    expect(s.hasPartial).toBe(true);
    s.push(Buffer.from('\n\nlast'), 3);
    s.flush(4);
    expect(out.map((l) => l.text)).toEqual(['一行目', '二行目の途中', '', 'last']);
    expect(out.every((l) => l.stream === 'o')).toBe(true);
  });

  it('decodes cp932 and UTF-8 line by line in one stream', () => {
    const out: string[] = [];
    const s = new LineSplitter('e', (l) => out.push(l.text));
    s.push(Buffer.concat([Buffer.from('utf8: 稼働中\n'), cp932('日本語のログ'), Buffer.from('\n')]), 1);
    expect(out).toEqual(['utf8: 稼働中', '日本語のログ']);
  });

  it('cuts an endless line into records of at most MAX_LINE_BYTES without splitting a character', () => {
    const out: string[] = [];
    const s = new LineSplitter('o', (l) => out.push(l.text));
    const text = 'あ'.repeat(50_000); // 150 000 bytes, no newline
    for (let i = 0; i < text.length; i += 1000) s.push(Buffer.from(text.slice(i, i + 1000)), 1);
    s.flush(2);
    expect(out.join('')).toBe(text);
    expect(out.length).toBeGreaterThan(2);
    for (const piece of out) expect(Buffer.byteLength(piece)).toBeLessThanOrEqual(MAX_LINE_BYTES);
    expect(out.every((p) => !p.includes('\ufffd'))).toBe(true);
  });
});

describe('CaptureWriter', () => {
  const policy = { maxBytes: 1000, daily: true, retainFiles: 100, retainDays: 30 };

  it('rotates by size with close-rename-reopen; every record is in exactly one file, in order', () => {
    const dir = temp();
    let now = new Date(2026, 11, 1, 9, 0, 0).getTime();
    const w = new CaptureWriter(dir, policy, () => now);
    w.open();
    for (let i = 0; i < 200; i++) {
      w.write([{ ts: now, stream: i % 3 === 0 ? 'e' : 'o', text: `line ${i} 日本語` }]);
      now += 10;
    }
    w.close();
    const rotated = rotatedFiles(dir);
    expect(rotated.length).toBeGreaterThan(3);
    // Two rotations within one second get a -N suffix instead of overwriting.
    expect(rotated.some((n) => /^output-20261201-0900\d\d-\d+\.log$/.test(n))).toBe(true);
    const all = [...rotated, 'current.log'].flatMap((n) =>
      readFileSync(join(dir, n), 'utf8').split('\n').filter(Boolean),
    );
    expect(all.map((l) => parseRecord(l)?.text)).toEqual(
      Array.from({ length: 200 }, (_, i) => `line ${i} 日本語`),
    );
    for (const n of rotated) expect(readFileSync(join(dir, n)).length).toBeLessThanOrEqual(1000);
  });

  it('starts a new file at the first line after local midnight, and on open when the file is from an earlier day', () => {
    const dir = temp();
    let now = new Date(2026, 11, 1, 23, 59, 58).getTime();
    const w = new CaptureWriter(dir, { ...policy, maxBytes: 1e9 }, () => now);
    w.open();
    w.write([{ ts: now, stream: 'o', text: 'before midnight' }]);
    now = new Date(2026, 11, 2, 0, 0, 1).getTime();
    w.write([{ ts: now, stream: 'o', text: 'after midnight' }]);
    w.close();
    expect(rotatedFiles(dir)).toEqual(['output-20261202-000001.log']);
    expect(readFileSync(join(dir, 'output-20261202-000001.log'), 'utf8')).toContain('before midnight');
    expect(readFileSync(join(dir, 'current.log'), 'utf8')).not.toContain('before midnight');

    // The bot was stopped over night: current.log last written yesterday.
    const yesterday = new Date(2026, 11, 2, 12, 0, 0);
    utimesSync(join(dir, 'current.log'), yesterday, yesterday);
    now = new Date(2026, 11, 3, 8, 0, 0).getTime();
    const again = new CaptureWriter(dir, { ...policy, maxBytes: 1e9 }, () => now);
    again.open();
    again.write([{ ts: now, stream: 'o', text: 'next morning' }]);
    again.close();
    expect(rotatedFiles(dir)).toEqual(['output-20261202-000001.log', 'output-20261203-080000.log']);
    expect(readFileSync(join(dir, 'current.log'), 'utf8')).toMatch(/^\d+\to\tnext morning\n$/);
  });

  it('keeps retainFiles rotated files and deletes those older than retainDays', () => {
    const dir = temp();
    const old = join(dir, 'output-20250101-000000.log');
    writeFileSync(old, 'x\n');
    const longAgo = new Date(2025, 0, 1);
    utimesSync(old, longAgo, longAgo);
    let now = new Date(2026, 11, 1, 9, 0, 0).getTime();
    const w = new CaptureWriter(dir, { ...policy, maxBytes: 50, retainFiles: 3 }, () => now);
    w.open();
    for (let i = 0; i < 10; i++) {
      w.write([{ ts: now, stream: 'o', text: `record number ${i} with some text` }]);
      now += 1000;
    }
    w.close();
    const rotated = rotatedFiles(dir);
    expect(rotated).toHaveLength(3);
    expect(rotated).not.toContain('output-20250101-000000.log');
    expect(readdirSync(dir)).toContain('current.log');
  });

  it('reads the tail back across a rotation (for the Bots page)', () => {
    const dir = temp();
    let now = Date.UTC(2026, 11, 1);
    const w = new CaptureWriter(dir, { ...policy, maxBytes: 400 }, () => now);
    w.open();
    for (let i = 0; i < 30; i++) {
      w.write([{ ts: now, stream: 'o', text: `行 ${i}` }]);
      now += 1;
    }
    w.close();
    expect(rotatedFiles(dir).length).toBeGreaterThan(0);
    const current = readFileSync(join(dir, 'current.log'), 'utf8').split('\n').filter(Boolean).length;
    expect(current).toBeLessThan(20);
    const tail = readOutputTail(dir, 20);
    expect(tail.map((l) => l.text)).toEqual(Array.from({ length: 20 }, (_, i) => `行 ${10 + i}`));
  });
});

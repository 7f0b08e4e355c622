import { describe, expect, it } from 'vitest';
import {
  compileOperatorPattern,
  createParser,
  createWallClock,
  type FileFormat,
  type LineParser,
  type ParsedRecord,
  splitLines,
} from '../../electron/core/logs/index.js';
import { prng } from '../bench/logs-corpus.js';

const LINES = 1_000_000;
const MAX_LINE = 64 * 1024;
const clock = createWallClock('Asia/Tokyo');
const regex = compileOperatorPattern('^(?P<level>[A-Z]{3,8}) \\| (?P<message>.*)$');
if (!('re' in regex)) throw new Error('pattern');

type Kind = 'binary' | 'undecodable' | 'huge' | 'empty' | 'text';

/**
 * Garbage, one line at a time (never a newline inside): binary with NULs, bytes that are neither
 * UTF-8 nor cp932, 1 MB lines, empty lines, and printable junk (ASCII, Japanese, emoji, half JSON).
 * None of it is a valid record of the line formats (no timestamp header, no JSON object, no
 * `LEVEL | ` prefix, no capture prefix), so the expected counts are exact.
 */
function garbageLine(r: () => number): { kind: Kind; bytes: Buffer } {
  const x = r();
  if (x < 0.15) {
    const n = 1 + Math.floor(r() * 200);
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) {
      let v = Math.floor(r() * 256);
      if (v === 10) v = 0;
      b[i] = v;
    }
    b[Math.floor(r() * n)] = 0; // at least one NUL
    return { kind: 'binary', bytes: b };
  }
  if (x < 0.3) {
    const n = Math.floor(r() * 40);
    const b = Buffer.alloc(n + 2);
    for (let i = 0; i < n; i++) b[i] = 0x61 + Math.floor(r() * 26);
    b[n] = 0xff; // invalid in UTF-8 and in cp932
    b[n + 1] = 0xfe;
    return { kind: 'undecodable', bytes: b };
  }
  if (x < 0.30002) return { kind: 'huge', bytes: Buffer.alloc(1024 * 1024 + Math.floor(r() * 100), 0x6a) };
  if (x < 0.4) return { kind: 'empty', bytes: Buffer.alloc(0) };
  const parts = [
    '壊れた',
    'ログ',
    '{"a":',
    ']]',
    '✅',
    'x=1',
    '\t',
    'Traceback',
    'エラー',
    '😀',
    'abc',
    '  ',
  ];
  let s = String.fromCharCode(0x61 + Math.floor(r() * 26)); // never a digit, '{', a capital or a space
  const n = Math.floor(r() * 12);
  for (let i = 0; i < n; i++) s += parts[Math.floor(r() * parts.length)];
  return { kind: 'text', bytes: Buffer.from(s) };
}

interface Tally {
  lines: number;
  bad: number;
  empty: number;
  records: number;
  raw: number;
}

function run(parser: LineParser, records: ParsedRecord[], tally: Tally): void {
  for (const rec of records) {
    tally.lines += rec.lines;
    tally.bad += rec.badLines;
    tally.records++;
    if (rec.raw) tally.raw++;
  }
  records.length = 0;
  tally.empty = parser.stats.empty;
}

describe('fuzz: a million garbage lines through every parser', () => {
  it('never throws, accounts for every line and counts every bad one', () => {
    const r = prng(20250913);
    const formats: FileFormat[] = ['python', 'json', 'console', 'capture', 'regex'];
    const parsers = formats.map((f) => createParser(f, { clock, pattern: regex.re }));
    const tallies: Tally[] = formats.map(() => ({ lines: 0, bad: 0, empty: 0, records: 0, raw: 0 }));
    const expected: Record<Kind, number> = { binary: 0, undecodable: 0, huge: 0, empty: 0, text: 0 };
    const out: ParsedRecord[] = [];
    let offset = 0;
    let produced = 0;
    while (produced < LINES) {
      // One chunk of whole lines, generated and thrown away: the test never holds the whole stream.
      const parts: Buffer[] = [];
      let size = 0;
      while (size < 1 << 20 && produced < LINES) {
        const g = garbageLine(r);
        expected[g.kind]++;
        parts.push(g.bytes, Buffer.from('\n'));
        size += g.bytes.length + 1;
        produced++;
      }
      const chunk = Buffer.concat(parts);
      const split = splitLines(chunk, offset, { encoding: 'auto', maxLineBytes: MAX_LINE, final: false });
      expect(split.consumed).toBe(chunk.length);
      offset += chunk.length;
      parsers.forEach((p, i) => {
        for (const line of split.lines) p.push(line, out);
        run(p, out, tallies[i] as Tally);
      });
    }
    parsers.forEach((p, i) => {
      p.flush(out);
      run(p, out, tallies[i] as Tally);
    });

    const badBytes = expected.binary + expected.undecodable + expected.huge;
    const nonEmpty = LINES - expected.empty;
    expect(LINES).toBeGreaterThanOrEqual(1_000_000);
    expect(expected.huge).toBeGreaterThan(5);
    for (const [i, f] of formats.entries()) {
      const t = tallies[i] as Tally;
      // Every line is in a record or counted as empty.
      expect({ format: f, lines: t.lines + t.empty }).toEqual({ format: f, lines: LINES });
      if (f === 'console') {
        // Console text understands any text: only lines bad in themselves count.
        expect({ format: f, bad: t.bad, raw: t.raw }).toEqual({ format: f, bad: badBytes, raw: 0 });
      } else {
        // Nothing is a record of these formats: every non-empty line is kept raw and counted once.
        expect({ format: f, bad: t.bad, raw: t.raw }).toEqual({ format: f, bad: nonEmpty, raw: nonEmpty });
      }
    }
  }, 300_000);
});

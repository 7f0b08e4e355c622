import { isUtf8 } from 'node:buffer';
import { LINE_BINARY, LINE_CP932, LINE_TRUNCATED, LINE_UNDECODABLE, type Line } from './record.js';

export type LogEncoding = 'auto' | 'utf-8' | 'cp932';

const cp932Strict = new TextDecoder('shift_jis', { fatal: true });
const cp932Lenient = new TextDecoder('shift_jis');

// C0 controls except tab, and DEL; ESC starts an ANSI sequence and is handled first.
// (Built from strings: these patterns are about control characters on purpose.)
const CONTROL_CLASS = '[\\x00-\\x08\\x0a-\\x1f\\x7f]';
const CONTROL = new RegExp(CONTROL_CLASS);
const CONTROL_ALL = new RegExp(CONTROL_CLASS, 'g');
// CSI (colours, cursor moves) and OSC (window titles) sequences.
// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI sequences start with ESC by definition.
const ANSI = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/g;

/** A control character as its Control Picture (NUL → ␀, DEL → ␡): visible, searchable, never raw bytes. */
function picture(c: string): string {
  const code = c.charCodeAt(0);
  return String.fromCharCode(code === 0x7f ? 0x2421 : 0x2400 + code);
}

/**
 * Decodes one line's bytes. UTF-8 when valid; in `auto`, cp932 (Japanese Windows' default) when that is
 * valid instead; else UTF-8 with U+FFFD for the bad bytes (flagged). ANSI colour sequences are removed,
 * other control characters shown as pictures (flagged binary). Never throws.
 */
export function decodeLine(
  buf: Buffer,
  start: number,
  end: number,
  encoding: LogEncoding,
  knownUtf8: boolean,
): { text: string; flags: number } {
  let flags = 0;
  let text: string;
  if (encoding === 'cp932') {
    text = cp932Lenient.decode(buf.subarray(start, end));
    if (text.includes('\uFFFD')) flags |= LINE_UNDECODABLE;
  } else if (knownUtf8 || isUtf8(buf.subarray(start, end))) {
    text = buf.toString('utf8', start, end);
  } else {
    let decoded: string | null = null;
    if (encoding === 'auto') {
      try {
        decoded = cp932Strict.decode(buf.subarray(start, end));
        flags |= LINE_CP932;
      } catch {
        decoded = null;
      }
    }
    if (decoded === null) {
      decoded = buf.toString('utf8', start, end);
      flags |= LINE_UNDECODABLE;
    }
    text = decoded;
  }
  if (CONTROL.test(text) || text.includes('\x1b')) {
    if (text.includes('\x1b')) text = text.replace(ANSI, '');
    if (CONTROL.test(text) || text.includes('\x1b')) {
      text = text.replace(CONTROL_ALL, picture).replaceAll('\x1b', '\u241b');
      flags |= LINE_BINARY;
    }
  }
  return { text, flags };
}

export interface SplitResult {
  lines: Line[];
  /** Bytes of `buf` consumed: up to the last line end (or all of it with `final`). */
  consumed: number;
}

/**
 * Splits a chunk read at file offset `base` into decoded lines (LF or CRLF). A last line without its
 * end is left for the next read unless `final` (the file will not grow: it was rotated away or is
 * closed). A line longer than `maxLineBytes` is cut there (at a character boundary) and flagged.
 */
export function splitLines(
  buf: Buffer,
  base: number,
  opts: { encoding: LogEncoding; maxLineBytes: number; final: boolean },
): SplitResult {
  const lines: Line[] = [];
  const knownUtf8 = opts.encoding !== 'cp932' && isUtf8(buf);
  let pos = 0;
  while (pos < buf.length) {
    let nl = buf.indexOf(10, pos);
    if (nl < 0) {
      if (!opts.final) break;
      nl = buf.length;
    }
    const next = nl < buf.length ? nl + 1 : nl;
    let end = nl;
    if (end > pos && buf[end - 1] === 13) end--;
    let flags = 0;
    if (end - pos > opts.maxLineBytes) {
      end = pos + opts.maxLineBytes;
      // Back off to the start of a UTF-8 sequence so the cut does not make bad bytes.
      if (opts.encoding !== 'cp932') {
        let back = 0;
        while (back < 3 && end > pos && ((buf[end] ?? 0) & 0xc0) === 0x80) {
          end--;
          back++;
        }
      }
      flags |= LINE_TRUNCATED;
    }
    const decoded = decodeLine(buf, pos, end, opts.encoding, knownUtf8 && !(flags & LINE_TRUNCATED));
    lines.push({ text: decoded.text, offset: base + pos, end: base + next, flags: flags | decoded.flags });
    pos = next;
  }
  return { lines, consumed: pos };
}

/**
 * Captured output of a supervised bot: the relay (relay.ts) splits the bot's stdout and stderr into
 * lines as they arrive, decodes each line, and appends it to `output/current.log` as
 *
 *     <epoch ms>\t<o|e>\t<text>\n        (o = stdout, e = stderr)
 *
 * This line format is the contract with the log ingestion (it tails these files): keep it exactly.
 * Rotation is close-rename-reopen by the only writer, between two whole lines, so no line is ever lost
 * or split (copy-truncate loses the lines written between the copy and the truncate: pm2-logrotate
 * #200, #163).
 */
import {
  closeSync,
  fstatSync,
  openSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';

export type StreamMark = 'o' | 'e';

export interface CapturedLine {
  /** Arrival time (epoch ms) of the chunk that completed the line. */
  ts: number;
  stream: StreamMark;
  text: string;
}

export const CURRENT_FILE = 'current.log';
const ROTATED = /^output-(\d{8}-\d{6})(?:-(\d+))?\.log$/;

/** A line longer than this (bytes) is cut into pieces of at most this size, each its own record. */
export const MAX_LINE_BYTES = 64 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** Japanese Windows writes cp932 when a program does not say otherwise; small-ICU builds lack it. */
const cp932 = (() => {
  try {
    return new TextDecoder('shift_jis');
  } catch {
    return null;
  }
})();
const utf8Lenient = new TextDecoder('utf-8');

/** One line's bytes (no newline) to text: UTF-8 when valid, else cp932; colours and other VT codes removed. */
export function decodeLine(bytes: Uint8Array): string {
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  let text: string;
  if (ascii) {
    text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  } else {
    try {
      text = utf8.decode(bytes);
    } catch {
      text = (cp932 ?? utf8Lenient).decode(bytes);
    }
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.includes('\x1b') || text.includes('\x9b')) text = stripVTControlCharacters(text);
  return text;
}

/** The record as written to the capture file (one line, newline included). */
export function formatRecord(line: CapturedLine): string {
  // The split already removed \n; a stray one (never expected) must not break the one-record-per-line rule.
  const text = line.text.includes('\n') ? line.text.replaceAll('\n', ' ') : line.text;
  return `${line.ts}\t${line.stream}\t${text}\n`;
}

/** Reads one capture-file line back; null for a line that is not a record (never written by the relay). */
export function parseRecord(line: string): CapturedLine | null {
  const a = line.indexOf('\t');
  if (a <= 0) return null;
  const b = line.indexOf('\t', a + 1);
  if (b !== a + 2) return null;
  const ts = Number(line.slice(0, a));
  const stream = line[a + 1];
  if (!Number.isFinite(ts) || (stream !== 'o' && stream !== 'e')) return null;
  return { ts, stream, text: line.slice(b + 1) };
}

/** Where the UTF-8 text may be cut at or before `at` without splitting a character. */
function utf8Boundary(bytes: Uint8Array, at: number): number {
  let cut = at;
  // Continuation bytes are 10xxxxxx; step back to the lead byte (at most 3 steps for valid UTF-8).
  for (let steps = 0; steps < 3 && cut > 0 && (bytes[cut]! & 0xc0) === 0x80; steps++) cut--;
  return cut > 0 ? cut : at;
}

/**
 * Splits one stream's chunks into lines (LF or CRLF). Bytes after the last newline wait for the next
 * chunk; `flush()` emits them as a line (at the stream's end, or when the bot has printed a partial line
 * and then gone quiet).
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly stream: StreamMark,
    private readonly emit: (line: CapturedLine) => void,
  ) {}

  get hasPartial(): boolean {
    return this.pendingBytes > 0;
  }

  push(chunk: Buffer, ts: number): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl === -1) break;
      this.emitBytes(this.take(chunk.subarray(start, nl)), ts);
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.pending.push(Buffer.from(rest));
      this.pendingBytes += rest.length;
      while (this.pendingBytes >= MAX_LINE_BYTES) {
        const all = Buffer.concat(this.pending);
        const cut = utf8Boundary(all, MAX_LINE_BYTES);
        this.emitText(all.subarray(0, cut), ts);
        const left = all.subarray(cut);
        this.pending = left.length > 0 ? [left] : [];
        this.pendingBytes = left.length;
      }
    }
  }

  flush(ts: number): void {
    if (this.pendingBytes === 0) return;
    this.emitBytes(this.take(Buffer.alloc(0)), ts);
  }

  /** The waiting partial line joined with the bytes up to a newline; the wait list is emptied. */
  private take(tail: Buffer): Buffer {
    if (this.pendingBytes === 0) return tail;
    const all = Buffer.concat([...this.pending, tail]);
    this.pending = [];
    this.pendingBytes = 0;
    return all;
  }

  private emitBytes(bytes: Buffer, ts: number): void {
    let line = bytes;
    if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
    for (let start = 0; start < line.length || start === 0; ) {
      const end =
        start + MAX_LINE_BYTES >= line.length ? line.length : utf8Boundary(line, start + MAX_LINE_BYTES);
      this.emitText(line.subarray(start, end), ts);
      if (end >= line.length) break;
      start = end;
    }
  }

  private emitText(bytes: Uint8Array, ts: number): void {
    this.emit({ ts, stream: this.stream, text: decodeLine(bytes) });
  }
}

export interface RotationPolicy {
  maxBytes: number;
  daily: boolean;
  retainFiles: number;
  retainDays: number;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `YYYYMMDD-HHMMSS` in local time. */
export function rotationStamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
}

/** Local calendar day, comparable: 20261201. */
function localDay(ms: number): number {
  const d = new Date(ms);
  return d.getFullYear() * 10_000 + (d.getMonth() + 1) * 100 + d.getDate();
}

/** The rotated files in a capture folder, oldest first (by name: the stamp, then the -N suffix). */
export function rotatedFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const keyed = names.flatMap((name) => {
    const m = ROTATED.exec(name);
    return m ? [{ name, key: `${m[1]}-${(m[2] ?? '0').padStart(6, '0')}` }] : [];
  });
  return keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((k) => k.name);
}

/**
 * The relay's writer: appends whole records to current.log and rotates it by closing, renaming and
 * reopening, by size and at the first write of a new local day. A rename that fails (a reader on
 * Windows without share-delete) leaves the lines in current.log and is tried again later: nothing is
 * dropped.
 */
export class CaptureWriter {
  private fd: number | null = null;
  private size = 0;
  private day = 0;
  private retryRotationAt = 0;
  readonly currentPath: string;

  constructor(
    readonly dir: string,
    private readonly policy: RotationPolicy,
    private readonly now: () => number = Date.now,
    private readonly onProblem: (message: string) => void = () => {},
  ) {
    this.currentPath = join(dir, CURRENT_FILE);
  }

  open(): void {
    this.fd = openSync(this.currentPath, 'a');
    const st = fstatSync(this.fd);
    this.size = st.size;
    // A file left from an earlier day (the bot was quiet over midnight, or stopped) starts a new one.
    this.day = st.size > 0 ? localDay(st.mtimeMs) : localDay(this.now());
  }

  /**
   * Writes the records in order, as few appends as the policy allows: a file is rotated before a record
   * would take it past its size, and at the first record of a new local day.
   */
  write(lines: readonly CapturedLine[]): void {
    if (lines.length === 0) return;
    if (this.fd === null) this.open();
    let text = '';
    let bytes = 0;
    let firstTs = 0;
    const flush = () => {
      if (bytes === 0) return;
      const dayChanged = this.policy.daily && this.size > 0 && localDay(firstTs) !== this.day;
      const full = this.size > 0 && this.size + bytes > this.policy.maxBytes;
      if ((dayChanged || full) && this.now() >= this.retryRotationAt) this.rotate();
      if (this.size === 0) this.day = localDay(firstTs);
      const buffer = Buffer.from(text);
      let offset = 0;
      while (offset < buffer.length) offset += writeSync(this.fd!, buffer, offset);
      this.size += bytes;
      text = '';
      bytes = 0;
    };
    for (const line of lines) {
      const record = formatRecord(line);
      const size = Buffer.byteLength(record);
      // This record would not fit with those before it, or it starts a new day: append what we have.
      if (
        bytes > 0 &&
        (this.size + bytes + size > this.policy.maxBytes ||
          (this.policy.daily && localDay(line.ts) !== localDay(firstTs)))
      ) {
        flush();
      }
      if (bytes === 0) firstTs = line.ts;
      text += record;
      bytes += size;
    }
    flush();
  }

  /** Close, rename to output-<stamp>[-N].log, reopen an empty current.log, prune old files. */
  rotate(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
    const stamp = rotationStamp(this.now());
    let target = join(this.dir, `output-${stamp}.log`);
    for (let n = 1; exists(target); n++) target = join(this.dir, `output-${stamp}-${n}.log`);
    try {
      renameSync(this.currentPath, target);
    } catch (err) {
      this.onProblem(`rotation of ${this.currentPath} failed, kept writing to it: ${errorText(err)}`);
      this.retryRotationAt = this.now() + 60_000;
    }
    this.open();
    this.prune();
  }

  prune(): void {
    const files = rotatedFiles(this.dir);
    const cutoff = this.now() - this.policy.retainDays * 86_400_000;
    files.forEach((name, i) => {
      const path = join(this.dir, name);
      const tooMany = i < files.length - this.policy.retainFiles;
      let tooOld = false;
      if (!tooMany) {
        try {
          tooOld = statSync(path).mtimeMs < cutoff;
        } catch {
          return;
        }
      }
      if (!tooMany && !tooOld) return;
      try {
        unlinkSync(path);
      } catch (err) {
        this.onProblem(`cannot delete old output ${path}: ${errorText(err)}`);
      }
    });
  }

  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

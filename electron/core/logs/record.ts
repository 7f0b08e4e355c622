import type { LogLevel } from '../../../shared/config/logs.js';

export { parseLevel } from '../../../shared/config/logs.js';

/** Python logging's numbers: stored as integers, compared for "level ≥ WARNING". */
export const LEVEL_NUMBER: Readonly<Record<LogLevel, number>> = {
  DEBUG: 10,
  INFO: 20,
  WARNING: 30,
  ERROR: 40,
  CRITICAL: 50,
};

export function levelName(n: number): LogLevel {
  if (n >= 50) return 'CRITICAL';
  if (n >= 40) return 'ERROR';
  if (n >= 30) return 'WARNING';
  if (n >= 20) return 'INFO';
  return 'DEBUG';
}

/** Flags of a decoded line (and of the record it ends up in). */
export const LINE_TRUNCATED = 1;
/** Bytes that were neither UTF-8 nor cp932: replaced by U+FFFD. */
export const LINE_UNDECODABLE = 2;
/** Control characters (NUL, …): shown as Control Pictures (␀). */
export const LINE_BINARY = 4;
/** Decoded as cp932 (Shift_JIS) because it was not UTF-8. */
export const LINE_CP932 = 8;
/** A line that is wrong in itself (the record is stored, the line counted as bad). */
export const LINE_BAD = LINE_TRUNCATED | LINE_UNDECODABLE | LINE_BINARY;

/** One decoded line of a file, with where it lies. */
export interface Line {
  text: string;
  /** Byte offset of its first byte. */
  offset: number;
  /** Byte offset just after its line end. */
  end: number;
  flags: number;
  /** Captured output: arrival time and pipe. */
  arrival?: number;
  stream?: 'stdout' | 'stderr';
}

/** A record as a parser assembles it, before masking, de-duplication and storage. */
export interface ParsedRecord {
  /** Its own timestamp (epoch ms) when the text carries one; null: the caller supplies one. */
  ts: number | null;
  level: LogLevel;
  message: string;
  logger: string | null;
  account: string | null;
  traceId: string | null;
  stream: 'stdout' | 'stderr' | null;
  fields: Record<string, unknown> | null;
  /** No parser understood it: kept as it was. */
  raw: boolean;
  /** Byte offsets of its first line and just after its last. */
  offset: number;
  end: number;
  /** Lines it is made of. */
  lines: number;
  /** Lines among them that were bad in themselves (cut, undecodable, binary), plus 1 when raw. */
  badLines: number;
  /** OR of its lines' flags. */
  flags: number;
}

/** What a parser reports besides records. */
export interface ParseStats {
  /** Empty lines outside any record: nothing to store. */
  empty: number;
}

/**
 * A format's parser. Lines go in one at a time, in file order; complete records come out. A record
 * that may still get continuation lines (a traceback) stays pending until the next record starts,
 * or `flush` (the file went idle, was rotated away, or reached its end).
 */
export interface LineParser {
  push(line: Line, out: ParsedRecord[]): void;
  flush(out: ParsedRecord[]): void;
  /** Offset of the first line of the earliest pending record, or null. */
  pendingOffset(): number | null;
  readonly stats: ParseStats;
}

/** A record that is still being assembled. Continuation lines are appended to `parts`. */
export interface Pending {
  record: ParsedRecord;
  parts: string[];
  bytes: number;
}

/** A pending record is emitted early when it grows past these (a runaway continuation). */
export const MAX_RECORD_LINES = 2000;
export const MAX_RECORD_CHARS = 256 * 1024;

export function startPending(record: ParsedRecord, first: string): Pending {
  return { record, parts: [first], bytes: first.length };
}

/** Appends a continuation line; false when the record is full (the caller emits it and starts anew). */
export function appendLine(p: Pending, line: Line): boolean {
  if (p.record.lines >= MAX_RECORD_LINES || p.bytes + line.text.length > MAX_RECORD_CHARS) return false;
  p.parts.push(line.text);
  p.bytes += line.text.length + 1;
  p.record.lines++;
  p.record.end = line.end;
  p.record.flags |= line.flags;
  if (line.flags & LINE_BAD) p.record.badLines++;
  return true;
}

export function finishPending(p: Pending): ParsedRecord {
  const parts = p.parts;
  // Trailing empty lines belong to no record.
  let n = parts.length;
  while (n > 1 && parts[n - 1] === '') n--;
  p.record.message = n === 1 ? (parts[0] as string) : parts.slice(0, n).join('\n');
  return p.record;
}

export function newRecord(
  line: Line,
  init: Partial<ParsedRecord> & { level: ParsedRecord['level'] },
): ParsedRecord {
  // Written out (no spread): this runs for every record.
  return {
    ts: init.ts ?? null,
    level: init.level,
    message: init.message ?? '',
    logger: init.logger ?? null,
    account: init.account ?? null,
    traceId: init.traceId ?? null,
    stream: line.stream ?? null,
    fields: init.fields ?? null,
    raw: init.raw ?? false,
    offset: line.offset,
    end: line.end,
    lines: 1,
    badLines: init.badLines ?? (line.flags & LINE_BAD ? 1 : 0),
    flags: line.flags,
  };
}

/** A line no parser understood: stored as it is, counted as bad. */
export function rawRecord(line: Line, level: ParsedRecord['level'] = 'INFO'): ParsedRecord {
  return newRecord(line, { level, raw: true, message: line.text, badLines: 1 });
}

const EXECUTION_ID = /ExecutionID[:=]\s*([A-Za-z0-9_.:-]+)/;
const EXEC_TOKEN = /\b(exec_[A-Za-z0-9_-]+)/;

/** `ExecutionID: exec_…` (TradingAssistantX) or a bare `exec_…` token. */
export function extractExecutionId(text: string): string | null {
  if (!text.includes('xec')) return null;
  const m = EXECUTION_ID.exec(text) ?? EXEC_TOKEN.exec(text);
  return m?.[1] ?? null;
}

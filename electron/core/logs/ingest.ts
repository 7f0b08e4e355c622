import { createHash } from 'node:crypto';
import { type BigIntStats, closeSync, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LogLevel } from '../../../shared/config/logs.js';
import { type LogEncoding, splitLines } from './decode.js';
import { type CompiledGlob, expandGlob } from './glob.js';
import type { Masker } from './mask.js';
import { createParser, DETECT_LINES, detectFormat, type FileFormat } from './parsers/detect.js';
import type { OperatorPattern } from './patterns.js';
import { LEVEL_NUMBER, LINE_TRUNCATED, type Line, type LineParser, type ParsedRecord } from './record.js';
import type { Batch, FileRow, FileRowLoaded, MessageEntry, RecordRow, StoredRecord } from './repo.js';
import type { WallClock } from './time.js';

/** One configured source: a `bots[].logs` entry, or a supervised bot's captured output. */
export interface SourceSpec {
  botId: string;
  /** The entry's glob as written, or `output`. */
  source: string;
  kind: 'file' | 'output';
  glob: CompiledGlob;
  format: FileFormat | 'auto';
  encoding: LogEncoding;
  pattern: OperatorPattern | null;
}

export interface IngestSettings {
  maxLineBytes: number;
  /** Retention per level in ms (null: kept); older records are not stored at all. */
  retentionMs: Readonly<Record<LogLevel, number | null>>;
  wallClock: WallClock;
  masker: Masker;
  /** A quiet file (no growth for a minute) is looked at this often instead of every pass. */
  quietCheckMs: number;
}

export type WriteOutcome = 'written' | 'waiting' | 'dropped';

export interface IngestPorts {
  /** Runs the batch's write through the store's write path; `direct` tells the op it is not a replay. */
  write(batch: Batch): WriteOutcome;
  /** Writes of this capability still waiting in the write path's queue. */
  waiting(): number;
  /** Stored records, after their transaction committed. */
  onStored(records: readonly StoredRecord[]): void;
  log(message: string): void;
}

export interface PassResult {
  records: number;
  duplicates: number;
  bytes: number;
  /** Stopped early: the time budget ran out, or writes wait. */
  more: boolean;
}

export interface FileStatus {
  id: number;
  path: string;
  state: 'active' | 'gone';
  format: FileFormat | null;
  encoding: LogEncoding;
  account: string | null;
  offset: number;
  size: number | null;
  lastError: string | null;
}

export interface SourceStatus {
  spec: SourceSpec;
  files: FileStatus[];
  lastError: string | null;
}

/** Bytes read from a file at once; a line longer than this is cut and the rest of it skipped. */
export const CHUNK_BYTES = 1024 * 1024;
/** The first line's bytes that make a file's fingerprint (with its device and inode). */
const FINGERPRINT_MAX = 8 * 1024;
/**
 * A batch is written once it holds this many records. A pass reads a 1 MiB chunk (about 8,700 lines of
 * Python logging) within its budget, so this is one commit per pass: each commit costs a fixed part
 * (an index segment, WAL frames of the same hot pages) that 5,000 paid twice.
 */
const BATCH_RECORDS = 10_000;
/** A file quiet this long and read to its end is looked at once per discovery instead of every pass. */
const QUIET_MS = 60_000;
/** A file quiet this long is looked at every DORMANT_CHECK_MS. */
const DORMANT_MS = 3_600_000;
const DORMANT_CHECK_MS = 30_000;
/** A file renamed out of the glob is read to its end and let go after this long without growth. */
const ROTATED_GRACE_MS = 5_000;

/** `<account>_<YYYYMMDD_HHMMSS>.log`: Nexus 02's per-run files. */
const PER_RUN = /^(.+)_(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})\.[A-Za-z0-9]+$/;

export function perRunFile(path: string, clock: WallClock): { account: string; startedAt: number } | null {
  const m = PER_RUN.exec(path.split(/[\\/]/).pop() ?? path);
  if (!m) return null;
  const n = m.slice(2).map(Number) as [number, number, number, number, number, number];
  const startedAt = clock.toEpoch(n[0], n[1], n[2], n[3], n[4], n[5], 0);
  return Number.isFinite(startedAt) ? { account: m[1] as string, startedAt } : null;
}

/**
 * How many records with each de-duplication hash this file has had at its latest timestamp. Most
 * timestamps carry one record: that one is held in `first` and the map is only made for a second
 * distinct hash at the same time (clearing a Map allocates a new table, once per record before).
 */
interface DupState {
  ts: number;
  /** The first hash seen at `ts` (NaN: none yet) and its count. */
  first: number;
  firstCount: number;
  more: Map<number, number> | null;
}

function emptyDupState(): DupState {
  return { ts: Number.NaN, first: Number.NaN, firstCount: 0, more: null };
}

/** Counts one more record with hash `h` at time `ts`; returns how many came before it. */
function nextOccurrence(d: DupState, ts: number, h: number): number {
  if (d.ts !== ts) {
    d.ts = ts;
    d.first = h;
    d.firstCount = 1;
    d.more = null;
    return 0;
  }
  if (d.first === h) return d.firstCount++;
  if (Number.isNaN(d.first)) {
    d.first = h;
    d.firstCount = 1;
    return 0;
  }
  d.more ??= new Map();
  const n = d.more.get(h) ?? 0;
  d.more.set(h, n + 1);
  return n;
}

/** The stored form (`log_files.dup_state`): `{ ts, counts: [[hash, n], ...] }`, or null when empty. */
function dupStateText(d: DupState): string | null {
  if (Number.isNaN(d.first)) return null;
  const counts: [number, number][] = [[d.first, d.firstCount]];
  if (d.more) counts.push(...d.more);
  return JSON.stringify({ ts: d.ts, counts });
}

interface TrackedFile {
  id: number;
  spec: SourceSpec;
  path: string;
  identity: string;
  fingerprint: string | null;
  fingerprintLen: number;
  /** Read and handed to the parser up to here. */
  readPos: number;
  /** Where reading resumes after a restart: the start of the first record not yet stored. */
  committed: number;
  /** What the database holds (the last batch that committed). */
  stored: { offset: number; dupState: string | null; discarding: boolean; fingerprint: string | null };
  discarding: boolean;
  format: FileFormat | null;
  account: string | null;
  runStarted: number | null;
  firstSeen: number;
  lastTs: number | null;
  dup: DupState;
  parser: LineParser | null;
  emptySeen: number;
  lastSize: number;
  lastMtime: number;
  lastGrowthAt: number;
  nextCheckAt: number;
  gone: boolean;
  outOfGlob: boolean;
  lastError: string | null;
  /** Changed since the last batch: its row goes into the next one. */
  dirty: boolean;
  addLines: number;
  addBad: number;
  addExpired: number;
}

interface SourceState {
  spec: SourceSpec;
  files: TrackedFile[];
  lastError: string | null;
  discoverNow: boolean;
}

/** Two generations of distinct messages: a message repeated within a few thousand records is stored once. */
const MESSAGE_CACHE = 20_000;

/**
 * The ingestion engine: follows every source's files (discovery by glob, identity by device+inode and
 * the first line's checksum, rename rotation, truncation, new per-run files), decodes and parses their
 * lines, masks, computes de-duplication keys, and writes records with the files' offsets in one
 * transaction per batch. It holds no file open between reads (open, read, close), so a bot's own
 * rotation is never blocked on Windows. All time comes from the caller (`now`).
 */
export function createIngestEngine(ports: IngestPorts, init: { nextFileId: number }) {
  let settings: IngestSettings | null = null;
  let sources: SourceState[] = [];
  let nextFileId = init.nextFileId;
  let loaded: FileRowLoaded[] = [];
  let messages = new Map<string, MessageEntry>();
  let previousMessages = new Map<string, MessageEntry>();
  /** Batches written while the write path was queueing: announced once it has drained. */
  let unannounced: Batch[] = [];
  let setRank: (fileId: number, rank: number) => void = () => {};

  function messageEntry(raw: string, masker: Masker): MessageEntry {
    let e = messages.get(raw);
    if (e) return e;
    e = previousMessages.get(raw);
    if (!e) e = { masked: masker.mask(raw), id: 0, epoch: 0 };
    if (messages.size >= MESSAGE_CACHE) {
      previousMessages = messages;
      messages = new Map();
    }
    messages.set(raw, e);
    return e;
  }

  function sourceKey(botId: string, source: string): string {
    return `${botId}\u0000${source}`;
  }

  function specEquals(a: SourceSpec, b: SourceSpec): boolean {
    return (
      a.glob.pattern === b.glob.pattern &&
      a.format === b.format &&
      a.encoding === b.encoding &&
      a.pattern?.toString() === b.pattern?.toString()
    );
  }

  function fromRow(spec: SourceSpec, row: FileRowLoaded, now: number): TrackedFile {
    const dup = parseDupState(row.dup_state);
    if (row.run_started !== null) setRank(row.id, row.run_started);
    return {
      id: row.id,
      spec,
      path: row.path,
      identity: row.identity,
      fingerprint: row.fingerprint,
      fingerprintLen: row.fingerprint_len,
      readPos: row.offset,
      committed: row.offset,
      stored: {
        offset: row.offset,
        dupState: row.dup_state,
        discarding: row.discarding === 1,
        fingerprint: row.fingerprint,
      },
      discarding: row.discarding === 1,
      format: (row.format as FileFormat | null) ?? null,
      account: row.account,
      runStarted: row.run_started,
      firstSeen: row.first_seen,
      lastTs: row.last_ts,
      dup,
      parser: null,
      emptySeen: 0,
      lastSize: -1,
      lastMtime: -1,
      lastGrowthAt: now,
      nextCheckAt: 0,
      gone: false,
      outOfGlob: false,
      lastError: null,
      dirty: false,
      addLines: 0,
      addBad: 0,
      addExpired: 0,
    };
  }

  function newFile(spec: SourceSpec, path: string, identity: string, now: number): TrackedFile {
    const id = nextFileId++;
    const run = spec.kind === 'file' && settings ? perRunFile(path, settings.wallClock) : null;
    if (run) setRank(id, run.startedAt);
    return {
      id,
      spec,
      path,
      identity,
      fingerprint: null,
      fingerprintLen: 0,
      readPos: 0,
      committed: 0,
      stored: { offset: 0, dupState: null, discarding: false, fingerprint: null },
      discarding: false,
      format: spec.format === 'auto' ? null : spec.format,
      account: run?.account ?? null,
      runStarted: run?.startedAt ?? null,
      firstSeen: now,
      lastTs: null,
      dup: emptyDupState(),
      parser: null,
      emptySeen: 0,
      lastSize: -1,
      lastMtime: -1,
      lastGrowthAt: now,
      nextCheckAt: 0,
      gone: false,
      outOfGlob: false,
      lastError: null,
      dirty: true,
      addLines: 0,
      addBad: 0,
      addExpired: 0,
    };
  }

  function statOf(path: string): BigIntStats | null {
    try {
      const st = statSync(path, { bigint: true });
      return st.isFile() ? st : null;
    } catch {
      return null;
    }
  }

  /** dev/ino can exceed 2^53 on Windows (volume serial, file index): kept exact, as text. */
  function identityOf(st: BigIntStats): string {
    return `${String(st.dev)}:${String(st.ino)}`;
  }

  /**
   * Reads from the file at `path` only if it is still the file we know. `moved`: the path names another
   * file or none now (rotated or deleted since it was looked at); null: it could not be opened (locked,
   * no access), which says nothing about its content: try again later.
   */
  function readAt(path: string, identity: string, position: number, length: number): Buffer | 'moved' | null {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return code === 'ENOENT' || code === 'ENOTDIR' ? 'moved' : null;
    }
    try {
      if (identityOf(fstatSync(fd, { bigint: true })) !== identity) return 'moved';
      const buf = Buffer.allocUnsafe(length);
      let got = 0;
      while (got < length) {
        const n = readSync(fd, buf, got, length - got, position + got);
        if (n === 0) break;
        got += n;
      }
      return got === length ? buf : buf.subarray(0, got);
    } finally {
      closeSync(fd);
    }
  }

  function fingerprintOf(buf: Buffer): string {
    return createHash('md5').update(buf).digest('hex');
  }

  /** The file at this identity now holds other content (truncated, or rewritten): read it from the start. */
  function restart(tf: TrackedFile, why: string, pass: PassState): void {
    ports.log(`${tf.path}: ${why}; reading it again from the start`);
    // The record still waiting for continuation lines was all there was of it.
    const parser = tf.parser;
    if (parser && parser.pendingOffset() !== null) emitFrom(tf, pass, (out) => parser.flush(out));
    tf.lastError = why;
    tf.readPos = 0;
    tf.committed = 0;
    tf.fingerprint = null;
    tf.fingerprintLen = 0;
    tf.discarding = false;
    tf.parser = null;
    tf.dup = emptyDupState();
    if (tf.spec.format === 'auto') tf.format = null;
    tf.dirty = true;
  }

  // ---- discovery ----

  function discover(src: SourceState, now: number): void {
    const byIdentity = new Map<string, TrackedFile>();
    const byPath = new Map<string, TrackedFile>();
    for (const f of src.files) {
      if (f.gone) continue;
      byIdentity.set(f.identity, f);
      byPath.set(f.path, f);
    }
    const seen = new Set<TrackedFile>();
    let paths: string[];
    try {
      paths = expandGlob(src.spec.glob);
      src.lastError = null;
    } catch (err) {
      src.lastError = `cannot list ${src.spec.glob.base}: ${err instanceof Error ? err.message : String(err)}`;
      return;
    }
    const fresh: { path: string; identity: string; mtime: number }[] = [];
    for (const path of paths) {
      const known = byPath.get(path);
      if (known && known.nextCheckAt > now && !known.outOfGlob) {
        seen.add(known);
        continue;
      }
      const st = statOf(path);
      if (!st) continue;
      const identity = identityOf(st);
      const tf = byIdentity.get(identity);
      if (tf) {
        if (tf.path !== path) {
          tf.path = path;
          tf.dirty = true;
        }
        tf.outOfGlob = false;
        seen.add(tf);
      } else {
        fresh.push({ path, identity, mtime: Number(st.mtimeMs) });
      }
    }
    // Files that left the glob: renamed by a rotation (found again by identity in their folder), or deleted.
    const missing = src.files.filter((f) => !f.gone && !seen.has(f));
    if (missing.length > 0) {
      const folders = new Map<string, Map<string, string>>();
      for (const tf of missing) {
        const dir = dirname(tf.path);
        let ids = folders.get(dir);
        if (!ids) {
          ids = identitiesIn(dir);
          folders.set(dir, ids);
        }
        const found = ids.get(tf.identity);
        if (found) {
          if (found !== tf.path) {
            tf.path = found;
            tf.dirty = true;
          }
          tf.outOfGlob = true;
          tf.nextCheckAt = 0;
        } else {
          tf.gone = true;
          tf.dirty = true;
        }
      }
    }
    // New files, oldest first; a rotated file's rest is read before the new file (it was tracked first).
    fresh.sort((a, b) => a.mtime - b.mtime);
    for (const f of fresh) src.files.push(newFile(src.spec, f.path, f.identity, now));
  }

  function identitiesIn(dir: string): Map<string, string> {
    const out = new Map<string, string>();
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return out;
    }
    for (const name of names) {
      const p = join(dir, name);
      const st = statOf(p);
      if (st) out.set(identityOf(st), p);
    }
    return out;
  }

  // ---- reading ----

  interface PassState {
    now: number;
    batch: Batch;
    deadline: number;
    monotonic: () => number;
    result: PassResult;
  }

  function newBatch(): Batch {
    return { records: [], files: [], stored: [], duplicates: 0 };
  }

  /** Reads what is new in one file; true when it has more to read right away. */
  function readFile(tf: TrackedFile, pass: PassState): boolean {
    const s = settings as IngestSettings;
    const now = pass.now;
    if (tf.gone) {
      // Deleted: what was read is all there is; its pending record is complete.
      finish(tf, pass);
      return false;
    }
    const st = statOf(tf.path);
    // Rotated or deleted since discovery.
    if (!st || identityOf(st) !== tf.identity) return rotatedAway(tf);
    const size = Number(st.size);
    const mtime = Number(st.mtimeMs);
    const changed = size !== tf.lastSize || mtime !== tf.lastMtime;
    if (changed && tf.fingerprint !== null) {
      let replaced = size < tf.fingerprintLen;
      if (!replaced) {
        const head = readAt(tf.path, tf.identity, 0, tf.fingerprintLen);
        // Rotated between the stat and the open: the file is whole under its new name, not rewritten
        // (reading it again from the start stored its lines twice). Discovery finds where it went.
        if (head === 'moved') return rotatedAway(tf);
        if (!head) return false;
        replaced = head.length < tf.fingerprintLen || fingerprintOf(head) !== tf.fingerprint;
      }
      if (replaced) restart(tf, 'the file was truncated or replaced (its first line changed)', pass);
    }
    if (size < tf.readPos) restart(tf, 'the file was truncated', pass);
    if (changed) {
      if (size > tf.lastSize) tf.lastGrowthAt = now;
      tf.lastSize = size;
      tf.lastMtime = mtime;
    }
    const idleMs = now - tf.lastGrowthAt;
    const final = tf.outOfGlob ? idleMs >= ROTATED_GRACE_MS : idleMs >= DORMANT_MS;
    // A quiet file is looked at less often, once it is read to its end (a backlog is read at full pace).
    tf.nextCheckAt =
      size > tf.readPos
        ? 0
        : idleMs >= DORMANT_MS
          ? now + DORMANT_CHECK_MS
          : idleMs >= QUIET_MS
            ? now + s.quietCheckMs
            : 0;

    if (size <= tf.readPos) {
      // Quiet: a record waiting for continuation lines is complete once the file stays quiet a pass.
      if (!changed && tf.parser?.pendingOffset() !== null && tf.parser)
        emitFrom(tf, pass, (out) => tf.parser?.flush(out));
      if (tf.outOfGlob && idleMs >= ROTATED_GRACE_MS) {
        tf.gone = true;
        finish(tf, pass);
      }
      return false;
    }
    const length = Math.min(CHUNK_BYTES, size - tf.readPos);
    const buf = readAt(tf.path, tf.identity, tf.readPos, length);
    if (buf === 'moved') return rotatedAway(tf);
    if (!buf) return false;
    pass.result.bytes += buf.length;
    let start = tf.readPos;
    let data = buf;
    if (tf.discarding) {
      // The rest of a line that was cut: skip to its end.
      const nl = data.indexOf(10);
      if (nl < 0) {
        tf.readPos += data.length;
        tf.committed = tf.parser?.pendingOffset() ?? tf.readPos;
        tf.dirty = true;
        return tf.readPos < size;
      }
      tf.discarding = false;
      start += nl + 1;
      data = data.subarray(nl + 1);
      tf.readPos = start;
    }
    const lastChunk = tf.readPos + buf.length >= size;
    const split = splitLines(data, start, {
      encoding: tf.spec.encoding,
      maxLineBytes: s.maxLineBytes,
      final: final && lastChunk,
    });
    let lines = split.lines;
    let consumed = split.consumed;
    if (consumed === 0 && data.length >= CHUNK_BYTES - 1) {
      // A line longer than a whole chunk: keep its start (cut), skip the rest up to its end.
      const cut = splitLines(data.subarray(0, s.maxLineBytes), start, {
        encoding: tf.spec.encoding,
        maxLineBytes: s.maxLineBytes,
        final: true,
      });
      lines = cut.lines
        .slice(0, 1)
        .map((l) => ({ ...l, end: start + data.length, flags: l.flags | LINE_TRUNCATED }));
      consumed = data.length;
      tf.discarding = true;
    }
    if (lines.length === 0) {
      // Only an unfinished last line: like a quiet file, complete the record waiting for continuations.
      if (!changed && tf.parser && tf.parser.pendingOffset() !== null) {
        const parser = tf.parser;
        emitFrom(tf, pass, (out) => parser.flush(out));
      }
      return false;
    }
    if (tf.fingerprint === null && start === 0 && lines.length > 0) {
      const first = lines[0] as Line;
      const len = Math.min(first.end - first.offset, FINGERPRINT_MAX);
      tf.fingerprint = fingerprintOf(data.subarray(0, len));
      tf.fingerprintLen = len;
    }
    if (tf.format === null) {
      const nonEmpty = lines.filter((l) => l.text !== '').length;
      // lnav decides on a file's first lines. A Python header or a JSON object among them decides at
      // once; lines that look like plain text may precede the first header, so with fewer than
      // DETECT_LINES of them wait until the file is quiet a pass (or 1 s).
      if (nonEmpty === 0) return false;
      const format = detectFormat(lines, s.wallClock);
      const decide =
        format !== 'console' || nonEmpty >= DETECT_LINES || !changed || now - tf.firstSeen >= 1000;
      if (!decide) return false;
      tf.format = format;
      tf.dirty = true;
    }
    tf.parser ??= createParser(tf.format, { clock: s.wallClock, pattern: tf.spec.pattern });
    const parser = tf.parser;
    tf.readPos = start + consumed;
    emitFrom(tf, pass, (out) => {
      for (const line of lines) parser.push(line, out);
      if (final && lastChunk) parser.flush(out);
    });
    return consumed > 0 && tf.readPos < size;
  }

  /** The path no longer names this file: the next discovery (in this pass) finds where it went. */
  function rotatedAway(tf: TrackedFile): false {
    const src = sources.find((x) => x.spec === tf.spec);
    if (src) src.discoverNow = true;
    return false;
  }

  /** A file that will not grow: emit its pending record and mark it gone. */
  function finish(tf: TrackedFile, pass: PassState): void {
    if (tf.parser) emitFrom(tf, pass, (out) => tf.parser?.flush(out));
    tf.committed = tf.readPos;
    tf.dirty = true;
    addFileRow(tf, pass.batch, pass.now);
  }

  /** Runs the parser step, turns finished records into rows, and moves the file's committed offset. */
  function emitFrom(tf: TrackedFile, pass: PassState, step: (out: ParsedRecord[]) => void): void {
    const out: ParsedRecord[] = [];
    step(out);
    const parser = tf.parser as LineParser;
    const empty = parser.stats.empty - tf.emptySeen;
    tf.emptySeen = parser.stats.empty;
    tf.addLines += empty;
    for (const r of out) addRecord(tf, r, pass);
    tf.committed = parser.pendingOffset() ?? tf.readPos;
    tf.dirty = true;
  }

  function addRecord(tf: TrackedFile, r: ParsedRecord, pass: PassState): void {
    const s = settings as IngestSettings;
    tf.addLines += r.lines;
    tf.addBad += r.badLines;
    const ownTs = r.ts !== null && !r.raw;
    const ts = r.ts ?? tf.lastTs ?? pass.now;
    if (ownTs) tf.lastTs = ts;
    const keep = s.retentionMs[r.level];
    if (keep !== null && ts < pass.now - keep) {
      tf.addExpired++;
      return;
    }
    const level = LEVEL_NUMBER[r.level];
    let dup: number | null = null;
    if (ownTs && tf.spec.kind === 'file' && tf.format !== 'console') {
      const h = hashRecord(ts, level, r.message);
      const n = nextOccurrence(tf.dup, ts, h);
      dup = n === 0 ? h : mixOccurrence(h, n);
    }
    const row: RecordRow = {
      fileId: tf.id,
      botId: tf.spec.botId,
      ts,
      level,
      msg: messageEntry(r.message, s.masker),
      account: r.account ?? tf.account,
      traceId: r.traceId,
      logger: r.logger,
      stream: r.stream === 'stdout' ? 1 : r.stream === 'stderr' ? 2 : null,
      flags: (r.raw ? 1 : 0) | (r.flags << 1),
      dup,
      offset: r.offset,
      fields: r.fields ? JSON.stringify(s.masker.maskFields(r.fields)) : null,
    };
    pass.batch.records.push(row);
    pass.result.records++;
  }

  function addFileRow(tf: TrackedFile, batch: Batch, now: number): void {
    const row: FileRow = {
      id: tf.id,
      botId: tf.spec.botId,
      source: tf.spec.source,
      path: tf.path,
      identity: tf.identity,
      fingerprint: tf.fingerprint,
      fingerprintLen: tf.fingerprintLen,
      offset: tf.committed,
      // Skipping the rest of a cut line only holds from readPos: a restart from an earlier offset meets the line again.
      discarding: tf.discarding && tf.committed === tf.readPos,
      format: tf.format,
      encoding: tf.spec.encoding,
      account: tf.account,
      runStarted: tf.runStarted,
      state: tf.gone ? 'gone' : 'active',
      firstSeen: tf.firstSeen,
      lastRead: now,
      size: tf.lastSize >= 0 ? tf.lastSize : null,
      lastTs: tf.lastTs,
      dupState: dupStateText(tf.dup),
      lastError: tf.lastError,
      addLines: tf.addLines,
      addBad: tf.addBad,
      addExpired: tf.addExpired,
    };
    const i = batch.files.findIndex((f) => f.id === tf.id);
    if (i >= 0) {
      // A second row for the same file in one batch: its counters add up, the rest is the newest.
      const prev = batch.files[i] as FileRow;
      row.addLines += prev.addLines;
      row.addBad += prev.addBad;
      row.addExpired += prev.addExpired;
      batch.files[i] = row;
    } else batch.files.push(row);
    tf.addLines = 0;
    tf.addBad = 0;
    tf.addExpired = 0;
    tf.dirty = false;
  }

  /** Writes the batch (records, then the rows of the files they came from) and announces what was stored. */
  function flush(pass: PassState): void {
    for (const src of sources) for (const tf of src.files) if (tf.dirty) addFileRow(tf, pass.batch, pass.now);
    const batch = pass.batch;
    pass.batch = newBatch();
    if (batch.records.length === 0 && batch.files.length === 0) return;
    const outcome = ports.write(batch);
    pass.result.duplicates += batch.duplicates;
    const touched = new Set(batch.files.map((f) => f.id));
    const files = sources.flatMap((s) => s.files).filter((f) => touched.has(f.id));
    if (outcome === 'dropped') {
      // Refused for good (not a locked or full database): read these files again from what is stored.
      for (const tf of files) {
        tf.readPos = tf.committed = tf.stored.offset;
        tf.discarding = tf.stored.discarding;
        tf.dup = parseDupState(tf.stored.dupState);
        tf.parser = null;
        tf.emptySeen = 0;
        tf.lastError = 'the database refused these lines; they will be read again';
      }
      return;
    }
    for (const row of batch.files) {
      const tf = files.find((f) => f.id === row.id);
      if (tf)
        tf.stored = {
          offset: row.offset,
          dupState: row.dupState,
          discarding: row.discarding,
          fingerprint: row.fingerprint,
        };
    }
    if (outcome === 'written') {
      if (batch.stored.length > 0) ports.onStored(batch.stored);
    } else unannounced.push(batch);
    // Files let go: nothing more to track.
    for (const src of sources) src.files = src.files.filter((f) => !(f.gone && !f.dirty));
  }

  return {
    /** The repo's per-file rank setter (latest per-run file owns shared lines). */
    bindRank(fn: (fileId: number, rank: number) => void) {
      setRank = fn;
    },
    /** Files known from the database (active ones), attached to their sources on configure. */
    load(rows: FileRowLoaded[]) {
      loaded = rows;
    },
    configure(specs: readonly SourceSpec[], next: IngestSettings, now: number) {
      const maskerChanged = settings?.masker !== next.masker;
      settings = next;
      if (maskerChanged) {
        messages = new Map();
        previousMessages = new Map();
      }
      const old = new Map(sources.map((s) => [sourceKey(s.spec.botId, s.spec.source), s]));
      sources = specs.map((spec) => {
        const key = sourceKey(spec.botId, spec.source);
        const prev = old.get(key);
        if (prev && specEquals(prev.spec, spec)) {
          prev.spec = spec;
          for (const f of prev.files) f.spec = spec;
          return prev;
        }
        const rows = loaded.filter((r) => r.bot_id === spec.botId && r.source === spec.source);
        return { spec, files: rows.map((r) => fromRow(spec, r, now)), lastError: null, discoverNow: true };
      });
    },
    /** Message rows deleted by retention: records that repeat them store them anew. */
    forgetMessages(ids: readonly number[]) {
      if (ids.length === 0) return;
      const gone = new Set(ids);
      for (const e of messages.values()) if (gone.has(e.id)) e.epoch = 0;
      for (const e of previousMessages.values()) if (gone.has(e.id)) e.epoch = 0;
    },
    /**
     * One pass: discovery (when due), then each source's files in the order they were found, chunk by
     * chunk, until all are read or the time budget is spent. Nothing is read while earlier writes wait.
     */
    pass(opts: { now: number; discover: boolean; budgetMs: number; monotonic?: () => number }): PassResult {
      const result: PassResult = { records: 0, duplicates: 0, bytes: 0, more: false };
      if (!settings) return result;
      if (ports.waiting() > 0) {
        result.more = true;
        return result;
      }
      if (unannounced.length > 0) {
        for (const b of unannounced) if (b.stored.length > 0) ports.onStored(b.stored);
        unannounced = [];
      }
      const monotonic = opts.monotonic ?? (() => performance.now());
      const pass: PassState = {
        now: opts.now,
        batch: newBatch(),
        deadline: monotonic() + opts.budgetMs,
        monotonic,
        result,
      };
      for (const src of sources) {
        if (opts.discover || src.discoverNow) {
          src.discoverNow = false;
          discover(src, opts.now);
        }
      }
      let progress = true;
      while (progress) {
        progress = false;
        for (const src of sources) {
          for (const tf of [...src.files]) {
            if (!tf.gone && tf.nextCheckAt > opts.now && !src.discoverNow) continue;
            let more: boolean;
            try {
              more = readFile(tf, pass);
            } catch (err) {
              tf.lastError = err instanceof Error ? err.message : String(err);
              tf.dirty = true;
              more = false;
            }
            if (pass.batch.records.length >= BATCH_RECORDS) flush(pass);
            if (ports.waiting() > 0) {
              flush(pass);
              result.more = true;
              return result;
            }
            if (more) progress = true;
          }
          // A rotation seen while reading: find the renamed file now, in this pass.
          if (src.discoverNow) {
            src.discoverNow = false;
            discover(src, opts.now);
            progress = true;
          }
        }
        if (progress && monotonic() >= pass.deadline) {
          result.more = true;
          break;
        }
      }
      flush(pass);
      return result;
    },
    /**
     * Whether the next pass should come at the tail cadence: a file grew lately (or has unread bytes),
     * a rotation is being followed, or a rediscovery is pending. Otherwise every file is quiet and looked
     * at once per quietCheckMs anyway, and new files wait for discovery: a slower pass misses nothing.
     */
    wantsFastPass(): boolean {
      if (unannounced.length > 0) return true;
      for (const src of sources) {
        if (src.discoverNow) return true;
        for (const f of src.files) if (f.gone || f.nextCheckAt === 0) return true;
      }
      return false;
    },
    status(): SourceStatus[] {
      return sources.map((src) => ({
        spec: src.spec,
        lastError: src.lastError,
        files: src.files.map((f) => ({
          id: f.id,
          path: f.path,
          state: f.gone ? 'gone' : 'active',
          format: f.format,
          encoding: f.spec.encoding,
          account: f.account,
          offset: f.stored.offset,
          size: f.lastSize >= 0 ? f.lastSize : null,
          lastError: f.lastError,
        })),
      }));
    },
  };
}

export type IngestEngine = ReturnType<typeof createIngestEngine>;

function parseDupState(text: string | null): DupState {
  if (text) {
    try {
      const parsed = JSON.parse(text) as { ts: number; counts: [number, number][] };
      const d = emptyDupState();
      d.ts = parsed.ts;
      for (const [h, n] of parsed.counts) {
        if (Number.isNaN(d.first)) {
          d.first = h;
          d.firstCount = n;
        } else {
          d.more ??= new Map();
          d.more.set(h, n);
        }
      }
      return d;
    } catch {
      // A damaged state only risks taking a same-millisecond repeat for a duplicate.
    }
  }
  return emptyDupState();
}

/** A 53-bit hash of a record's timestamp, level and message (FNV-1a in two lanes). */
export function hashRecord(ts: number, level: number, message: string): number {
  let a = 0x811c9dc5 ^ (ts % 0x7fffffff) ^ (level << 24);
  let b = 0x01000193 ^ Math.floor(ts / 0x7fffffff);
  for (let i = 0; i < message.length; i++) {
    const c = message.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  b ^= b >>> 15;
  return (a >>> 0) * 0x200000 + ((b >>> 0) & 0x1fffff);
}

/** The key of the n-th identical record (same time, level, message) within one file. */
function mixOccurrence(h: number, n: number): number {
  return (h + n * 0x9e3779b1) % 0x20000000000000;
}

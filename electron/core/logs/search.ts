import type BetterSqlite3 from 'better-sqlite3';
import type { z } from 'zod';
import type { LogRecord, LogsContext, LogsSearchOutput, logsSearchInput } from '../../../shared/api/logs.js';
import { highlightRanges, planSearch, TRIGRAM_MIN } from '../../../shared/search/index.js';
import { LEVEL_NUMBER, levelName } from './record.js';
import { asciiLower } from './repo.js';

export type SearchInput = z.output<typeof logsSearchInput>;

interface Row {
  id: number;
  ts: number;
  level: number;
  bot_id: string;
  file_id: number;
  account: string | null;
  trace_id: string | null;
  logger: string | null;
  stream: number | null;
  flags: number;
  fields: string | null;
  text: string;
}

const COLUMNS = `r.id, r.ts, r.level, r.bot_id, r.file_id, r.account, r.trace_id, r.logger, r.stream, r.flags,
  r.fields, m.text`;

/** More candidate messages than this from the index: the terms are common, scanning newest first is faster. */
const MAX_CANDIDATE_MESSAGES = 5_000;
/** More records than this for the candidates: scan newest first and test membership instead of sorting. */
const MAX_CANDIDATE_RECORDS = 50_000;
/** Rows a newest-first scan reads in the time one random fetch by message takes (measured: 0.25 µs vs ~12 µs). */
const SCAN_ROWS_PER_FETCH = 20;
/** A 1- or 2-character term starting more trigrams than this is common: it is tested, not looked up. */
const MAX_SHORT_EXPANSION = 100;

export function toRecord(r: Omit<Row, 'text'> & { text: string }): LogRecord {
  let fields: Record<string, unknown> | null = null;
  if (r.fields) {
    try {
      fields = JSON.parse(r.fields) as Record<string, unknown>;
    } catch {
      fields = null;
    }
  }
  return {
    id: r.id,
    ts: r.ts,
    level: levelName(r.level),
    botId: r.bot_id,
    account: r.account,
    traceId: r.trace_id,
    logger: r.logger,
    stream: r.stream === 1 ? 'stdout' : r.stream === 2 ? 'stderr' : null,
    message: r.text,
    fields,
    raw: (r.flags & 1) === 1,
    truncated: (r.flags & 2) === 2,
    fileId: r.file_id,
  };
}

function quote(token: string): string {
  return `"${token.replaceAll('"', '""')}"`;
}

/** The distinct trigrams of a term (code points), as FTS5 tokens ANDed. */
function trigramsOf(term: string): string {
  const chars = [...term];
  const grams = new Set<string>();
  for (let i = 0; i + TRIGRAM_MIN <= chars.length; i++) grams.add(chars.slice(i, i + TRIGRAM_MIN).join(''));
  return [...grams].map(quote).join(' AND ');
}

/**
 * Search and context over the stored records. A query's terms must all occur in the message (case-
 * insensitive for ASCII), as `instr` would find them; the trigram index only narrows the candidates:
 * a term of 3+ characters through its trigrams, a term of 1-2 characters through the trigrams that
 * start with it (every character starts one: the indexed text is padded), and each candidate is then
 * checked, so results are exactly the substring matches, never more, never fewer.
 */
export function createLogsQueries(db: BetterSqlite3.Database) {
  const expandShort = db.prepare<[string, string, number], { term: string }>(
    'SELECT term FROM log_fts_terms WHERE term >= ? AND term < ? LIMIT ?',
  );
  const candidates = db.prepare<[string, number], { id: number }>(
    'SELECT rowid AS id FROM log_fts WHERE log_fts MATCH ? LIMIT ?',
  );
  const countRecords = db.prepare<[string, number], { n: number }>(
    `SELECT count(*) AS n FROM (SELECT 1 FROM log_records INDEXED BY log_records_by_msg
       WHERE msg_id IN (SELECT value FROM json_each(?)) LIMIT ?)`,
  );
  const recordSpan = db.prepare<[], { lo: number | null; hi: number | null }>(
    // Two subqueries: SQLite answers a lone min() or max() from the index, both at once by a scan.
    'SELECT (SELECT min(id) FROM log_records) AS lo, (SELECT max(id) FROM log_records) AS hi',
  );
  const byId = db.prepare<[number], Row>(
    `SELECT ${COLUMNS} FROM log_records r JOIN log_messages m ON m.id = r.msg_id WHERE r.id = ?`,
  );
  const beforeOf = db.prepare<[string, number, number, number, number], Row>(
    `SELECT ${COLUMNS} FROM log_records r INDEXED BY log_records_by_bot JOIN log_messages m ON m.id = r.msg_id
     WHERE r.bot_id = ? AND (r.ts < ? OR (r.ts = ? AND r.id < ?)) ORDER BY r.ts DESC, r.id DESC LIMIT ?`,
  );
  const afterOf = db.prepare<[string, number, number, number, number], Row>(
    `SELECT ${COLUMNS} FROM log_records r INDEXED BY log_records_by_bot JOIN log_messages m ON m.id = r.msg_id
     WHERE r.bot_id = ? AND (r.ts > ? OR (r.ts = ? AND r.id > ?)) ORDER BY r.ts ASC, r.id ASC LIMIT ?`,
  );
  const traceOf = db.prepare<[string, number], Row>(
    `SELECT ${COLUMNS} FROM log_records r INDEXED BY log_records_by_trace JOIN log_messages m ON m.id = r.msg_id
     WHERE r.trace_id = ? ORDER BY r.ts ASC, r.id ASC LIMIT ?`,
  );
  const fileOf = db.prepare<[number], { id: number; path: string; source: string }>(
    'SELECT id, path, source FROM log_files WHERE id = ?',
  );
  const statements = new Map<string, BetterSqlite3.Statement<unknown[], Row>>();
  function prepared(sql: string): BetterSqlite3.Statement<unknown[], Row> {
    let s = statements.get(sql);
    if (!s) {
      if (statements.size > 200) statements.clear();
      s = db.prepare<unknown[], Row>(sql);
      statements.set(sql, s);
    }
    return s;
  }

  /** A 1-2 character term's index expression, 'common' when it starts too many trigrams, 'none' when none. */
  function shortTermExpr(term: string): string | 'common' | 'none' {
    const terms = expandShort.all(term, `${term}\u{10FFFF}`, MAX_SHORT_EXPANSION + 1);
    if (terms.length > MAX_SHORT_EXPANSION) return 'common';
    if (terms.length === 0) return 'none';
    return `(${terms.map((t) => quote(t.term)).join(' OR ')})`;
  }

  function search(input: SearchInput): LogsSearchOutput {
    const started = performance.now();
    const plan = planSearch(input.query);
    const terms = plan.terms.map(asciiLower);
    const where: string[] = [];
    const params: unknown[] = [];
    if (input.bots && input.bots.length > 0) {
      where.push(`r.bot_id IN (${input.bots.map(() => '?').join(', ')})`);
      params.push(...input.bots);
    }
    if (input.accounts && input.accounts.length > 0) {
      where.push(`r.account IN (${input.accounts.map(() => '?').join(', ')})`);
      params.push(...input.accounts);
    }
    let minLevel = 0;
    if (input.levels && input.levels.length > 0) {
      const nums = [...new Set(input.levels.map((l) => LEVEL_NUMBER[l]))];
      minLevel = Math.min(...nums);
      where.push(`r.level IN (${nums.join(', ')})`);
      // Lets the partial index of warnings and errors serve "WARNING and above".
      if (minLevel >= 30) where.push('r.level >= 30');
    }
    if (input.from !== undefined) {
      where.push('r.ts >= ?');
      params.push(input.from);
    }
    if (input.to !== undefined) {
      where.push('r.ts <= ?');
      params.push(input.to);
    }
    if (input.traceId) {
      where.push('r.trace_id = ?');
      params.push(input.traceId);
    }
    if (input.before) {
      where.push('(r.ts < ? OR (r.ts = ? AND r.id < ?))');
      params.push(input.before.ts, input.before.ts, input.before.id);
    }
    const filtered = where.length > (input.before ? 1 : 0);

    // Narrow with the index where it helps.
    let index = input.traceId
      ? 'log_records_by_trace'
      : input.bots?.length === 1
        ? 'log_records_by_bot'
        : minLevel >= 30
          ? 'log_records_warnings'
          : 'log_records_by_ts';
    const groups: string[] = [];
    // A term of at most 3 characters found through the index is found exactly (the indexed text is
    // lower-cased like the terms, and padded): its candidates need no check. A longer one's trigrams
    // may stand apart in a message, and a common short term is not looked up: those are checked.
    let indexIsExact = true;
    for (const t of terms) {
      const length = [...t].length;
      if (length >= TRIGRAM_MIN) {
        groups.push(trigramsOf(t));
        if (length > TRIGRAM_MIN) indexIsExact = false;
      } else {
        const e = shortTermExpr(t);
        if (e === 'none') return empty(plan.terms, started);
        if (e === 'common') indexIsExact = false;
        else groups.push(e);
      }
    }
    let membership: string | null = null;
    if (groups.length > 0 && !input.traceId) {
      const cand = candidates.all(groups.join(' AND '), MAX_CANDIDATE_MESSAGES + 1);
      if (cand.length <= MAX_CANDIDATE_MESSAGES) {
        const ids = cand.map((c) => c.id);
        const exact = indexIsExact ? ids : verifyMessages(ids, terms);
        if (exact.length === 0) return empty(plan.terms, started);
        membership = JSON.stringify(exact);
        const n = countRecords.get(membership, MAX_CANDIDATE_RECORDS + 1)?.n ?? 0;
        // Few records: fetch them through the message index and sort. Many, or dense enough that a page
        // is found soon when scanning newest first (a random fetch costs tens of sequential rows): scan.
        if (n <= MAX_CANDIDATE_RECORDS && !(!filtered && denseEnough(n, input.limit))) {
          index = 'log_records_by_msg';
        }
      }
    }
    if (membership !== null) {
      where.push('r.msg_id IN (SELECT value FROM json_each(?))');
      params.push(membership);
    } else {
      for (const t of terms) {
        where.push('instr(lower(m.text), ?) > 0');
        params.push(t);
      }
    }
    const sql = `SELECT ${COLUMNS} FROM log_records r INDEXED BY ${index} JOIN log_messages m ON m.id = r.msg_id
      ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY r.ts DESC, r.id DESC LIMIT ?`;
    const rows = prepared(sql).all(...params, input.limit + 1);
    const hasMore = rows.length > input.limit;
    const page = hasMore ? rows.slice(0, input.limit) : rows;
    const last = page[page.length - 1];
    return {
      hits: page.map((r) => ({ ...toRecord(r), highlights: highlightRanges(r.text, plan.terms) })),
      hasMore,
      nextCursor: hasMore && last ? { ts: last.ts, id: last.id } : null,
      terms: plan.terms,
      tookMs: Math.round((performance.now() - started) * 100) / 100,
    };
  }

  /** Scanning newest first is expected to meet a page of `n` matching records within ~20 × n rows. */
  function denseEnough(n: number, limit: number): boolean {
    const span = recordSpan.get();
    const total = span?.hi != null && span.lo != null ? span.hi - span.lo + 1 : 0;
    return n > 0 && ((limit + 1) * total) / n <= SCAN_ROWS_PER_FETCH * n;
  }

  const verifyCache = new Map<string, BetterSqlite3.Statement<unknown[], { id: number }>>();
  function verifyMessages(ids: number[], terms: string[]): number[] {
    if (ids.length === 0) return [];
    const sql = `SELECT id FROM log_messages WHERE id IN (SELECT value FROM json_each(?))${terms
      .map(() => ' AND instr(lower(text), ?) > 0')
      .join('')}`;
    let s = verifyCache.get(sql);
    if (!s) {
      s = db.prepare<unknown[], { id: number }>(sql);
      verifyCache.set(sql, s);
    }
    return s.all(JSON.stringify(ids), ...terms).map((r) => r.id);
  }

  function empty(terms: string[], started: number): LogsSearchOutput {
    return {
      hits: [],
      hasMore: false,
      nextCursor: null,
      terms,
      tookMs: Math.round((performance.now() - started) * 100) / 100,
    };
  }

  function context(id: number, around: number, traceLimit: number): LogsContext | null {
    const row = byId.get(id);
    if (!row) return null;
    const before = beforeOf.all(row.bot_id, row.ts, row.ts, row.id, around).reverse().map(toRecord);
    const after = afterOf.all(row.bot_id, row.ts, row.ts, row.id, around).map(toRecord);
    let trace: LogRecord[] = [];
    let traceTruncated = false;
    if (row.trace_id) {
      const rows = traceOf.all(row.trace_id, traceLimit + 1);
      traceTruncated = rows.length > traceLimit;
      trace = rows.slice(0, traceLimit).map(toRecord);
    }
    return {
      record: toRecord(row),
      before,
      after,
      trace,
      traceTruncated,
      file: fileOf.get(row.file_id) ?? null,
    };
  }

  return { search, context };
}

export type LogsQueries = ReturnType<typeof createLogsQueries>;

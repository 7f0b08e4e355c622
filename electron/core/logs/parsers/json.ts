import {
  extractExecutionId,
  type Line,
  type LineParser,
  newRecord,
  type ParsedRecord,
  parseLevel,
  rawRecord,
} from '../record.js';
import { parseTimestamp, type WallClock } from '../time.js';

/** Fields of the Phase 6 schema (and their common spellings) that become columns, not `fields`. */
const KNOWN = new Set([
  'timestamp',
  'time',
  'ts',
  '@timestamp',
  'asctime',
  'level',
  'levelname',
  'severity',
  'logger_name',
  'logger',
  'name',
  'account_id',
  'account',
  'correlation_id',
  'correlationId',
  'execution_id',
  'executionId',
  'message',
  'msg',
  'metadata',
]);

function str(v: unknown): string | null {
  if (typeof v === 'string') return v.length > 0 ? v : null;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

function levelOf(v: unknown): ParsedRecord['level'] {
  if (typeof v === 'number') {
    if (v >= 50) return 'CRITICAL';
    if (v >= 40) return 'ERROR';
    if (v >= 30) return 'WARNING';
    if (v >= 20) return 'INFO';
    return 'DEBUG';
  }
  return (typeof v === 'string' && parseLevel(v)) || 'INFO';
}

/** A JSON object line → a record, or null when the line is not a JSON object. */
export function parseJsonLine(line: Line, clock: WallClock): ParsedRecord | null {
  const text = line.text;
  let i = 0;
  while (i < text.length && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
  if (text.charCodeAt(i) !== 123) return null;
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    return null;
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return null;
  const o = obj as Record<string, unknown>;
  const tsValue = o.timestamp ?? o.time ?? o.ts ?? o['@timestamp'] ?? o.asctime;
  const ts = tsValue === undefined ? Number.NaN : parseTimestamp(tsValue, clock);
  const fields: Record<string, unknown> = {};
  let hasFields = false;
  if (o.metadata && typeof o.metadata === 'object') {
    Object.assign(fields, o.metadata as Record<string, unknown>);
    hasFields = true;
  } else if (o.metadata !== undefined) {
    fields.metadata = o.metadata;
    hasFields = true;
  }
  for (const [k, v] of Object.entries(o)) {
    if (KNOWN.has(k)) continue;
    fields[k] = v;
    hasFields = true;
  }
  let message = str(o.message) ?? str(o.msg);
  if (message === null) message = hasFields ? JSON.stringify(fields) : text;
  // A traceback logged by a JSON formatter (python-json-logger's exc_info) is part of the message.
  const exc = str(fields.exc_info) ?? str(fields.exception) ?? str(fields.stack);
  if (exc) message = `${message}\n${exc}`;
  const trace = str(o.correlation_id) ?? str(o.correlationId) ?? str(o.execution_id) ?? str(o.executionId);
  return newRecord(line, {
    ts: Number.isNaN(ts) ? null : ts,
    level: levelOf(o.level ?? o.levelname ?? o.severity),
    logger: str(o.logger_name) ?? str(o.logger) ?? str(o.name),
    account: str(o.account_id) ?? str(o.account),
    traceId: trace ?? extractExecutionId(message),
    fields: hasFields ? fields : null,
    message,
  });
}

/** JSON lines: one record per line; a line that is not a JSON object is kept raw and counted. */
export function createJsonParser(clock: WallClock): LineParser {
  const stats = { empty: 0 };
  return {
    stats,
    push(line, out) {
      if (line.text === '') {
        stats.empty++;
        return;
      }
      out.push(parseJsonLine(line, clock) ?? rawRecord(line));
    },
    flush() {},
    pendingOffset: () => null,
  };
}

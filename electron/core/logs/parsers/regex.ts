import { namedGroups, type OperatorPattern } from '../patterns.js';
import {
  appendLine,
  extractExecutionId,
  finishPending,
  type LineParser,
  newRecord,
  type ParsedRecord,
  type Pending,
  parseLevel,
  rawRecord,
  startPending,
} from '../record.js';
import { parseTimestamp, type WallClock } from '../time.js';

/** Groups that become columns; every other named group becomes a field. */
const COLUMNS = new Set(['ts', 'level', 'message', 'logger', 'account', 'trace']);

/**
 * A format from the config (`format: regex`, `pattern:` with named groups `ts`, `level`, `message` and
 * optionally `logger`, `account`, `trace`; others become fields), run in RE2. A line the pattern does
 * not match continues the record before it (as lnav treats a format's non-matching lines); before the
 * first match it is kept raw and counted.
 */
export function createRegexParser(re: OperatorPattern, clock: WallClock): LineParser {
  let pending: Pending | null = null;
  const stats = { empty: 0 };
  const emit = (out: ParsedRecord[]) => {
    if (pending) out.push(finishPending(pending));
    pending = null;
  };
  return {
    stats,
    push(line, out) {
      const g = line.text === '' ? null : namedGroups(re, line.text);
      if (g) {
        emit(out);
        const message = g.message ?? line.text;
        let fields: Record<string, unknown> | null = null;
        for (const [k, v] of Object.entries(g)) {
          if (COLUMNS.has(k)) continue;
          fields ??= {};
          fields[k] = v;
        }
        const ts = g.ts === undefined ? Number.NaN : parseTimestamp(g.ts, clock);
        const record = newRecord(line, {
          ts: Number.isNaN(ts) ? null : ts,
          level: (g.level && parseLevel(g.level)) || 'INFO',
          logger: g.logger || null,
          account: g.account || null,
          traceId: g.trace || extractExecutionId(message),
          fields,
          message,
        });
        pending = startPending(record, message);
        return;
      }
      if (pending) {
        if (appendLine(pending, line)) return;
        emit(out);
      }
      if (line.text === '') {
        stats.empty++;
        return;
      }
      out.push(rawRecord(line));
    },
    flush: emit,
    pendingOffset: () => pending?.record.offset ?? null,
  };
}

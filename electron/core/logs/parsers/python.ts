import {
  appendLine,
  extractExecutionId,
  finishPending,
  type Line,
  type LineParser,
  newRecord,
  type ParsedRecord,
  type Pending,
  parseLevel,
  rawRecord,
  startPending,
} from '../record.js';
import { parseAsctime, type WallClock } from '../time.js';

/**
 * Python logging's `%(asctime)s - %(levelname)s - %(message)s` (TwitterBot Nexus 02), also with a
 * name between time and level: `- [emotion_link] - INFO -` or `- reply_bot.multi_main - INFO -`.
 * Groups: 1 asctime, 2 logger, 3 level, 4 message.
 */
export const PYTHON_HEADER =
  /^(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[,.]\d{1,6})?) - (?:(\[[^\]]{1,200}\]|[A-Za-z_][\w.]{0,200}) - )?(DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL) - ?(.*)$/;

/** Parses a header line into a record, or null when it is not one. */
export function parsePythonHeader(line: Line, clock: WallClock): ParsedRecord | null {
  const text = line.text;
  // Cheap refusal before the regex: a header starts with a digit and has '-' at index 4.
  if (text.length < 27 || text.charCodeAt(4) !== 45) return null;
  const m = PYTHON_HEADER.exec(text);
  if (!m) return null;
  const ts = parseAsctime(m[1] as string, clock);
  if (Number.isNaN(ts)) return null;
  const name = m[2];
  const message = m[4] ?? '';
  return newRecord(line, {
    ts,
    level: parseLevel(m[3] as string) ?? 'INFO',
    logger: name ? (name.startsWith('[') ? name.slice(1, -1) : name) : null,
    traceId: extractExecutionId(message),
    message,
  });
}

/**
 * Every line that is not a header continues the record before it (tracebacks, multi-line messages),
 * as lnav does. A line before the first header is kept raw and counted.
 */
export function createPythonParser(clock: WallClock): LineParser {
  let pending: Pending | null = null;
  const stats = { empty: 0 };

  function emit(out: ParsedRecord[]): void {
    if (pending) out.push(finishPending(pending));
    pending = null;
  }

  return {
    stats,
    push(line, out) {
      const header = parsePythonHeader(line, clock);
      if (header) {
        emit(out);
        pending = startPending(header, header.message);
        return;
      }
      if (pending) {
        if (appendLine(pending, line)) return;
        // Full: emit it; the rest continues as a record of the same time and level.
        const prev = pending.record;
        emit(out);
        pending = startPending(
          { ...newRecord(line, { level: prev.level }), ts: prev.ts, logger: prev.logger },
          line.text,
        );
        return;
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

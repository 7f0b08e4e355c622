import type { LogLevel } from '../../../../shared/config/logs.js';
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
  startPending,
} from '../record.js';
import type { WallClock } from '../time.js';
import { parsePythonHeader } from './python.js';

/**
 * The level a console line's leading emoji stands for (TradingAssistantX prints `✅ …`, `❌ …`,
 * `⚠️ …`, `🔄 Rate limit - リトライ`, `⏱️ QPS制限により待機`, `📡 レスポンス: 200 OK`).
 */
const EMOJI_LEVEL = new Map<number, LogLevel>([
  // errors
  [0x274c, 'ERROR'], // ❌
  [0x1f6a8, 'ERROR'], // 🚨
  [0x1f4a5, 'ERROR'], // 💥
  [0x1f525, 'ERROR'], // 🔥
  [0x1f6d1, 'ERROR'], // 🛑
  [0x26d4, 'ERROR'], // ⛔
  [0x1f534, 'ERROR'], // 🔴
  [0x2757, 'ERROR'], // ❗
  [0x2716, 'ERROR'], // ✖
  [0x1f480, 'CRITICAL'], // 💀
  // warnings: retries and budget warnings
  [0x26a0, 'WARNING'], // ⚠
  [0x1f504, 'WARNING'], // 🔄
  [0x1f501, 'WARNING'], // 🔁
  [0x1f7e1, 'WARNING'], // 🟡
  [0x2753, 'WARNING'], // ❓
  // normal operation
  [0x2705, 'INFO'], // ✅
  [0x2714, 'INFO'], // ✔
  [0x1f389, 'INFO'], // 🎉
  [0x1f680, 'INFO'], // 🚀
  [0x1f4ca, 'INFO'], // 📊
  [0x1f4c8, 'INFO'], // 📈
  [0x1f4a1, 'INFO'], // 💡
  [0x1f4dd, 'INFO'], // 📝
  [0x2139, 'INFO'], // ℹ
  [0x23f1, 'INFO'], // ⏱
  [0x23f3, 'INFO'], // ⏳
  [0x1f4b0, 'INFO'], // 💰
  [0x1f7e2, 'INFO'], // 🟢
  [0x1f50d, 'INFO'], // 🔍
  [0x1f916, 'INFO'], // 🤖
  [0x1f3af, 'INFO'], // 🎯
  [0x1f4c5, 'INFO'], // 📅
  // chatty traces
  [0x1f4e1, 'DEBUG'], // 📡
  [0x1f41b, 'DEBUG'], // 🐛
  [0x1f527, 'DEBUG'], // 🔧
]);

const LEVEL_PREFIX = /^\[?(DEBUG|INFO|WARN|WARNING|ERROR|CRITICAL|FATAL)\]?(?=[\s:])/i;
const NODE_WARNING = /^\(node:\d+\) \w*Warning:/;
const TRACEBACK_START = 'Traceback (most recent call last):';

/** The level of a console line: its emoji, a level word at its start, else its pipe. */
export function consoleLevel(text: string, stream: Line['stream']): LogLevel {
  let i = 0;
  while (i < text.length && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
  const cp = text.codePointAt(i);
  if (cp !== undefined && cp >= 0x2000) {
    const level = EMOJI_LEVEL.get(cp);
    if (level) return level;
  } else if (cp !== undefined) {
    const rest = i === 0 ? text : text.slice(i);
    const m = LEVEL_PREFIX.exec(rest);
    if (m) return parseLevel(m[1] as string) ?? 'INFO';
    if (rest.startsWith(TRACEBACK_START)) return 'ERROR';
    if (NODE_WARNING.test(rest)) return 'WARNING';
  }
  return stream === 'stderr' ? 'ERROR' : 'INFO';
}

function isContinuation(text: string): boolean {
  const c = text.charCodeAt(0);
  // indented lines (object dumps, `    at …` stack frames, `  File …` traceback lines) and closers
  return c === 32 || c === 9 || c === 125 /* } */ || c === 93 /* ] */ || c === 41; /* ) */
}

interface ConsolePending extends Pending {
  /** A Python traceback whose final `XError: …` line has not come yet. */
  tracebackOpen: boolean;
}

/**
 * Console text without timestamps (captured stdout/stderr, or a file of it). A record is one line
 * plus the lines that continue it: indented lines and closing brackets (a multi-line object dump or a
 * stack), and a Python traceback up to its exception line. With `pythonHeaders`, a Python logging line
 * starts a record of its own level (a Python bot's logging handler writes to stderr). Each pipe
 * assembles its own record, so stdout lines between stderr lines do not cut a traceback.
 */
export interface ConsoleParser extends LineParser {
  /** A record made elsewhere (a capture line not in the capture shape), kept in file order with the rest. */
  pushRecord(record: ParsedRecord, out: ParsedRecord[]): void;
}

export function createConsoleParser(clock: WallClock, opts: { pythonHeaders?: boolean } = {}): ConsoleParser {
  const pending = new Map<string, ConsolePending>();
  const stats = { empty: 0 };
  // Records finished while an earlier record (of the other pipe) is still open wait here: records leave
  // in file order, so everything before the earliest open record is out and a restart from there
  // (the committed offset) repeats nothing.
  let held: ParsedRecord[] = [];

  function earliestPending(): number | null {
    let min: number | null = null;
    for (const p of pending.values()) if (min === null || p.record.offset < min) min = p.record.offset;
    return min;
  }

  function release(out: ParsedRecord[]): void {
    if (held.length === 0) return;
    const limit = earliestPending();
    if (limit === null) {
      for (const r of held) out.push(r);
      held = [];
      return;
    }
    const keep: ParsedRecord[] = [];
    for (const r of held) (r.offset < limit ? out : keep).push(r);
    held = keep;
  }

  function finish(p: ConsolePending, out: ParsedRecord[]): void {
    held.push(finishPending(p));
    held.sort((a, b) => a.offset - b.offset);
    release(out);
  }

  function emitAll(out: ParsedRecord[]): void {
    for (const p of pending.values()) held.push(finishPending(p));
    pending.clear();
    held.sort((a, b) => a.offset - b.offset);
    release(out);
  }

  function start(key: string, line: Line): void {
    const header = opts.pythonHeaders ? parsePythonHeader(line, clock) : null;
    const text = line.text;
    const record =
      header ??
      newRecord(line, {
        level: consoleLevel(text, line.stream),
        traceId: extractExecutionId(text),
        message: text,
      });
    // Captured output keeps its arrival time, also for Python logging lines in it.
    record.ts = line.arrival ?? null;
    const p = startPending(record, record.message) as ConsolePending;
    p.tracebackOpen = text.startsWith(TRACEBACK_START);
    pending.set(key, p);
  }

  return {
    stats,
    push(line, out) {
      const key = line.stream ?? '';
      const p = pending.get(key);
      const text = line.text;
      if (text === '') {
        if (p?.tracebackOpen) appendLine(p, line);
        else stats.empty++;
        return;
      }
      if (p) {
        const continues = isContinuation(text) || p.tracebackOpen;
        if (continues && appendLine(p, line)) {
          if (p.tracebackOpen && !isContinuation(text) && !text.startsWith('During handling')) {
            p.tracebackOpen = false;
          }
          return;
        }
        pending.delete(key);
        finish(p, out);
      }
      start(key, line);
      release(out);
    },
    pushRecord(record, out) {
      held.push(record);
      held.sort((a, b) => a.offset - b.offset);
      release(out);
    },
    flush: emitAll,
    pendingOffset() {
      const min = earliestPending();
      const firstHeld = held[0]?.offset ?? null;
      if (min === null) return firstHeld;
      return firstHeld === null ? min : Math.min(min, firstHeld);
    },
  };
}

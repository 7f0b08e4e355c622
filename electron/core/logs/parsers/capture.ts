import { type Line, type LineParser, rawRecord } from '../record.js';
import type { WallClock } from '../time.js';
import { createConsoleParser } from './console.js';

/**
 * The supervisor's capture files: `<epoch ms>\t<o|e>\t<text>` per line (text already UTF-8, ANSI
 * colours stripped; a tab inside text is kept). The text is console output, or Python logging lines
 * when a Python bot logs to stderr: both are recognised line by line. A line not in this shape (a file
 * cut by a crash of the writer) is kept raw and counted.
 */
export const CAPTURE_LINE = /^(\d{10,16})\t([oe])\t/;

export function parseCaptureLine(line: Line): Line | null {
  const m = CAPTURE_LINE.exec(line.text);
  if (!m) return null;
  return {
    text: line.text.slice(m[0].length),
    offset: line.offset,
    end: line.end,
    flags: line.flags,
    arrival: Number(m[1]),
    stream: m[2] === 'e' ? 'stderr' : 'stdout',
  };
}

export function createCaptureParser(clock: WallClock): LineParser {
  const inner = createConsoleParser(clock, { pythonHeaders: true });
  return {
    stats: inner.stats,
    push(line, out) {
      const captured = parseCaptureLine(line);
      if (captured) {
        inner.push(captured, out);
        return;
      }
      if (line.text === '') {
        inner.stats.empty++;
        return;
      }
      inner.pushRecord(rawRecord(line), out);
    },
    flush: (out) => inner.flush(out),
    pendingOffset: () => inner.pendingOffset(),
  };
}

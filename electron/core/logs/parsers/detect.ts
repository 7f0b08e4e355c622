import type { LogSourceConfig } from '../../../../shared/config/bots.js';
import type { OperatorPattern } from '../patterns.js';
import { type Line, type LineParser, rawRecord } from '../record.js';
import type { WallClock } from '../time.js';
import { createCaptureParser } from './capture.js';
import { createConsoleParser } from './console.js';
import { createJsonParser, parseJsonLine } from './json.js';
import { createPythonParser, parsePythonHeader } from './python.js';
import { createRegexParser } from './regex.js';

export type FileFormat = Exclude<LogSourceConfig['format'], 'auto'> | 'capture';

/** Lines looked at to decide a file's format (lnav tries every format on the first lines). */
export const DETECT_LINES = 10;

/**
 * One format per file, decided from its first non-empty lines: JSON lines when JSON objects are the
 * majority of them, Python logging when any is a Python logging header (the others being traceback
 * lines), else console text.
 */
export function detectFormat(lines: readonly Line[], clock: WallClock): 'json' | 'python' | 'console' {
  let json = 0;
  let python = 0;
  let seen = 0;
  for (const line of lines) {
    if (line.text === '') continue;
    seen++;
    if (parseJsonLine(line, clock)) json++;
    else if (parsePythonHeader(line, clock)) python++;
    if (seen >= DETECT_LINES) break;
  }
  if (json > 0 && json * 2 >= seen) return 'json';
  if (python > 0) return 'python';
  return 'console';
}

export function createParser(
  format: FileFormat,
  opts: { clock: WallClock; pattern?: OperatorPattern | null },
): LineParser {
  switch (format) {
    case 'python':
      return createPythonParser(opts.clock);
    case 'json':
      return createJsonParser(opts.clock);
    case 'capture':
      return createCaptureParser(opts.clock);
    case 'regex':
      // A regex source whose pattern did not compile is reported in config issues; its lines stay raw.
      return opts.pattern ? createRegexParser(opts.pattern, opts.clock) : createRawParser();
    default:
      return createConsoleParser(opts.clock);
  }
}

/** Every line kept raw and counted: a regex source whose pattern is broken (the config issue says so). */
function createRawParser(): LineParser {
  const stats = { empty: 0 };
  return {
    stats,
    push(line, out) {
      if (line.text === '') stats.empty++;
      else out.push(rawRecord(line));
    },
    flush() {},
    pendingOffset: () => null,
  };
}

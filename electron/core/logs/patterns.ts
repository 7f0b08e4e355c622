import { RE2JS } from 're2js';

/**
 * Patterns typed by an operator (a regex log format, extra masking patterns) run in RE2: linear time in
 * the input whatever the pattern, so no pattern can hang ingestion on a long line (a backtracking
 * engine can take exponential time on `(a+)+b`).
 */
export type OperatorPattern = RE2JS;

export function compileOperatorPattern(pattern: string): { re: OperatorPattern } | { error: string } {
  try {
    // Named groups may be written (?P<name>…) or (?<name>…).
    return { re: RE2JS.compile(pattern) };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

/** Named groups of a match, as strings (absent groups left out). */
export function namedGroups(re: OperatorPattern, text: string): Record<string, string> | null {
  const m = re.exec(text) as (RegExpExecArray & { groups?: Record<string, string | undefined> }) | null;
  if (!m) return null;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.groups ?? {})) if (v !== undefined && v !== null) out[k] = v;
  return out;
}

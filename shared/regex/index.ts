/**
 * Regular expressions written by operators (process families, alert label matchers, silences, log
 * parsers, extraction rules) run on text Nexus Ops does not control: a command line, a log line. A
 * backtracking engine lets one crafted line hang the loop that runs the emergency stop (`(a+)+$`
 * against 30 000 `a`s takes minutes). These run on RE2's linear-time engine (re2js, pure JS): the time
 * is bounded by the text's length whatever the pattern. RE2 has no look-around and no back-references;
 * a pattern that uses them is refused with that reason.
 */
import { RE2JS } from 're2js';

export interface SafeRegex {
  readonly source: string;
  /** True when the pattern matches somewhere in the text (or the whole text, for `whole: true`). */
  test(text: string): boolean;
  /** The first match's groups by name, or null. */
  groups(text: string): Record<string, string> | null;
}

export class UnsafeRegexError extends Error {}

export interface SafeRegexOptions {
  ignoreCase?: boolean;
  /** The whole text must match (Prometheus' label matchers, program names). */
  whole?: boolean;
}

export function compileSafeRegex(pattern: string, opts: SafeRegexOptions = {}): SafeRegex {
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern, opts.ignoreCase ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (err) {
    const why = err instanceof Error ? err.message.replace(/^error parsing regexp: /, '') : String(err);
    throw new UnsafeRegexError(
      `"${pattern}" cannot be used (${why}): patterns run in linear time (RE2 syntax), so look-around and back-references are not available`,
    );
  }
  const whole = opts.whole === true;
  const names = Object.entries(re.namedGroups());
  const engine = re.re2();
  return {
    source: pattern,
    test: whole ? (text) => re.matches(text) : (text) => re.matcher(text).find(),
    groups(text) {
      if (!whole) {
        // One run that records the groups (a Matcher finds the match, then runs again for its groups).
        const found: (string | null)[] | null = engine.findSubmatch(text);
        if (!found) return null;
        const out: Record<string, string> = {};
        for (const [name, i] of names) {
          const v = found[i];
          if (v !== null && v !== undefined) out[name] = v;
        }
        return out;
      }
      const m = re.matcher(text);
      if (!m.matches()) return null;
      const out: Record<string, string> = {};
      for (const [name] of names) {
        const v = m.group(name);
        if (v !== null && v !== undefined) out[name] = v;
      }
      return out;
    },
  };
}

/** Why a pattern cannot be used, or undefined when it can (config validation). */
export function safeRegexProblem(pattern: string): string | undefined {
  try {
    compileSafeRegex(pattern);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

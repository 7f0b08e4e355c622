/**
 * A literal every match of an RE2 pattern must contain, so a rule can skip the regex engine for a
 * message without it (`message.includes(literal)` is ~100× cheaper than a failed RE2 search, and most
 * records match no rule, or only the last of many).
 *
 * Conservative by construction: the pattern is read at its top level only (a group, a class, `.` and
 * escapes such as `\d` end a literal run; a quantifier that allows zero takes its atom back out of the
 * run), and anything this reader does not fully understand gives no literal, so the rule always runs:
 * a top-level `|`, flags (`(?i)`: case-insensitive matching would need a folded comparison), `\Q…\E`,
 * POSIX classes, numeric and control escapes, a `{` that is not a plain repeat.
 */
export function requiredLiteral(pattern: string, opts: { ignoreCase?: boolean } = {}): string | undefined {
  if (opts.ignoreCase) return undefined;
  const chars = Array.from(pattern); // code points: a quantifier applies to the whole character
  const runs: string[] = [];
  let run: string[] = [];
  const endRun = () => {
    if (run.length > 0) runs.push(run.join(''));
    run = [];
  };
  let depth = 0;
  let i = 0;
  const at = (k: number) => chars[k] ?? '';
  while (i < chars.length) {
    const c = at(i);
    if (c === '\\') {
      const e = at(i + 1);
      if (e === '') return undefined;
      if (e.charCodeAt(0) < 0x80 && !/[A-Za-z0-9]/.test(e)) {
        // An escaped ASCII character other than a letter or digit is itself (RE2's rule).
        if (depth === 0) run.push(e);
        i += 2;
        continue;
      }
      if ('dDwWsSbBAz'.includes(e)) {
        if (depth === 0) endRun();
        i += 2;
        continue;
      }
      if (e === 'p' || e === 'P') {
        if (depth === 0) endRun();
        if (at(i + 2) === '{') {
          const close = chars.indexOf('}', i + 3);
          if (close < 0) return undefined;
          i = close + 1;
        } else i += 3;
        continue;
      }
      return undefined;
    }
    if (c === '[') {
      if (depth === 0) endRun();
      // Skip the class: `]` right after `[` or `[^` is a member; escapes inside; no POSIX classes.
      let k = i + 1;
      if (at(k) === '^') k++;
      if (at(k) === ']') k++;
      for (;;) {
        const d = at(k);
        if (d === '') return undefined;
        if (d === '\\') {
          if (at(k + 1) === 'Q') return undefined;
          k += 2;
          continue;
        }
        if (d === '[' && at(k + 1) === ':') return undefined;
        if (d === ']') break;
        k++;
      }
      i = k + 1;
      continue;
    }
    if (c === '(') {
      if (at(i + 1) === '?') {
        const n = at(i + 2);
        // Only non-capturing and named groups; a flag group may change how literals match.
        if (
          !(
            n === ':' ||
            (n === 'P' && at(i + 3) === '<') ||
            (n === '<' && at(i + 3) !== '=' && at(i + 3) !== '!')
          )
        )
          return undefined;
      }
      if (depth === 0) endRun();
      depth++;
      i++;
      continue;
    }
    if (c === ')') {
      depth--;
      if (depth < 0) return undefined;
      i++;
      continue;
    }
    if (depth > 0) {
      i++;
      continue;
    }
    if (c === '|') return undefined;
    if (c === '*' || c === '?') {
      // The atom before may be absent (or, after another quantifier, this is the lazy mark).
      run.pop();
      endRun();
      i++;
      continue;
    }
    if (c === '+') {
      // The atom is there at least once, but what follows need not touch it.
      endRun();
      i++;
      continue;
    }
    if (c === '{') {
      const rest = chars.slice(i).join('');
      const m = /^\{\d+(?:,\d*)?\}/.exec(rest);
      if (!m) return undefined;
      run.pop();
      endRun();
      i += Array.from(m[0]).length;
      continue;
    }
    if (c === '.' || c === '^' || c === '$') {
      endRun();
      i++;
      continue;
    }
    run.push(c);
    i++;
  }
  if (depth !== 0) return undefined;
  endRun();
  let best = '';
  for (const r of runs) if (r.length > best.length) best = r;
  return best === '' ? undefined : best;
}

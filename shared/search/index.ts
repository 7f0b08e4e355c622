/**
 * Full-text search that is correct for Japanese. SQLite FTS5's trigram tokenizer matches substrings of
 * three characters or more; a shorter term yields no token and is silently dropped from a MATCH (so
 * 「認証」 alone finds nothing, and next to longer terms it is ignored). A query is therefore split:
 * terms of 3+ characters go to MATCH, shorter ones become substring tests (instr) on the same rows,
 * and all are ANDed. Both the logs and the incident knowledge base search this way.
 */

/** A term with at least this many characters (code points) can go to an FTS5 trigram MATCH. */
export const TRIGRAM_MIN = 3;

export interface SearchPlan {
  /** FTS5 MATCH expression (terms ≥ 3 characters, each a quoted phrase, ANDed), or null. */
  match: string | null;
  /** Terms shorter than 3 characters: every one must occur as a substring (case-insensitive for ASCII). */
  substrings: string[];
  /** Every term, for highlighting. */
  terms: string[];
}

/**
 * Splits a query into terms (whitespace, including the ideographic space U+3000, separates them;
 * "double quotes" keep a phrase with spaces together) and plans the search.
 */
export function planSearch(query: string): SearchPlan {
  const terms: string[] = [];
  const re = /"([^"]*)"|([^\s\u3000"]+)/g;
  for (let m = re.exec(query); m !== null; m = re.exec(query)) {
    const term = (m[1] ?? m[2] ?? '').trim();
    if (term && !terms.includes(term)) terms.push(term);
  }
  const long = terms.filter((t) => [...t].length >= TRIGRAM_MIN);
  const short = terms.filter((t) => [...t].length < TRIGRAM_MIN);
  return {
    match: long.length > 0 ? long.map((t) => `"${t.replaceAll('"', '""')}"`).join(' AND ') : null,
    substrings: short,
    terms,
  };
}

/** Escapes `%`, `_` and `\` for a SQL LIKE with `ESCAPE '\'`. */
export function likePattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The ranges of `text` that match any term (case-insensitive for ASCII), merged, in order. */
export function highlightRanges(text: string, terms: readonly string[]): [number, number][] {
  const lower = text.toLowerCase();
  const ranges: [number, number][] = [];
  for (const term of terms) {
    const t = term.toLowerCase();
    if (!t) continue;
    for (let i = lower.indexOf(t); i >= 0; i = lower.indexOf(t, i + t.length)) ranges.push([i, i + t.length]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}

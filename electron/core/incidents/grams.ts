import { asciiLower } from './repo.js';

/**
 * A side index for 1-2 character terms, which the trigram index cannot hold: every distinct character
 * and pair of characters of an incident's text, each written as one ASCII token (`g` + hex code points)
 * so no tokenizer splits or folds it. A short term's token narrows the rows to those containing it; the
 * substring test then confirms each one (the index is a filter, the test is the truth).
 */
function token(gram: string): string {
  let out = 'g';
  for (const ch of gram) out += (ch.codePointAt(0) ?? 0).toString(16).padStart(5, '0');
  return out;
}

export function gramTokens(text: string): string {
  const chars = [...asciiLower(text)].filter((c) => !/\s/.test(c));
  const grams = new Set<string>();
  for (let i = 0; i < chars.length; i++) {
    grams.add(chars[i] as string);
    if (i + 1 < chars.length) grams.add(`${chars[i]}${chars[i + 1]}`);
  }
  return [...grams].map(token).join(' ');
}

/** The MATCH expression requiring every short term's token; null when a term has whitespace. */
export function gramQuery(terms: readonly string[]): string | null {
  if (terms.some((t) => /\s/.test(t))) return null;
  return terms.map((t) => token(asciiLower(t))).join(' AND ');
}

/** The text an incident is searched by (the same fields as the `search_text` column). */
export function searchableText(r: {
  title: string;
  symptoms: string;
  root_cause: string;
  solution: string;
  prevention: string;
  impact: string;
  first_error: string | null;
  exception_type: string | null;
  rule_id: string | null;
  bot: string | null;
}): string {
  return [
    r.title,
    r.symptoms,
    r.root_cause,
    r.solution,
    r.prevention,
    r.impact,
    r.first_error ?? '',
    r.exception_type ?? '',
    r.rule_id ?? '',
    r.bot ?? '',
  ].join('\n');
}

import type { Alert } from '../../../shared/api/alerts.js';
import type { IncidentSuggestion } from '../../../shared/api/incidents.js';
import { asciiLower, type IncidentRepo, type IncidentRow } from './repo.js';

/** `ValueError`, `TimeoutException`, `selenium.common.exceptions.WebDriverException` → the last name. */
const EXCEPTION = /\b(?:[A-Za-z_][\w]*\.)*([A-Z]\w*(?:Error|Exception|Exit|Interrupt|Timeout))\b/;

export function exceptionTypeOf(text: string | null | undefined): string | null {
  if (!text) return null;
  return EXCEPTION.exec(text)?.[1] ?? null;
}

/** Which bot an alert is about: a `bot` label (bot telemetry), else none. */
export function botOf(alert: Pick<Alert, 'labels'>): string | null {
  return alert.labels.bot ?? null;
}

/**
 * The trigrams of a text, as the FTS5 trigram tokenizer sees it: every 3-character window of each run
 * of letters (digits and punctuation split runs, so "1500 ms" does not make every alert alike).
 */
export function textTrigrams(text: string, max = 48): string[] {
  const runs = asciiLower(text)
    .split(/[\s\p{P}\p{S}\d]+/u)
    .filter((r) => [...r].length >= 3);
  const out = new Set<string>();
  for (const run of runs) {
    const chars = [...run];
    for (let i = 0; i + 3 <= chars.length && out.size < max; i++) out.add(chars.slice(i, i + 3).join(''));
  }
  return [...out];
}

/** The stretches of `query` made of trigrams that also occur in `target`: what two texts share. */
export function sharedStretches(query: string, target: string): string[] {
  const q = [...asciiLower(query)];
  const t = asciiLower(target);
  const covered = new Array<boolean>(q.length).fill(false);
  for (let i = 0; i + 3 <= q.length; i++) {
    const tri = q.slice(i, i + 3).join('');
    if (/[\s\p{P}\p{S}\d]/u.test(tri)) continue;
    if (t.includes(tri)) covered[i] = covered[i + 1] = covered[i + 2] = true;
  }
  const out: string[] = [];
  let cur = '';
  q.forEach((c, i) => {
    if (covered[i]) cur += c;
    else if (cur) {
      out.push(cur);
      cur = '';
    }
  });
  if (cur) out.push(cur);
  return [...new Set(out.map((s) => s.trim()).filter((s) => [...s].length >= 3))].sort(
    (a, b) => b.length - a.length,
  );
}

const WEIGHT = { rule: 3, bot: 2, exception: 2, text: 3 } as const;

/**
 * Past incidents like an alert, each with why: the same rule, the same bot, the same exception type,
 * and text: the newest 200 incidents holding any of the alert's trigrams, scored by how much of the alert's
 * name and message they share. Text alone must share a real stretch (a 4+ character run or two
 * 3-character ones).
 */
export function similarIncidents(
  repo: IncidentRepo,
  alert: Alert,
  opts: { limit: number; exclude?: (row: IncidentRow) => boolean },
): IncidentSuggestion[] {
  const scored = new Map<
    string,
    { row: IncidentRow; score: number; reasons: IncidentSuggestion['reasons'] }
  >();
  const add = (
    row: IncidentRow,
    kind: IncidentSuggestion['reasons'][number]['kind'],
    detail: string,
    weight: number,
  ) => {
    if (opts.exclude?.(row)) return;
    const entry = scored.get(row.id) ?? { row, score: 0, reasons: [] };
    entry.score += weight;
    entry.reasons.push({ kind, detail, weight: Math.round(weight * 100) / 100 });
    scored.set(row.id, entry);
  };

  for (const row of repo.byField('rule_id', alert.ruleId, 20)) add(row, 'rule', alert.ruleId, WEIGHT.rule);
  const bot = botOf(alert);
  if (bot) for (const row of repo.byField('bot', bot, 20)) add(row, 'bot', bot, WEIGHT.bot);
  const exception = alert.labels.exception ?? exceptionTypeOf(alert.message);
  if (exception) {
    for (const row of repo.byField('exception_type', exception, 20))
      add(row, 'exception', exception, WEIGHT.exception);
  }

  const text = `${alert.ruleName}\n${alert.message}`;
  const trigrams = textTrigrams(text);
  for (const row of repo.byText(trigrams, 200)) {
    const shared = sharedStretches(text, row.search_text);
    const sharedChars = shared.reduce((n, s) => n + [...s].length, 0);
    if (!(shared.some((s) => [...s].length >= 4) || shared.length >= 2)) continue;
    // Share of the alert's letters the incident also has, 0..1, times the text weight.
    const letters = [...text.replace(/[\s\p{P}\p{S}\d]/gu, '')].length || 1;
    const weight = WEIGHT.text * Math.min(1, sharedChars / letters);
    add(row, 'text', shared.slice(0, 4).join('、'), weight);
  }

  return [...scored.values()]
    .sort((a, b) => b.score - a.score || b.row.opened_at - a.row.opened_at)
    .slice(0, opts.limit)
    .map((e) => ({
      incident: repo.summary(e.row),
      score: Math.round(e.score * 100) / 100,
      reasons: e.reasons,
    }));
}

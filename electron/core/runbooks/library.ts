import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Locale = 'ja' | 'en';

export interface RunbookStep {
  n: number;
  /** 1-based line of the list item in the Markdown. */
  line: number;
  text: string;
}

export interface RunbookDoc {
  id: string;
  locale: Locale;
  title: string;
  level: number | null;
  markdown: string;
  steps: RunbookStep[];
  file: string;
}

const ID = /^[a-z0-9][a-z0-9-]{0,99}$/;

/**
 * The steps of a runbook: the items of its top-level numbered lists, in document order (nested lists,
 * bullets and code blocks are not steps). The renderer ticks a step at its item's line.
 */
export function parseSteps(markdown: string): RunbookStep[] {
  const steps: RunbookStep[] = [];
  let fence: string | null = null;
  markdown.split(/\r?\n/).forEach((line, i) => {
    const f = /^(```|~~~)/.exec(line);
    if (f) {
      fence = fence === null ? (f[1] as string) : fence === f[1] ? null : fence;
      return;
    }
    if (fence !== null) return;
    const m = /^\d{1,3}[.)]\s+(.+)$/.exec(line);
    if (m) steps.push({ n: steps.length + 1, line: i + 1, text: (m[1] as string).trim() });
  });
  return steps;
}

export function parseRunbook(id: string, locale: Locale, markdown: string, file: string): RunbookDoc {
  const title = /^#\s+(.+)$/m.exec(markdown)?.[1]?.trim() ?? id;
  const level = /^level(\d)-/.exec(id);
  return {
    id,
    locale,
    title,
    level: level ? Number(level[1]) : null,
    markdown,
    steps: parseSteps(markdown),
    file,
  };
}

/** Runbooks by id and locale, from `<folder>/{ja,en}/<id>.md` (later folders replace earlier ones). */
export function loadRunbooks(folders: readonly string[]): {
  runbooks: Map<string, Partial<Record<Locale, RunbookDoc>>>;
  errors: { file: string; message: string }[];
} {
  const runbooks = new Map<string, Partial<Record<Locale, RunbookDoc>>>();
  const errors: { file: string; message: string }[] = [];
  for (const folder of folders) {
    for (const locale of ['ja', 'en'] as const) {
      const dir = join(folder, locale);
      if (!existsSync(dir)) continue;
      for (const name of readdirSync(dir)
        .filter((n) => n.endsWith('.md'))
        .sort()) {
        const id = name.slice(0, -3);
        const file = join(dir, name);
        if (!ID.test(id)) {
          errors.push({
            file,
            message: `runbook file names are ids: lower-case letters, digits and "-" (${name})`,
          });
          continue;
        }
        try {
          const doc = parseRunbook(id, locale, readFileSync(file, 'utf8'), file);
          runbooks.set(id, { ...runbooks.get(id), [locale]: doc });
        } catch (err) {
          errors.push({ file, message: `cannot read: ${(err as Error).message}` });
        }
      }
    }
  }
  return { runbooks, errors };
}

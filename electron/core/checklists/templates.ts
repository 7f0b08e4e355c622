import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';

/**
 * Checklist templates: YAML files, one per checklist (resources/checklists/*.yaml, shipped from
 * TASK-003 STEP-5 and 定期品質チェック; an operator's folder may add or replace them). Each item has
 * ja/en text and may declare evidence: a provider id, its parameters, the window and a pass condition.
 */

const text = z.strictObject({ ja: z.string().min(1).max(500), en: z.string().min(1).max(500) });

const paramValue = z.union([z.string().max(200), z.number(), z.boolean()]);

/** `== 0`, `< 24`, `>= 1`: the reading passes when it holds. */
export const conditionSchema = z
  .string()
  .regex(/^\s*(==|!=|<=|>=|<|>)\s*-?\d+(\.\d+)?\s*$/, 'a condition such as "== 0", "< 24" or ">= 1"');

export const evidenceSpecSchema = z.strictObject({
  label: text,
  /** Provider id (`alerts.fired`, `metric.window`, `logs.errors`, ...). */
  source: z.string().regex(/^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)+$/, 'a provider id such as alerts.fired'),
  params: z.record(z.string(), z.union([paramValue, z.record(z.string(), z.string().max(200))])).default({}),
  /** Window start: a local time (`18:00`: its last occurrence before the slot) or a span back from now (`24h`). */
  since: z.string().max(20).default('24h'),
  pass: conditionSchema.optional(),
});
export type EvidenceSpec = z.infer<typeof evidenceSpecSchema>;

export const templateItemSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lower-case letters, digits and "-"'),
  text,
  group: text.optional(),
  evidence: z.array(evidenceSpecSchema).max(10).default([]),
});
export type TemplateItem = z.infer<typeof templateItemSchema>;

export const templateSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lower-case letters, digits and "-" (e.g. morning)'),
    name: text,
    /** Where it comes from in the customer's documents. */
    source: z.string().min(1).max(300),
    /** When a slot starts (5-field cron in the checklists' zone). */
    schedule: z.string().min(9).max(100),
    period: z.enum(['daily', 'weekly', 'monthly', 'other']),
    items: z.array(templateItemSchema).min(1).max(100),
  })
  .superRefine((t, ctx) => {
    const seen = new Set<string>();
    t.items.forEach((item, i) => {
      if (seen.has(item.id)) {
        ctx.addIssue({ code: 'custom', path: ['items', i, 'id'], message: `duplicate item id "${item.id}"` });
      }
      seen.add(item.id);
    });
  });
export type ChecklistTemplate = z.infer<typeof templateSchema> & { file: string };

export interface TemplateLoad {
  templates: ChecklistTemplate[];
  errors: { file: string; message: string }[];
}

/**
 * Reads every `*.yaml` in the folders, later folders replacing earlier templates with the same id. A
 * broken file is reported (with the field) and skipped; the others load.
 */
export function loadTemplates(folders: readonly string[]): TemplateLoad {
  const byId = new Map<string, ChecklistTemplate>();
  const errors: TemplateLoad['errors'] = [];
  for (const folder of folders) {
    if (!existsSync(folder)) {
      errors.push({ file: folder, message: 'folder not found: create it or remove checklists.folder' });
      continue;
    }
    let names: string[];
    try {
      names = readdirSync(folder)
        .filter((n) => /\.ya?ml$/i.test(n))
        .sort();
    } catch (err) {
      errors.push({ file: folder, message: `cannot read the folder: ${(err as Error).message}` });
      continue;
    }
    for (const name of names) {
      const file = join(folder, name);
      const result = parseTemplate(readText(file), file);
      if ('error' in result) errors.push({ file, message: result.error });
      else byId.set(result.template.id, result.template);
    }
  }
  return { templates: [...byId.values()], errors };
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    return `\0${(err as Error).message}`;
  }
}

export function parseTemplate(
  source: string,
  file: string,
): { template: ChecklistTemplate } | { error: string } {
  if (source.startsWith('\0')) return { error: `cannot read the file: ${source.slice(1)}` };
  const doc = parseDocument(source, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = e?.linePos?.[0];
    return { error: `YAML syntax${pos ? ` at line ${pos.line}` : ''}: ${e?.message.split('\n')[0] ?? ''}` };
  }
  const parsed = templateSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.filter((p) => typeof p !== 'symbol').join('.') ?? '';
    return { error: `${where ? `${where}: ` : ''}${issue?.message ?? 'invalid template'}` };
  }
  return { template: { ...parsed.data, file } };
}

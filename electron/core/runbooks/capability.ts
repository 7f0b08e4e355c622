import { join } from 'node:path';
import { ApiFailure } from '../../../shared/api/contract.js';
import { alertRuleSchema } from '../../../shared/config/alerts.js';
import type { Config, ConfigIssue } from '../../../shared/config/schema.js';
import { defaultRules } from '../alerts/index.js';
import type { Capability, CoreContext, HandlersOf } from '../capability/index.js';
import { type Locale, loadRunbooks, type RunbookDoc } from './library.js';

export interface RunbooksCapability extends Capability {
  /** Rule id → its runbook reference, from the alert rules in the config. */
  ruleLinks(): Record<string, string>;
  get(id: string, locale: Locale): RunbookDoc | undefined;
}

interface StepRow {
  step: number;
  done: number;
  actor: string;
  at: number;
  note: string | null;
}

/**
 * Runbooks: Markdown shipped in resources/runbooks/{ja,en}/ (TASK-003 障害対応手順 Level 1-3), plus the
 * operator's `<dataDir>/runbooks/{ja,en}/`; the rule → runbook links from the alert rules' `runbook`
 * field; steps ticked per incident, alert or stop.
 */
export function createRunbooksCapability(ctx: CoreContext): RunbooksCapability {
  const folders = [join(ctx.resourcesDir, 'runbooks'), join(ctx.dataDir, 'runbooks')];
  let library = loadRunbooks(folders);
  let links: Record<string, string> = {};
  let issues: ConfigIssue[] = [];

  const selectSteps = ctx.store.db.prepare<[string, string], StepRow>(
    'SELECT step, done, actor, at, note FROM runbook_steps WHERE subject = ? AND runbook_id = ? ORDER BY seq',
  );

  function apply(config: Config): ConfigIssue[] {
    library = loadRunbooks(folders);
    const rules = (config.alerts.rules ?? defaultRules) as readonly unknown[];
    const next: Record<string, string> = {};
    const found: ConfigIssue[] = library.errors.map((e) => ({
      file: e.file,
      path: 'runbooks',
      message: e.message,
    }));
    rules.forEach((raw, index) => {
      const rule = alertRuleSchema.safeParse(raw);
      if (!rule.success || rule.data.runbook === undefined) return;
      const ref = rule.data.runbook;
      next[rule.data.id] = ref;
      if (!/^https?:/.test(ref) && !library.runbooks.has(ref)) {
        const pos = ctx.config.locate()(['alerts', 'rules', index, 'runbook']);
        found.push({
          file: ctx.config.file,
          ...(pos ? { line: pos.line, col: pos.col } : {}),
          path: `alerts.rules[${index}].runbook`,
          message: `no runbook "${ref}" (shipped: ${[...library.runbooks.keys()].join(', ')}; or give an http(s) URL)`,
        });
      }
    });
    links = next;
    issues = found;
    return issues;
  }
  apply(ctx.config.current());

  function get(id: string, locale: Locale): RunbookDoc | undefined {
    const entry = library.runbooks.get(id);
    return entry?.[locale] ?? entry?.ja ?? entry?.en;
  }

  function progress(subject: string, runbookId: string) {
    const history = selectSteps.all(subject, runbookId).map((r) => ({
      step: r.step,
      done: r.done === 1,
      by: r.actor,
      at: r.at,
      note: r.note,
    }));
    const current = new Map<number, (typeof history)[number]>();
    for (const h of history) current.set(h.step, h);
    return { steps: [...current.values()].sort((a, b) => a.step - b.step), history };
  }

  const handlers: HandlersOf<'runbooks'> = {
    'runbooks.list': () => ({
      runbooks: [...library.runbooks.entries()].map(([id, docs]) => {
        const ja = docs.ja ?? docs.en;
        const en = docs.en ?? docs.ja;
        return {
          id,
          title: { ja: ja?.title ?? id, en: en?.title ?? id },
          level: ja?.level ?? null,
          steps: ja?.steps.length ?? 0,
          rules: Object.entries(links)
            .filter(([, ref]) => ref === id)
            .map(([rule]) => rule),
        };
      }),
      ruleLinks: links,
    }),
    'runbooks.get': ({ id, locale }) => {
      const doc = get(id, locale ?? ctx.config.current().ui.locale);
      if (!doc) throw new ApiFailure('not_found', `no runbook "${id}"`);
      const { file: _file, ...rest } = doc;
      return rest;
    },
    'runbooks.progress': ({ subject, runbookId }) => progress(subject, runbookId),
    'runbooks.tickStep': ({ subject, runbookId, step, done, by, note }) => {
      const doc = get(runbookId, 'ja');
      if (!doc) throw new ApiFailure('not_found', `no runbook "${runbookId}"`);
      if (step > doc.steps.length) {
        throw new ApiFailure('invalid_input', `${runbookId} has ${doc.steps.length} steps, not ${step}`);
      }
      const at = ctx.clock.now();
      const outcome = ctx.store.writes.write('runbooks', (db) => {
        db.prepare(
          'INSERT INTO runbook_steps (subject, runbook_id, step, done, actor, at, note) VALUES (?, ?, ?, ?, ?, ?, ?)',
        ).run(subject, runbookId, step, done ? 1 : 0, by, at, note?.trim() ? note.trim() : null);
      });
      if (outcome === 'dropped')
        throw new ApiFailure('unavailable', 'the database refused the step; try again');
      ctx.store.appendAudit({
        actor: by,
        action: done ? 'runbook.tick' : 'runbook.untick',
        details: { subject, runbookId, step },
      });
      const result = progress(subject, runbookId);
      ctx.emit({ type: 'runbook.progress', subject, runbookId, steps: result.steps });
      return result;
    },
  };

  return {
    name: 'runbooks',
    handlers,
    ruleLinks: () => links,
    get,
    onConfig: (config) => apply(config),
    configIssues: () => issues,
  };
}

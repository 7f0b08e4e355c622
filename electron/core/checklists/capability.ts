import { join } from 'node:path';
import { isValidTimeZone } from '../../../shared/config/checklists.js';
import type { ConfigIssue } from '../../../shared/config/schema.js';
import { seriesKey } from '../../../shared/series.js';
import type { Alerts } from '../alerts/index.js';
import type { Capability, CoreContext, HandlersOf } from '../capability/index.js';
import { localTimeZone } from '../clock/index.js';
import type { JobSpec, JobStatus } from '../jobs/index.js';
import type { Notifier } from '../notify/index.js';
import type { Stop } from '../stop/index.js';
import { type ChecklistSettings, Checklists } from './checklists.js';
import { readEvidence } from './evaluate.js';
import { provideBuiltInEvidence } from './providers.js';
import { ChecklistRepo } from './repo.js';
import { loadTemplates } from './templates.js';

export interface ChecklistsCapability extends Capability {
  readonly checklists: Checklists;
}

export interface ChecklistsCapabilityDeps {
  alerts: Alerts;
  stop: Pick<Stop, 'history' | 'status'>;
  jobs: { list(): JobStatus[] };
  notifier: Pick<Notifier, 'send'>;
}

export const CHECKLIST_JOBS = { schedule: 'checklists.schedule', minute: 'checklists.minute' } as const;
export const OVERDUE_METRIC = 'app.checklist_overdue';

/**
 * Checklists as a capability: the templates (shipped in resources/checklists/, plus the operator's
 * folder), the built-in evidence providers, the slot and reminder job on the job runner's calendar, the
 * `app.checklist_overdue{slot}` gauge each minute (an ordinary alert rule escalates it), and the
 * `checklists.*` / `evidence.*` methods.
 */
export function createChecklistsCapability(
  ctx: CoreContext,
  deps: ChecklistsCapabilityDeps,
): ChecklistsCapability {
  const repo = new ChecklistRepo(ctx.store);
  const timezone = () => {
    const config = ctx.config.current();
    // An unknown alerts.timezone is reported by the alerts section; it must not break every checklist.
    const alertsZone =
      config.alerts.timezone && isValidTimeZone(config.alerts.timezone) ? config.alerts.timezone : undefined;
    return config.checklists.timezone ?? alertsZone ?? localTimeZone();
  };
  provideBuiltInEvidence(ctx.evidence, {
    db: ctx.store.db,
    alerts: {
      open: () => deps.alerts.active(),
      history: (from, to) =>
        deps.alerts.api['alerts.history']({ from, to, limit: 1000, includeInactive: false }).alerts,
      maintenance: () => deps.alerts.api['alerts.maintenance']({}).windows,
    },
    stops: { history: (limit) => deps.stop.history(limit), status: () => deps.stop.status() },
    jobs: deps.jobs,
    timezone,
  });

  let issues: ConfigIssue[] = [];
  let templateFiles: { file: string; message: string }[] = [];
  function settingsFromConfig(): ChecklistSettings {
    const config = ctx.config.current();
    const section = config.checklists;
    const folders = [join(ctx.resourcesDir, 'checklists'), ...(section.folder ? [section.folder] : [])];
    const load = loadTemplates(folders);
    templateFiles = load.errors;
    return {
      tz: timezone(),
      reminders: section.reminders,
      templates: load.templates,
      schedules: section.schedules,
      disabled: section.disabled,
    };
  }

  const checklists = new Checklists(
    {
      repo,
      evidence: ctx.evidence,
      remind: (m) => deps.notifier.send({ kind: 'firing', ...m }),
      changed: (instance) => ctx.emit({ type: 'checklist.changed', instance }),
      audit: (entry) => ctx.store.appendAudit(entry),
      locale: () => ctx.config.current().ui.locale,
    },
    settingsFromConfig(),
  );

  function apply(): ConfigIssue[] {
    const scheduleErrors = checklists.configure(settingsFromConfig());
    issues = [...templateFiles, ...scheduleErrors].map((e) => ({
      file: e.file,
      path: 'checklists',
      message: e.message,
    }));
    for (const i of issues) ctx.log.warn(`checklists: ${i.file}: ${i.message}`);
    return issues;
  }
  apply();

  function publishOverdue(now: number): void {
    const samples = checklists.overdue(now).map(({ templateId, value }) => {
      const labels = { slot: templateId };
      return { name: OVERDUE_METRIC, labels, ts: now, value, key: seriesKey(OVERDUE_METRIC, labels) };
    });
    if (samples.length === 0) return;
    ctx.store.writeSamples(samples);
    ctx.hooks.emit('samples', { ts: now, samples });
  }

  const jobs: JobSpec[] = [
    {
      name: CHECKLIST_JOBS.schedule,
      schedule: {
        next: (after) => checklists.nextEvent(after),
        describe: 'checklist slots and their reminders (cron, operator zone)',
      },
      run: async ({ now }) => {
        await checklists.runSchedule(now);
        publishOverdue(now);
      },
    },
    {
      name: CHECKLIST_JOBS.minute,
      schedule: { every: 60_000, startAfter: 5_000 },
      run: async ({ now }) => {
        await checklists.runSchedule(now);
        publishOverdue(now);
        // Fresh evidence for open checklists on screen; read afresh when a page opens anyway.
        if (ctx.uiConnected?.() === false) return;
        for (const instance of await checklists.openInstances(now))
          ctx.emit({ type: 'checklist.changed', instance });
      },
    },
  ];

  const now = () => ctx.clock.now();
  const handlers: HandlersOf<'checklists' | 'evidence'> = {
    'checklists.today': () => checklists.today(now()),
    'checklists.instance': ({ instanceId }) => checklists.instance(instanceId, now()),
    'checklists.tick': ({ instanceId, itemId, by, note }) =>
      checklists.tick(instanceId, itemId, by, note, now()),
    'checklists.untick': ({ instanceId, itemId, by, note }) =>
      checklists.untick(instanceId, itemId, by, note, now()),
    'checklists.confirmPassing': ({ instanceId, by, note }) =>
      checklists.confirmPassing(instanceId, by, note, now()),
    'checklists.history': ({ to, days }) => checklists.history(to, days, now()),
    'checklists.templates': () => {
      const s = settingsFromConfig();
      const active = new Map(checklists.templates().map((c) => [c.template.id, c.schedule.cron]));
      return {
        templates: s.templates.map((t) => ({
          id: t.id,
          name: t.name,
          source: t.source,
          schedule: active.get(t.id) ?? s.schedules[t.id] ?? t.schedule,
          period: t.period,
          items: t.items.length,
          enabled: active.has(t.id),
          file: t.file,
        })),
        errors: templateFiles,
      };
    },
    'evidence.providers': () => ({ providers: ctx.evidence.list() }),
    'evidence.read': ({ source, params, since }) => {
      const at = now();
      const label = ctx.evidence.get(source)?.label ?? { ja: source, en: source };
      return readEvidence(
        ctx.evidence,
        { label, source, params, since: since ?? '24h' },
        { slotAt: at, now: at, tz: timezone() },
      );
    },
  };

  return {
    name: 'checklists',
    checklists,
    handlers,
    jobs,
    onConfig: () => apply(),
    configIssues: () => issues,
  };
}

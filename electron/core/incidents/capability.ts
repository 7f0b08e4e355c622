import type { z } from 'zod';
import type { Alert } from '../../../shared/api/alerts.js';
import { ApiFailure } from '../../../shared/api/contract.js';
import {
  type Incident,
  type IncidentCategory,
  incidentCategories,
  type incidentFieldsSchema,
  type TimelineEntryView,
} from '../../../shared/api/incidents.js';
import type { StopRun } from '../../../shared/api/stop.js';
import type { Alerts } from '../alerts/index.js';
import type { Capability, CoreContext, HandlersOf } from '../capability/index.js';
import { localDate } from '../checklists/index.js';
import { localTimeZone } from '../clock/index.js';
import type { Stop } from '../stop/index.js';
import { gramTokens, searchableText } from './grams.js';
import { IncidentRepo, type IncidentRow } from './repo.js';
import { botOf, exceptionTypeOf, similarIncidents } from './similar.js';

type Fields = z.output<typeof incidentFieldsSchema>;

export interface IncidentsCapability extends Capability {
  readonly repo: IncidentRepo;
}

export interface IncidentsCapabilityDeps {
  alerts: Alerts;
  stop: Pick<Stop, 'history'>;
  /** Rule id → runbook reference (the runbooks capability). */
  ruleRunbooks(): Record<string, string>;
}

/** The timeline source for error log records: offered by the logs capability once it exists. */
export const LOG_TIMELINE_SOURCE = 'logs.errors';
const TIMELINE_LIMIT = 200;

/** A first guess of the Phase 6 category from the alert's metric; the operator corrects it. */
export function categoryOf(metric: string, labels: Record<string, string>): IncidentCategory {
  const ns = metric.split('.')[0];
  if (['cpu', 'mem', 'disk', 'swap', 'net'].includes(ns ?? '')) return 'system.hardware';
  if (ns === 'proc') return /chrome|driver/.test(labels.family ?? '') ? 'system.infrastructure' : 'system.os';
  if (/auth|login|session/.test(metric)) return 'application.authentication';
  if (/response_time|error_rate|success|latency/.test(metric)) return 'business.performance';
  if (/cost|qps|outage|api/.test(metric)) return 'business.integration';
  if (ns === 'app') return 'application.data';
  return 'application.processing';
}

/**
 * The incident knowledge base as a capability: records created from an alert or a stop with the
 * timeline around it (from every evidence provider that offers a timeline: alerts, stops, job
 * failures, and log records once the logs capability offers `logs.errors`), post-incident steps,
 * Japanese-correct search, and similar past incidents for an alert.
 */
export function createIncidentsCapability(
  ctx: CoreContext,
  deps: IncidentsCapabilityDeps,
): IncidentsCapability {
  const repo = new IncidentRepo(ctx.store.db);
  const tz = () =>
    ctx.config.current().alerts.timezone ?? ctx.config.current().checklists.timezone ?? localTimeZone();

  function write(op: Parameters<typeof ctx.store.writes.write>[1]): void {
    const outcome = ctx.store.writes.write('incidents', op);
    if (outcome === 'written') return;
    const why = ctx.store.writes.status().error ?? 'the database refuses writes';
    throw new ApiFailure(
      'unavailable',
      outcome === 'waiting'
        ? `${why}: the change waits and is written when the database accepts writes`
        : why,
    );
  }

  function findAlert(alertId: string): Alert {
    try {
      return deps.alerts.api['alerts.events']({ alertId }).alert;
    } catch {
      throw new ApiFailure('not_found', `no alert "${alertId}"`);
    }
  }

  function findStop(stopId: string): StopRun {
    const run = deps.stop.history(500).find((r) => r.id === stopId);
    if (!run) throw new ApiFailure('not_found', `no emergency stop "${stopId}"`);
    return run;
  }

  async function collectTimeline(around: number): Promise<Pick<Incident, 'timeline' | 'contextSources'>> {
    const cfg = ctx.config.current().incidents;
    const from = around - cfg.contextBeforeMinutes * 60_000;
    const to = Math.min(ctx.clock.now(), around + cfg.contextAfterMinutes * 60_000);
    const timeline: TimelineEntryView[] = [];
    const contextSources: Incident['contextSources'] = [];
    for (const p of ctx.evidence.list().filter((x) => x.timeline)) {
      try {
        const entries = (await ctx.evidence.get(p.id)?.timeline?.({ from, to, limit: TIMELINE_LIMIT })) ?? [];
        for (const e of entries) timeline.push({ ...e, source: p.id });
        contextSources.push({ source: p.id, entries: entries.length, error: null });
      } catch (err) {
        contextSources.push({
          source: p.id,
          entries: 0,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
    if (!ctx.evidence.has(LOG_TIMELINE_SOURCE)) {
      contextSources.push({
        source: LOG_TIMELINE_SOURCE,
        entries: 0,
        error: `no capability offers ${LOG_TIMELINE_SOURCE} yet: error log records are attached once the logs capability is installed`,
      });
    }
    timeline.sort((a, b) => a.at - b.at);
    return { timeline: timeline.slice(0, TIMELINE_LIMIT * 4), contextSources };
  }

  function get(id: string): Incident {
    const row = repo.row(id);
    if (!row) throw new ApiFailure('not_found', `no incident "${id}"`);
    return repo.full(row);
  }

  function announce(incident: Incident): Incident {
    const row = repo.row(incident.id);
    if (row) ctx.emit({ type: 'incident.changed', incident: repo.summary(row) });
    return incident;
  }

  /** Keeps the 1-2 character side index in step with the row, in the same transaction. */
  function indexGrams(
    db: Parameters<Parameters<typeof ctx.store.writes.write>[1]>[0],
    id: string,
    row: Parameters<typeof searchableText>[0],
  ) {
    const seq = db.prepare<[string], { seq: number }>('SELECT seq FROM incidents WHERE id = ?').get(id)?.seq;
    if (seq === undefined) return;
    db.prepare('DELETE FROM incidents_grams WHERE rowid = ?').run(seq);
    db.prepare('INSERT INTO incidents_grams (rowid, grams) VALUES (?, ?)').run(
      seq,
      gramTokens(searchableText(row)),
    );
  }

  function event(
    db: Parameters<Parameters<typeof ctx.store.writes.write>[1]>[0],
    id: string,
    by: string,
    kind: string,
    detail: unknown,
  ) {
    db.prepare(
      'INSERT INTO incident_events (incident_id, at, actor, kind, detail) VALUES (?, ?, ?, ?, ?)',
    ).run(id, ctx.clock.now(), by, kind, JSON.stringify(detail));
  }

  async function create(input: {
    by: string;
    alertId?: string;
    stopId?: string;
    fields: Fields;
  }): Promise<Incident> {
    const now = ctx.clock.now();
    const base: Omit<IncidentRow, 'seq' | 'id' | 'context'> = {
      title: 'インシデント',
      category: 'application.processing',
      severity: 'warning',
      status: 'open',
      symptoms: '',
      root_cause: '',
      solution: '',
      prevention: '',
      impact: '',
      source: 'manual',
      rule_id: null,
      alert_id: null,
      stop_id: null,
      bot: null,
      exception_type: null,
      first_error: null,
      runbook: null,
      opened_at: now,
      resolved_at: null,
      created_at: now,
      updated_at: now,
      created_by: input.by,
    };
    if (input.alertId) {
      const a = findAlert(input.alertId);
      const labels = Object.entries(a.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ');
      Object.assign(base, {
        title: a.ruleName,
        category: categoryOf(a.metric, a.labels),
        severity: a.severity,
        symptoms: `${a.message}\n${a.metric}${labels ? ` {${labels}}` : ''}: ${a.value ?? '-'} ${a.op} ${a.threshold}`,
        source: 'alert',
        rule_id: a.ruleId,
        alert_id: a.id,
        bot: botOf(a),
        exception_type: a.labels.exception ?? exceptionTypeOf(a.message),
        runbook: a.runbook ?? deps.ruleRunbooks()[a.ruleId] ?? null,
        opened_at: a.firedAt ?? a.startedAt,
      });
    } else if (input.stopId) {
      const r = findStop(input.stopId);
      const survivors = r.survivors.map((s) => `${s.name} (${s.pid}): ${s.reason}`).join('\n');
      Object.assign(base, {
        title: `緊急停止: ${r.reason}`,
        category: 'system.os',
        severity: 'critical',
        symptoms: `${r.reason}\n${r.source} / ${r.actor}: ${r.counts.stopped}/${r.counts.targets} stopped, ${r.counts.forced} forced, ${r.counts.survivors} survivors (${r.status})${survivors ? `\n${survivors}` : ''}`,
        source: 'stop',
        rule_id: r.ruleId,
        alert_id: r.alertId,
        stop_id: r.id,
        runbook: 'level3-system-stop',
        opened_at: r.requestedAt,
      });
    }
    const context = await collectTimeline(base.opened_at);
    const firstLog = context.timeline.find((e) => e.source === LOG_TIMELINE_SOURCE);
    if (firstLog) {
      base.first_error = firstLog.text.slice(0, 1000);
      base.exception_type ??= exceptionTypeOf(firstLog.text);
    }
    applyFields(base, input.fields, now);
    const id = repo.nextId(localDate(now, tz()));
    write((db) => {
      db.prepare(
        `INSERT INTO incidents (id, title, category, severity, status, symptoms, root_cause, solution, prevention, impact,
           source, rule_id, alert_id, stop_id, bot, exception_type, first_error, runbook, opened_at, resolved_at,
           created_at, updated_at, created_by, context)
         VALUES (@id, @title, @category, @severity, @status, @symptoms, @root_cause, @solution, @prevention, @impact,
           @source, @rule_id, @alert_id, @stop_id, @bot, @exception_type, @first_error, @runbook, @opened_at, @resolved_at,
           @created_at, @updated_at, @created_by, @context)`,
      ).run({ ...base, id, context: JSON.stringify(context) });
      indexGrams(db, id, base);
      // 記録 (詳細な記録作成) starts with the record itself.
      db.prepare(
        "INSERT INTO incident_steps (incident_id, step, done, actor, at, note) VALUES (?, 'record', 1, ?, ?, NULL)",
      ).run(id, input.by, now);
      event(db, id, input.by, 'created', {
        source: base.source,
        alertId: base.alert_id,
        stopId: base.stop_id,
      });
    });
    ctx.store.appendAudit({
      actor: input.by,
      action: 'incident.create',
      details: { id, source: base.source },
    });
    return announce(get(id));
  }

  function applyFields(row: Omit<IncidentRow, 'seq' | 'id' | 'context'>, fields: Fields, now: number): void {
    for (const [key, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      const column = key === 'exceptionType' ? 'exception_type' : key;
      (row as Record<string, unknown>)[column] = value;
    }
    if (fields.status === 'resolved' && row.resolved_at === null) row.resolved_at = now;
    if (fields.status === 'open') row.resolved_at = null;
  }

  const handlers: HandlersOf<'incidents'> = {
    'incidents.search': ({ q, category, status, limit, offset }) => {
      const result = repo.search({
        q,
        limit,
        offset,
        ...(category ? { category } : {}),
        ...(status ? { status } : {}),
      });
      return { incidents: result.rows.map((r) => repo.summary(r)), terms: result.terms };
    },
    'incidents.get': ({ id }) => get(id),
    'incidents.create': (input) => create(input),
    'incidents.update': ({ id, by, fields }) => {
      const row = repo.row(id);
      if (!row) throw new ApiFailure('not_found', `no incident "${id}"`);
      const now = ctx.clock.now();
      const next = { ...row };
      applyFields(next, fields, now);
      next.updated_at = now;
      write((db) => {
        db.prepare(
          `UPDATE incidents SET title = @title, category = @category, severity = @severity, status = @status,
             symptoms = @symptoms, root_cause = @root_cause, solution = @solution, prevention = @prevention,
             impact = @impact, bot = @bot, exception_type = @exception_type, runbook = @runbook,
             resolved_at = @resolved_at, updated_at = @updated_at WHERE id = @id`,
        ).run(next);
        indexGrams(db, id, next);
        event(db, id, by, 'updated', Object.keys(fields));
      });
      return announce(get(id));
    },
    'incidents.step': ({ id, step, done, by, note }) => {
      if (!repo.row(id)) throw new ApiFailure('not_found', `no incident "${id}"`);
      const now = ctx.clock.now();
      write((db) => {
        db.prepare(
          `INSERT INTO incident_steps (incident_id, step, done, actor, at, note) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (incident_id, step) DO UPDATE SET done = excluded.done, actor = excluded.actor,
             at = excluded.at, note = excluded.note`,
        ).run(id, step, done ? 1 : 0, by, now, note?.trim() ? note.trim() : null);
        event(db, id, by, done ? 'step.done' : 'step.undone', { step, note: note ?? null });
      });
      return announce(get(id));
    },
    'incidents.similar': ({ alertId }) => {
      const alert = findAlert(alertId);
      return {
        suggestions: similarIncidents(repo, alert, {
          limit: ctx.config.current().incidents.suggestions,
          exclude: (row) => row.alert_id === alert.id,
        }),
      };
    },
    'incidents.categories': () => ({
      categories: incidentCategories.map((c) => ({
        id: c.id,
        level: c.level,
        label: { ja: c.ja, en: c.en },
      })),
    }),
  };

  return { name: 'incidents', repo, handlers };
}

import { z } from 'zod';
import { alertSeveritySchema, labelMatcherSchema, ruleLoadErrorSchema } from '../config/alerts.js';
import { epochMs, labelsSchema, method } from './contract.js';

export const alertStateSchema = z.enum(['pending', 'firing', 'acknowledged', 'resolved', 'inactive']);
export type AlertState = z.infer<typeof alertStateSchema>;
/** States of an alert that is still open (the others are history). */
export const openAlertStates = ['pending', 'firing', 'acknowledged'] as const;

export const alertHealthSchema = z.enum(['ok', 'warning', 'critical']);
export type AlertHealth = z.infer<typeof alertHealthSchema>;

/** One alert instance: a rule applied to one series, from pending to resolved. */
export const alertSchema = z.object({
  id: z.string(),
  ruleId: z.string(),
  ruleName: z.string(),
  seriesKey: z.string(),
  metric: z.string(),
  labels: labelsSchema,
  state: alertStateSchema,
  severity: alertSeveritySchema,
  /** Last value seen (for forecast rules: the predicted value at the horizon). */
  value: z.number().nullable(),
  threshold: z.number(),
  op: z.string(),
  message: z.string(),
  /** Recorded but not sent: covered by a silence or a maintenance window. */
  suppressed: z.boolean(),
  /** `silence:<id>` or `maintenance:<id>` when suppressed. */
  suppressedBy: z.string().nullable(),
  startedAt: epochMs,
  firedAt: epochMs.nullable(),
  ackedAt: epochMs.nullable(),
  ackBy: z.string().nullable(),
  ackNote: z.string().nullable(),
  resolvedAt: epochMs.nullable(),
  lastNotifiedAt: epochMs.nullable(),
  /** Highest escalation level reached (index into alerts.escalation), -1 before the first notice. */
  escalationLevel: z.number().int(),
  action: z.string().nullable(),
  actionState: z.enum(['deferred', 'running', 'done', 'failed', 'skipped']).nullable(),
  /** The rule's runbook (a shipped runbook id or an http(s) URL), when it names one. */
  runbook: z.string().nullable().optional(),
});
export type Alert = z.infer<typeof alertSchema>;

export const alertTransitionSchema = z.object({
  seq: z.number().int(),
  alertId: z.string(),
  ts: epochMs,
  /** pending, firing, acknowledged, resolved, inactive, suppressed, unsuppressed, notified, escalated, repeated, action, ... */
  type: z.string(),
  fromState: alertStateSchema.nullable(),
  toState: alertStateSchema.nullable(),
  value: z.number().nullable(),
  actor: z.string().nullable(),
  detail: z.string().nullable(),
});
export type AlertTransition = z.infer<typeof alertTransitionSchema>;

export const silenceSchema = z.object({
  id: z.string(),
  ruleId: z.string().nullable(),
  matchers: z.array(labelMatcherSchema),
  startsAt: epochMs,
  endsAt: epochMs,
  reason: z.string(),
  createdBy: z.string(),
  createdAt: epochMs,
  source: z.enum(['api', 'config']),
  /** Ended early by alerts.unsilence. */
  expiredAt: epochMs.nullable(),
  active: z.boolean(),
});
export type Silence = z.infer<typeof silenceSchema>;

export const maintenanceWindowStatusSchema = z.object({
  id: z.string(),
  name: z.string(),
  cron: z.string(),
  durationMinutes: z.number(),
  enabled: z.boolean(),
  timezone: z.string(),
  active: z.boolean(),
  /** Current window when active, else the most recent one. */
  lastStart: epochMs.nullable(),
  lastEnd: epochMs.nullable(),
  nextStart: epochMs.nullable(),
  nextEnd: epochMs.nullable(),
});
export type MaintenanceWindowStatus = z.infer<typeof maintenanceWindowStatusSchema>;

export const alertRuleInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  expr: z.string(),
  for: z.string(),
  forMs: z.number(),
  clearForMs: z.number(),
  severity: alertSeveritySchema,
  clear: z.number().nullable(),
  labels: labelsSchema,
  action: z.string().nullable(),
  enabled: z.boolean(),
  notes: z.string().nullable(),
  runbook: z.string().nullable().optional(),
});
export type AlertRuleInfo = z.infer<typeof alertRuleInfoSchema>;

const idInput = z.string().min(1).max(100);
const actorInput = z.string().trim().min(1).max(100);

export const alertsListInput = z
  .object({
    /** Default: every open alert (pending, firing, acknowledged). */
    states: z.array(z.enum(openAlertStates)).optional(),
    includeSuppressed: z.boolean().default(true),
  })
  .strict();

export const alertsHistoryInput = z
  .object({
    from: epochMs.optional(),
    to: epochMs.optional(),
    ruleId: z.string().max(100).optional(),
    severity: alertSeveritySchema.optional(),
    states: z.array(alertStateSchema).optional(),
    /** Also list pending alerts that ended before firing (state inactive). */
    includeInactive: z.boolean().default(false),
    limit: z.number().int().min(1).max(1000).default(100),
    /** Paging: only alerts after this one in the list (give the last row's startedAt and id). */
    before: epochMs.optional(),
    beforeId: z.string().max(100).optional(),
  })
  .strict();

export const alertsSilenceInput = z
  .object({
    ruleId: z.string().max(100).optional(),
    matchers: z.array(labelMatcherSchema).max(20).default([]),
    startsAt: epochMs.optional(),
    endsAt: epochMs.optional(),
    durationMinutes: z
      .number()
      .positive()
      .max(60 * 24 * 366)
      .optional(),
    reason: z.string().trim().min(1).max(500),
    by: actorInput,
  })
  .strict()
  .refine((s) => s.ruleId !== undefined || s.matchers.length > 0, {
    message: 'a silence needs a ruleId or at least one matcher',
  })
  .refine((s) => (s.endsAt === undefined) !== (s.durationMinutes === undefined), {
    message: 'give exactly one of endsAt or durationMinutes',
  });

export const alertsMethods = {
  'alerts.list': method(
    alertsListInput,
    z.object({ alerts: z.array(alertSchema), health: alertHealthSchema, evaluatedAt: epochMs.nullable() }),
  ),
  'alerts.ack': method(
    z.object({ id: idInput, by: actorInput, note: z.string().max(2000).optional() }).strict(),
    alertSchema,
  ),
  'alerts.silence': method(alertsSilenceInput, silenceSchema),
  'alerts.unsilence': method(z.object({ id: idInput, by: actorInput }).strict(), silenceSchema),
  'alerts.silences': method(
    z.object({ includeExpired: z.boolean().default(false) }).strict(),
    z.object({ silences: z.array(silenceSchema) }),
  ),
  'alerts.history': method(alertsHistoryInput, z.object({ alerts: z.array(alertSchema) })),
  'alerts.events': method(
    z.object({ alertId: idInput }).strict(),
    z.object({ alert: alertSchema, events: z.array(alertTransitionSchema) }),
  ),
  'alerts.maintenance': method(
    z.object({}).strict(),
    z.object({ windows: z.array(maintenanceWindowStatusSchema), activeNow: z.array(z.string()) }),
  ),
  'alerts.rules': method(
    z.object({}).strict(),
    z.object({ rules: z.array(alertRuleInfoSchema), errors: z.array(ruleLoadErrorSchema) }),
  ),
};

export const alertChangedEventSchema = z.object({ type: z.literal('alert.changed'), alert: alertSchema });
export const alertHealthEventSchema = z.object({
  type: z.literal('alert.health'),
  health: alertHealthSchema,
  /** Open, unsuppressed alerts by state, for the navigation badge. */
  counts: z.object({ pending: z.number().int(), firing: z.number().int(), acknowledged: z.number().int() }),
});
export const silenceChangedEventSchema = z.object({
  type: z.literal('alert.silence'),
  silence: silenceSchema,
});
export const alertRulesEventSchema = z.object({
  type: z.literal('alert.rules'),
  ruleCount: z.number().int(),
  errors: z.array(ruleLoadErrorSchema),
});

/** Add these to the API event union (discriminated on `type`). */
export const alertEventSchemas = [
  alertChangedEventSchema,
  alertHealthEventSchema,
  silenceChangedEventSchema,
  alertRulesEventSchema,
] as const;
export type AlertApiEvent =
  | z.infer<typeof alertChangedEventSchema>
  | z.infer<typeof alertHealthEventSchema>
  | z.infer<typeof silenceChangedEventSchema>
  | z.infer<typeof alertRulesEventSchema>;

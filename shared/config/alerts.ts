import { z } from 'zod';

/**
 * The `alerts:` section of the config file.
 *
 * `rules` is accepted loosely here on purpose: the alert engine validates each rule on its own and
 * reports a bad one (with its line) while keeping the rest, so one typo never rejects the whole file.
 * `alertRuleSchema` below is the per-rule shape the engine applies.
 */

export const alertSeverities = ['critical', 'warning', 'info'] as const;
export const alertSeveritySchema = z.enum(alertSeverities);
export type AlertSeverity = z.infer<typeof alertSeveritySchema>;

/** `5m`, `30s`, `6h`, `1h30m`, or `0` (at once). */
export const durationTextSchema = z.union([z.string(), z.literal(0)]);

/** A label matcher as used by silences and maintenance windows: Prometheus-style `=`, `!=`, `=~`, `!~`. */
export const labelMatcherSchema = z.strictObject({
  label: z.string().min(1),
  op: z.enum(['=', '!=', '=~', '!~']).default('='),
  value: z.string(),
});
export type LabelMatcher = z.infer<typeof labelMatcherSchema>;

/** A runbook reference: the id of a shipped runbook or an http(s) URL. */
export const runbookRefSchema = z
  .string()
  .max(500)
  .refine((v) => /^[a-z0-9][a-z0-9-]{0,99}$/.test(v) || /^https?:\/\/[^\s]+$/.test(v), {
    message: 'a runbook id such as level1-api-latency, or an http(s) URL',
  });

export const alertRuleSchema = z.strictObject({
  /** Stable id: alert history, silences and acknowledgements refer to it. */
  id: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9_.-]*$/i,
      'id: letters, digits, ".", "_" and "-" only, starting with a letter or digit',
    )
    .max(100),
  /** Display name for notifications and the UI (e.g. "CPU使用率異常"); defaults to the id. */
  name: z.string().min(1).max(200).optional(),
  /** `metric{label="x"} > 90` or `forecast(metric{...}, 24h) < 20`; see electron/core/alerts/expr.ts. */
  expr: z.string().min(1).max(500),
  for: durationTextSchema.default('0'),
  severity: alertSeveritySchema,
  /** Hysteresis: a firing alert resolves only when the value passes this threshold. */
  clear: z.number().optional(),
  /** How long the clear condition must hold before the alert resolves (default: for/2, 1 to 5 minutes). */
  clearFor: durationTextSchema.optional(),
  /** Template: {{rule}} {{name}} {{series}} {{value}} {{threshold}} {{op}} {{for}} {{severity}} {{labels.X}}. */
  message: z.string().max(1000).optional(),
  labels: z.record(z.string(), z.string()).default({}),
  /** An action run once when the alert fires, e.g. `emergency-stop`. */
  action: z.string().min(1).optional(),
  enabled: z.boolean().default(true),
  notes: z.string().optional(),
  /**
   * What to do when it fires (Prometheus' `runbook_url` convention): a shipped runbook's id, e.g.
   * `level3-system-stop` (resources/runbooks/), or an http(s) URL of the team's own page.
   */
  runbook: runbookRefSchema.optional(),
});
export type AlertRuleInput = z.input<typeof alertRuleSchema>;
export type AlertRuleConfig = z.output<typeof alertRuleSchema>;

export const escalationLevelSchema = z.strictObject({
  /** Minutes after the first notification, while nobody has acknowledged the alert. 0 = first notice. */
  afterMinutes: z.number().min(0),
  /** Who this level is, for the UI ("オンコール担当者", "マネージャー", ...). */
  name: z.string().optional(),
  /** Channel ids of the notifier (desktop, slack, email, sms, webhook, or named ones from notify config). */
  channels: z.array(z.string().min(1)),
  /** Severities this level applies to; default all. */
  severities: z.array(alertSeveritySchema).optional(),
});
export type EscalationLevel = z.infer<typeof escalationLevelSchema>;

/**
 * Phase 6 document, escalation_rules: first notice to desktop + Slack; no ack in 15 min
 * "マネージャーに追加通知"; 30 min "SMS・電話通知" (SMS only for Critical: sms_emergency.triggers);
 * 60 min "役員レベル通知".
 */
export const defaultEscalation: EscalationLevel[] = [
  { afterMinutes: 0, name: 'オンコール担当者', channels: ['desktop', 'slack'] },
  {
    afterMinutes: 15,
    name: 'マネージャー',
    channels: ['email-management'],
    severities: ['critical', 'warning'],
  },
  { afterMinutes: 30, name: 'SMS・電話', channels: ['sms'], severities: ['critical'] },
  { afterMinutes: 60, name: '役員', channels: ['email-executives'], severities: ['critical'] },
];

/** A recurring window during which alerts are recorded but not sent (alert state "suppressed"). */
export const maintenanceWindowSchema = z.strictObject({
  id: z.string().min(1).max(100),
  name: z.string().optional(),
  /** Cron (5 or 6 fields, cron-parser syntax incl. `0#1` = first Sunday) of the window's start. */
  cron: z.string().min(1),
  durationMinutes: z.number().positive(),
  enabled: z.boolean().default(true),
  /** Limit the window to matching alerts (labels, plus `rule`, `severity`, `metric`); empty = all. */
  matchers: z.array(labelMatcherSchema).default([]),
});
export type MaintenanceWindowConfig = z.output<typeof maintenanceWindowSchema>;

/** Phase 6 document, maintenance_schedule: weekly 日曜日 02:00-04:00, monthly 第1日曜日 01:00-05:00. */
export const defaultMaintenanceWindows: z.input<typeof maintenanceWindowSchema>[] = [
  { id: 'weekly', name: '週次メンテナンス（日曜日 02:00-04:00）', cron: '0 2 * * 0', durationMinutes: 120 },
  {
    id: 'monthly',
    name: '月次メンテナンス（第1日曜日 01:00-05:00）',
    cron: '0 1 * * 0#1',
    durationMinutes: 240,
  },
];

export const configSilenceSchema = z
  .strictObject({
    id: z.string().min(1).max(100),
    ruleId: z.string().optional(),
    matchers: z.array(labelMatcherSchema).default([]),
    /** ISO date-time (with offset) or epoch ms. */
    startsAt: z.union([z.string(), z.number()]).optional(),
    until: z.union([z.string(), z.number()]),
    reason: z.string().min(1),
  })
  .refine((s) => s.ruleId !== undefined || s.matchers.length > 0, {
    message: 'a silence needs a ruleId or at least one matcher',
  });
export type ConfigSilence = z.output<typeof configSilenceSchema>;

export const alertsConfigSchema = z.strictObject({
  /** Missing = the shipped defaults; `[]` = no rules. Each item is validated on its own. */
  rules: z.array(z.unknown()).optional(),
  escalation: z.array(escalationLevelSchema).min(1).default(defaultEscalation),
  /** Re-send a still-firing, unacknowledged alert this often (to its current level's channels). */
  repeatIntervalMinutes: z.number().positive().default(60),
  /** Send a "resolved" notice to the first level's channels. */
  notifyResolved: z.boolean().default(true),
  /** After a resume from an emergency stop, action rules do not trigger again for this long. */
  actionCooldownMinutes: z.number().min(0).default(30),
  /** A series not reported for this long no longer keeps its alert open (it resolves as stale). */
  staleAfterMinutes: z.number().positive().default(30),
  /** IANA zone for maintenance windows; default the operator's local zone (the OS setting). */
  timezone: z.string().optional(),
  maintenanceWindows: z.array(maintenanceWindowSchema).default(() => maintenanceDefaultsParsed()),
  silences: z.array(configSilenceSchema).default([]),
});
export type AlertsConfig = z.output<typeof alertsConfigSchema>;
export type AlertsConfigInput = z.input<typeof alertsConfigSchema>;

function maintenanceDefaultsParsed(): MaintenanceWindowConfig[] {
  return defaultMaintenanceWindows.map((w) => maintenanceWindowSchema.parse(w));
}

/** Where a rule failed to load, and why. `line`/`col` are 1-based (0 when the place is unknown). */
export const ruleLoadErrorSchema = z.object({
  file: z.string(),
  line: z.number().int(),
  col: z.number().int(),
  /** Index in `alerts.rules`; -1 for problems elsewhere in the section (windows, silences). */
  ruleIndex: z.number().int(),
  ruleId: z.string().optional(),
  reason: z.string(),
});
export type RuleLoadError = z.infer<typeof ruleLoadErrorSchema>;

import { z } from 'zod';
import { hasEnvRef } from './notify.js';

/**
 * The `export:` section: what a team's own monitoring stack gets from this PC. Off by default.
 *
 * - `metrics`: `GET /metrics` in the Prometheus text format, protected by its own scrape token
 *   (bearer; not the API token). It is served on the app's port on 127.0.0.1; `listen` adds a second
 *   listener on another address (e.g. the PC's LAN address) for a Prometheus on another machine.
 * - `alertmanager`: Nexus Ops alerts forwarded to an Alertmanager (v2 API), refreshed while firing and
 *   ended when they resolve, so the team's routing, silences and on-call rotation take over.
 *
 * Secrets (`scrapeToken`, `bearerToken`, `basicAuth.password`) may be written as `${env:NAME}`; they
 * are resolved in core and never shown in clear.
 */

const DURATION = /^(\d+)(ms|s|m|h)$/;
const duration = z.string().regex(DURATION, 'a duration such as 15s, 60s or 5m');

/** A plain http(s) URL, or a string holding `${env:NAME}`. */
const urlOrEnv = z.string().refine((v) => hasEnvRef(v) || /^https?:\/\/[^\s]+$/.test(v), {
  message: 'an http(s) URL such as http://alertmanager.example:9093, or ${env:NAME}',
});

/** A Prometheus label name that is not reserved (`__*`) and not one the forwarder sets itself. */
const labelName = z
  .string()
  .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'a label name: letters, digits and "_", not starting with a digit')
  .refine((n) => !n.startsWith('__'), { message: 'names starting with "__" are reserved by Prometheus' });

export const exportListenSchema = z.strictObject({
  /** The address to bind, e.g. 0.0.0.0 or the PC's LAN address. Anything but loopback prints a warning. */
  host: z.string().min(1),
  /** 0 = any free port (the port in use is logged and shown by export.status). */
  port: z.number().int().min(0).max(65535),
});

export const exportMetricsSchema = z.strictObject({
  enabled: z.boolean().default(false),
  /**
   * Bearer token Prometheus sends (`authorization: { credentials_file: ... }` in its scrape config).
   * Required when enabled; at least 16 characters; `${env:NAME}` allowed.
   */
  scrapeToken: z.string().min(1).optional(),
  /** A second listener for /metrics on another address (requires the scrape token; prints a warning). */
  listen: exportListenSchema.optional(),
});

export const exportAlertmanagerSchema = z.strictObject({
  enabled: z.boolean().default(false),
  /** Alertmanager base URLs (all of an HA cluster, as Prometheus does); `/api/v2/alerts` is appended. */
  urls: z.array(urlOrEnv).default([]),
  /** Firing alerts are re-sent this often (and at once on every change); they expire after 4 × this. */
  resendInterval: duration.default('60s'),
  /** Time-out of one request. */
  timeout: duration.default('10s'),
  /** Attempts within one resend interval before the send counts as failed (backoff 2 s, 4 s, 8 s, ...). */
  maxAttempts: z.number().int().min(1).max(10).default(3),
  bearerToken: z.string().min(1).optional(),
  basicAuth: z.strictObject({ username: z.string().min(1), password: z.string().min(1) }).optional(),
  /** Extra labels on every forwarded alert, e.g. `{ team: bots-a }` for the team's routing tree. */
  labels: z.record(labelName, z.string().max(200)).default({}),
  /** Runbook link per rule id (a rule label `runbook_url` works too). */
  runbooks: z.record(z.string(), urlOrEnv).default({}),
});

export const exportConfigSchema = z.strictObject({
  /** This PC's name: the `instance` label of forwarded alerts. Default: the OS host name. */
  instance: z.string().min(1).max(100).optional(),
  /**
   * Link to this PC's Grafana dashboard, in alert annotations (`dashboard_url`); `{{instance}}` is
   * replaced, e.g. https://grafana.example/d/nexus-ops/nexus-ops?var-instance={{instance}}
   */
  dashboardUrl: z
    .string()
    .regex(/^https?:\/\/[^\s]+$/, 'an http(s) URL')
    .optional(),
  metrics: exportMetricsSchema.prefault({}),
  alertmanager: exportAlertmanagerSchema.prefault({}),
});

export type ExportConfig = z.infer<typeof exportConfigSchema>;
export type ExportConfigInput = z.input<typeof exportConfigSchema>;

/** Keys whose values are secrets in this section (for redactConfig). */
export const EXPORT_SECRET_KEYS = ['scrapeToken', 'bearerToken', 'password'] as const;

/** '60s' → 60000 (the schema has validated the text). */
export function exportDurationMs(text: string): number {
  const m = DURATION.exec(text.trim());
  if (!m) throw new Error(`bad duration "${text}" (use e.g. 15s, 60s or 5m)`);
  const unit: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
  return Number(m[1]) * (unit[m[2] as string] ?? 0);
}

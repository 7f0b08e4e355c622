import { z } from 'zod';
import { epochMs, method } from './contract.js';

/**
 * The export domain: the Prometheus exposition behind `GET /metrics` (the HTTP route calls
 * `export.scrape` with the request's Authorization header; the scrape token is checked by core, the API
 * token is not accepted instead) and the state of the export and the Alertmanager forwarder.
 */

export const exportScrapeOutput = z.object({
  status: z.union([z.literal(200), z.literal(401), z.literal(404), z.literal(503)]),
  contentType: z.string(),
  body: z.string(),
  headers: z.record(z.string(), z.string()),
});
export type ExportScrapeOutput = z.infer<typeof exportScrapeOutput>;

export const alertmanagerTargetSchema = z.object({
  /** Base URL, credentials masked. */
  url: z.string(),
  lastAttemptAt: epochMs.nullable(),
  lastSuccessAt: epochMs.nullable(),
  /** Masked. */
  lastError: z.string().nullable(),
  consecutiveFailures: z.number().int(),
  nextAttemptAt: epochMs.nullable(),
});

export const exportStatusSchema = z.object({
  metrics: z.object({
    enabled: z.boolean(),
    /** off, ready, or misconfigured (see problem). */
    state: z.enum(['off', 'ready', 'misconfigured']),
    problem: z.string().nullable(),
    /** The app's own port serves /metrics too (127.0.0.1); this is the separate listener, if any. */
    listener: z.object({ host: z.string(), port: z.number().int(), url: z.string() }).nullable(),
    series: z.number().int(),
    droppedSeries: z.number().int(),
    lastScrapeAt: epochMs.nullable(),
  }),
  alertmanager: z.object({
    enabled: z.boolean(),
    instance: z.string(),
    forwarded: z.number().int(),
    ending: z.number().int(),
    sent: z.number().int(),
    failed: z.number().int(),
    lastSuccessAt: epochMs.nullable(),
    targets: z.array(alertmanagerTargetSchema),
  }),
});
export type ExportStatus = z.infer<typeof exportStatusSchema>;

export const exportMethods = {
  'export.scrape': method(
    z.object({ authorization: z.string().max(4096).default('') }).strict(),
    exportScrapeOutput,
  ),
  'export.status': method(z.object({}).strict(), exportStatusSchema),
};

import { z } from 'zod';
import { configIssueSchema } from '../config/schema.js';
import { writeStatusSchema } from './app.js';
import { epochMs, labelsSchema, method } from './contract.js';

export const healthStateSchema = z.enum(['ok', 'warning', 'critical', 'stopped']);
export type HealthState = z.infer<typeof healthStateSchema>;

export const diskSnapshotSchema = z.object({
  mount: z.string(),
  totalBytes: z.number(),
  freeBytes: z.number(),
  freePct: z.number(),
});

export const systemSnapshotSchema = z.object({
  ts: epochMs,
  cpuPct: z.number(),
  memUsedPct: z.number(),
  memTotalBytes: z.number(),
  memUsedBytes: z.number(),
  disks: z.array(diskSnapshotSchema),
});
export type SystemSnapshot = z.infer<typeof systemSnapshotSchema>;

export const appStatusSchema = z.object({
  version: z.string(),
  mode: z.enum(['desktop', 'headless']),
  dataDir: z.string(),
  configFile: z.string(),
  configIssues: z.array(configIssueSchema),
  storeError: z.string().nullable(),
  /** The write path: writes waiting while the database refuses them, and rows given up. */
  writes: writeStatusSchema,
  health: healthStateSchema,
  sampler: z.object({ intervalMs: z.number(), lagMs: z.number(), skipped: z.number() }),
  locale: z.enum(['ja', 'en']),
});
export type AppStatus = z.infer<typeof appStatusSchema>;

export const seriesPointSchema = z.object({
  ts: epochMs,
  value: z.number(),
  min: z.number().optional(),
  max: z.number().optional(),
});
export type SeriesPoint = z.infer<typeof seriesPointSchema>;

export const seriesQueryInput = z.object({
  keys: z.array(z.string().min(1).max(300)).min(1).max(50),
  from: epochMs,
  to: epochMs,
  /** Pixel width of the chart: at most this many points come back per series. */
  maxPoints: z.number().int().min(2).max(5000).default(600),
});

export const seriesQueryOutput = z.object({
  series: z.array(
    z.object({ key: z.string(), tier: z.enum(['raw', '5m', '1h']), points: z.array(seriesPointSchema) }),
  ),
});

export const systemMethods = {
  'app.status': method(z.object({}).strict(), appStatusSchema),
  'system.snapshot': method(z.object({}).strict(), systemSnapshotSchema.nullable()),
  'series.query': method(seriesQueryInput, seriesQueryOutput),
  'series.list': method(
    z.object({ prefix: z.string().max(200).default('') }).strict(),
    z.array(z.object({ key: z.string(), name: z.string(), labels: labelsSchema })),
  ),
};

export const samplesEventSchema = z.object({
  type: z.literal('samples'),
  ts: epochMs,
  samples: z.array(z.object({ key: z.string(), value: z.number() })),
  snapshot: systemSnapshotSchema,
});

export const statusEventSchema = z.object({
  type: z.literal('status'),
  status: appStatusSchema,
});

/** A desktop notification; in headless mode the page shows it as a toast and a browser notification. */
export const notifyEventSchema = z.object({
  type: z.literal('notify'),
  title: z.string(),
  body: z.string(),
  severity: z.enum(['critical', 'warning', 'info']),
});

import { z } from 'zod';
import { epochMs, method } from './contract.js';

/** One job of the job runner, as `jobs.list` shows it. */
export const jobStatusSchema = z.object({
  name: z.string(),
  schedule: z.string(),
  paused: z.boolean(),
  running: z.boolean(),
  runs: z.number().int(),
  failures: z.number().int(),
  timeouts: z.number().int(),
  skipped: z.number().int(),
  lastStartedAt: epochMs.nullable(),
  lastDurationMs: z.number().nullable(),
  lastError: z.string().nullable(),
  lastErrorAt: epochMs.nullable(),
  lagMs: z.number(),
  nextRunAt: epochMs.nullable(),
});
export type JobStatusView = z.infer<typeof jobStatusSchema>;

/** The database write path: why writes wait, how many, and what was given up. */
export const writeStatusSchema = z.object({
  file: z.string(),
  error: z.string().nullable(),
  since: epochMs.nullable(),
  waitingWrites: z.number().int(),
  waitingRows: z.number().int(),
  recoveredRows: z.number().int(),
  droppedRows: z.number().int(),
});

export const auditVerifySchema = z.object({
  ok: z.boolean(),
  rows: z.number().int(),
  /** The first row whose hash or link does not match, with what is wrong. */
  brokenAt: z.number().int().optional(),
  problem: z.string().optional(),
});
export type AuditVerifyResult = z.infer<typeof auditVerifySchema>;

export const appMethods = {
  'jobs.list': method(z.object({}).strict(), z.object({ jobs: z.array(jobStatusSchema) })),
  'audit.verify': method(z.object({}).strict(), auditVerifySchema),
};

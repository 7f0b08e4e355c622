import { z } from 'zod';
import { epochMs, method } from './contract.js';

/** schedule: its cron slot; catch-up: a slot missed while Nexus Ops was not running; manual: "run now". */
export const runTriggerSchema = z.enum(['schedule', 'catch-up', 'manual']);
export type RunTrigger = z.infer<typeof runTriggerSchema>;

/**
 * running; ok; failed (error or exit code ≠ 0); timed-out (stopped as a tree at its timeout);
 * skipped (refused: the job was still running, or a bot job while the emergency stop holds);
 * missed (slots not run: outside the catch-up window or policy skip); interrupted (Nexus Ops ended
 * during the run).
 */
export const runStatusSchema = z.enum([
  'running',
  'ok',
  'failed',
  'timed-out',
  'skipped',
  'missed',
  'interrupted',
]);
export type RunStatus = z.infer<typeof runStatusSchema>;

export const runViewSchema = z.object({
  id: z.string(),
  jobId: z.string(),
  trigger: runTriggerSchema,
  /** The slot the run stands for (a catch-up names the missed slot), epoch ms. */
  slot: epochMs,
  startedAt: epochMs,
  finishedAt: epochMs.nullable(),
  status: runStatusSchema,
  exitCode: z.number().int().nullable(),
  durationMs: z.number().nullable(),
  /** The last lines of its output, secrets masked. */
  output: z.string(),
  /** One line: what it did. */
  summary: z.string(),
  /** What it changed: bytesFreed, files, rows, ... */
  changes: z.record(z.string(), z.number()),
  error: z.string().nullable(),
});
export type RunView = z.infer<typeof runViewSchema>;

export const progressSchema = z.object({
  phase: z.string(),
  done: z.number(),
  total: z.number(),
  at: epochMs,
});
export type JobProgress = z.infer<typeof progressSchema>;

export const jobViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['builtin', 'command']),
  task: z.string().nullable(),
  /** Command jobs: the command line (masked). */
  command: z.string().nullable(),
  /** Cron text (for a window job: the window's cron plus the offset). */
  cron: z.string(),
  window: z.string().nullable(),
  timezone: z.string(),
  tags: z.array(z.string()),
  enabled: z.boolean(),
  paused: z.boolean(),
  pausedBy: z.enum(['operator', 'stop']).nullable(),
  running: z.boolean(),
  nextRunAt: epochMs.nullable(),
  lastRun: runViewSchema.nullable(),
  lastSuccessAt: epochMs.nullable(),
  onFailure: z.enum(['critical', 'warning', 'info']),
  timeoutMinutes: z.number(),
  catchUp: z.object({ policy: z.enum(['skip', 'run-once', 'run-all']), windowHours: z.number() }),
  progress: progressSchema.nullable(),
  /** A problem with its config (a bad cron, a missing folder): the job does not run until fixed. */
  problem: z.string().nullable(),
});
export type JobView = z.infer<typeof jobViewSchema>;

export const backupVerificationSchema = z.object({
  status: z.enum(['ok', 'failed', 'unverified']),
  at: epochMs.nullable(),
  problems: z.array(z.string()),
  /** Key tables' row counts in the restored copy. */
  rowCounts: z.record(z.string(), z.number()),
  integrity: z.string().nullable(),
});
export type BackupVerification = z.infer<typeof backupVerificationSchema>;

export const backupViewSchema = z.object({
  id: z.string(),
  createdAt: epochMs,
  file: z.string(),
  sizeBytes: z.number(),
  sha256: z.string(),
  database: z.boolean(),
  bots: z.array(z.object({ bot: z.string(), root: z.string(), files: z.number(), bytes: z.number() })),
  /** Secret files left out (paths relative to the bot root) and encrypted ones. */
  excludedSecrets: z.array(z.string()),
  encryptedSecrets: z.array(z.string()),
  verification: backupVerificationSchema,
});
export type BackupView = z.infer<typeof backupViewSchema>;

export const restoreScopeSchema = z.enum(['database', 'all']);

export const restoreResultSchema = z.object({
  backupId: z.string(),
  scope: restoreScopeSchema,
  /** What was replaced (the database file, bot folders). */
  replaced: z.array(z.string()),
  /** Where what it replaced was kept (nothing is lost by a restore). */
  keptAt: z.array(z.string()),
  integrity: z.string(),
  rowCounts: z.record(z.string(), z.number()),
  durationMs: z.number(),
  warnings: z.array(z.string()),
});
export type RestoreResult = z.infer<typeof restoreResultSchema>;

export const checkViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['http', 'process', 'file-fresh', 'command']),
  bot: z.string().nullable(),
  enabled: z.boolean(),
  up: z.boolean().nullable(),
  consecutiveFailures: z.number().int(),
  lastAt: epochMs.nullable(),
  latencyMs: z.number().nullable(),
  message: z.string(),
  heals: z.number().int(),
  guardTripped: z.boolean(),
});
export type CheckView = z.infer<typeof checkViewSchema>;

export const reportViewSchema = z.object({
  id: z.string(),
  createdAt: epochMs,
  /** First and last day covered, epoch ms. */
  from: epochMs,
  to: epochMs,
  sizeBytes: z.number(),
});
export type ReportView = z.infer<typeof reportViewSchema>;

const jobIdInput = z.object({ jobId: z.string().min(1).max(60) }).strict();
const backupIdInput = z
  .object({ backupId: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'a backup id from maintenance.backups') })
  .strict();

export const maintenanceMethods = {
  'maintenance.jobs': method(
    z.object({}).strict(),
    z.object({ timezone: z.string(), jobs: z.array(jobViewSchema) }),
  ),
  'maintenance.history': method(
    z
      .object({
        jobId: z.string().min(1).max(60).optional(),
        limit: z.number().int().min(1).max(500).default(50),
        before: epochMs.optional(),
      })
      .strict(),
    z.object({ runs: z.array(runViewSchema) }),
  ),
  /** Starts the job now (outside its schedule); refused (conflict) while it runs. */
  'maintenance.run': method(jobIdInput, z.object({ runId: z.string() })),
  'maintenance.pause': method(jobIdInput, jobViewSchema),
  'maintenance.resume': method(jobIdInput, jobViewSchema),
  'maintenance.backups': method(
    z.object({}).strict(),
    z.object({ dir: z.string(), backups: z.array(backupViewSchema) }),
  ),
  'maintenance.verify': method(backupIdInput, backupViewSchema),
  /**
   * Replaces the database (scope all: also the bots' data folders, only while the emergency stop holds)
   * with a verified backup; `confirm` must repeat the backup id.
   */
  'maintenance.restore': method(
    backupIdInput
      .extend({
        scope: restoreScopeSchema.default('database'),
        actor: z.string().min(1).max(100).default('operator'),
        confirm: z.string().min(1).max(100),
      })
      .strict(),
    restoreResultSchema,
  ),
  'maintenance.checks': method(z.object({}).strict(), z.object({ checks: z.array(checkViewSchema) })),
  'maintenance.reports': method(
    z.object({}).strict(),
    z.object({ dir: z.string(), reports: z.array(reportViewSchema) }),
  ),
  'maintenance.report': method(
    z.object({ id: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/) }).strict(),
    z.object({ id: z.string(), html: z.string() }),
  ),
};

export const maintenanceEventSchemas = [
  z.object({ type: z.literal('maintenance.job'), job: jobViewSchema }),
  z.object({ type: z.literal('maintenance.run'), run: runViewSchema }),
  z.object({
    type: z.literal('maintenance.progress'),
    jobId: z.string(),
    runId: z.string(),
    progress: progressSchema,
  }),
  z.object({ type: z.literal('maintenance.backup'), backup: backupViewSchema }),
  z.object({ type: z.literal('maintenance.check'), check: checkViewSchema }),
  z.object({ type: z.literal('maintenance.report'), report: reportViewSchema }),
  z.object({ type: z.literal('maintenance.restored'), result: restoreResultSchema }),
] as const;
export type MaintenanceApiEvent = z.infer<(typeof maintenanceEventSchemas)[number]>;

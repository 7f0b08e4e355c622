import { z } from 'zod';
import { epochMs, method } from './contract.js';

/** Where a stop was asked for. */
export const stopSourceSchema = z.enum(['button', 'tray', 'cli', 'rule', 'shortcut']);
export type StopSource = z.infer<typeof stopSourceSchema>;

/**
 * running: in progress; done: verified that no target is left; survivors: some targets outlived the
 * forced kill (listed); interrupted: Nexus Ops ended during the run (found at the next start).
 */
export const stopRunStatusSchema = z.enum(['running', 'done', 'survivors', 'interrupted']);
export type StopRunStatus = z.infer<typeof stopRunStatusSchema>;

export const stopPhaseSchema = z.enum([
  'requested',
  'kill-switch',
  'schedules',
  'snapshot',
  'graceful',
  'force',
  'verify',
  'done',
]);
export type StopPhase = z.infer<typeof stopPhaseSchema>;

export const stopSurvivorSchema = z.object({
  pid: z.number().int(),
  name: z.string(),
  family: z.string(),
  /** Why it is still there, e.g. "access denied", "still running after a forced kill". */
  reason: z.string(),
});
export type StopSurvivor = z.infer<typeof stopSurvivorSchema>;

export const stopCountsSchema = z.object({
  /** Processes in the snapshot (plus any found by the re-scans). */
  targets: z.number().int(),
  /** Exited, by the graceful request or by force. */
  stopped: z.number().int(),
  /** Needed the forced kill. */
  forced: z.number().int(),
  survivors: z.number().int(),
});
export type StopCounts = z.infer<typeof stopCountsSchema>;

export const stopStepSchema = z.object({ phase: stopPhaseSchema, at: epochMs, ms: z.number() });

export const stopRunSchema = z.object({
  id: z.string(),
  source: stopSourceSchema,
  /** Operator name, `rule:<id>`, or the CLI user. */
  actor: z.string(),
  reason: z.string(),
  ruleId: z.string().nullable(),
  alertId: z.string().nullable(),
  requestedAt: epochMs,
  finishedAt: epochMs.nullable(),
  durationMs: z.number().nullable(),
  status: stopRunStatusSchema,
  counts: stopCountsSchema,
  /** Targets per family (snapshot plus re-scans). */
  families: z.record(z.string(), z.number().int()),
  survivors: z.array(stopSurvivorSchema),
  killSwitch: z.object({
    written: z.array(z.string()),
    failed: z.array(z.object({ path: z.string(), error: z.string() })),
  }),
  pausedSchedules: z.array(z.string()),
  /** Task Scheduler tasks this run disabled (they were enabled): resume re-enables exactly these. */
  disabledTasks: z.array(z.string()),
  /** Problems that did not stop the run (a task that could not be disabled, the database). */
  errors: z.array(z.string()),
  /** An automatic stop: the values that crossed and the log records behind them, in words. */
  evidence: z.array(z.string()).default([]),
  steps: z.array(stopStepSchema),
  /** The database refused writes during the run; it was recorded afterwards. */
  recordedLate: z.boolean(),
  resumedAt: epochMs.nullable(),
  resumedBy: z.string().nullable(),
  resumeReason: z.string().nullable(),
});
export type StopRun = z.infer<typeof stopRunSchema>;

export const stopStatusSchema = z.object({
  stopped: z.boolean(),
  /** Since when (the first unresumed run), or null. */
  since: epochMs.nullable(),
  running: z.boolean(),
  /** The latest run (running or finished), or null when there never was one. */
  latest: stopRunSchema.nullable(),
  killSwitch: z.object({ file: z.string(), present: z.array(z.string()) }),
  /** Automatic triggers are refused until then (after a resume). */
  cooldownUntil: epochMs.nullable(),
  /** Stop records waiting for the database to accept writes. */
  unrecorded: z.number().int(),
});
export type StopStatus = z.infer<typeof stopStatusSchema>;

const actorInput = z.string().trim().min(1).max(100);

export const stopTriggerInput = z
  .object({
    source: stopSourceSchema.default('button'),
    actor: actorInput.default('operator'),
    /** One click acts at once: an empty reason is filled with the door's name. */
    reason: z.string().trim().max(500).default(''),
    ruleId: z.string().max(100).optional(),
    alertId: z.string().max(100).optional(),
  })
  .strict();

export const stopResumeInput = z
  .object({
    actor: actorInput.default('operator'),
    reason: z.string().trim().min(1, 'a resume needs a reason').max(500),
  })
  .strict();

export const stopHistoryInput = z
  .object({
    limit: z.number().int().min(1).max(500).default(50),
    /** Paging: only runs requested before this time. */
    before: epochMs.optional(),
  })
  .strict();

/**
 * `stop.trigger` awaits the whole run (seconds: the grace period plus verification) and returns its
 * result; `stop.progress` events stream every phase meanwhile. A trigger while a run is in progress
 * joins that run instead of starting another.
 */
export const stopMethods = {
  'stop.trigger': method(stopTriggerInput, stopRunSchema),
  'stop.resume': method(stopResumeInput, stopStatusSchema),
  'stop.status': method(z.object({}).strict(), stopStatusSchema),
  'stop.history': method(stopHistoryInput, z.object({ runs: z.array(stopRunSchema) })),
};

export const stopProgressEventSchema = z.object({
  type: z.literal('stop.progress'),
  runId: z.string(),
  phase: stopPhaseSchema,
  at: epochMs,
  counts: stopCountsSchema,
  /** Targets not yet gone. */
  remaining: z.number().int(),
  message: z.string().optional(),
});
export const stopResultEventSchema = z.object({ type: z.literal('stop.result'), run: stopRunSchema });
export const stopStateEventSchema = z.object({ type: z.literal('stop.state'), status: stopStatusSchema });

/** Add these to the API event union (discriminated on `type`). */
export const stopEventSchemas = [
  stopProgressEventSchema,
  stopResultEventSchema,
  stopStateEventSchema,
] as const;
export type StopProgressEvent = z.infer<typeof stopProgressEventSchema>;
export type StopApiEvent =
  | StopProgressEvent
  | z.infer<typeof stopResultEventSchema>
  | z.infer<typeof stopStateEventSchema>;

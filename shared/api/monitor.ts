import { z } from 'zod';
import { epochMs, method } from './contract.js';

/**
 * The monitoring engine's API: full system metrics and process families. CPU percentages are shares
 * of the whole machine (0-100, as Windows Task Manager shows them); bytes are bytes, rates per second.
 */

export const cpuMetricsSchema = z.object({
  totalPct: z.number(),
  /** One entry per logical CPU, in OS order. */
  cores: z.array(z.number()),
});

export const memoryMetricsSchema = z.object({
  totalBytes: z.number(),
  usedBytes: z.number(),
  availableBytes: z.number(),
  usedPct: z.number(),
  swapTotalBytes: z.number(),
  swapUsedBytes: z.number(),
  swapUsedPct: z.number(),
});

export const diskSpaceMetricsSchema = z.object({
  mount: z.string(),
  totalBytes: z.number(),
  freeBytes: z.number(),
  usedBytes: z.number(),
  freePct: z.number(),
});

export const diskIoMetricsSchema = z.object({
  device: z.string(),
  readBps: z.number(),
  writeBps: z.number(),
  readIops: z.number(),
  writeIops: z.number(),
});

export const netMetricsSchema = z.object({
  iface: z.string(),
  rxBps: z.number(),
  txBps: z.number(),
});

export const samplerStatsSchema = z.object({
  intervalMs: z.number(),
  /** How late the last cycle started compared with its slot. */
  lagMs: z.number(),
  /** Slots skipped because a cycle was still running. */
  skipped: z.number(),
  /** Duration of the last cycle (all sampling, the process scan included). */
  lastCycleMs: z.number(),
});

/** Everything the System page shows, refreshed every live tick. */
export const systemMetricsSchema = z.object({
  ts: epochMs,
  cpu: cpuMetricsSchema,
  memory: memoryMetricsSchema,
  /** Disk space is refreshed on its own (slower) cadence; `disksTs` says when. */
  disks: z.array(diskSpaceMetricsSchema),
  disksTs: epochMs.nullable(),
  diskIo: z.array(diskIoMetricsSchema),
  net: z.array(netMetricsSchema),
  sampler: samplerStatsSchema,
});
export type SystemMetrics = z.infer<typeof systemMetricsSchema>;

export const processStateSchema = z.enum([
  'running',
  'sleeping',
  'disk-sleep',
  'zombie',
  'stopped',
  'not-responding',
  'unknown',
]);

export const processInstanceSchema = z.object({
  pid: z.number().int(),
  ppid: z.number().int(),
  /**
   * The run this process is an instance of: the pid of the run's first process (itself when no
   * ancestor is in the same family; e.g. tsx's node child belongs to the tsx cli's run).
   */
  runPid: z.number().int(),
  name: z.string(),
  /** Secrets masked. */
  cmdline: z.string(),
  cpuPct: z.number(),
  rssBytes: z.number(),
  startTime: epochMs,
  state: processStateSchema,
  /** Linux: in D state across scans for longer than hungAfterSeconds; Windows: window not responding. */
  hung: z.boolean(),
  /** No living ancestor in the family's runner family (e.g. a bot Chrome whose Python died). */
  orphan: z.boolean(),
});
export type ProcessInstance = z.infer<typeof processInstanceSchema>;

/** Resident-memory trend of a family over the leak window (least squares over stored history). */
export const leakTrendSchema = z.object({
  /** Growth sustained across the window: the smallest of the whole-window and each half's slope, MiB/h. */
  mbPerHour: z.number(),
  /** Whole-window slope, MiB/h. */
  slopeMbPerHour: z.number(),
  /** Hours of history the fit used. */
  coveredHours: z.number(),
  /** mbPerHour above the threshold with the whole window covered (Phase 6: > 10MB/hour for 6h). */
  flagged: z.boolean(),
});
export type LeakTrend = z.infer<typeof leakTrendSchema>;

export const familySummarySchema = z.object({
  name: z.string(),
  /** Processes. */
  count: z.number().int(),
  /**
   * Runs: processes with no ancestor in the same family. One TradingAssistantX run (tsx cli and its
   * node child) is one run of two processes; a Chrome browser with its helpers is one run.
   */
  runs: z.number().int(),
  cpuPct: z.number(),
  rssBytes: z.number(),
  /** Linux: processes in Z state; Windows: also orphans (its runner died). */
  zombies: z.number().int(),
  orphans: z.number().int(),
  hung: z.number().int(),
  /** null until an hour of history exists. */
  leak: leakTrendSchema.nullable(),
  stopOnEmergency: z.boolean(),
});
export type FamilySummary = z.infer<typeof familySummarySchema>;

export const familiesOutput = z.object({
  ts: epochMs,
  /** Processes seen in the scan, all families or none. */
  totalProcesses: z.number().int(),
  families: z.array(familySummarySchema),
});

export const instancesOutput = z.object({
  ts: epochMs,
  family: z.string(),
  instances: z.array(processInstanceSchema),
});

export const monitorMethods = {
  /** The latest full system metrics; null before the first cycle. */
  'system.metrics': method(z.object({}).strict(), systemMetricsSchema.nullable()),
  /** Per family: count, CPU, memory, zombies, hung, leak trend; null before the first scan. */
  'processes.families': method(z.object({}).strict(), familiesOutput.nullable()),
  /** The processes of one family (not_found for an unknown family; null before the first scan). */
  'processes.instances': method(
    z.object({ family: z.string().min(1).max(100) }).strict(),
    instancesOutput.nullable(),
  ),
};

/** Every live tick. */
export const metricsEventSchema = z.object({
  type: z.literal('metrics'),
  metrics: systemMetricsSchema,
});

/** Every process scan (summaries only; instances are fetched on demand). */
export const processesEventSchema = z.object({
  type: z.literal('processes'),
  ts: epochMs,
  totalProcesses: z.number().int(),
  families: z.array(familySummarySchema),
});

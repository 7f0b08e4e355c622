import { z } from 'zod';

/** Python logging's levels, lowest first (the Phase 6 document's DEBUG|INFO|WARNING|ERROR|CRITICAL). */
export const logLevels = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;
export type LogLevel = (typeof logLevels)[number];

/** Spellings bots use for a level (Python's WARN and FATAL, lower case, Node's warn/error). */
const LEVEL_NAMES = new Map<string, LogLevel>([
  ['DEBUG', 'DEBUG'],
  ['TRACE', 'DEBUG'],
  ['INFO', 'INFO'],
  ['INFORMATION', 'INFO'],
  ['NOTICE', 'INFO'],
  ['WARNING', 'WARNING'],
  ['WARN', 'WARNING'],
  ['ERROR', 'ERROR'],
  ['ERR', 'ERROR'],
  ['CRITICAL', 'CRITICAL'],
  ['FATAL', 'CRITICAL'],
  ['CRIT', 'CRITICAL'],
]);

/** A level as a bot spelled it, or null. */
export function parseLevel(text: string): LogLevel | null {
  // Looked up as written first: the level is a piece of a line that holds Japanese, and upper-casing
  // such a string takes ICU's slow path (about a thousand instructions per record, counted).
  return LEVEL_NAMES.get(text) ?? LEVEL_NAMES.get(text.toUpperCase()) ?? null;
}

const days = z.number().positive().max(36_500);

/**
 * How long records of each level are kept (the Phase 6 document's ログ管理戦略: DEBUG 7 days, INFO 30,
 * WARNING 90, ERROR 1 year, CRITICAL permanently). `forever` keeps them.
 */
export const logRetentionSchema = z.strictObject({
  debug: days.default(7),
  info: days.default(30),
  warning: days.default(90),
  error: days.default(365),
  critical: z.union([days, z.literal('forever')]).default('forever'),
});
export type LogRetentionConfig = z.output<typeof logRetentionSchema>;

/**
 * The `logs:` section: ingestion of every bot's log files (`bots[].logs`) and of the output Nexus Ops
 * captures from the bots it supervises, into one searchable store.
 */
export const logsConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  retentionDays: logRetentionSchema.prefault({}),
  /**
   * Extra masking patterns (RE2 syntax, linear time), applied after the built-in set (API keys, bearer
   * tokens, passwords, cookies, session ids). The whole match is replaced by [masked], or only the
   * group named `secret` when the pattern has one: `session=(?P<secret>[0-9a-f]{16,})`.
   */
  mask: z.array(z.string().min(1).max(1000)).max(100).default([]),
  /** How often files are read; a new line reaches the Logs page within about this plus the push. */
  tailIntervalMs: z.number().int().min(100).max(10_000).default(250),
  /** How often globs are expanded again to find new files (the bound: 2 s). */
  discoverIntervalMs: z.number().int().min(250).max(60_000).default(1000),
  /** A longer line is stored cut at this many bytes and counted as bad. */
  maxLineBytes: z
    .number()
    .int()
    .min(1024)
    .max(1024 * 1024)
    .default(64 * 1024),
  /**
   * IANA time zone of timestamps without one (Python's asctime is local time). Default: this PC's zone,
   * which is the bots' zone when they run on the same PC.
   */
  timezone: z.string().min(1).optional(),
  /** Ingest the output captured from supervised bots (`<dataDir>/bots/<id>/output/`). */
  captureOutput: z.boolean().default(true),
});
export type LogsConfig = z.output<typeof logsConfigSchema>;
export type LogsConfigInput = z.input<typeof logsConfigSchema>;

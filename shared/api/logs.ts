import { z } from 'zod';
import { botIdSchema, logFormats } from '../config/bots.js';
import { logLevels } from '../config/logs.js';
import { epochMs, method } from './contract.js';

export const logLevelSchema = z.enum(logLevels);

/** One stored log record: a line, or a line with its continuation lines (a traceback, an object dump). */
export const logRecordSchema = z.object({
  id: z.number().int(),
  /** The record's own timestamp, or the arrival time for captured output and lines without one. */
  ts: epochMs,
  level: logLevelSchema,
  botId: z.string(),
  account: z.string().nullable(),
  /** The execution id (`ExecutionID: exec_…`) or the JSON lines' correlation_id. */
  traceId: z.string().nullable(),
  logger: z.string().nullable(),
  /** For captured output: which pipe the line came from. */
  stream: z.enum(['stdout', 'stderr']).nullable(),
  /** Masked text; multi-line for tracebacks and object dumps. */
  message: z.string(),
  /** Extra structured fields (the JSON lines' metadata, a regex parser's other groups), masked. */
  fields: z.record(z.string(), z.unknown()).nullable(),
  /** No parser understood the line (kept as it was, counted as a bad line). */
  raw: z.boolean(),
  /** The line was cut at logs.maxLineBytes. */
  truncated: z.boolean(),
  fileId: z.number().int(),
});
export type LogRecord = z.infer<typeof logRecordSchema>;

export const logHitSchema = logRecordSchema.extend({
  /** [start, end) ranges of the message (UTF-16 indexes) that match the query's terms. */
  highlights: z.array(z.tuple([z.number().int(), z.number().int()])),
});
export type LogHit = z.infer<typeof logHitSchema>;

/** Paging position: the last record of the previous page (results are newest first). */
export const logCursorSchema = z.object({ ts: epochMs, id: z.number().int() });
export type LogCursor = z.infer<typeof logCursorSchema>;

const shortText = z.string().trim().min(1).max(200);

export const logFilterSchema = z
  .object({
    /** Terms separated by spaces (also U+3000), "quoted phrases"; all must occur (case-insensitive for ASCII). */
    query: z.string().max(500).default(''),
    bots: z.array(botIdSchema).max(50).optional(),
    accounts: z.array(shortText).max(50).optional(),
    levels: z.array(logLevelSchema).max(5).optional(),
    from: epochMs.optional(),
    to: epochMs.optional(),
    traceId: shortText.optional(),
  })
  .strict();
export type LogFilter = z.input<typeof logFilterSchema>;

export const logsSearchInput = logFilterSchema
  .extend({
    limit: z.number().int().min(1).max(1000).default(100),
    before: logCursorSchema.optional(),
  })
  .strict();

export const logsSearchOutput = z.object({
  hits: z.array(logHitSchema),
  /** More (older) records match: ask again with `before` = nextCursor. */
  hasMore: z.boolean(),
  nextCursor: logCursorSchema.nullable(),
  /** The query's terms, for highlighting records that arrive later (the live tail). */
  terms: z.array(z.string()),
  tookMs: z.number(),
});
export type LogsSearchOutput = z.infer<typeof logsSearchOutput>;

export const logsContextOutput = z.object({
  record: logRecordSchema,
  /** Records of the same bot just before and after it, oldest first. */
  before: z.array(logRecordSchema),
  after: z.array(logRecordSchema),
  /** Every record with the same execution / correlation id, oldest first (capped at `traceLimit`). */
  trace: z.array(logRecordSchema),
  traceTruncated: z.boolean(),
  file: z.object({ id: z.number().int(), path: z.string(), source: z.string() }).nullable(),
});
export type LogsContext = z.infer<typeof logsContextOutput>;

export const logFileStateSchema = z.object({
  id: z.number().int(),
  path: z.string(),
  /** active: followed; gone: deleted or rotated out of reach, everything it held was read. */
  state: z.enum(['active', 'gone']),
  format: z.enum(logFormats).nullable(),
  encoding: z.string().nullable(),
  account: z.string().nullable(),
  /** Bytes read and stored (committed with the lines). */
  offset: z.number().int(),
  size: z.number().int().nullable(),
  lines: z.number().int(),
  records: z.number().int(),
  badLines: z.number().int(),
  duplicates: z.number().int(),
  firstSeenAt: epochMs,
  lastReadAt: epochMs.nullable(),
  lastError: z.string().nullable(),
});
export type LogFileState = z.infer<typeof logFileStateSchema>;

export const logSourceStateSchema = z.object({
  botId: z.string(),
  /** The glob of a `bots[].logs` entry, or `output` for the captured stdout/stderr. */
  source: z.string(),
  kind: z.enum(['file', 'output']),
  format: z.enum(logFormats),
  encoding: z.string(),
  /** Where the glob points (absolute). */
  pattern: z.string(),
  files: z.array(logFileStateSchema),
  lastError: z.string().nullable(),
});
export type LogSourceState = z.infer<typeof logSourceStateSchema>;

export const logsSourcesOutput = z.object({
  enabled: z.boolean(),
  sources: z.array(logSourceStateSchema),
  totals: z.object({
    records: z.number().int(),
    badLines: z.number().int(),
    duplicates: z.number().int(),
    expired: z.number().int(),
  }),
  lastPassAt: epochMs.nullable(),
});
export type LogsSources = z.infer<typeof logsSourcesOutput>;

export const logsMethods = {
  'logs.search': method(logsSearchInput, logsSearchOutput),
  'logs.context': method(
    z
      .object({
        id: z.number().int().nonnegative(),
        around: z.number().int().min(0).max(200).default(20),
        traceLimit: z.number().int().min(1).max(2000).default(500),
      })
      .strict(),
    logsContextOutput,
  ),
  'logs.sources': method(z.object({}).strict(), logsSourcesOutput),
};

/** New records as they are stored (the live tail); a burst sends the newest ones and says how many it left out. */
export const logsRecordsEventSchema = z.object({
  type: z.literal('logs.records'),
  records: z.array(logRecordSchema),
  omitted: z.number().int(),
});
export type LogsRecordsEvent = z.infer<typeof logsRecordsEventSchema>;

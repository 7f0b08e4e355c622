/**
 * The one place that knows the shapes other capabilities announce, mapped to telemetry's own inputs
 * (TelemetryRecord, RunSignal). When the logs and bots capabilities land, their hooks are wired to these
 * functions in electron/core/index.ts; nothing else in telemetry changes.
 *
 * - `recordsFromLogs(payload)`: the stored records the logs capability announces (hook `logs.records`).
 *   It takes `{ records: [...] }` or a plain array; each record's fields under the names the logs
 *   capability and the Phase 6 JSON-lines schema use (id, bot, account / account_id, ts / timestamp,
 *   level, stream, message, traceback / detail, fields / metadata, execution / correlation id, source /
 *   file). A record without a bot, a message or a time is skipped (counted in `skipped`).
 * - `runSignalFromExit(...)`: a supervised bot's process ended with an exit code (the bots capability's
 *   state events), or Task Scheduler's last run result of an external bot.
 * - `runStartsFromLogs(payload, fileOf)`: a new per-run log file (Nexus 02's
 *   `<account>_<YYYYMMDD_HHMMSS>.log`) whose first records the batch holds is the start of a run.
 */
import { parseLevel } from '../../../shared/config/logs.js';
import type { RunSignal, TelemetryRecord } from './types.js';

function str(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

function timeOf(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string') {
    const t = Date.parse(v);
    return Number.isFinite(t) ? t : undefined;
  }
  return undefined;
}

function objectOf(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

/** One announced record → a TelemetryRecord, or undefined when it lacks what telemetry needs. */
export function recordFromLog(item: unknown): TelemetryRecord | undefined {
  const r = objectOf(item);
  if (!r) return undefined;
  const fields = objectOf(r.fields) ?? objectOf(r.data);
  const metadata = objectOf(r.metadata);
  const allFields = fields ?? (metadata ? { metadata } : undefined);
  const id = str(r.id) ?? str(r.recordId);
  const bot = str(r.bot) ?? str(r.botId);
  const rawMessage = str(r.message) ?? str(r.msg) ?? str(r.text);
  const ts = timeOf(r.ts) ?? timeOf(r.time) ?? timeOf(r.timestamp) ?? timeOf(r.arrivedAt);
  if (id === undefined || bot === undefined || rawMessage === undefined || ts === undefined) return undefined;
  // A message that carries its continuation lines keeps the first line as the message.
  const newline = rawMessage.indexOf('\n');
  const message = newline >= 0 ? rawMessage.slice(0, newline).replace(/\r$/, '') : rawMessage;
  const traceback = r.traceback ?? r.detail ?? r.continuation;
  const detail =
    Array.isArray(traceback) && traceback.every((l) => typeof l === 'string')
      ? traceback.join('\n')
      : (str(traceback) ?? (newline >= 0 ? rawMessage.slice(newline + 1) : undefined));
  const levelText = str(r.level);
  const level = (levelText && parseLevel(levelText)) || undefined;
  const stream = r.stream === 'stdout' || r.stream === 'stderr' ? r.stream : undefined;
  const account = str(r.account) ?? str(r.accountId) ?? str(r.account_id) ?? str(allFields?.account_id);
  const executionId =
    str(r.traceId) ??
    str(r.executionId) ??
    str(r.execution_id) ??
    str(r.correlationId) ??
    str(r.correlation_id) ??
    str(allFields?.correlation_id);
  const source = str(r.source) ?? str(r.file) ?? str(r.path) ?? str(r.fileId);
  // Assigned one by one rather than spread from small objects: this runs for every stored log record.
  const out: TelemetryRecord = { id, bot, ts, message };
  if (account !== undefined) out.account = account;
  if (level) out.level = level;
  if (stream) out.stream = stream;
  if (detail) out.detail = detail;
  if (allFields) out.fields = allFields;
  if (executionId !== undefined) out.executionId = executionId;
  if (source !== undefined) out.source = source;
  return out;
}

/** The items of a `logs.records` payload (`{ records: [...] }` or a plain array); none for another shape. */
export function logItems(payload: unknown): readonly unknown[] {
  const list = Array.isArray(payload) ? payload : objectOf(payload)?.records;
  return Array.isArray(list) ? list : [];
}

/** The `logs.records` payload → records telemetry reads; those it cannot use are counted, never thrown. */
export function recordsFromLogs(payload: unknown): TelemetryRecord[] & { skipped?: number } {
  const out: TelemetryRecord[] & { skipped?: number } = [];
  let skipped = 0;
  for (const item of logItems(payload)) {
    const rec = recordFromLog(item);
    if (rec) out.push(rec);
    else skipped++;
  }
  out.skipped = skipped;
  return out;
}

/**
 * A run's end with its exit code (a supervised process, or Task Scheduler's last run result of an
 * external bot's task: 0 is success; 0x41301 "still running" is not an end).
 */
export function runSignalFromExit(e: {
  bot: string;
  at: number;
  exitCode: number | null;
  from: 'process' | 'task-scheduler';
  runId?: string;
}): RunSignal | undefined {
  const TASK_STILL_RUNNING = 0x41301;
  if (e.from === 'task-scheduler' && e.exitCode === TASK_STILL_RUNNING) return undefined;
  return {
    kind: 'finish',
    bot: e.bot,
    at: e.at,
    from: e.from,
    ok: e.exitCode === null ? null : e.exitCode === 0,
    exitCode: e.exitCode,
    ...(e.runId ? { runId: e.runId } : {}),
  };
}

/** What the logs capability stored about a file (its `log_files` row). */
export interface LogFileInfo {
  /** The run's start from a per-run file's name (`<account>_<YYYYMMDD_HHMMSS>.log`); null for other files. */
  runStarted: number | null;
  /** Records stored from it so far (this batch included). */
  records: number;
  path: string;
}

/**
 * Starts of runs seen as a new per-run log file appearing: a per-run file whose records are all in this
 * batch (its first records: nothing of it was stored before). The start is the time in its name (the
 * bot's own), or its first record's when the name gives none. Several files of one run (Nexus 02
 * writes one per account) are the same run seen again: the dead-man's switch merges them.
 */
export function runStartsFromLogs(
  payload: unknown,
  fileOf: (fileId: number) => LogFileInfo | undefined,
): RunSignal[] {
  const list = logItems(payload);
  const files = new Map<number, { bot: string; first: number; firstId: string; n: number }>();
  for (const item of list) {
    const r = objectOf(item);
    const fileId = r?.fileId;
    if (typeof fileId !== 'number') continue;
    const bot = str(r?.bot) ?? str(r?.botId);
    const ts = timeOf(r?.ts) ?? timeOf(r?.timestamp);
    if (bot === undefined || ts === undefined) continue;
    const f = files.get(fileId);
    if (f) {
      f.n++;
      if (ts < f.first) f.first = ts;
    } else files.set(fileId, { bot, first: ts, firstId: str(r?.id) ?? '', n: 1 });
  }
  const out: RunSignal[] = [];
  for (const [fileId, f] of files) {
    const info = fileOf(fileId);
    if (!info || info.runStarted === null || info.records !== f.n) continue;
    out.push({
      kind: 'start',
      bot: f.bot,
      at: Math.min(info.runStarted, f.first),
      from: 'log',
      evidence: `new log file ${info.path}`,
    });
  }
  return out;
}

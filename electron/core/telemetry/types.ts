import type { TelemetryEventKind } from '../../../shared/config/telemetry.js';

export type RecordLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';

/**
 * What telemetry needs of one parsed log record (the logs capability stores and announces records;
 * `adapter.ts` maps its payload to these). Text is already masked.
 */
export interface TelemetryRecord {
  /** The stored record's id, for links from an alert or a stop to the record. */
  id: string;
  bot: string;
  /** The account the record belongs to when the parser knows it (a per-run file name, a JSON field). */
  account?: string;
  /** Epoch ms: the record's own time, or its arrival time for console output without timestamps. */
  ts: number;
  level?: RecordLevel;
  stream?: 'stdout' | 'stderr';
  /** The message (first line). */
  message: string;
  /** Continuation lines (a traceback, an object dump). */
  detail?: string;
  /** Structured fields of a JSON-lines record (the Phase 6 schema: account_id, correlation_id, metadata). */
  fields?: Readonly<Record<string, unknown>>;
  /** Execution / correlation id. */
  executionId?: string;
  /** The file it came from, or `stdout` / `stderr` of a supervised bot. */
  source?: string;
}

/** A start or end of a bot's run, as Nexus Ops sees it (never a ping the bot would have to send). */
export type RunSignal =
  | {
      kind: 'start';
      bot: string;
      at: number;
      /** process: bot.up went 0 → 1; log: a new per-run log file or a rule's run: start; task-scheduler. */
      from: 'process' | 'log' | 'task-scheduler';
      /** Pairs a start with its finish when several runs can overlap (an execution id, a log file). */
      runId?: string;
      /** What showed it, for the reason text (a file name, a record id). */
      evidence?: string;
    }
  | {
      kind: 'finish';
      bot: string;
      at: number;
      from: 'process' | 'log' | 'task-scheduler';
      runId?: string;
      /**
       * False when the run failed (exit code ≠ 0, a workflow error line, Task Scheduler's last result);
       * null when the end was seen but not its outcome (the processes left).
       */
      ok: boolean | null;
      exitCode?: number | null;
      evidence?: string;
    };

/** What one rule made of one record (or one state-file entry). */
export interface TelemetryEvent {
  kind: TelemetryEventKind;
  ruleId: string;
  bot: string;
  account: string | undefined;
  action: string | undefined;
  ts: number;
  /** Numbers the rule captured: `value` (duration ms, memory MB), `status`, `qps`, `ms`. */
  status?: number;
  value?: number;
  qps?: number;
  provider?: string;
  metric?: string;
  run?: 'start' | 'finish' | 'finish-error';
  executionId?: string;
  /** The record it came from (id and text), kept as evidence for an automatic stop. */
  recordId: string;
  text: string;
  /** Where it came from. */
  origin: 'log' | 'state-file';
}

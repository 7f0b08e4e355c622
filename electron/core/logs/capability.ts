import { join } from 'node:path';
import type { z } from 'zod';
import { ApiFailure } from '../../../shared/api/contract.js';
import type { LogFileState, LogRecord, LogSourceState, logFilterSchema } from '../../../shared/api/logs.js';
import { logsSearchInput } from '../../../shared/api/logs.js';
import type { BotConfig } from '../../../shared/config/bots.js';
import type { LogLevel, LogsConfig } from '../../../shared/config/logs.js';
import type { Config, ConfigIssue } from '../../../shared/config/schema.js';
import type { Capability, CoreContext, HandlersOf } from '../capability/index.js';
import type { JobSpec } from '../jobs/index.js';
import { compileGlob } from './glob.js';
import { createIngestEngine, type SourceSpec } from './ingest.js';
import { compileMaskPatterns, createMasker } from './mask.js';
import type { FileFormat } from './parsers/detect.js';
import { compileOperatorPattern } from './patterns.js';
import { levelName } from './record.js';
import { type Batch, createLogsRepo, type StoredRecord } from './repo.js';
import { createLogsQueries, type SearchInput } from './search.js';
import { createWallClock } from './time.js';

const DAY = 86_400_000;
/** Records pushed to the UI per batch (the live tail); a burst beyond it says how many it left out. */
const EVENT_RECORDS = 200;
/** Time a pass may spend reading before it yields to the rest of the app. */
const PASS_BUDGET_MS = 150;
const PRUNE_BUDGET_MS = 200;
const PRUNE_ROWS = 5_000;

/** What other capabilities use: the incident timeline reads records through it. */
export interface LogsPort {
  search(filter: z.input<typeof logFilterSchema> & { limit?: number; before?: { ts: number; id: number } }): {
    hits: LogRecord[];
    hasMore: boolean;
    nextCursor: { ts: number; id: number } | null;
  };
  /** A record with the records around it and those of its execution id; null when it is gone. */
  context(id: number, around?: number): ReturnType<ReturnType<typeof createLogsQueries>['context']>;
}

export interface LogsCapability extends Capability {
  readonly port: LogsPort;
  /** Runs one ingestion pass now (tests and the bench drive ingestion with it). */
  ingestNow(opts?: { discover?: boolean; budgetMs?: number }): { records: number; more: boolean };
  /** Runs retention pruning until done or the budget is spent. */
  pruneNow(opts?: { budgetMs?: number }): { deleted: number; done: boolean };
}

function retentionMs(c: LogsConfig): Record<LogLevel, number | null> {
  const r = c.retentionDays;
  return {
    DEBUG: r.debug * DAY,
    INFO: r.info * DAY,
    WARNING: r.warning * DAY,
    ERROR: r.error * DAY,
    CRITICAL: r.critical === 'forever' ? null : r.critical * DAY,
  };
}

/** The sources of one config: each enabled bot's `logs:` entries, and the output of supervised bots. */
export function sourcesOf(config: Config, dataDir: string): { specs: SourceSpec[]; issues: ConfigIssue[] } {
  const specs: SourceSpec[] = [];
  const issues: ConfigIssue[] = [];
  const bots = config.bots as BotConfig[];
  bots.forEach((bot, i) => {
    if (!bot.enabled) return;
    bot.logs.forEach((entry, j) => {
      let pattern = null;
      if (entry.format === 'regex') {
        const where = `bots.${i}.logs.${j}.pattern`;
        if (!entry.pattern) {
          issues.push({
            file: '',
            path: where,
            message: 'format: regex needs a pattern with a named group `message`',
          });
        } else {
          const c = compileOperatorPattern(entry.pattern);
          if ('error' in c) {
            issues.push({ file: '', path: where, message: `not a valid RE2 pattern: ${c.error}` });
          } else if (!('message' in c.re.namedGroups())) {
            issues.push({
              file: '',
              path: where,
              message: 'the pattern needs a named group `message`: (?P<message>.*)',
            });
          } else pattern = c.re;
        }
      }
      specs.push({
        botId: bot.id,
        source: entry.path,
        kind: 'file',
        glob: compileGlob(entry.path, bot.root),
        format: entry.format as FileFormat | 'auto',
        encoding: entry.encoding,
        pattern,
      });
    });
    if (bot.run.mode === 'supervised' && config.logs.captureOutput) {
      specs.push({
        botId: bot.id,
        source: 'output',
        kind: 'output',
        glob: compileGlob(join(dataDir, 'bots', bot.id, 'output', '*.log'), dataDir),
        format: 'capture',
        encoding: 'utf-8',
        pattern: null,
      });
    }
  });
  return { specs, issues };
}

/**
 * Log ingestion, storage, search and the live tail (issue 11). Files are read by the `logs.tail` job,
 * records pruned per level by `logs.prune`; stored records are pushed to the UI (`logs.records`) and
 * announced inside core on the `logs.records` hook (KPI extraction).
 */
export function createLogsCapability(ctx: CoreContext): LogsCapability {
  const db = ctx.store.db;
  const repo = createLogsRepo(db);
  const queries = createLogsQueries(db);
  let direct = false;
  let lastDiscover = Number.NEGATIVE_INFINITY;
  let lastPassAt: number | null = null;
  let issues: ConfigIssue[] = [];
  let config: LogsConfig = ctx.config.current().logs;
  const forgotten: number[] = [];

  function announce(stored: readonly StoredRecord[]): void {
    const records: LogRecord[] = stored.map(({ id, row }) => ({
      id,
      ts: row.ts,
      level: levelName(row.level),
      botId: row.botId,
      account: row.account,
      traceId: row.traceId,
      logger: row.logger,
      stream: row.stream === 1 ? 'stdout' : row.stream === 2 ? 'stderr' : null,
      message: row.msg.masked,
      fields: row.fields ? (JSON.parse(row.fields) as Record<string, unknown>) : null,
      raw: (row.flags & 1) === 1,
      truncated: (row.flags & 2) === 2,
      fileId: row.fileId,
    }));
    ctx.hooks.emit('logs.records', { records });
    const shown = records.length > EVENT_RECORDS ? records.slice(-EVENT_RECORDS) : records;
    ctx.emit({ type: 'logs.records', records: shown, omitted: records.length - shown.length });
  }

  const engine = createIngestEngine(
    {
      write(batch: Batch) {
        direct = true;
        let outcome: ReturnType<typeof ctx.store.writes.write>;
        try {
          outcome = ctx.store.writes.write('logs', (d) => repo.writeBatch(d, batch, direct), {
            rows: Math.max(1, batch.records.length),
          });
        } finally {
          direct = false;
        }
        if (outcome !== 'written') repo.invalidateMessages();
        return outcome;
      },
      waiting: () => {
        // Writes that wait are retried here too (at the write path's own pace), not only by other writers.
        if (ctx.store.writes.waitingFor('logs') > 0) ctx.store.writes.flush();
        return ctx.store.writes.waitingFor('logs');
      },
      onStored: announce,
      log: (m) => ctx.log.info(`logs: ${m}`),
    },
    { nextFileId: repo.maxFileId() + 1 },
  );
  engine.bindRank((id, rank) => repo.setFileRank(id, rank));

  function apply(next: Config): ConfigIssue[] {
    config = next.logs;
    const found: ConfigIssue[] = [];
    const mask = compileMaskPatterns(config.mask);
    for (const e of mask.errors)
      found.push({
        file: '',
        path: `logs.mask.${e.index}`,
        message: `not a valid RE2 pattern: ${e.message}`,
      });
    let wallClock = createWallClock();
    if (config.timezone) {
      try {
        wallClock = createWallClock(config.timezone);
        wallClock.toEpoch(2025, 1, 1, 0, 0, 0, 0);
      } catch {
        found.push({
          file: '',
          path: 'logs.timezone',
          message: `unknown time zone "${config.timezone}"; using this PC's`,
        });
        wallClock = createWallClock();
      }
    }
    const { specs, issues: sourceIssues } = config.enabled
      ? sourcesOf(next, ctx.dataDir)
      : { specs: [], issues: [] };
    found.push(...sourceIssues);
    // A source added (or added back) by this edit starts from what the database holds for it.
    engine.load(repo.loadFiles());
    engine.configure(
      specs,
      {
        maxLineBytes: config.maxLineBytes,
        retentionMs: retentionMs(config),
        wallClock,
        masker: createMasker(mask.patterns),
        quietCheckMs: config.discoverIntervalMs,
      },
      ctx.clock.now(),
    );
    lastDiscover = Number.NEGATIVE_INFINITY;
    const file = ctx.config.file;
    issues = found.map((i) => ({ ...i, file }));
    return issues;
  }
  apply(ctx.config.current());

  function ingestNow(opts: { discover?: boolean; budgetMs?: number } = {}) {
    const now = ctx.clock.now();
    if (forgotten.length > 0) engine.forgetMessages(forgotten.splice(0));
    const discover = opts.discover ?? now - lastDiscover >= config.discoverIntervalMs;
    if (discover) lastDiscover = now;
    const r = engine.pass({ now, discover, budgetMs: opts.budgetMs ?? PASS_BUDGET_MS });
    lastPassAt = now;
    return { records: r.records, more: r.more };
  }

  function pruneNow(opts: { budgetMs?: number } = {}) {
    const deadline = performance.now() + (opts.budgetMs ?? PRUNE_BUDGET_MS);
    const now = ctx.clock.now();
    const keep = retentionMs(config);
    let deleted = 0;
    let done = true;
    for (const [name, ms] of Object.entries(keep) as [LogLevel, number | null][]) {
      if (ms === null) continue;
      const level = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 }[name];
      for (;;) {
        let step: ReturnType<typeof repo.pruneStep> | null = null;
        const outcome = ctx.store.writes.write(
          'logs',
          (d) => {
            step = repo.pruneStep(d, level, now - ms, PRUNE_ROWS);
            forgotten.push(...step.deletedMessages);
          },
          { rows: 1 },
        );
        const s = step as ReturnType<typeof repo.pruneStep> | null;
        if (outcome !== 'written' || !s) {
          done = false;
          return { deleted, done };
        }
        deleted += s.deleted;
        if (s.done) break;
        if (performance.now() >= deadline) return { deleted, done: false };
      }
    }
    return { deleted, done };
  }

  function fileStates(
    botId: string,
    source: string,
    live: Map<number, { size: number | null; lastError: string | null }>,
  ): LogFileState[] {
    const rows = db
      .prepare<
        [string, string],
        {
          id: number;
          path: string;
          state: 'active' | 'gone';
          format: string | null;
          encoding: string | null;
          account: string | null;
          offset: number;
          size: number | null;
          lines: number;
          records: number;
          bad_lines: number;
          duplicates: number;
          first_seen: number;
          last_read: number | null;
          last_error: string | null;
        }
      >(
        `SELECT id, path, state, format, encoding, account, offset, size, lines, records, bad_lines, duplicates,
           first_seen, last_read, last_error
         FROM log_files WHERE bot_id = ? AND source = ? ORDER BY state = 'gone', id DESC LIMIT 100`,
      )
      .all(botId, source);
    return rows.map((r) => ({
      id: r.id,
      path: r.path,
      state: r.state,
      format: r.format === 'capture' ? 'console' : ((r.format as LogFileState['format']) ?? null),
      encoding: r.encoding,
      account: r.account,
      offset: r.offset,
      size: live.get(r.id)?.size ?? r.size,
      lines: r.lines,
      records: r.records,
      badLines: r.bad_lines,
      duplicates: r.duplicates,
      firstSeenAt: r.first_seen,
      lastReadAt: r.last_read,
      lastError: live.get(r.id)?.lastError ?? r.last_error,
    }));
  }

  const port: LogsPort = {
    search(filter) {
      const input = logsSearchInput.parse(filter) as SearchInput;
      const r = queries.search(input);
      return { hits: r.hits, hasMore: r.hasMore, nextCursor: r.nextCursor };
    },
    context: (id, around = 20) => queries.context(id, around, 500),
  };

  const handlers: HandlersOf<'logs'> = {
    'logs.search': (input) => queries.search(input),
    'logs.context': ({ id, around, traceLimit }) => {
      const c = queries.context(id, around, traceLimit);
      if (!c)
        throw new ApiFailure(
          'not_found',
          `log record ${id} does not exist (it may have passed its retention)`,
        );
      return c;
    },
    'logs.sources': () => {
      const status = engine.status();
      const live = new Map<number, { size: number | null; lastError: string | null }>();
      for (const s of status)
        for (const f of s.files) live.set(f.id, { size: f.size, lastError: f.lastError });
      const sources: LogSourceState[] = status.map((s) => ({
        botId: s.spec.botId,
        source: s.spec.source,
        kind: s.spec.kind,
        format: s.spec.format === 'capture' ? 'console' : s.spec.format,
        encoding: s.spec.encoding,
        pattern: s.spec.glob.pattern,
        files: fileStates(s.spec.botId, s.spec.source, live),
        lastError: s.lastError,
      }));
      const t = db
        .prepare<
          [],
          { records: number | null; bad: number | null; dups: number | null; expired: number | null }
        >(
          'SELECT sum(records) AS records, sum(bad_lines) AS bad, sum(duplicates) AS dups, sum(expired) AS expired FROM log_files',
        )
        .get();
      return {
        enabled: config.enabled,
        sources,
        totals: {
          records: t?.records ?? 0,
          badLines: t?.bad ?? 0,
          duplicates: t?.dups ?? 0,
          expired: t?.expired ?? 0,
        },
        lastPassAt,
      };
    },
  };

  const jobs: JobSpec[] = [
    {
      name: 'logs.tail',
      // Idle (no file, or only quiet ones) the pass comes at the discovery cadence: on a whole second
      // with the other jobs, instead of waking the process four times a second for nothing.
      schedule: {
        every: () =>
          engine.wantsFastPass()
            ? config.tailIntervalMs
            : Math.max(config.tailIntervalMs, config.discoverIntervalMs),
      },
      run: () => {
        if (config.enabled) ingestNow();
      },
    },
    {
      name: 'logs.prune',
      schedule: { every: 60_000, startAfter: 30_000 },
      run: () => pruneNow(),
    },
  ];

  // Evidence for the checklists ("error log records overnight") and the incident timeline.
  const countErrors = db.prepare<[number, number], { n: number }>(
    'SELECT count(*) AS n FROM log_records WHERE level >= 40 AND ts BETWEEN ? AND ?',
  );
  const countErrorsOfBot = db.prepare<[number, number, string], { n: number }>(
    'SELECT count(*) AS n FROM log_records WHERE level >= 40 AND ts BETWEEN ? AND ? AND bot_id = ?',
  );
  const errorRecords = db.prepare<
    [number, number, number],
    { id: number; ts: number; level: number; bot_id: string; text: string }
  >(
    `SELECT r.id, r.ts, r.level, r.bot_id, m.text FROM log_records r JOIN log_messages m ON m.id = r.msg_id
     WHERE r.level >= 40 AND r.ts BETWEEN ? AND ? ORDER BY r.ts LIMIT ?`,
  );
  ctx.evidence.provide('logs.errors', {
    label: { ja: 'エラーログの件数', en: 'Error log records' },
    read({ from, to, params }) {
      const bot = typeof params.bot === 'string' ? params.bot : undefined;
      const n = (bot ? countErrorsOfBot.get(from, to, bot) : countErrors.get(from, to))?.n ?? 0;
      return { value: n, text: { ja: `${n} 件`, en: `${n} record${n === 1 ? '' : 's'}` } };
    },
    timeline({ from, to, limit }) {
      return errorRecords.all(from, to, limit).map((r) => ({
        at: r.ts,
        kind: 'log',
        severity: r.level >= 50 ? 'critical' : 'warning',
        text: `${r.bot_id}: ${r.text.split('\n')[0]}`,
        ref: String(r.id),
      }));
    },
  });

  return {
    name: 'logs',
    port,
    handlers,
    jobs,
    ingestNow,
    pruneNow,
    onConfig: (next) => apply(next),
    configIssues: () => issues,
    health: () => 'ok',
  };
}

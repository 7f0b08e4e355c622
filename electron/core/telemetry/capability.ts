import { randomUUID } from 'node:crypto';
import type { ConfigIssue } from '../../../shared/config/schema.js';
import type { Capability, CoreContext, HandlersOf } from '../capability/index.js';
import type { JobSpec } from '../jobs/index.js';
import {
  type LogFileInfo,
  logItems,
  recordFromLog,
  runSignalFromExit,
  runStartsFromLogs,
} from './adapter.js';
import { Telemetry } from './engine.js';
import type { RunSignal, TelemetryRecord } from './types.js';

export interface TelemetryCapability extends Capability {
  readonly telemetry: Telemetry;
  /** The door for parsed log records (the logs capability's `logs.records`, mapped by `recordFromLog`). */
  ingest(records: readonly TelemetryRecord[]): void;
  /** The door for run starts and ends the bots capability and Task Scheduler report. */
  observeRun(signal: RunSignal): void;
  /** What made an alert on one of telemetry's metrics fire, in words: the values, then the log records. */
  evidenceFor(alert: {
    metric: string;
    labels: Readonly<Record<string, string>>;
    value: number | null;
  }): string[];
}

export interface TelemetryCapabilityDeps {
  /** The emergency stop's state now (the dead-man's switch pauses while it holds the bots). */
  isStopped(): boolean;
}

const DAY = 86_400_000;
export const TELEMETRY_PUBLISH_JOB = 'telemetry.publish';

/**
 * Bot telemetry as a capability: records and run signals in, KPIs / cost / dead-man's switch states out
 * (as samples on the `samples` hook, stored in the tiers, pushed to the UI), evidence kept for every
 * telemetry alert that fires.
 */
export function createTelemetryCapability(
  ctx: CoreContext,
  deps: TelemetryCapabilityDeps,
): TelemetryCapability {
  let issues: ConfigIssue[] = [];
  const telemetry = new Telemetry({
    db: ctx.store.db,
    writes: ctx.store.writes,
    clock: ctx.clock,
    config: () => ctx.config.current(),
    configFile: ctx.config.file,
    locate: () => ctx.config.locate(),
    publish: (ts, samples) => {
      if (samples.length > 0) ctx.hooks.emit('samples', { ts, samples });
    },
    store: (samples) => ctx.store.writeSamples(samples),
    emit: (e) => ctx.emit(e),
    newId: () => randomUUID(),
    log: (m) => ctx.log.warn(m),
    statusChanged: () => ctx.hooks.emit('status.changed', {}),
    isStopped: deps.isStopped,
  });
  issues = telemetry.configIssues();

  ctx.hooks.on('samples', ({ samples }) => telemetry.onSamples(samples));
  // Evidence for the checklists and the Overview: today's cost against the budget, and the API calls.
  ctx.evidence.provide('api.cost', {
    label: { ja: '本日の API コスト', en: 'API cost today' },
    read() {
      const d = telemetry.costView().day;
      const text = `$${d.spentUsd.toFixed(2)} / $${d.budgetUsd.toFixed(0)}`;
      return { value: Math.round(d.spentUsd * 100) / 100, text: { ja: text, en: text } };
    },
  });
  ctx.evidence.provide('api.usage', {
    label: { ja: 'API 呼び出し数', en: 'API calls' },
    read({ from, to }) {
      const view = telemetry.costView();
      // The day's calls when the window is today; the month's otherwise (the finest the cost keeps).
      const period = from >= view.day.start && to <= view.day.end ? view.day : view.month;
      const n = period.calls;
      return {
        value: n,
        text: { ja: `${n.toLocaleString('ja-JP')} 回`, en: `${n.toLocaleString('en-GB')} calls` },
      };
    },
  });
  // Records the logs capability stored (masked): what the KPIs, the cost and the stop rules read; a new
  // per-run file among them is a run's start for the dead-man's switch (the logs capability's file row
  // says whether the file is a per-run file and whether these are its first records).
  let fileRow: ((id: number) => LogFileInfo | undefined) | undefined;
  const fileOf = (id: number): LogFileInfo | undefined => {
    try {
      fileRow ??= (() => {
        const q = ctx.store.db.prepare<
          [number],
          { path: string; run_started: number | null; records: number }
        >('SELECT path, run_started, records FROM log_files WHERE id = ?');
        return (fileId: number) => {
          const r = q.get(fileId);
          return r ? { path: r.path, runStarted: r.run_started, records: r.records } : undefined;
        };
      })();
      return fileRow(id);
    } catch (err) {
      ctx.log.warn(`telemetry: cannot read the log file ${id}: ${err instanceof Error ? err.message : err}`);
      return undefined;
    }
  };
  ctx.hooks.on('logs.records', (payload) => {
    telemetry.ingestEach(logItems(payload), recordFromLog);
    for (const signal of runStartsFromLogs(payload, fileOf)) telemetry.observeRun(signal);
  });
  // A supervised bot's run ended with an exit code: the dead-man's switch tells a failed run from a good one.
  const exitsSeen = new Map<string, number>();
  ctx.hooks.on('bots.state', ({ bot }) => {
    const exit = bot.lastExit;
    if (!exit || exitsSeen.get(bot.id) === exit.at) return;
    exitsSeen.set(bot.id, exit.at);
    const signal = runSignalFromExit({ bot: bot.id, at: exit.at, exitCode: exit.code, from: 'process' });
    if (signal) telemetry.observeRun(signal);
  });
  ctx.hooks.on('stop.changed', ({ stopped }) => telemetry.setStopped(stopped));
  ctx.hooks.on('stop.resumed', () => telemetry.resumed());
  ctx.hooks.on('alerts.changed', ({ alert }) => telemetry.onAlert(alert));

  const jobs: JobSpec[] = [
    { name: TELEMETRY_PUBLISH_JOB, schedule: { every: 5_000 }, run: () => telemetry.publishAll() },
    { name: 'telemetry.deadman', schedule: { every: 15_000 }, run: () => telemetry.checkDeadMen() },
    { name: 'telemetry.state-files', schedule: { every: 10_000 }, run: () => telemetry.scanStateFiles() },
    {
      name: 'telemetry.retention',
      schedule: { every: DAY, startAfter: 20 * 60_000 },
      run: () => telemetry.prune(),
    },
  ];

  const handlers: HandlersOf<'telemetry'> = {
    'telemetry.overview': () => telemetry.overview(),
    'telemetry.kpis': ({ bot }) => ({ at: ctx.clock.now(), bots: telemetry.kpiViews(ctx.clock.now(), bot) }),
    'telemetry.cost': () => telemetry.costView(),
    'telemetry.deadman': () => ({ states: telemetry.deadManViews() }),
    'telemetry.rules': () => telemetry.ruleStatus(),
    'telemetry.evidence': ({ alertId }) => telemetry.evidence(alertId),
  };

  return {
    name: 'telemetry',
    telemetry,
    handlers,
    jobs,
    ingest: (records) => telemetry.ingest(records),
    evidenceFor: ({ metric, labels, value }) => {
      const e = telemetry.evidenceFor(metric, labels, value);
      return [
        ...e.facts,
        ...e.records.map((r) => `log ${r.id} (${new Date(r.ts).toISOString()}): ${r.text}`),
      ];
    },
    observeRun: (signal) => telemetry.observeRun(signal),
    onConfig: (config) => {
      issues = telemetry.setConfig(config);
      return issues;
    },
    configIssues: () => telemetry.configIssues(),
    start: () => telemetry.checkDeadMen(),
    close: () => telemetry.flush(),
  };
}

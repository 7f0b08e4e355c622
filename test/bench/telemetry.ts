/**
 * Bot telemetry figures (issue 12), each next to a baseline measured in the same run:
 *
 * - `telemetry`: KPI and cost computation at 1 000 records/s (both bots' real formats, a generated day
 *   replayed in real time in 100 ms batches, the 5 s publish job, the 15 s dead-man's switch job, a real
 *   SQLite file): CPU % of one core, next to a loop that feeds the same batches to a consumer that only
 *   counts them. Also the same at full speed (records/s one core sustains).
 * - `telemetry-stop-latency`: the 5th failure in a row (the shipped stop rule) → the emergency stop's
 *   `stop.progress` 'requested', in a real started core, three ways in the same run: the line appended
 *   by the bot to a log file the logs capability already follows (the whole pipeline: tail job, parse,
 *   store, `logs.records` hook, telemetry, alert rules, stop; goal p95 ≤ 2 s); the record entering
 *   telemetry's door; a sample of the same metric handed to the alert rules (the baseline).
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AlertsCapability } from '../../electron/core/alerts/index.js';
import { systemClock } from '../../electron/core/clock/index.js';
import { createCore, schemaMigrations } from '../../electron/core/index.js';
import type { StopCapability } from '../../electron/core/stop/index.js';
import { openStore } from '../../electron/core/store/index.js';
import { recordsFromLogs, Telemetry, type TelemetryCapability } from '../../electron/core/telemetry/index.js';
import { configSchema } from '../../shared/config/schema.js';
import { seriesKey } from '../../shared/series.js';
import { formatAsctime, generateDay, type LogsRecord, TZ } from '../fixtures/telemetry/records.js';

const RATE = 1000;
const BATCH_MS = 100;

function percentile(sorted: number[], p: number): number {
  return Math.round((sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0) * 100) / 100;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function recordStream(): () => LogsRecord {
  const { records } = generateDay(Date.parse('2026-01-05T00:00:00+09:00'), 3);
  let i = 0;
  let seq = 0;
  return () => {
    const r = records[i++ % records.length] as LogsRecord;
    return { ...r, id: `b${++seq}`, ts: Date.now() };
  };
}

/** Feeds RATE records/s for `seconds` in 100 ms batches to `consume`; CPU % of one core over the run. */
async function paced(
  seconds: number,
  consume: (batch: LogsRecord[]) => void,
  tick?: (elapsedMs: number) => void,
) {
  const next = recordStream();
  const perBatch = (RATE * BATCH_MS) / 1000;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let sent = 0;
  for (let b = 0; b < (seconds * 1000) / BATCH_MS; b++) {
    const batch: LogsRecord[] = [];
    for (let i = 0; i < perBatch; i++) batch.push(next());
    consume(batch);
    sent += batch.length;
    tick?.(performance.now() - t0);
    const due = t0 + (b + 1) * BATCH_MS;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return {
    records: sent,
    wallMs: Math.round(wallMs),
    cpuPct: Math.round(((cpu.user + cpu.system) / 1000 / wallMs) * 10000) / 100,
  };
}

export async function benchTelemetry(seconds = 15) {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-bench-telemetry-'));
  const config = configSchema.parse({
    bots: [
      { id: 'tax', root: join(dir, 'tax') },
      { id: 'nexus02', root: join(dir, 'nexus02') },
    ],
    telemetry: {
      bots: [
        { bot: 'tax', packs: ['tradingassistantx'] },
        {
          bot: 'nexus02',
          packs: ['nexus02'],
          deadMan: { schedule: { cron: '0 */2 * * *' } },
        },
      ],
    },
  });
  const store = openStore({ file: join(dir, 'bench.db'), clock: systemClock, migrations: schemaMigrations });
  let published = 0;
  const telemetry = new Telemetry({
    db: store.db,
    writes: store.writes,
    clock: systemClock,
    config: () => config,
    configFile: join(dir, 'config.yaml'),
    publish: (_ts, samples) => {
      published += samples.length;
    },
    store: (samples) => store.writeSamples(samples),
    emit: () => {},
    newId: () => String(Math.random()),
    log: () => {},
  });
  try {
    let counted = 0;
    const baseline = await paced(seconds, (batch) => {
      counted += recordsFromLogs(batch).length;
    });
    let lastPublish = 0;
    let lastDms = 0;
    const measured = await paced(
      seconds,
      (batch) => telemetry.ingest(recordsFromLogs(batch)),
      (elapsed) => {
        if (elapsed - lastPublish >= 5000) {
          telemetry.publishAll();
          lastPublish = elapsed;
        }
        if (elapsed - lastDms >= 15_000) {
          telemetry.checkDeadMen();
          lastDms = elapsed;
        }
      },
    );
    const events = telemetry.stats.events;
    // Full speed: how many records/s one core turns into KPIs and cost.
    const next = recordStream();
    const burst: LogsRecord[] = [];
    for (let i = 0; i < 50_000; i++) burst.push(next());
    const t0 = performance.now();
    for (let i = 0; i < burst.length; i += 100) telemetry.ingest(recordsFromLogs(burst.slice(i, i + 100)));
    const fullSpeed = Math.round(burst.length / ((performance.now() - t0) / 1000));
    return {
      rateRecordsPerSecond: RATE,
      seconds,
      telemetry: { ...measured, events, samplesPublished: published },
      baselineCountOnly: { ...baseline, counted },
      telemetryCpuPctOverBaseline: Math.round((measured.cpuPct - baseline.cpuPct) * 100) / 100,
      fullSpeedRecordsPerSecond: fullSpeed,
    };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}

export async function benchTelemetryStopLatency(n = 20) {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-bench-telemetry-stop-'));
  const configFile = join(dir, 'config.yaml');
  // The bots' folders: a path with a space and Japanese characters, as on the operator's PC.
  const fileBotRoot = (i: number) => join(dir, 'ボット 置き場', `bot ${i}`);
  const fileOf = (i: number) => join(fileBotRoot(i), 'log', 'acc1_20260105_100000.log');
  for (let i = 0; i < n; i++) mkdirSync(join(fileBotRoot(i), 'log'), { recursive: true });
  // The stop's families match no process on this machine: each stop runs its whole course quickly and
  // touches nothing (other work on this machine keeps its processes).
  const never = `nexus-bench-matches-nothing-${process.pid}`;
  writeFileSync(
    configFile,
    [
      'monitor:',
      '  liveIntervalSeconds: 60',
      '  families:',
      '    - name: bot-runner',
      `      cmdline: '${never}'`,
      '      stopOnEmergency: true',
      'alerts:',
      '  actionCooldownMinutes: 0',
      'stop:',
      '  graceSeconds: 0',
      '  verifySeconds: 1',
      '  resumeCooldownMinutes: 0',
      'logs:',
      `  timezone: ${TZ}`,
      // A bot per iteration, each with its own followed log file (a new series, so the rule fires again).
      'bots:',
      ...Array.from({ length: n }, (_, i) => [
        `  - id: bench-file-${i}`,
        `    root: ${JSON.stringify(fileBotRoot(i))}`,
        '    logs:',
        "      - path: 'log/*.log'",
      ]).flat(),
      '',
    ].join('\n'),
  );
  const core = createCore({
    dataDir: dir,
    configFile,
    resourcesDir: resolve(import.meta.dirname, '..', '..', 'resources'),
    mode: 'headless',
    version: 'bench',
    logger: { info() {}, warn() {}, error() {} },
  });
  const telemetry = core.capabilities.get('telemetry') as TelemetryCapability;
  const alerts = (core.capabilities.get('alerts') as AlertsCapability).alerts;
  const stop = (core.capabilities.get('stop') as StopCapability).stop;
  let requested: (() => void) | undefined;
  const off = core.events.subscribe((e) => {
    if (e.type === 'stop.progress' && e.phase === 'requested') requested?.();
  });
  const waitRequested = () =>
    new Promise<void>((r, reject) => {
      const timer = setTimeout(() => reject(new Error('no stop.progress requested within 30 s')), 30_000);
      requested = () => {
        clearTimeout(timer);
        r();
      };
    });
  const failures = (bot: string, from: number, count: number) =>
    recordsFromLogs(
      Array.from({ length: count }, (_, i) => ({
        id: `${bot}-${from + i}`,
        bot,
        ts: Date.now(),
        level: 'WARNING',
        message: `[acc1] [like] failed: 1966${from + i}: Message: timeout`,
        source: `log/acc1_${formatAsctime(Date.now()).slice(0, 10)}.log`,
      })),
    );
  async function settle(): Promise<void> {
    while (stop.status().latest?.status === 'running') await new Promise((r) => setTimeout(r, 20));
    if (stop.isStopped()) await stop.resume({ actor: 'bench', reason: 'bench iteration' });
  }
  // Started: the logs capability's tail job reads the files (every 250 ms, new files every second).
  core.start();
  const kpiOf = (bot: string) => telemetry.telemetry.kpiViews().find((k) => k.bot === bot);
  const failureLine = (i: number) =>
    `${formatAsctime(Date.now())} - WARNING - [acc1] [like] failed: 1966${i}: Message: timeout\n`;
  try {
    const viaFile: number[] = [];
    const viaRecords: number[] = [];
    const viaSample: number[] = [];
    const loadBefore = loadavg();
    for (let i = 0; i < n; i++) {
      // The bot has written 4 failures in a row (a new per-run file, found and read)...
      const bot = `bench-file-${i}`;
      writeFileSync(fileOf(i), [0, 1, 2, 3].map(failureLine).join(''));
      const deadline = performance.now() + 30_000;
      while (kpiOf(bot)?.consecutiveFailures !== 4) {
        if (performance.now() > deadline) throw new Error(`${bot}: the 4 failures were not read in 30 s`);
        await new Promise((r) => setTimeout(r, 20));
      }
      await alerts.idle();
      // ...then, at a random moment of the tail job's cycle, appends the 5th.
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 500));
      const got = waitRequested();
      const t0 = performance.now();
      appendFileSync(fileOf(i), failureLine(4));
      await got;
      viaFile.push(performance.now() - t0);
      await settle();
    }
    for (let i = 0; i < n; i++) {
      // A fresh bot per iteration: a new series, so the rule fires again.
      const bot = `bench-${i}`;
      telemetry.ingest(failures(bot, 0, 4));
      await alerts.idle();
      const got = waitRequested();
      const t0 = performance.now();
      telemetry.ingest(failures(bot, 4, 1));
      await got;
      viaRecords.push(performance.now() - t0);
      await settle();

      const sampleBot = `bench-sample-${i}`;
      const labels = { bot: sampleBot };
      const gotSample = waitRequested();
      const t1 = performance.now();
      alerts.evaluate([
        {
          key: seriesKey('bot.consecutive_failures', labels),
          name: 'bot.consecutive_failures',
          labels,
          ts: systemClock.now(),
          value: 5,
        },
      ]);
      await gotSample;
      viaSample.push(performance.now() - t1);
      await settle();
    }
    viaFile.sort((a, b) => a - b);
    viaRecords.sort((a, b) => a - b);
    viaSample.sort((a, b) => a - b);
    return {
      runs: n,
      lineWrittenToStopRequestedMs: {
        p50: percentile(viaFile, 0.5),
        p95: percentile(viaFile, 0.95),
        max: percentile(viaFile, 1),
      },
      recordToStopRequestedMs: {
        p50: percentile(viaRecords, 0.5),
        p95: percentile(viaRecords, 0.95),
        max: percentile(viaRecords, 1),
      },
      goalP95Ms: 2000,
      baselineSampleToStopRequestedMs: {
        p50: percentile(viaSample, 0.5),
        p95: percentile(viaSample, 0.95),
        max: percentile(viaSample, 1),
      },
      intervals: { logsTailMs: 250, logsDiscoverMs: 1000 },
      loadAverage: { before: loadBefore.map(round2), after: loadavg().map(round2) },
    };
  } finally {
    off();
    await core.close();
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}

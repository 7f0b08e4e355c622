// `npm run bench`: every figure next to a baseline measured in the same run; JSON to stdout and to
// bench-results/. Pass names to run a subset: `npm run bench -- ingest alerts`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import {
  benchAlertEvaluation,
  benchAlertLatency,
  benchAlertLatencyLoaded,
  benchAlertStall,
} from './alerts.js';
import { benchAppWithBots } from './app-bots.js';
import { benchBackup } from './backup.js';
import { benchBotsCapture } from './bots-capture.js';
import { benchLogsIngest, benchLogsLive, benchLogsPickup, benchLogsSearch } from './logs.js';
import { benchMetricsScrape } from './metrics-scrape.js';
import { benchAgentOverhead, benchChartQuery } from './monitor.js';
import { benchChecklistEvidence, benchIncidentSearch } from './opsday.js';
import { benchStopForce, benchStopGraceful } from './stop.js';
import { benchIngest } from './store.js';
import { benchTelemetry, benchTelemetryStopLatency } from './telemetry.js';

type Bench = () => Promise<unknown>;

const benches: Record<string, Bench> = {
  ingest: () => benchIngest(),
  // MONITOR_BENCH_STEADY_AFTER / MONITOR_BENCH_STEADY_SECONDS move and size the steady window (600, 300).
  'monitor-overhead': () =>
    benchAgentOverhead({
      steadyAfterSeconds: Number(process.env.MONITOR_BENCH_STEADY_AFTER ?? 600),
      steadySeconds: Number(process.env.MONITOR_BENCH_STEADY_SECONDS ?? 300),
    }),
  'app-with-bots': () => benchAppWithBots(),
  'chart-query': () => benchChartQuery(),
  'alerts-evaluation': () => benchAlertEvaluation(),
  'alerts-latency': () => benchAlertLatency(),
  'alerts-latency-loaded': () => benchAlertLatencyLoaded(),
  'alerts-stall': () => benchAlertStall(),
  'stop-force': () => benchStopForce(),
  'stop-graceful': () => benchStopGraceful(),
  'metrics-scrape': () => benchMetricsScrape(),
  // `npm run bench -- opsday` runs both.
  'opsday-search': () => benchIncidentSearch(),
  'opsday-evidence': () => benchChecklistEvidence(),
  'bots-capture': () => benchBotsCapture(),
  backup: () => benchBackup(),
  'logs-ingest': () => benchLogsIngest(),
  'logs-search': () => benchLogsSearch(),
  'logs-pickup': () => benchLogsPickup(),
  'logs-live': () => benchLogsLive(),
  telemetry: () => benchTelemetry(),
  'telemetry-stop-latency': () => benchTelemetryStopLatency(),
};
const groups: Record<string, string[]> = { opsday: ['opsday-search', 'opsday-evidence'] };

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const names = (wanted.length > 0 ? wanted : Object.keys(benches)).flatMap((n) => groups[n] ?? [n]);
  const results: Record<string, unknown> = {};
  for (const name of names) {
    const bench = benches[name];
    if (!bench) {
      results[name] = { error: `unknown bench; known: ${Object.keys(benches).join(', ')}` };
      continue;
    }
    process.stderr.write(`bench: ${name}…\n`);
    const started = Date.now();
    try {
      results[name] = await bench();
    } catch (err) {
      results[name] = { error: err instanceof Error ? err.message : String(err) };
    }
    process.stderr.write(`bench: ${name} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
  const report = {
    at: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      platform: process.platform,
    },
    results,
  };
  const json = JSON.stringify(report, null, 2);
  const dir = resolve(import.meta.dirname, '..', '..', 'bench-results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `bench-${report.at.replace(/[:.]/g, '-')}.json`), json);
  writeFileSync(join(dir, 'latest.json'), json);
  process.stdout.write(`${json}\n`);
}

await main();

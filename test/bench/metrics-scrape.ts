/**
 * `GET /metrics` of a real headless Nexus Ops carrying about 500 series, next to node_exporter (Debian's
 * prometheus-node-exporter with its default collectors) on the same machine in the same run:
 *   latency   N sequential scrapes by a client, p50 / p95 / max
 *   CPU       CPU time of the serving process per scrape (its /proc/<pid>/stat utime + stime during a
 *             burst of scrapes, minus its own idle rate measured in equal windows before and after),
 *             and what that is as a share of one core at a 15 s scrape interval
 *   Prometheus  scrape_duration_seconds as a real Prometheus records it scraping both every 15 s
 * The load average is reported with the figures: other work on the machine shows up as noise in both.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { binaries, query, type Server, startNodeExporter, startPrometheus } from '../helpers/export-stack.js';
import { type Headless, startHeadless } from '../helpers/headless.js';

const TOKEN = 'bench-scrape-token-0123456789abcdef';
const TARGET_SERIES = 500;
const CLOCK_TICKS = 100;

interface Target {
  name: string;
  url: string;
  pid: number;
  headers: Record<string, string>;
}

function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line (11 and 12 after the command).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

async function scrapeOnce(t: Target): Promise<{ ms: number; text: string }> {
  const started = performance.now();
  const res = await fetch(t.url, { headers: t.headers });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${t.name}: HTTP ${res.status}: ${text.slice(0, 200)}`);
  return { ms: performance.now() - started, text };
}

const seriesCount = (text: string) => text.split('\n').filter((l) => l && !l.startsWith('#')).length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

function percentile(sorted: number[], p: number): number {
  return round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0);
}

async function measure(t: Target, scrapes: number) {
  const first = await scrapeOnce(t);
  // Warm up (JIT, connection reuse).
  for (let i = 0; i < 10; i++) await scrapeOnce(t);

  const latencies: number[] = [];
  const burstStart = performance.now();
  const cpuBefore = cpuMs(t.pid);
  for (let i = 0; i < scrapes; i++) latencies.push((await scrapeOnce(t)).ms);
  const cpuBurst = cpuMs(t.pid) - cpuBefore;
  const burstMs = performance.now() - burstStart;

  // The process's own background (sampling, GC) over windows as long as the burst, before and after.
  const idleRates: number[] = [];
  for (let i = 0; i < 2; i++) {
    const c0 = cpuMs(t.pid);
    const w0 = performance.now();
    await sleep(Math.max(2000, burstMs));
    idleRates.push((cpuMs(t.pid) - c0) / (performance.now() - w0));
  }
  const idleRate = idleRates.reduce((a, b) => a + b, 0) / idleRates.length;
  const perScrape = Math.max(0, (cpuBurst - idleRate * burstMs) / scrapes);
  latencies.sort((a, b) => a - b);
  return {
    series: seriesCount(first.text),
    bytes: first.text.length,
    scrapes,
    latencyMs: {
      p50: percentile(latencies, 0.5),
      p95: percentile(latencies, 0.95),
      max: round(latencies.at(-1) ?? 0),
    },
    cpuMsPerScrape: round(perScrape, 3),
    backgroundCpuPct: round(idleRate * 100, 3),
    cpuPctOfOneCoreAt15s: round((perScrape / 15_000) * 100, 4),
  };
}

function familiesConfig(count: number): string {
  return Array.from(
    { length: count },
    (_, i) => `    - { name: bench-f${i}, cmdline: 'nexus-bench-none-${i}' }`,
  ).join('\n');
}

async function startNexus(families: number): Promise<Headless> {
  return startHeadless({
    config: [
      'monitor:',
      '  liveIntervalSeconds: 5',
      '  families:',
      '    - { name: python, exe: python3 }',
      familiesConfig(families),
      'export:',
      '  metrics: { enabled: true, scrapeToken: "${env:NEXUS_OPS_SCRAPE_TOKEN}" }',
      '',
    ].join('\n'),
    env: { NEXUS_OPS_SCRAPE_TOKEN: TOKEN },
  });
}

export async function benchMetricsScrape(opts: { scrapes?: number; prometheusSeconds?: number } = {}) {
  const scrapes = opts.scrapes ?? 200;
  const prometheusSeconds = opts.prometheusSeconds ?? 62;
  if (!binaries.nodeExporter || !binaries.prometheus) {
    return {
      error:
        'prometheus and prometheus-node-exporter are needed (apt-get install prometheus prometheus-node-exporter)',
    };
  }
  const loadBefore = loadavg();
  // Size the family list so the exposition carries about 500 series (5 per family, plus the rest).
  let app = await startNexus(0);
  const waitForProcesses = async (a: Headless) => {
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`${a.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      const text = await res.text();
      if (text.includes('nexus_proc_processes{family="python"}') && text.includes('nexus_cpu_total_ratio '))
        return text;
      await sleep(200);
    }
    throw new Error('no process figures in the exposition');
  };
  const base = seriesCount(await waitForProcesses(app));
  await app.close();
  const families = Math.max(0, Math.round((TARGET_SERIES - base) / 5));
  app = await startNexus(families);
  await waitForProcesses(app);
  // The first process scan after start also fills the leak and job series: let them settle.
  await sleep(6000);

  let nodeExporter: Server | undefined;
  let prometheus: Server | undefined;
  try {
    nodeExporter = await startNodeExporter();
    const nexusTarget: Target = {
      name: 'nexus-ops',
      url: `${app.url}/metrics`,
      pid: app.child.pid!,
      headers: { authorization: `Bearer ${TOKEN}` },
    };
    const nodeTarget: Target = {
      name: 'node_exporter',
      url: `${nodeExporter.url}/metrics`,
      pid: nodeExporter.child.pid!,
      headers: {},
    };
    const nexus = await measure(nexusTarget, scrapes);
    const node = await measure(nodeTarget, scrapes);

    prometheus = await startPrometheus(
      [
        'global: { scrape_interval: 15s }',
        'scrape_configs:',
        '  - job_name: nexus-ops',
        `    authorization: { credentials: ${TOKEN} }`,
        `    static_configs: [{ targets: ['127.0.0.1:${app.port}'] }]`,
        '  - job_name: node',
        `    static_configs: [{ targets: ['127.0.0.1:${nodeExporter.port}'] }]`,
        '',
      ].join('\n'),
    );
    await sleep(prometheusSeconds * 1000);
    const recorded = async (job: string) => {
      const [r] = await query(
        prometheus!.url,
        `scrape_duration_seconds{job="${job}"}[${prometheusSeconds + 10}s]`,
      );
      const values = (r?.values ?? []).map(([, v]) => Number(v) * 1000).sort((a, b) => a - b);
      return { scrapes: values.length, medianMs: percentile(values, 0.5), maxMs: round(values.at(-1) ?? 0) };
    };
    const atInterval = { 'nexus-ops': await recorded('nexus-ops'), node_exporter: await recorded('node') };

    return {
      what: 'GET /metrics: Nexus Ops (headless, ~500 series) next to node_exporter (default collectors), same machine, same run',
      loadAverage: { before: loadBefore.map((l) => round(l)), after: loadavg().map((l) => round(l)) },
      nexusOps: { ...nexus, families },
      nodeExporter: node,
      ratio: {
        latencyP50: round(nexus.latencyMs.p50 / Math.max(0.001, node.latencyMs.p50)),
        cpuPerScrape: round(nexus.cpuMsPerScrape / Math.max(0.001, node.cpuMsPerScrape)),
      },
      prometheusAt15s: atInterval,
    };
  } finally {
    await prometheus?.close();
    await nodeExporter?.close();
    await app.close();
  }
}

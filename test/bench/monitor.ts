/**
 * Monitoring-engine figures (issue 3), for test/bench/run.ts. Each function returns plain JSON-able
 * figures and prints nothing.
 *
 * - benchAgentOverhead: CPU (% of one core) and resident memory of a child process running only the
 *   monitor at a 1 s tick with a full process scan every tick, while 40 python3 sleepers and a headless
 *   Chromium run, measured from /proc/<pid>/stat over the same windows as Glances (Debian's `glances`,
 *   1 s refresh) running alongside: the first minute after a 15 s warm-up, a minute from 2 min on, and
 *   the steady state, five minutes from 10 min on (what the goals are judged on). A process that works
 *   once a second reaches V8's optimising tiers slowly: with --trace-opt the app still compiles (and,
 *   as rarely-taken branches run for the first time, deoptimises and compiles again) 50-190 ms of
 *   TurboFan code a minute until about 9 min in, then stops. The 2-minute window is kept next to the
 *   steady one so that one-time cost stays visible. Each window's ratio is also noisy from minute to
 *   minute (±25 % here): the steady window is five minutes long for that. The whole headless app
 *   (built) runs alongside at the same cadence: what the operator's PC pays for all of Nexus Ops.
 * - benchChartQuery: 90 days of history at the default store cadence, written day by day with the real
 *   maintenance (rollups + retention) in between, then p95 latency of the chart query at 1000 px per
 *   range, and the database size.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { build } from 'esbuild';
import { migrate } from '../../electron/core/store/migrate.js';
import { coreMigration } from '../../electron/core/store/migrations/001-core.js';
import { tiersMigration } from '../../electron/core/store/migrations/002-tiers.js';
import { queryChart, runMaintenance } from '../../electron/core/store/tiers.js';
import { monitorConfigSchema } from '../../shared/config/monitor.js';
import { CHROMIUM, headlessChromiumArgs } from '../helpers/chromium.js';
import { cliPath, startHeadless } from '../helpers/headless.js';
import { pythonExe } from '../helpers/python.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const CLOCK_TICKS = 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface CpuTicks {
  user: number;
  system: number;
}

function cpuTicks(pid: number): CpuTicks | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after "pid (comm) ".
    return { user: Number(fields[11]), system: Number(fields[12]) };
  } catch {
    return null;
  }
}

function ticksOf(pid: number | undefined): CpuTicks | null {
  return pid === undefined ? null : cpuTicks(pid);
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function countProcesses(): number {
  return readdirSync('/proc').filter((e) => /^\d+$/.test(e)).length;
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  await Promise.race([once(child, 'exit'), sleep(5000)]);
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
}

async function firstLine(child: ChildProcess, timeoutMs: number): Promise<string> {
  let text = '';
  const deadline = Date.now() + timeoutMs;
  const stdout = child.stdout!;
  stdout.setEncoding('utf8');
  return new Promise((resolveLine, reject) => {
    const timer = setTimeout(
      () => reject(new Error('timed out waiting for the agent')),
      deadline - Date.now(),
    );
    const onData = (chunk: string) => {
      text += chunk;
      const nl = text.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        stdout.off('data', onData);
        resolveLine(text.slice(0, nl));
      }
    };
    stdout.on('data', onData);
    child.once('exit', () => reject(new Error(`agent exited before "ready"`)));
  });
}

interface ProcessFigures {
  pid: number;
  /** CPU time over the window divided by its wall time, in % of one core. */
  cpuPctOneCore: number;
  /** The part of it spent in the kernel (reading /proc, syscalls). */
  systemPctOneCore: number;
  rssMb: number | null;
  peakRssMb: number | null;
}

function figures(
  pid: number,
  ticks0: CpuTicks | null,
  ticks1: CpuTicks | null,
  seconds: number,
): ProcessFigures {
  const pct = (ticks: number) => Math.round((ticks / CLOCK_TICKS / seconds) * 100 * 100) / 100;
  const cpu = ticks0 && ticks1 ? pct(ticks1.user + ticks1.system - ticks0.user - ticks0.system) : Number.NaN;
  const mb = (kb: number | null) => (kb === null ? null : Math.round((kb / 1024) * 10) / 10);
  return {
    pid,
    cpuPctOneCore: cpu,
    systemPctOneCore: ticks0 && ticks1 ? pct(ticks1.system - ticks0.system) : Number.NaN,
    rssMb: mb(statusKb(pid, 'VmRSS')),
    peakRssMb: mb(statusKb(pid, 'VmHWM')),
  };
}

/** Bundles the agent like the app is bundled (esbuild, CommonJS, native addons external). */
async function bundleAgent(outDir: string): Promise<string> {
  const outfile = join(outDir, 'monitor-agent.cjs');
  await build({
    entryPoints: [join(here, 'monitor-agent.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile,
    external: ['better-sqlite3', 'koffi', 'electron'],
    logLevel: 'error',
  });
  return outfile;
}

export interface AgentOverheadOptions {
  seconds?: number;
  warmupSeconds?: number;
  /** When the steady-state window starts, seconds after the agent's first cycle. */
  steadyAfterSeconds?: number;
  /** How long the steady-state window lasts. */
  steadySeconds?: number;
  sleepers?: number;
}

export async function benchAgentOverhead(options: AgentOverheadOptions = {}) {
  const seconds = options.seconds ?? 60;
  const warmup = options.warmupSeconds ?? 15;
  const twoMinutesAfter = 120;
  const steadyAfter = Math.max(options.steadyAfterSeconds ?? 600, twoMinutesAfter + seconds);
  const steadySeconds = options.steadySeconds ?? 300;
  const sleeperCount = options.sleepers ?? 40;
  const dir = mkdtempSync(join(tmpdir(), 'nexus-bench-monitor-'));
  const botFolder = join(dir, 'bots', 'nexus');
  mkdirSync(join(dir, 'reply_bot'), { recursive: true });
  mkdirSync(join(botFolder, 'profile'), { recursive: true });
  mkdirSync(join(dir, 'app'));
  writeFileSync(join(dir, 'reply_bot', '__init__.py'), '');
  writeFileSync(join(dir, 'reply_bot', 'sleeper.py'), 'import time\ntime.sleep(3600)\n');
  const children: ChildProcess[] = [];
  try {
    for (let i = 0; i < sleeperCount; i++) {
      children.push(
        spawn(pythonExe(), ['-m', 'reply_bot.sleeper', '--n', String(i)], { cwd: dir, stdio: 'ignore' }),
      );
    }
    const chromium = existsSync(CHROMIUM);
    if (chromium) {
      children.push(
        spawn(CHROMIUM, headlessChromiumArgs(join(botFolder, 'profile', 'acc1')), { stdio: 'ignore' }),
      );
    }
    const agentFile = await bundleAgent(join(dir, 'agent'));
    const agent = spawn(process.execPath, [agentFile, join(dir, 'data'), botFolder], {
      env: { ...process.env, NODE_PATH: join(repoRoot, 'node_modules') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(agent);
    let agentErrors = '';
    agent.stderr!.on('data', (c) => {
      agentErrors += String(c);
    });
    // The whole app as well (headless core: monitor, alerts, store, API server; no dashboard open),
    // built as `npm run bench` builds it, at the same 1 s cadence.
    const app = existsSync(cliPath)
      ? await startHeadless({
          dataDir: join(dir, 'app'),
          config: [
            'monitor:',
            '  liveIntervalSeconds: 1',
            '  processIntervalSeconds: 1',
            'bots:',
            `  folders: [${JSON.stringify(botFolder)}]`,
            '',
          ].join('\n'),
        })
      : undefined;
    if (app) children.push(app.child);
    const glancesAvailable = spawnSync('sh', ['-c', 'command -v glances'], { encoding: 'utf8' }).status === 0;
    const glances = glancesAvailable ? spawn('glances', ['-q', '-t', '1'], { stdio: 'ignore' }) : undefined;
    if (glances) children.push(glances);

    await firstLine(agent, 30_000);
    await sleep(warmup * 1000);

    const measure = async (lengthSeconds: number) => {
      const pids = { nexus: agent.pid!, app: app?.child.pid, glances: glances?.pid };
      const t0 = performance.now();
      const before = { nexus: cpuTicks(pids.nexus), app: ticksOf(pids.app), glances: ticksOf(pids.glances) };
      await sleep(lengthSeconds * 1000);
      const after = { nexus: cpuTicks(pids.nexus), app: ticksOf(pids.app), glances: ticksOf(pids.glances) };
      const wall = (performance.now() - t0) / 1000;
      const nexus = figures(pids.nexus, before.nexus, after.nexus, wall);
      const appFigures = pids.app ? figures(pids.app, before.app, after.app, wall) : null;
      const glancesFigures = pids.glances ? figures(pids.glances, before.glances, after.glances, wall) : null;
      const toGlances = (f: ProcessFigures | null) =>
        f && glancesFigures && glancesFigures.cpuPctOneCore > 0
          ? Math.round((f.cpuPctOneCore / glancesFigures.cpuPctOneCore) * 1000) / 1000
          : null;
      return {
        windowSeconds: Math.round(wall * 10) / 10,
        nexus,
        app: appFigures,
        glances: glancesFigures ? { ...glancesFigures, command: 'glances -q -t 1' } : null,
        cpuRatioToGlances: toGlances(nexus),
        appCpuRatioToGlances: toGlances(appFigures),
      };
    };
    const startedAt = performance.now() - warmup * 1000;
    const sleepUntil = (afterSeconds: number) =>
      sleep(Math.max(0, afterSeconds * 1000 - (performance.now() - startedAt)));
    const firstMinute = await measure(seconds);
    await sleepUntil(twoMinutesAfter);
    const twoMinutes = await measure(seconds);
    await sleepUntil(steadyAfter);
    const steady = await measure(steadySeconds);
    const processesOnMachine = countProcesses();

    agent.kill('SIGTERM');
    const report = await firstLine(agent, 10_000).catch(() => '{}');
    const agentReport = JSON.parse(report) as {
      cycles?: number;
      scanned?: number;
      skipped?: number;
      lastCycleMs?: number;
    };

    // Issue 9 judges the whole headless app (what an operator runs) against Glances; the monitor
    // alone is kept next to it as its own goal.
    const atMostAThird = (ratio: number | null) => (ratio === null ? null : ratio <= 1 / 3);
    return {
      name: 'monitor.agentOverhead',
      command: 'npm run bench -- monitor-overhead (test/bench/monitor.ts benchAgentOverhead)',
      cadenceSeconds: 1,
      sleepers: sleeperCount,
      chromium,
      processesOnMachine,
      agent: { ...agentReport, ...(agentErrors ? { errors: agentErrors.slice(0, 500) } : {}) },
      afterSeconds: { firstMinute: warmup, twoMinutes: twoMinutesAfter, steady: steadyAfter },
      loadAverage1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
      firstMinute,
      twoMinutes,
      steady,
      goals: {
        atMostAThirdOfGlances: atMostAThird(steady.appCpuRatioToGlances),
        atMostAThirdOfGlancesAtTwoMinutes: atMostAThird(twoMinutes.appCpuRatioToGlances),
        monitorAloneAtMostAThirdOfGlances: atMostAThird(steady.cpuRatioToGlances),
        underOnePercentOfOneCore: steady.nexus.cpuPctOneCore < 1,
      },
    };
  } finally {
    await Promise.all(children.map((c) => stopChild(c)));
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}

/** The series a typical ops PC stores: 8 logical CPUs, 2 drives, 2 disks, 2 NICs, the 5 default families. */
function benchSeries(): {
  key: string;
  name: string;
  labels: Record<string, string>;
  base: number;
  swing: number;
}[] {
  const out: { key: string; name: string; labels: Record<string, string>; base: number; swing: number }[] =
    [];
  const add = (name: string, labels: Record<string, string>, base: number, swing: number) => {
    const names = Object.keys(labels).sort();
    const key = names.length === 0 ? name : `${name}{${names.map((n) => `${n}=${labels[n]}`).join(',')}}`;
    out.push({ key, name, labels, base, swing });
  };
  add('cpu.total', {}, 30, 25);
  for (let c = 0; c < 8; c++) add('cpu.core', { core: String(c) }, 30, 30);
  add('mem.used_pct', {}, 60, 10);
  add('mem.used_bytes', {}, 10e9, 1e9);
  add('mem.available_bytes', {}, 6e9, 1e9);
  add('swap.used_pct', {}, 10, 5);
  for (const mount of ['C:', 'D:']) {
    add('disk.free_pct', { mount }, 40, 1);
    add('disk.free_bytes', { mount }, 200e9, 1e9);
    add('disk.used_bytes', { mount }, 300e9, 1e9);
  }
  for (const device of ['PhysicalDrive0', 'PhysicalDrive1']) {
    add('disk.read_bps', { device }, 2e6, 2e6);
    add('disk.write_bps', { device }, 3e6, 3e6);
    add('disk.read_iops', { device }, 50, 50);
    add('disk.write_iops', { device }, 80, 80);
  }
  for (const iface of ['Ethernet', 'Wi-Fi']) {
    add('net.rx_bps', { iface }, 1e6, 1e6);
    add('net.tx_bps', { iface }, 2e5, 2e5);
  }
  for (const family of ['chrome', 'python', 'bot-runner', 'bot-driver', 'bot-chrome']) {
    add('proc.count', { family }, 10, 3);
    add('proc.cpu_pct', { family }, 5, 5);
    add('proc.rss', { family }, 1e9, 2e8);
    add('proc.zombies', { family }, 0, 0);
    add('proc.hung', { family }, 0, 0);
    add('proc.leak_mb_per_h', { family }, 0, 3);
  }
  return out;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round(sorted[Math.max(0, index)]! * 100) / 100;
}

export interface ChartQueryOptions {
  days?: number;
  repetitions?: number;
}

export async function benchChartQuery(options: ChartQueryOptions = {}) {
  const days = options.days ?? 90;
  const repetitions = options.repetitions ?? 40;
  const storeIntervalMs = monitorConfigSchema.parse({}).storeIntervalSeconds * 1000;
  const DAY = 86_400_000;
  const dir = mkdtempSync(join(tmpdir(), 'nexus-bench-chart-'));
  const file = join(dir, 'nexus-ops.db');
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    migrate(db, [coreMigration, tiersMigration], file);
    const series = benchSeries();
    const insertSeries = db.prepare('INSERT INTO series (key, name, labels) VALUES (?, ?, ?)');
    const ids = series.map((s) =>
      Number(insertSeries.run(s.key, s.name, JSON.stringify(s.labels)).lastInsertRowid),
    );
    const insert = db.prepare('INSERT INTO samples (series_id, ts, value) VALUES (?, ?, ?)');
    const end = Date.UTC(2026, 9, 1);
    const start = end - days * DAY;
    let seed = 42;
    const rnd = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const generateStarted = performance.now();
    let maintenanceMs = 0;
    for (let day = 0; day < days; day++) {
      const dayStart = start + day * DAY;
      db.transaction(() => {
        for (let ts = dayStart; ts < dayStart + DAY; ts += storeIntervalMs) {
          const wave = Math.sin((ts / DAY) * 2 * Math.PI);
          series.forEach((s, i) => {
            const spike = rnd() < 0.001 ? 3 : 1;
            insert.run(ids[i]!, ts, Math.max(0, s.base + s.swing * (wave * 0.6 + (rnd() - 0.5)) * spike));
          });
        }
      })();
      const m0 = performance.now();
      // What the monitor and the scheduler do during that day, caught up once at its end.
      runMaintenance(db, dayStart + DAY, { maxChunks: 1000 });
      maintenanceMs += performance.now() - m0;
    }
    const generateSeconds = (performance.now() - generateStarted) / 1000;
    db.pragma('wal_checkpoint(TRUNCATE)');
    const count = (table: string) =>
      (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    const rows = { raw: count('samples'), fiveMinute: count('samples_5m'), hour: count('samples_1h') };
    const sizeBytes = statSync(file).size + (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);

    const ranges: [string, number][] = [
      ['1h', 3_600_000],
      ['6h', 6 * 3_600_000],
      ['24h', DAY],
      ['7d', 7 * DAY],
      ['30d', 30 * DAY],
      ['90d', 90 * DAY],
    ];
    const keys = ['cpu.total', 'proc.rss{family=bot-chrome}'];
    const perRange: Record<string, { tier: string; points: number; p50Ms: number; p95Ms: number }> = {};
    const all: number[] = [];
    for (const [label, span] of ranges) {
      const times: number[] = [];
      let tier = '';
      let points = 0;
      for (let i = 0; i < repetitions; i++) {
        const to = end - i * 60_000;
        const t0 = performance.now();
        const out = queryChart(db, { keys: [keys[i % keys.length]!], from: to - span, to, maxPoints: 1000 });
        times.push(performance.now() - t0);
        tier = out.series[0]!.tier;
        points = out.series[0]!.points.length;
      }
      all.push(...times);
      perRange[label] = { tier, points, p50Ms: percentile(times, 50), p95Ms: percentile(times, 95) };
    }
    // The System page's per-core chart: 8 series in one call over 7 days.
    const coreKeys = series.filter((s) => s.name === 'cpu.core').map((s) => s.key);
    const coreTimes: number[] = [];
    for (let i = 0; i < repetitions; i++) {
      const t0 = performance.now();
      queryChart(db, { keys: coreKeys, from: end - 7 * DAY, to: end, maxPoints: 1000 });
      coreTimes.push(performance.now() - t0);
    }
    const p95 = percentile(all, 95);
    const sizeMb = Math.round((sizeBytes / 1024 / 1024) * 10) / 10;
    return {
      name: 'monitor.chartQuery',
      command: 'npm run bench (test/bench/monitor.ts benchChartQuery)',
      days,
      storeIntervalSeconds: storeIntervalMs / 1000,
      series: series.length,
      rows,
      databaseMb: sizeMb,
      generateSeconds: Math.round(generateSeconds * 10) / 10,
      maintenanceMsPerDay: Math.round((maintenanceMs / days) * 10) / 10,
      maxPoints: 1000,
      p95Ms: p95,
      perRange,
      eightCoresOneCall7dP95Ms: percentile(coreTimes, 95),
      goals: { p95Under50Ms: p95 < 50, sizeUnder300Mb: sizeMb < 300 },
    };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}

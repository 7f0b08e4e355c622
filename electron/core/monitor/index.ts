/**
 * The monitor door: system metrics every live tick, process families on their own cadence, the raw
 * tier written through a store window, rollups and the leak trend every minute or so.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { z } from 'zod';
import { ApiFailure } from '../../../shared/api/contract.js';
import type {
  familiesOutput,
  instancesOutput,
  LeakTrend,
  SystemMetrics,
} from '../../../shared/api/monitor.js';
import type { SystemSnapshot } from '../../../shared/api/system.js';
import { type MonitorConfig, monitorConfigSchema } from '../../../shared/config/monitor.js';
import { type Sample, seriesKey } from '../../../shared/series.js';
import type { Clock } from '../clock/index.js';
import { createPlatform } from '../platform/index.js';
import type { Platform } from '../platform/types.js';
import { pruneTiers, readTier, rollupTiers } from '../store/tiers.js';
import { type CadenceStats, startCadence } from './cadence.js';
import { leakTrend } from './leak.js';
import { createProcessTracker, type ProcessScan } from './processes.js';
import { createStoreWindow } from './store-window.js';
import { createSystemSampler } from './system.js';

export type { FamilyDef, FamilyInput, MonitorConfig } from '../../../shared/config/monitor.js';
export { defaultFamilies, familiesSchema, parseDefaultFamilies } from '../../../shared/config/monitor.js';
export type { CadenceStats } from './cadence.js';
export {
  type ClassifyContext,
  classifyProcesses,
  findOrphans,
  normalizeFolder,
  profileDirs,
} from './families.js';
export { leakTrend, slope } from './leak.js';
export { createProcessTracker, type ProcessScan } from './processes.js';

export interface MonitorCycle {
  ts: number;
  /** Every sample computed this cycle (the live view, alert evaluation). */
  samples: Sample[];
  /**
   * What belongs in the raw tier this cycle: one sample per series per storeIntervalSeconds (the mean
   * of the window for rates, the last value for gauges), empty in between.
   */
  toStore: Sample[];
  snapshot: SystemSnapshot;
  metrics: SystemMetrics;
  /** Present on cycles that scanned processes. */
  processes?: ProcessScan;
}

export interface MonitorOptions {
  clock: Clock;
  /** Live tick, ms; default the config's liveIntervalSeconds. */
  intervalMs?: () => number;
  /** Mounts to watch; default the config's disks. */
  disks?: () => string[];
  onCycle(cycle: MonitorCycle): void;
  onError(err: unknown): void;
  /** The `monitor:` config section (cadences, families, leak rule); default the schema defaults. */
  config?: () => MonitorConfig;
  /** `bots.folders`. */
  botFolders?: () => string[];
  /** Default: createPlatform() on first use, closed by close(). */
  platform?: Platform;
  /** The store's database (with the tiers migration): enables rollups, retention and the leak trend. */
  db?: BetterSqlite3.Database;
  /**
   * The oldest sample still waiting to be written (the database refused it for a while): rollups stop
   * short of it, so a bucket is never closed before all its samples are in.
   */
  rollupHorizon?: () => number | undefined;
}

export interface MonitorStats extends CadenceStats {
  lastCycleMs: number;
}

export type FamiliesView = z.infer<typeof familiesOutput>;
export type InstancesView = z.infer<typeof instancesOutput>;

export interface Monitor {
  start(): void;
  stop(): void;
  /** Restarts the cadence when the interval changed in the config. */
  reschedule(): void;
  /** Runs one cycle now (tests, CLI status); cycles never overlap. */
  sampleOnce(): Promise<MonitorCycle>;
  latest(): MonitorCycle | undefined;
  stats(): MonitorStats;
  metrics(): SystemMetrics | undefined;
  families(): FamiliesView | undefined;
  /** undefined before the first scan; throws ApiFailure not_found for an unknown family. */
  instances(family: string): InstancesView | undefined;
  /** Stops the cadence and releases the platform when the monitor created it. */
  close(): Promise<void>;
}

const HOUR = 3_600_000;
const PRUNE_EVERY_MS = HOUR;
/** Rollup chunks per monitor cycle: a long catch-up spreads over several minutes instead of blocking. */
const ROLLUP_CHUNKS_PER_CYCLE = 4;

export function createMonitor(opts: MonitorOptions): Monitor {
  const config = opts.config ?? (() => defaultConfig);
  const intervalMs = opts.intervalMs ?? (() => config().liveIntervalSeconds * 1000);
  const disks = opts.disks ?? (() => config().disks);
  const botFolders = opts.botFolders ?? (() => []);
  const ownsPlatform = opts.platform === undefined;
  let platform = opts.platform;
  const getPlatform = () => {
    platform ??= createPlatform({ clock: opts.clock });
    return platform;
  };

  let sampleSystem: ReturnType<typeof createSystemSampler> | undefined;
  let tracker: ReturnType<typeof createProcessTracker> | undefined;
  const storeWindow = createStoreWindow();
  let cadence: ReturnType<typeof startCadence> | undefined;
  let latest: MonitorCycle | undefined;
  let latestScan: ProcessScan | undefined;
  let leaks = new Map<string, LeakTrend>();
  let lastCycleMs = 0;
  const last = { disks: undefined as number | undefined, procs: undefined as number | undefined };
  const lastRun = { store: undefined as number | undefined, rollup: undefined as number | undefined };
  let lastPrune: number | undefined;
  let chain: Promise<unknown> = Promise.resolve();

  function due(previous: number | undefined, everySeconds: number, ts: number): boolean {
    // Half a tick of slack: a cadence that is a multiple of the tick fires on the tick, not one late.
    return previous === undefined || ts - previous >= everySeconds * 1000 - intervalMs() / 2;
  }

  function maintainTiers(ts: number, cfg: MonitorConfig): void {
    const db = opts.db;
    if (!db) return;
    try {
      rollupTiers(db, Math.min(ts, opts.rollupHorizon?.() ?? ts), { maxChunks: ROLLUP_CHUNKS_PER_CYCLE });
      if (lastPrune === undefined || ts - lastPrune >= PRUNE_EVERY_MS) {
        pruneTiers(db, ts, undefined, 2);
        lastPrune = ts;
      }
    } catch (err) {
      opts.onError(err);
    }
    try {
      leaks = computeLeaks(db, ts, cfg);
    } catch (err) {
      opts.onError(err);
    }
  }

  async function runCycle(): Promise<MonitorCycle> {
    const started = performance.now();
    const ts = opts.clock.now();
    const cfg = config();
    const plat = getPlatform();
    sampleSystem ??= createSystemSampler(plat, { disks });
    tracker ??= createProcessTracker({
      cpuCount: plat.cpuTimes().length,
      platformKind: plat.kind,
      hungAfterMs: cfg.hungAfterSeconds * 1000,
    });

    const refreshDisks = due(last.disks, cfg.diskSpaceIntervalSeconds, ts);
    const system = await sampleSystem(ts, refreshDisks);
    if (refreshDisks) last.disks = ts;

    if (due(lastRun.rollup, cfg.rollupIntervalSeconds, ts)) {
      lastRun.rollup = ts;
      maintainTiers(ts, cfg);
    }

    let scan: ProcessScan | undefined;
    if (due(last.procs, cfg.processIntervalSeconds, ts)) {
      const list = await plat.processes.list();
      scan = tracker.update(ts, list, cfg.families, botFolders(), leaks);
      latestScan = scan;
      last.procs = ts;
    }

    const samples = scan ? [...system.samples, ...scan.samples] : system.samples;
    storeWindow.add(samples);
    let toStore: Sample[] = [];
    if (due(lastRun.store, cfg.storeIntervalSeconds, ts)) {
      toStore = storeWindow.flush(ts);
      lastRun.store = ts;
    }

    lastCycleMs = Math.round((performance.now() - started) * 100) / 100;
    const cadenceStats = stats();
    const metrics: SystemMetrics = {
      ...system.metrics,
      sampler: {
        intervalMs: cadenceStats.intervalMs,
        lagMs: cadenceStats.lagMs,
        skipped: cadenceStats.skipped,
        lastCycleMs,
      },
    };
    latest = {
      ts,
      samples,
      toStore,
      snapshot: system.snapshot,
      metrics,
      ...(scan ? { processes: scan } : {}),
    };
    return latest;
  }

  function sampleOnce(): Promise<MonitorCycle> {
    const run = chain.then(runCycle, runCycle);
    chain = run.catch(() => undefined);
    return run;
  }

  const cycle = async () => {
    opts.onCycle(await sampleOnce());
  };

  function stats(): MonitorStats {
    const base = cadence?.stats() ?? { intervalMs: intervalMs(), lagMs: 0, skipped: 0, runs: 0 };
    return { ...base, lastCycleMs };
  }

  return {
    start() {
      cadence ??= startCadence(intervalMs(), opts.clock, cycle, opts.onError);
    },
    stop() {
      cadence?.stop();
      cadence = undefined;
    },
    reschedule() {
      if (cadence && cadence.stats().intervalMs !== intervalMs()) {
        cadence.stop();
        cadence = startCadence(intervalMs(), opts.clock, cycle, opts.onError);
      }
    },
    sampleOnce,
    latest: () => latest,
    stats,
    metrics: () => latest?.metrics,
    families() {
      if (!latestScan) return undefined;
      return { ts: latestScan.ts, totalProcesses: latestScan.total, families: latestScan.families };
    },
    instances(family) {
      const known = config().families.some((f) => f.name === family);
      if (!known) throw new ApiFailure('not_found', `no process family "${family}"`);
      if (!latestScan) return undefined;
      return { ts: latestScan.ts, family, instances: latestScan.instancesOf(family) };
    },
    async close() {
      cadence?.stop();
      cadence = undefined;
      await chain;
      if (ownsPlatform && platform) await platform.close();
    },
  };
}

const defaultConfig: MonitorConfig = monitorConfigSchema.parse({});

/** Leak trend per family from the 5-minute tier (plus the newest raw samples) of proc.rss{family}. */
function computeLeaks(db: BetterSqlite3.Database, ts: number, cfg: MonitorConfig): Map<string, LeakTrend> {
  const out = new Map<string, LeakTrend>();
  const selectId = db.prepare<[string], { id: number }>('SELECT id FROM series WHERE key = ?');
  const windowMs = cfg.leak.windowHours * HOUR;
  for (const family of cfg.families) {
    const id = selectId.get(seriesKey('proc.rss', { family: family.name }))?.id;
    if (id === undefined) continue;
    const trend = leakTrend(readTier(db, id, '5m', ts - windowMs, ts), ts, cfg.leak);
    if (trend) out.set(family.name, trend);
  }
  return out;
}

/** API handlers for the monitor's methods (shared/api/monitor.ts), for core to spread into its table. */
export function createMonitorHandlers(monitor: Monitor) {
  return {
    'system.metrics': () => monitor.metrics() ?? null,
    'processes.families': () => monitor.families() ?? null,
    'processes.instances': ({ family }: { family: string }) => monitor.instances(family) ?? null,
  };
}

/**
 * The monitor door: system metrics every live tick, process families on their own cadence, the raw
 * tier fed through a store window, the leak trend every minute or so. The ticks themselves are jobs of
 * the core job runner (see capability.ts); rollups and retention are the store's jobs.
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
import { type LiveSample, type Sample, seriesKey } from '../../../shared/series.js';
import type { Clock } from '../clock/index.js';
import type { Platform, ProcessInfo } from '../platform/index.js';
import { createPlatform } from '../platform/index.js';
import { readTier } from '../store/index.js';
import { leakTrend } from './leak.js';
import { createProcessTracker, type ProcessScan } from './processes.js';
import { createStoreWindow } from './store-window.js';
import { createSystemSampler } from './system.js';

export type { FamilyDef, FamilyInput, MonitorConfig } from '../../../shared/config/monitor.js';
export { defaultFamilies, familiesSchema, parseDefaultFamilies } from '../../../shared/config/monitor.js';
export { createMonitorCapability, type MonitorCapability, SAMPLE_JOB } from './capability.js';
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
  /** Every sample computed this cycle, with its series key (the live view, alert evaluation). */
  samples: LiveSample[];
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
  /** Live tick, ms (the slack of the sub-cadences); default the config's liveIntervalSeconds. */
  intervalMs?: () => number;
  /** Mounts to watch; default the config's disks. */
  disks?: () => string[];
  /** Problems that do not fail the cycle (the leak trend could not be read). */
  onError?(err: unknown): void;
  /** The `monitor:` config section (cadences, families, leak rule); default the schema defaults. */
  config?: () => MonitorConfig;
  /** The bots' root folders. */
  botFolders?: () => string[];
  /** Default: createPlatform() on first use, closed by close(). */
  platform?: Platform;
  /** The store's database (with the tiers migration): enables the leak trend (read from the 5-minute tier). */
  db?: BetterSqlite3.Database;
  /** The sample job's cadence figures, shown with the metrics. */
  cadence?: () => { intervalMs: number; lagMs: number; skipped: number };
}

export interface MonitorStats {
  lastCycleMs: number;
}

export type FamiliesView = z.infer<typeof familiesOutput>;
export type InstancesView = z.infer<typeof instancesOutput>;

export interface Monitor {
  /** Runs one cycle (the sample job, tests); cycles never overlap. */
  sampleOnce(): Promise<MonitorCycle>;
  latest(): MonitorCycle | undefined;
  stats(): MonitorStats;
  metrics(): SystemMetrics | undefined;
  families(): FamiliesView | undefined;
  /** undefined before the first scan; throws ApiFailure not_found for an unknown family. */
  instances(family: string): InstancesView | undefined;
  /**
   * The process table of the last scan when it is at most `maxAgeMs` old, else a new one: for views
   * that can live with a second-old table (bot process counts), never for the emergency stop.
   */
  recentProcesses(maxAgeMs: number): Promise<ProcessInfo[]>;
  /** Waits for a running cycle and releases the platform when the monitor created it. */
  close(): Promise<void>;
}

const HOUR = 3_600_000;

function withKey(s: Sample): LiveSample {
  return { name: s.name, labels: s.labels, ts: s.ts, value: s.value, key: seriesKey(s.name, s.labels) };
}

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
  let latest: MonitorCycle | undefined;
  let latestScan: ProcessScan | undefined;
  let lastList: { at: number; list: ProcessInfo[] } | null = null;
  let leaks = new Map<string, LeakTrend>();
  let lastCycleMs = 0;
  const last = { disks: undefined as number | undefined, procs: undefined as number | undefined };
  const lastRun = { store: undefined as number | undefined, leaks: undefined as number | undefined };
  let chain: Promise<unknown> = Promise.resolve();

  function due(previous: number | undefined, everySeconds: number, ts: number): boolean {
    // Half a tick of slack: a cadence that is a multiple of the tick fires on the tick, not one late.
    return previous === undefined || ts - previous >= everySeconds * 1000 - intervalMs() / 2;
  }

  function refreshLeaks(ts: number, cfg: MonitorConfig): void {
    if (!opts.db) return;
    try {
      leaks = computeLeaks(opts.db, ts, cfg);
    } catch (err) {
      opts.onError?.(err);
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

    if (due(lastRun.leaks, cfg.rollupIntervalSeconds, ts)) {
      lastRun.leaks = ts;
      refreshLeaks(ts, cfg);
    }

    let scan: ProcessScan | undefined;
    if (due(last.procs, cfg.processIntervalSeconds, ts)) {
      // Fresh figures for busy family members; the rest only as often as needed to notice a change.
      const list = plat.processes.watch
        ? await plat.processes.watch(latestScan?.watchPids ?? new Set())
        : await plat.processes.list();
      lastList = { at: opts.clock.now(), list };
      scan = tracker.update(ts, list, cfg.families, botFolders(), leaks);
      latestScan = scan;
      last.procs = ts;
    }

    // Keys built once per sample: the store window, the alert rules and the live view all use them.
    const samples: LiveSample[] = [];
    for (const s of system.samples) samples.push(withKey(s));
    if (scan) for (const s of scan.samples) samples.push(withKey(s));
    storeWindow.add(samples);
    let toStore: Sample[] = [];
    if (due(lastRun.store, cfg.storeIntervalSeconds, ts)) {
      toStore = storeWindow.flush(ts);
      lastRun.store = ts;
    }

    lastCycleMs = Math.round((performance.now() - started) * 100) / 100;
    const cadence = opts.cadence?.() ?? { intervalMs: intervalMs(), lagMs: 0, skipped: 0 };
    const metrics: SystemMetrics = {
      ...system.metrics,
      sampler: {
        intervalMs: cadence.intervalMs,
        lagMs: cadence.lagMs,
        skipped: cadence.skipped,
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

  return {
    sampleOnce,
    async recentProcesses(maxAgeMs) {
      if (lastList && opts.clock.now() - lastList.at <= maxAgeMs) return lastList.list;
      const list = await getPlatform().processes.list();
      lastList = { at: opts.clock.now(), list };
      return list;
    },
    latest: () => latest,
    stats: () => ({ lastCycleMs }),
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

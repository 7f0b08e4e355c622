import { create } from 'zustand';
import type { ApiError } from '../../../shared/api/index.js';
import type { FamilySummary, SystemMetrics } from '../../../shared/api/monitor.js';
import { seriesKey } from '../../../shared/series.js';
import { api } from '../api/client.js';

export interface ChartPoint {
  ts: number;
  value: number;
  min?: number;
  max?: number;
}

/** The newest value of every series a push carried, keyed like the store (`cpu.core{core=3}`). */
export interface LatestValues {
  ts: number;
  values: Record<string, number>;
}

export type SparkMetric = 'rss' | 'cpu_pct';

const HOUR = 60 * 60 * 1000;

interface MonitorState {
  metrics: SystemMetrics | null;
  /** True once system.metrics answered (its value may still be null before the first cycle). */
  metricsLoaded: boolean;
  metricsError: ApiError | null;
  families: FamilySummary[] | null;
  familiesTs: number | null;
  totalProcesses: number;
  familiesLoaded: boolean;
  familiesError: ApiError | null;
  /** Values of the newest `metrics` push; history charts on the 1 h range append them. */
  latest: LatestValues | null;
  /** Values of the newest `processes` push (proc.* series). */
  latestProcesses: LatestValues | null;
  /** The last hour of one proc.* series per family, for the sparklines. */
  sparkMetric: SparkMetric;
  sparks: Record<string, ChartPoint[]>;
  /** Bumped each time the push channel (re)connects: history fetched before a gap is stale. */
  connectSeq: number;
}

export const useMonitor = create<MonitorState>(() => ({
  metrics: null,
  metricsLoaded: false,
  metricsError: null,
  families: null,
  familiesTs: null,
  totalProcesses: 0,
  familiesLoaded: false,
  familiesError: null,
  latest: null,
  latestProcesses: null,
  sparkMetric: 'rss',
  sparks: {},
  connectSeq: 0,
}));

/** The series values one `metrics` push stands for (same keys the sampler stores). */
export function metricsValues(m: SystemMetrics): Record<string, number> {
  const v: Record<string, number> = {
    'cpu.total': m.cpu.totalPct,
    'mem.used_pct': m.memory.usedPct,
    'mem.used_bytes': m.memory.usedBytes,
    'mem.available_bytes': m.memory.availableBytes,
  };
  m.cpu.cores.forEach((pct, core) => {
    v[seriesKey('cpu.core', { core: String(core) })] = pct;
  });
  if (m.memory.swapTotalBytes > 0) v['swap.used_pct'] = m.memory.swapUsedPct;
  for (const d of m.disks) {
    const labels = { mount: d.mount };
    v[seriesKey('disk.free_pct', labels)] = d.freePct;
    v[seriesKey('disk.free_bytes', labels)] = d.freeBytes;
    v[seriesKey('disk.used_bytes', labels)] = d.usedBytes;
  }
  for (const io of m.diskIo) {
    const labels = { device: io.device };
    v[seriesKey('disk.read_bps', labels)] = io.readBps;
    v[seriesKey('disk.write_bps', labels)] = io.writeBps;
    v[seriesKey('disk.read_iops', labels)] = io.readIops;
    v[seriesKey('disk.write_iops', labels)] = io.writeIops;
  }
  for (const n of m.net) {
    const labels = { iface: n.iface };
    v[seriesKey('net.rx_bps', labels)] = n.rxBps;
    v[seriesKey('net.tx_bps', labels)] = n.txBps;
  }
  return v;
}

/** The proc.* series values one `processes` push stands for. */
export function familyValues(families: FamilySummary[]): Record<string, number> {
  const v: Record<string, number> = {};
  for (const f of families) {
    const labels = { family: f.name };
    v[seriesKey('proc.count', labels)] = f.count;
    v[seriesKey('proc.runs', labels)] = f.runs;
    v[seriesKey('proc.cpu_pct', labels)] = f.cpuPct;
    v[seriesKey('proc.rss', labels)] = f.rssBytes;
    v[seriesKey('proc.zombies', labels)] = f.zombies;
    v[seriesKey('proc.hung', labels)] = f.hung;
    if (f.leak) v[seriesKey('proc.leak_mb_per_h', labels)] = f.leak.mbPerHour;
  }
  return v;
}

export function sparkKey(family: string, metric: SparkMetric): string {
  return seriesKey(`proc.${metric}`, { family });
}

/**
 * Appends one value to a bounded live buffer: points closer together than `bucketMs` merge into the
 * last one (its min/max widen), and points older than `windowMs` before `ts` drop off.
 */
export function appendPoint(
  list: readonly ChartPoint[],
  ts: number,
  value: number,
  bucketMs: number,
  windowMs: number,
): ChartPoint[] {
  const cutoff = ts - windowMs;
  const next = list.filter((p) => p.ts >= cutoff);
  const last = next.at(-1);
  if (last && ts <= last.ts) return next;
  if (last && ts - last.ts < bucketMs) {
    next[next.length - 1] = {
      ts: last.ts,
      value,
      min: Math.min(last.min ?? last.value, value),
      max: Math.max(last.max ?? last.value, value),
    };
    return next;
  }
  next.push({ ts, value });
  return next;
}

/** Sparklines are ~120 px wide: one point per 30 s is plenty for an hour. */
const SPARK_POINTS = 120;
const SPARK_BUCKET_MS = HOUR / SPARK_POINTS;

async function loadSparks(metric: SparkMetric, names: string[]): Promise<void> {
  if (names.length === 0) return;
  const to = Date.now();
  const sparks: Record<string, ChartPoint[]> = {};
  // series.query takes at most 50 keys per call
  for (let i = 0; i < names.length; i += 50) {
    const keys = names.slice(i, i + 50).map((n) => sparkKey(n, metric));
    const r = await api.call('series.query', { keys, from: to - HOUR, to, maxPoints: SPARK_POINTS });
    if (!r.ok) return;
    for (const s of r.value.series) sparks[s.key] = s.points;
  }
  if (useMonitor.getState().sparkMetric !== metric) return;
  useMonitor.setState((s) => {
    // keep what pushes appended while the query was in flight
    const merged: Record<string, ChartPoint[]> = { ...sparks };
    for (const [key, seeded] of Object.entries(sparks)) {
      const lastSeeded = seeded.at(-1)?.ts ?? 0;
      merged[key] = [...seeded, ...(s.sparks[key] ?? []).filter((p) => p.ts > lastSeeded)];
    }
    return { sparks: merged };
  });
}

export function setSparkMetric(metric: SparkMetric): void {
  if (useMonitor.getState().sparkMetric === metric) return;
  useMonitor.setState({ sparkMetric: metric, sparks: {} });
  void loadSparks(
    metric,
    (useMonitor.getState().families ?? []).map((f) => f.name),
  );
}

function onFamilies(ts: number, totalProcesses: number, families: FamilySummary[]): void {
  const values = familyValues(families);
  useMonitor.setState((s) => {
    const sparks = { ...s.sparks };
    for (const f of families) {
      const key = sparkKey(f.name, s.sparkMetric);
      const value = values[key];
      if (value !== undefined) sparks[key] = appendPoint(sparks[key] ?? [], ts, value, SPARK_BUCKET_MS, HOUR);
    }
    return {
      families,
      familiesTs: ts,
      totalProcesses,
      familiesLoaded: true,
      familiesError: null,
      latestProcesses: { ts, values },
      sparks,
    };
  });
}

async function loadMetrics(): Promise<void> {
  const r = await api.call('system.metrics', {});
  if (!r.ok) {
    useMonitor.setState({ metricsError: r.error });
    return;
  }
  useMonitor.setState((s) => ({
    metricsLoaded: true,
    metricsError: null,
    // a push may have overtaken the reply
    metrics: s.metrics && r.value && s.metrics.ts > r.value.ts ? s.metrics : (r.value ?? s.metrics),
  }));
}

async function loadFamilies(): Promise<void> {
  const r = await api.call('processes.families', {});
  if (!r.ok) {
    useMonitor.setState({ familiesError: r.error });
    return;
  }
  if (r.value) {
    const before = useMonitor.getState().familiesTs;
    if (before === null || r.value.ts >= before)
      onFamilies(r.value.ts, r.value.totalProcesses, r.value.families);
  } else {
    useMonitor.setState({ familiesLoaded: true, familiesError: null });
  }
  const s = useMonitor.getState();
  void loadSparks(
    s.sparkMetric,
    (s.families ?? []).map((f) => f.name),
  );
}

let started = false;

/**
 * Opens the monitor push subscription once (idempotent: both pages call it). Current figures are
 * fetched whenever the push channel (re)connects, then every change arrives by push.
 */
export function startMonitorUpdates(): void {
  if (started) return;
  started = true;
  api.subscribe(
    (event) => {
      if (event.type === 'metrics') {
        const m = event.metrics;
        useMonitor.setState({
          metrics: m,
          metricsLoaded: true,
          latest: { ts: m.ts, values: metricsValues(m) },
        });
      } else if (event.type === 'processes') {
        onFamilies(event.ts, event.totalProcesses, event.families);
      }
    },
    (up) => {
      if (!up) return;
      useMonitor.setState((s) => ({ connectSeq: s.connectSeq + 1 }));
      void loadMetrics();
      void loadFamilies();
    },
  );
}

/** One family's processes, fetched on demand (the push only carries the summaries). */
export function fetchInstances(family: string) {
  return api.call('processes.instances', { family });
}

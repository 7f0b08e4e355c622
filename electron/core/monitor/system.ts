import type { SystemMetrics } from '../../../shared/api/monitor.js';
import type { SystemSnapshot } from '../../../shared/api/system.js';
import { type MetricSample, metricSample } from '../../../shared/metrics/catalog.js';
import type { Sample } from '../../../shared/series.js';
import type { CpuTimes, DiskSpace, IoCounters, Platform } from '../platform/index.js';

function busyPct(prev: CpuTimes, next: CpuTimes): number {
  const total = next.totalMs - prev.totalMs;
  if (total <= 0) return 0;
  return clampPct((1 - (next.idleMs - prev.idleMs) / total) * 100);
}

function sumTimes(list: readonly CpuTimes[]): CpuTimes {
  let idleMs = 0;
  let totalMs = 0;
  for (const c of list) {
    idleMs += c.idleMs;
    totalMs += c.totalMs;
  }
  return { idleMs, totalMs };
}

export function clampPct(v: number): number {
  return Math.min(100, Math.max(0, Math.round(v * 10) / 10));
}

function pct(part: number, whole: number): number {
  return whole > 0 ? clampPct((part / whole) * 100) : 0;
}

/** The mounts watched when the config names none and the platform reports none: the system disk. */
export function defaultDisks(): string[] {
  return process.platform === 'win32' ? [`${(process.env.SystemDrive ?? 'C:').toUpperCase()}`] : ['/'];
}

function normalizeMount(mount: string): string {
  const m = mount.trim();
  if (/^[a-z]:[\\/]?$/i.test(m)) return m.slice(0, 2).toUpperCase();
  return m.length > 1 ? m.replace(/[\\/]+$/, '') : m;
}

/** Keeps the configured mounts ("C:", "C:\\", "/data/") when any are configured, else every disk. */
export function filterDisks(disks: readonly DiskSpace[], configured: readonly string[]): DiskSpace[] {
  if (configured.length === 0) return [...disks];
  const wanted = new Set(configured.map(normalizeMount));
  return disks.filter((d) => wanted.has(normalizeMount(d.mount)));
}

const LOOPBACK = /^(lo|loopback.*)$/i;

function rate(delta: number, seconds: number): number {
  // A counter that went backwards was reset (device re-attached, 32-bit wrap): no rate this time.
  return delta >= 0 && seconds > 0 ? Math.round((delta / seconds) * 10) / 10 : 0;
}

export interface SystemSampleResult {
  samples: Sample[];
  snapshot: SystemSnapshot;
  metrics: Omit<SystemMetrics, 'sampler'>;
}

/**
 * CPU (deltas of the platform's per-CPU times), memory, disk space and disk/network IO rates through the platform port:
 * cheap enough for a one-second tick on both OSes. Disk space is refreshed only when asked.
 */
export function createSystemSampler(platform: Platform, opts: { disks: () => string[] }) {
  let prevCpu = platform.cpuTimes();
  let prevIo: IoCounters | undefined;
  let disks: SystemMetrics['disks'] = [];
  let disksTs: number | null = null;

  async function readDisks(): Promise<DiskSpace[]> {
    const configured = opts.disks();
    const all = await platform.disks();
    const chosen = filterDisks(all, configured);
    if (chosen.length > 0 || configured.length > 0) return chosen;
    return filterDisks(all, defaultDisks());
  }

  return async function sample(ts: number, refreshDisks: boolean): Promise<SystemSampleResult> {
    const nextCpu = platform.cpuTimes();
    const cores = nextCpu.map((n, i) => busyPct(prevCpu[i] ?? n, n));
    const cpuPct = busyPct(sumTimes(prevCpu), sumTimes(nextCpu));
    prevCpu = nextCpu;

    const [mem, io, diskList] = await Promise.all([
      platform.memory(),
      platform.io(),
      refreshDisks || disksTs === null ? readDisks() : Promise.resolve(undefined),
    ]);
    const memUsed = Math.max(0, mem.totalBytes - mem.availableBytes);
    const swapUsed = Math.max(0, mem.swapTotalBytes - mem.swapFreeBytes);
    const memory = {
      totalBytes: mem.totalBytes,
      usedBytes: memUsed,
      availableBytes: mem.availableBytes,
      usedPct: pct(memUsed, mem.totalBytes),
      swapTotalBytes: mem.swapTotalBytes,
      swapUsedBytes: swapUsed,
      swapUsedPct: pct(swapUsed, mem.swapTotalBytes),
    };

    const samples: MetricSample[] = [
      metricSample('cpu.total', {}, ts, cpuPct),
      ...cores.map((value, core) => metricSample('cpu.core', { core: String(core) }, ts, value)),
      metricSample('mem.used_pct', {}, ts, memory.usedPct),
      metricSample('mem.used_bytes', {}, ts, memUsed),
      metricSample('mem.available_bytes', {}, ts, mem.availableBytes),
    ];
    if (mem.swapTotalBytes > 0) samples.push(metricSample('swap.used_pct', {}, ts, memory.swapUsedPct));

    if (diskList) {
      disks = diskList.map((d) => ({
        mount: d.mount,
        totalBytes: d.totalBytes,
        freeBytes: d.freeBytes,
        usedBytes: Math.max(0, d.totalBytes - d.freeBytes),
        freePct: pct(d.freeBytes, d.totalBytes),
      }));
      disksTs = ts;
      for (const d of disks) {
        const labels = { mount: d.mount };
        samples.push(
          metricSample('disk.free_pct', labels, ts, d.freePct),
          metricSample('disk.free_bytes', labels, ts, d.freeBytes),
          metricSample('disk.used_bytes', labels, ts, d.usedBytes),
        );
      }
    }

    const diskIo: SystemMetrics['diskIo'] = [];
    const net: SystemMetrics['net'] = [];
    if (prevIo) {
      const seconds = (io.at - prevIo.at) / 1000;
      const prevDisks = new Map(prevIo.disks.map((d) => [d.device, d]));
      for (const d of io.disks) {
        const p = prevDisks.get(d.device);
        if (!p) continue;
        const entry = {
          device: d.device,
          readBps: rate(d.readBytes - p.readBytes, seconds),
          writeBps: rate(d.writeBytes - p.writeBytes, seconds),
          readIops: rate(d.reads - p.reads, seconds),
          writeIops: rate(d.writes - p.writes, seconds),
        };
        diskIo.push(entry);
        const labels = { device: d.device };
        samples.push(
          metricSample('disk.read_bps', labels, ts, entry.readBps),
          metricSample('disk.write_bps', labels, ts, entry.writeBps),
          metricSample('disk.read_iops', labels, ts, entry.readIops),
          metricSample('disk.write_iops', labels, ts, entry.writeIops),
        );
      }
      const prevNets = new Map(prevIo.nets.map((n) => [n.iface, n]));
      for (const n of io.nets) {
        const p = prevNets.get(n.iface);
        if (!p || LOOPBACK.test(n.iface)) continue;
        const entry = {
          iface: n.iface,
          rxBps: rate(n.rxBytes - p.rxBytes, seconds),
          txBps: rate(n.txBytes - p.txBytes, seconds),
        };
        net.push(entry);
        const labels = { iface: n.iface };
        samples.push(
          metricSample('net.rx_bps', labels, ts, entry.rxBps),
          metricSample('net.tx_bps', labels, ts, entry.txBps),
        );
      }
    }
    prevIo = io;

    const snapshot: SystemSnapshot = {
      ts,
      cpuPct,
      memUsedPct: memory.usedPct,
      memTotalBytes: mem.totalBytes,
      memUsedBytes: memUsed,
      disks: disks.map((d) => ({
        mount: d.mount,
        totalBytes: d.totalBytes,
        freeBytes: d.freeBytes,
        freePct: d.freePct,
      })),
    };
    return {
      samples,
      snapshot,
      metrics: { ts, cpu: { totalPct: cpuPct, cores }, memory, disks, disksTs, diskIo, net },
    };
  };
}

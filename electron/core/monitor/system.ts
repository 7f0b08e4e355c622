import { statfs } from 'node:fs/promises';
import os from 'node:os';
import type { SystemSnapshot } from '../../../shared/api/system.js';
import type { Sample } from '../../../shared/series.js';

interface CpuTimes {
  idle: number;
  total: number;
}

function readCpuTimes(): CpuTimes[] {
  return os.cpus().map((c) => {
    const t = c.times;
    return { idle: t.idle, total: t.user + t.nice + t.sys + t.idle + t.irq };
  });
}

function busyPct(prev: CpuTimes, next: CpuTimes): number {
  const total = next.total - prev.total;
  if (total <= 0) return 0;
  return clampPct((1 - (next.idle - prev.idle) / total) * 100);
}

function clampPct(v: number): number {
  return Math.min(100, Math.max(0, Math.round(v * 10) / 10));
}

/** The mounts watched when the config names none: the system disk. */
export function defaultDisks(): string[] {
  return process.platform === 'win32' ? [`${(process.env.SystemDrive ?? 'C:').toUpperCase()}`] : ['/'];
}

/**
 * CPU, memory and disk space without spawning anything: os.cpus() deltas, os memory figures and
 * statfs per mount. Cheap enough for a few-second cadence on every platform.
 */
export function createSystemSampler(opts: { disks: () => string[] }) {
  let prevCpu = readCpuTimes();

  return async function sample(ts: number): Promise<{ samples: Sample[]; snapshot: SystemSnapshot }> {
    const nextCpu = readCpuTimes();
    const perCore = nextCpu.map((n, i) => busyPct(prevCpu[i] ?? n, n));
    const agg = (list: CpuTimes[]) =>
      list.reduce((a, c) => ({ idle: a.idle + c.idle, total: a.total + c.total }), { idle: 0, total: 0 });
    const cpuPct = busyPct(agg(prevCpu), agg(nextCpu));
    prevCpu = nextCpu;

    const memTotal = os.totalmem();
    const memUsed = memTotal - os.freemem();
    const memUsedPct = clampPct((memUsed / memTotal) * 100);

    const disks = await Promise.all(
      opts.disks().map(async (mount) => {
        try {
          const st = await statfs(
            process.platform === 'win32' && /^[A-Z]:$/i.test(mount) ? `${mount}\\` : mount,
          );
          const totalBytes = st.blocks * st.bsize;
          const freeBytes = st.bavail * st.bsize;
          return {
            mount,
            totalBytes,
            freeBytes,
            freePct: totalBytes > 0 ? clampPct((freeBytes / totalBytes) * 100) : 0,
          };
        } catch {
          return undefined;
        }
      }),
    );
    const okDisks = disks.filter((d): d is NonNullable<typeof d> => d !== undefined);

    const samples: Sample[] = [
      { name: 'cpu.total', labels: {}, ts, value: cpuPct },
      ...perCore.map((value, core) => ({ name: 'cpu.core', labels: { core: String(core) }, ts, value })),
      { name: 'mem.used_pct', labels: {}, ts, value: memUsedPct },
      { name: 'mem.used_bytes', labels: {}, ts, value: memUsed },
      ...okDisks.flatMap((d) => [
        { name: 'disk.free_pct', labels: { mount: d.mount }, ts, value: d.freePct },
        { name: 'disk.free_bytes', labels: { mount: d.mount }, ts, value: d.freeBytes },
      ]),
    ];
    return {
      samples,
      snapshot: { ts, cpuPct, memUsedPct, memTotalBytes: memTotal, memUsedBytes: memUsed, disks: okDisks },
    };
  };
}

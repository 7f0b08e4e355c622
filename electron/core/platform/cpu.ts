import os from 'node:os';
import type { CpuTimes } from './types.js';

/**
 * CPU times from `os.cpus()` as libuv reports them on Windows (NtQuerySystemInformation, no child
 * process): `sys` is KernelTime − IdleTime, which already contains interrupt time, so `irq` (the
 * InterruptTime part of it) is not added again. Elsewhere (macOS) `irq` is 0. Pure.
 */
export function cpuTimesFromNode(cpus: readonly Pick<os.CpuInfo, 'times'>[]): CpuTimes[] {
  return cpus.map(({ times: t }) => ({ idleMs: t.idle, totalMs: t.user + t.nice + t.sys + t.idle }));
}

/**
 * Not used on Linux, where os.cpus() also parses /proc/cpuinfo and probes cpufreq for every CPU on each
 * call. On Windows libuv also reads each CPU's model and speed from the registry on every call.
 */
export function nodeCpuTimes(): CpuTimes[] {
  return cpuTimesFromNode(os.cpus());
}

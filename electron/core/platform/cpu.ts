import os from 'node:os';
import type { CpuTimes } from './types.js';

/**
 * CPU times from Node: NtQuerySystemInformation on Windows, no child process. Not used on Linux, where
 * os.cpus() also parses /proc/cpuinfo and probes cpufreq for every CPU on each call.
 */
export function nodeCpuTimes(): CpuTimes[] {
  return os
    .cpus()
    .map(({ times: t }) => ({ idleMs: t.idle, totalMs: t.user + t.nice + t.sys + t.idle + t.irq }));
}

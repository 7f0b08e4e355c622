/**
 * The platform door: createPlatform() picks the implementation for this OS. Nothing runs at import;
 * the Windows implementation loads koffi (Win32 bindings) only on its first call.
 */

import { statfs } from 'node:fs/promises';
import { freemem, totalmem } from 'node:os';
import { type Clock, systemClock } from '../clock/index.js';
import { nodeCpuTimes } from './cpu.js';
import { createLinuxPlatform } from './linux.js';
import type { RunCommand } from './run.js';
import type { Platform } from './types.js';
import { createWindowsPlatform } from './windows/index.js';

export { joinArgs, programOf, quoteArg, splitCommandLine } from './command-line.js';
export { createLinuxPlatform, type LinuxPlatformOptions } from './linux.js';
export type { RunCommand, RunResult } from './run.js';
export { createRunCommand } from './run.js';
export type * from './types.js';
export { createWindowsPlatform, type WindowsPlatformOptions } from './windows/index.js';

export interface CreatePlatformOptions {
  /** Defaults to the system clock; tests and the composition root may pass their own. */
  clock?: Clock;
  /** Windows only: runs taskkill/schtasks. Tests inject one that records arguments. */
  run?: RunCommand;
}

export function createPlatform(options: CreatePlatformOptions = {}): Platform {
  const clock = options.clock ?? systemClock;
  if (process.platform === 'linux') return createLinuxPlatform({ clock });
  if (process.platform === 'win32') return createWindowsPlatform({ clock, run: options.run });
  return createOtherPlatform(clock);
}

/**
 * macOS and the rest: enough for a developer to start the app (memory and root disk from Node itself),
 * no process list and no stop. The product targets Windows; Linux is where it is tested.
 */
function createOtherPlatform(clock: Clock): Platform {
  return {
    kind: 'other',
    processes: { list: async () => [] },
    killer: {
      async stop(targets) {
        return targets.map((t) => ({ pid: t.pid, result: 'error' as const, detail: 'unsupported platform' }));
      },
    },
    cpuTimes: nodeCpuTimes,
    async memory() {
      return { totalBytes: totalmem(), availableBytes: freemem(), swapTotalBytes: 0, swapFreeBytes: 0 };
    },
    async disks() {
      const stats = await statfs('/');
      return [{ mount: '/', totalBytes: stats.blocks * stats.bsize, freeBytes: stats.bavail * stats.bsize }];
    },
    async io() {
      return { disks: [], nets: [], at: clock.now() };
    },
    taskScheduler: {
      async disable() {
        return { wasEnabled: false };
      },
      async enable() {},
    },
    async close() {},
  };
}

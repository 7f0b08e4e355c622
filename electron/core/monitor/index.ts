import type { SystemSnapshot } from '../../../shared/api/system.js';
import type { Sample } from '../../../shared/series.js';
import type { Clock } from '../clock/index.js';
import { type CadenceStats, startCadence } from './cadence.js';
import { createSystemSampler, defaultDisks } from './system.js';

export type { CadenceStats } from './cadence.js';

export interface MonitorCycle {
  ts: number;
  samples: Sample[];
  snapshot: SystemSnapshot;
}

export interface MonitorOptions {
  clock: Clock;
  intervalMs: () => number;
  disks: () => string[];
  onCycle(cycle: MonitorCycle): void;
  onError(err: unknown): void;
}

export interface Monitor {
  start(): void;
  stop(): void;
  /** Restarts the cadence when the interval changed in the config. */
  reschedule(): void;
  /** Runs one cycle now (tests, CLI status). */
  sampleOnce(): Promise<MonitorCycle>;
  latest(): MonitorCycle | undefined;
  stats(): CadenceStats;
}

export function createMonitor(opts: MonitorOptions): Monitor {
  const sampleSystem = createSystemSampler({
    disks: () => {
      const configured = opts.disks();
      return configured.length > 0 ? configured : defaultDisks();
    },
  });
  let cadence: ReturnType<typeof startCadence> | undefined;
  let latest: MonitorCycle | undefined;

  async function sampleOnce(): Promise<MonitorCycle> {
    const ts = opts.clock.now();
    const { samples, snapshot } = await sampleSystem(ts);
    latest = { ts, samples, snapshot };
    return latest;
  }

  const cycle = async () => {
    opts.onCycle(await sampleOnce());
  };

  return {
    start() {
      cadence ??= startCadence(opts.intervalMs(), opts.clock, cycle, opts.onError);
    },
    stop() {
      cadence?.stop();
      cadence = undefined;
    },
    reschedule() {
      if (cadence && cadence.stats().intervalMs !== opts.intervalMs()) {
        cadence.stop();
        cadence = startCadence(opts.intervalMs(), opts.clock, cycle, opts.onError);
      }
    },
    sampleOnce,
    latest: () => latest,
    stats: () => cadence?.stats() ?? { intervalMs: opts.intervalMs(), lagMs: 0, skipped: 0, runs: 0 },
  };
}

import { botFolders } from '../../../shared/config/bots.js';
import type { Capability, CoreContext, HandlersOf } from '../capability/index.js';
import type { JobSpec, JobStatus } from '../jobs/index.js';
import type { Platform, ProcessInfo } from '../platform/index.js';
import { classifyProcesses } from './families.js';
import { createMonitor, type Monitor } from './index.js';

export interface MonitorCapability extends Capability {
  readonly monitor: Monitor;
  /** The family classifier bound to the current config: the emergency stop picks its targets with it. */
  classify(processes: readonly ProcessInfo[]): ReturnType<typeof classifyProcesses>;
  /** The monitor's last process table when young enough (Monitor.recentProcesses). */
  recentProcesses(maxAgeMs: number): Promise<ProcessInfo[]>;
}

export const SAMPLE_JOB = 'monitor.sample';

/**
 * The monitor as a capability: one job samples the system (and, on their own cadence, the process
 * families) every live tick, writes the stored window, lets the alert rules evaluate the samples and
 * pushes them to every open UI.
 */
export function createMonitorCapability(
  ctx: CoreContext,
  deps: { platform: Platform; jobStatus(name: string): JobStatus | undefined },
): MonitorCapability {
  const monitorConfig = () => ctx.config.current().monitor;
  // 8.3 short names and \\?\ prefixes in the config must match the long paths on command lines.
  const canonical = new Map<string, string>();
  const folders = () =>
    botFolders(ctx.config.current().bots).map((f) => {
      let long = canonical.get(f);
      if (long === undefined) {
        long = deps.platform.canonicalFolder?.(f) ?? f;
        canonical.set(f, long);
      }
      return long;
    });
  const monitor = createMonitor({
    clock: ctx.clock,
    platform: deps.platform,
    db: ctx.store.db,
    config: monitorConfig,
    botFolders: folders,
    cadence: () => {
      const job = deps.jobStatus(SAMPLE_JOB);
      return {
        intervalMs: monitorConfig().liveIntervalSeconds * 1000,
        lagMs: job?.lagMs ?? 0,
        skipped: job?.skipped ?? 0,
      };
    },
    onError: (err) => ctx.log.error(`monitor: ${err instanceof Error ? err.message : String(err)}`),
  });

  async function sample(): Promise<void> {
    const cycle = await monitor.sampleOnce();
    ctx.store.writeSamples(cycle.toStore);
    const samples = cycle.samples;
    ctx.hooks.emit('samples', { ts: cycle.ts, samples });
    if (ctx.uiConnected?.() === false) return;
    ctx.emit({
      type: 'samples',
      ts: cycle.ts,
      samples: samples.map((s) => ({ key: s.key, value: s.value })),
      snapshot: cycle.snapshot,
    });
    ctx.emit({ type: 'metrics', metrics: cycle.metrics });
    if (cycle.processes) {
      const { ts, total, families } = cycle.processes;
      ctx.emit({ type: 'processes', ts, totalProcesses: total, families });
    }
  }

  const jobs: JobSpec[] = [
    { name: SAMPLE_JOB, schedule: { every: () => monitorConfig().liveIntervalSeconds * 1000 }, run: sample },
  ];

  const handlers: HandlersOf<'system' | 'processes'> = {
    'system.snapshot': () => monitor.latest()?.snapshot ?? null,
    'system.metrics': () => monitor.metrics() ?? null,
    'processes.families': () => monitor.families() ?? null,
    'processes.instances': ({ family }) => monitor.instances(family) ?? null,
  };

  return {
    name: 'monitor',
    monitor,
    handlers,
    jobs,
    recentProcesses: (maxAgeMs) => monitor.recentProcesses(maxAgeMs),
    classify: (processes) =>
      classifyProcesses(processes, monitorConfig().families, { botFolders: folders() }),
    close: () => monitor.close(),
  };
}

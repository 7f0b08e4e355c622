import type { Capability, CoreContext, HandlersOf } from '../capability/index.js';
import type { Platform } from '../platform/index.js';
import { type BotSchedulePauser, type Classify, createStop, type Stop, type StopNotifier } from './index.js';

export interface StopCapability extends Capability {
  readonly stop: Stop;
}

export interface StopCapabilityDeps {
  platform: Platform;
  notifier: StopNotifier;
  classify: Classify;
  /** Everything that starts bots on a schedule (maintenance jobs, supervised bots): paused by a stop. */
  schedules?: readonly BotSchedulePauser[];
}

/**
 * The emergency stop as a capability: its methods, the `emergency-stop` action that alert rules run,
 * and the `stopped` health. Resumes are announced on the `stop.resumed` hook (the alert rules' cooldown).
 */
export function createStopCapability(ctx: CoreContext, deps: StopCapabilityDeps): StopCapability {
  const pausers = deps.schedules ?? [];
  const stop = createStop({
    platform: deps.platform,
    store: ctx.store,
    clock: ctx.clock,
    config: () => ctx.config.current(),
    classify: deps.classify,
    notifier: deps.notifier,
    schedules: {
      async pauseBotSchedules() {
        const paused: string[] = [];
        for (const p of pausers) paused.push(...(await p.pauseBotSchedules()));
        return paused;
      },
      async resumeBotSchedules(ids) {
        for (const p of pausers) await p.resumeBotSchedules(ids);
      },
    },
    onEvent: (e) => ctx.emit(e),
    onResume: (at) => ctx.hooks.emit('stop.resumed', { at }),
    onStateChange: (stopped) => {
      ctx.hooks.emit('stop.changed', { stopped });
      ctx.hooks.emit('status.changed', {});
    },
    log: (m) => ctx.log.warn(`stop: ${m}`),
  });
  ctx.actions.provide('emergency-stop', (a) => stop.ruleAction(a));

  const handlers: HandlersOf<'stop'> = stop.handlers;
  return {
    name: 'stop',
    stop,
    handlers,
    health: () => (stop.isStopped() ? 'stopped' : 'ok'),
    start() {
      // Capabilities that hold bots (supervised launches) learn the state the stop started in.
      ctx.hooks.emit('stop.changed', { stopped: stop.isStopped() });
      // A stop that a crash of Nexus Ops interrupted is finished before anything else relaunches a bot.
      stop.finishInterrupted().catch((err: unknown) => ctx.log.error(`stop: ${String(err)}`));
    },
  };
}

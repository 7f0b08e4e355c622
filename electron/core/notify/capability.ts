import { NOTIFY_PUBLIC_VALUES, NOTIFY_SECRET_KEYS } from '../../../shared/config/notify.js';
import type { Capability, CoreContext, HandlersOf } from '../capability/index.js';
import type { DesktopPort } from '../desktop/index.js';
import type { JobSpec } from '../jobs/index.js';
import { redactConfig } from '../secrets/index.js';
import { createNotifier, type Notifier } from './notifier.js';

export interface NotifyCapability extends Capability {
  /** The port alerts, the stop and later capabilities send messages through. */
  readonly notifier: Notifier;
}

const DAY = 86_400_000;
/** Finished deliveries are kept this long (the bound: 90 days). */
export const DELIVERY_RETENTION_DAYS = 90;

export function createNotifyCapability(ctx: CoreContext, deps: { desktop: DesktopPort }): NotifyCapability {
  const notifier = createNotifier({
    db: ctx.store.db,
    clock: ctx.clock,
    desktop: deps.desktop,
    config: ctx.config.current().notify,
    onEvent: (e) => ctx.emit(e),
    env: process.env,
    log: (m: string) => ctx.log.warn(`notify: ${m}`),
    writes: ctx.store.writes,
  });

  const handlers: HandlersOf<'notify'> = {
    'notify.deliveries': (filter) => ({ deliveries: notifier.deliveries(filter) }),
    'notify.test': ({ channelId }) => notifier.test(channelId),
    'notify.channels': () => ({
      channels: ctx.config.current().notify.channels.map((c) => {
        const { id, type, enabled, minSeverity, ...settings } = redactConfig(
          c,
          NOTIFY_SECRET_KEYS,
          NOTIFY_PUBLIC_VALUES,
        );
        return { id, type, enabled, minSeverity, settings };
      }),
    }),
  };

  const jobs: JobSpec[] = [
    { name: 'notify.retry', schedule: { every: 1_000 }, run: () => notifier.tick() },
    {
      name: 'notify.retention',
      schedule: { every: DAY, startAfter: 10 * 60_000 },
      run: ({ now }) => notifier.prune(now - DELIVERY_RETENTION_DAYS * DAY),
    },
  ];

  return {
    name: 'notify',
    notifier,
    handlers,
    jobs,
    onConfig(config) {
      notifier.setConfig(config.notify);
      return undefined;
    },
    close: () => notifier.close(),
  };
}

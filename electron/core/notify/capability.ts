import {
  NOTIFY_PUBLIC_VALUES,
  NOTIFY_SECRET_KEYS,
  type NotifyConfig,
} from '../../../shared/config/notify.js';
import { type Config, type ConfigIssue, formatConfigIssue } from '../../../shared/config/schema.js';
import type { Capability, ConfigSource, CoreContext, HandlersOf } from '../capability/index.js';
import type { DesktopPort } from '../desktop/index.js';
import type { JobSpec } from '../jobs/index.js';
import { redactConfig } from '../secrets/index.js';
import { createNotifier, type Notifier } from './notifier.js';

export interface NotifyCapability extends Capability {
  /** The port alerts, the stop and later capabilities send messages through. */
  readonly notifier: Notifier;
}

const DAY = 86_400_000;
/** Finished deliveries are kept this long (the issue's bound: 90 days). */
export const DELIVERY_RETENTION_DAYS = 90;

const ENV_REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Every `${env:NAME}` an enabled channel refers to that is not set: the channel cannot send until it is.
 * Found at start and on every reload, so the operator learns it before the first alert, not after.
 */
export function missingEnvIssues(
  config: NotifyConfig,
  env: Record<string, string | undefined>,
  file: string,
  locate: ReturnType<ConfigSource['locate']>,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  config.channels.forEach((ch, i) => {
    if (!ch.enabled) return;
    for (const [key, value] of Object.entries(ch)) {
      const texts =
        typeof value === 'string'
          ? [value]
          : Array.isArray(value)
            ? value.filter((v) => typeof v === 'string')
            : [];
      for (const text of texts) {
        for (const m of text.matchAll(ENV_REF)) {
          const name = m[1] as string;
          if (env[name] !== undefined && env[name] !== '') continue;
          const path = ['notify', 'channels', i, key];
          const pos = locate(path);
          issues.push({
            file,
            ...(pos ? { line: pos.line, col: pos.col } : {}),
            path: path.join('.'),
            message: `\${env:${name}} is not set: set the environment variable ${name} for the user that runs Nexus Ops (channel "${ch.id}" cannot send until then)`,
          });
        }
      }
    }
  });
  return issues;
}

/** The dashboard links in messages point at: notify.dashboardUrl, or this PC's own app port. */
export function dashboardUrlOf(config: Config): string {
  return config.notify.dashboardUrl ?? `http://127.0.0.1:${config.server.port}/`;
}

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
    dashboardUrl: () => dashboardUrlOf(ctx.config.current()),
  });

  let envIssues: ConfigIssue[] = [];
  function checkEnv(config: NotifyConfig): ConfigIssue[] {
    envIssues = missingEnvIssues(config, process.env, ctx.config.file, ctx.config.locate());
    for (const issue of envIssues) ctx.log.warn(`notify: ${formatConfigIssue(issue)}`);
    return envIssues;
  }
  checkEnv(ctx.config.current().notify);

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
      return checkEnv(config.notify);
    },
    configIssues: () => envIssues,
    close: () => notifier.close(),
  };
}

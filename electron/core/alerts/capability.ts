import type { RuleLoadError } from '../../../shared/config/alerts.js';
import type { Config, ConfigIssue } from '../../../shared/config/schema.js';
import type { LiveSample } from '../../../shared/series.js';
import type { Capability, CoreContext } from '../capability/index.js';
import type { JobSpec } from '../jobs/index.js';
import type { EvidenceLookup } from './actions.js';
import type { AlertNotifier } from './engine.js';
import { type Alerts, createAlerts } from './index.js';

const DAY = 86_400_000;
/** Ended alerts and their events are kept this long; open alerts always. */
export const ALERT_RETENTION_DAYS = 90;

export interface AlertsCapability extends Capability {
  readonly alerts: Alerts;
}

/** Rule, window and silence problems in the config, as app.status shows them. */
export function ruleIssues(errors: readonly RuleLoadError[]): ConfigIssue[] {
  return errors.map((e) => ({
    file: e.file,
    line: e.line,
    col: e.col,
    path: e.ruleIndex >= 0 ? `alerts.rules[${e.ruleIndex}]${e.ruleId ? ` (${e.ruleId})` : ''}` : 'alerts',
    message: e.reason,
  }));
}

/**
 * The alert engine as a capability: rules evaluate every batch of samples any producer announces,
 * escalation and repeats run on a tick, actions (`emergency-stop`) are run by name from the registry,
 * and the rule cooldown starts at every resume.
 */
export function createAlertsCapability(
  ctx: CoreContext,
  deps: { notifier: AlertNotifier; lastResumeAt: number | null; evidenceFor?: EvidenceLookup },
): AlertsCapability {
  let issues: ConfigIssue[] = [];
  const alerts = createAlerts({
    db: ctx.store.db,
    clock: ctx.clock,
    notifier: deps.notifier,
    onEvent: (e) => {
      ctx.emit(e);
      if (e.type === 'alert.changed') ctx.hooks.emit('alerts.changed', { alert: e.alert });
      if (e.type === 'alert.health') ctx.hooks.emit('status.changed', {});
    },
    readSeries: (key, from, to) => ctx.store.readRaw(key, from, to),
    configFile: ctx.config.file,
    // The operator's rules from the start: open alerts are restored against them (without it the
    // engine restored against the shipped rules and closed every open alert of the operator's own).
    config: ctx.config.current().alerts,
    audit: (entry) => ctx.store.appendAudit(entry),
    // Actions are run by name from the registry (the stop offers emergency-stop).
    actions: ctx.actions,
    writes: ctx.store.writes,
    locale: () => ctx.config.current().ui.locale,
    ...(deps.evidenceFor ? { evidenceFor: deps.evidenceFor } : {}),
    log: (m) => ctx.log.warn(`alerts: ${m}`),
  });

  function apply(): ConfigIssue[] {
    const errors = alerts.setConfig(ctx.config.current().alerts, ctx.config.locate());
    for (const e of errors) {
      ctx.log.warn(`alerts: ${e.file}:${e.line}:${e.col}: rule ${e.ruleId ?? e.ruleIndex}: ${e.reason}`);
    }
    issues = ruleIssues(errors);
    return issues;
  }

  // A resume done by the CLI while the app was closed still starts the rule cooldown.
  if (deps.lastResumeAt !== null) alerts.noteResume(deps.lastResumeAt);
  apply();
  ctx.hooks.on('samples', ({ samples }) =>
    alerts.evaluate(withoutBotFamiliesWhenNoBot(samples, ctx.config.current())),
  );
  ctx.hooks.on('stop.resumed', ({ at }) => alerts.noteResume(at));

  const jobs: JobSpec[] = [
    { name: 'alerts.tick', schedule: { every: 5_000 }, run: () => alerts.tick() },
    {
      name: 'alerts.retention',
      schedule: { every: DAY, startAfter: 15 * 60_000 },
      run: ({ now }) => alerts.prune(now - ALERT_RETENTION_DAYS * DAY),
    },
  ];

  return {
    name: 'alerts',
    alerts,
    handlers: alerts.api,
    jobs,
    onConfig: () => apply(),
    configIssues: () => issues,
    health: () => alerts.health(),
  };
}

/**
 * Issue 10 item 14: a rule about bots must not fire while no bot is configured (a fresh install, or
 * every bot disabled). The bot families are the ones the emergency stop ends (`stopOnEmergency`);
 * their samples are held back from the rules until a bot is declared, so an operator's rule such as
 * `proc.count{family="bot-runner"} == 0` stays quiet like the shipped `bot.up` rule (whose series only
 * exists for declared bots). The monitor still records and shows them.
 */
export function withoutBotFamiliesWhenNoBot(
  samples: readonly LiveSample[],
  config: Pick<Config, 'bots' | 'monitor'>,
): readonly LiveSample[] {
  if (config.bots.some((b) => b.enabled)) return samples;
  const botFamilies = new Set(config.monitor.families.filter((f) => f.stopOnEmergency).map((f) => f.name));
  if (botFamilies.size === 0) return samples;
  return samples.filter((s) => s.labels.family === undefined || !botFamilies.has(s.labels.family));
}

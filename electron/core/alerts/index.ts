/**
 * The alerts door: rules over the samples every producer announces, alert lifecycle, silences and
 * maintenance windows, escalation, rule actions. See README.md for the parts.
 */
import type { Alert, AlertHealth, AlertRuleInfo } from '../../../shared/api/alerts.js';
import type { RuleLoadError } from '../../../shared/config/alerts.js';
import { type AlertsHandlers, createAlertsApi } from './api.js';
import { type AlertsDeps, AlertsEngine, type LatestSample } from './engine.js';
import type { Locate } from './rules.js';

export type { ActionContext, AlertAction, RuleActionRunner } from './actions.js';
export { type AlertsHandlers, createAlertsApi } from './api.js';
export { type AlertsCapability, createAlertsCapability, ruleIssues } from './capability.js';
export { defaultRules } from './defaults.js';
export {
  type AlertNotifier,
  type AlertNotifyMessage,
  type AlertsDeps,
  AlertsEngine,
  healthOf,
  type LatestSample,
  linearForecast,
} from './engine.js';
export { AlertError } from './errors.js';
export { parseDuration, parseExpr } from './expr.js';
export { formatValue } from './messages.js';
export { alertsMigration } from './migrations/003-alerts.js';
export { compileRules, defaultMetricCheck, type Locate } from './rules.js';

/** The alert engine as core sees it. */
export interface Alerts {
  /** Applies the `alerts:` section; returns the rules (and windows/silences) that failed to load. */
  setConfig(alertsSection: unknown, locate?: Locate): RuleLoadError[];
  /** One evaluation over the newest value of every series. Never awaits anything. */
  evaluate(latest: readonly LatestSample[]): void;
  /** Escalation, repeats, silence and window boundaries, deferred actions: call every few seconds. */
  tick(): void;
  health(): AlertHealth;
  /** Open alerts (pending, firing, acknowledged), most severe first. */
  active(): Alert[];
  /** Called by the emergency stop on resume: action rules then wait the cooldown before acting again. */
  noteResume(at: number): void;
  /** Retention: ended alerts and their events before `before` are deleted. */
  prune(before: number): void;
  loadErrors(): RuleLoadError[];
  /** The loaded rules and the ones that failed to load. */
  ruleInfo(): { rules: AlertRuleInfo[]; errors: RuleLoadError[] };
  /** Resolves when the evaluation in progress (a large one runs in slices) has finished. */
  idle(): Promise<void>;
  readonly api: AlertsHandlers;
}

/**
 * Builds the alert engine on an open store database (migration 3 applied). Restores open alerts
 * from the database: a firing alert stays firing and is not announced again.
 */
export function createAlerts(deps: AlertsDeps): Alerts {
  const engine = new AlertsEngine(deps);
  return {
    setConfig: (section, locate) => engine.setConfig(section, locate),
    evaluate: (latest) => engine.evaluate(latest),
    tick: () => engine.tick(),
    health: () => engine.health(),
    active: () => engine.list(),
    noteResume: (at) => engine.noteResume(at),
    prune: (before) => engine.prune(before),
    loadErrors: () => engine.loadErrors(),
    ruleInfo: () => engine.ruleInfo(),
    idle: () => engine.idle(),
    api: createAlertsApi(engine),
  };
}

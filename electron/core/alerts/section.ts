/**
 * The `alerts:` section, loaded: rules compiled one by one (a bad one is rejected with its line while
 * the others load), maintenance windows and config silences built in the operator's time zone. A
 * problem anywhere comes back with its place; nothing throws.
 */
import { type AlertsConfig, alertsConfigSchema, type RuleLoadError } from '../../../shared/config/alerts.js';
import { localTimeZone } from '../clock/index.js';
import { defaultRules } from './defaults.js';
import { ActiveSilence, MaintenanceWindow, parseInstant } from './maintenance.js';
import { type CompiledRule, compileRules, type Locate, type MetricCheck } from './rules.js';

export interface LoadedSection {
  config: AlertsConfig;
  rules: CompiledRule[];
  errors: RuleLoadError[];
  windows: MaintenanceWindow[];
  configSilences: ActiveSilence[];
}

export interface LoadOptions {
  file: string;
  locate?: Locate;
  metricCheck?: MetricCheck;
  /** Used for the settings when the section itself does not validate (the rules still load on their own). */
  previous: AlertsConfig;
}

export function loadSection(section: unknown, opts: LoadOptions): LoadedSection {
  const { file, locate } = opts;
  const errors: RuleLoadError[] = [];
  const sectionError = (path: readonly (string | number)[], reason: string) => {
    const pos = locate?.(['alerts', ...path]);
    errors.push({ file, line: pos?.line ?? 0, col: pos?.col ?? 0, ruleIndex: -1, reason });
  };

  const parsed = alertsConfigSchema.safeParse(section ?? {});
  let config: AlertsConfig;
  let rawRules: readonly unknown[];
  if (parsed.success) {
    config = parsed.data;
    rawRules = config.rules ?? defaultRules;
  } else {
    for (const issue of parsed.error.issues) {
      const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
      sectionError(path, `alerts.${path.join('.')}: ${issue.message}`);
    }
    config = opts.previous;
    const rulesField =
      section && typeof section === 'object' ? (section as { rules?: unknown }).rules : undefined;
    rawRules = Array.isArray(rulesField) ? rulesField : (config.rules ?? defaultRules);
  }

  const load = compileRules(rawRules, {
    file,
    ...(locate ? { locate: (p) => locate(p) } : {}),
    basePath: ['alerts', 'rules'],
    ...(opts.metricCheck ? { metricCheck: opts.metricCheck } : {}),
  });
  errors.unshift(...load.errors);

  const timezone = config.timezone ?? localTimeZone();
  if (config.timezone !== undefined && !isValidTimeZone(config.timezone)) {
    sectionError(
      ['timezone'],
      `alerts.timezone: unknown time zone "${config.timezone}" (use e.g. Asia/Tokyo)`,
    );
  }
  const tz = isValidTimeZone(timezone) ? timezone : 'UTC';
  const windows: MaintenanceWindow[] = [];
  config.maintenanceWindows.forEach((w, i) => {
    try {
      windows.push(new MaintenanceWindow(w, tz));
    } catch (err) {
      sectionError(
        ['maintenanceWindows', i, 'cron'],
        `alerts.maintenanceWindows[${i}] (${w.id}): ${(err as Error).message}`,
      );
    }
  });
  const configSilences: ActiveSilence[] = [];
  config.silences.forEach((s, i) => {
    try {
      configSilences.push(
        new ActiveSilence({
          id: `config:${s.id}`,
          ruleId: s.ruleId ?? null,
          matchers: s.matchers,
          startsAt: s.startsAt === undefined ? 0 : parseInstant(s.startsAt),
          endsAt: parseInstant(s.until),
          reason: s.reason,
          createdBy: 'config',
          createdAt: 0,
          source: 'config',
          expiredAt: null,
        }),
      );
    } catch (err) {
      sectionError(['silences', i], `alerts.silences[${i}] (${s.id}): ${(err as Error).message}`);
    }
  });

  return { config, rules: load.rules, errors, windows, configSilences };
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

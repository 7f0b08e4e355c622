/**
 * The words of alert messages, in the operator's language (`ui.locale`). A rule's own `message`
 * template wins; its variables are documented in resources/config/default.yaml:
 * {{rule}} (the rule's name), {{id}} (the rule's id), {{metric}}, {{series}}, {{value}}, {{threshold}},
 * {{op}}, {{for}}, {{severity}}, {{severity_ja}}, {{labels.<name>}}.
 */
import type { AlertSeverity } from '../../../shared/config/alerts.js';
import { formatDuration } from './expr.js';
import type { Instance } from './instance.js';

export type Locale = 'ja' | 'en';

const SEVERITY_JA: Record<AlertSeverity, string> = { critical: '重大', warning: '警告', info: '情報' };

export function formatValue(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '-';
  return String(Number(v.toFixed(Math.abs(v) >= 100 ? 0 : 2)));
}

function renderTemplate(template: string, vars: Record<string, string>): string {
  return template.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (whole, name: string) => vars[name] ?? whole);
}

/** The alert's one-line message: the rule's template, or a default that shows the value against the threshold. */
export function renderMessage(inst: Instance, locale: Locale): string {
  const rule = inst.rule;
  const vars: Record<string, string> = {
    rule: rule.name,
    id: rule.id,
    name: inst.metric,
    metric: inst.metric,
    series: inst.seriesKey,
    value: formatValue(inst.value),
    threshold: formatValue(rule.expr.threshold),
    op: rule.expr.op,
    for: rule.forText,
    severity: rule.severity,
    severity_ja: SEVERITY_JA[rule.severity],
  };
  for (const [k, v] of Object.entries(inst.labels)) vars[`labels.${k}`] = v;
  for (const [k, v] of Object.entries(rule.labels)) vars[`labels.${k}`] ??= v;
  const forecast = rule.expr.forecast;
  const window = rule.expr.window;
  const template =
    rule.message ??
    (window
      ? `${window.fn}({{series}}[${formatDuration(window.rangeMs)}]) = {{value}} ({{op}} {{threshold}})`
      : forecast
        ? locale === 'ja'
          ? `{{series}}: ${formatDuration(forecast.horizonMs)} 後の予測値 {{value}} ({{op}} {{threshold}})`
          : `{{series}}: forecast in ${formatDuration(forecast.horizonMs)} {{value}} ({{op}} {{threshold}})`
        : '{{series}} = {{value}} ({{op}} {{threshold}})');
  return renderTemplate(template, vars);
}

export const alertTexts = {
  resolved(message: string, lastedMs: number, locale: Locale): string {
    return locale === 'ja'
      ? `解消: ${message}（${formatDuration(lastedMs)} 継続）`
      : `Resolved: ${message} (lasted ${formatDuration(lastedMs)})`;
  },
  escalated(
    message: string,
    afterMinutes: number,
    levelName: string | undefined,
    level: number,
    locale: Locale,
  ) {
    return locale === 'ja'
      ? `${message}\n未確認 ${afterMinutes} 分: ${levelName ?? `レベル ${level}`} へエスカレーション`
      : `${message}\nUnacknowledged for ${afterMinutes} min: escalated to ${levelName ?? `level ${level}`}`;
  },
  repeated(message: string, firingMs: number, locale: Locale): string {
    return locale === 'ja'
      ? `${message}\n継続中（${formatDuration(firingMs)}、未確認）`
      : `${message}\nStill firing (${formatDuration(firingMs)}, unacknowledged)`;
  },
};

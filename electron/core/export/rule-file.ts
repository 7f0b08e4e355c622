import { stringify } from 'yaml';
import { findMetric, type MetricUnit } from '../../../shared/metrics/catalog.js';
import { compileRules } from '../alerts/index.js';
import { runbookLink } from '../notify/index.js';
import { alertName, exportedName } from './names.js';

/**
 * Nexus Ops rules → a Prometheus alerting rule file over the exported metrics, so a team that runs its
 * own Prometheus alerts the same way the PC does:
 *   selector op threshold          →  nexus_metric{matchers} op threshold × scale
 *   forecast(m, H, L) op t         →  predict_linear(nexus_metric[L], H in seconds) op t × scale
 *   increase(m[R]) op t (and rate, avg/max/min_over_time) → the same PromQL function over [R]
 *   for                            →  for
 *   clear (hysteresis)             →  `… or (metric op' clear and ignoring(…) ALERTS{alertname, firing})`:
 *                                     a firing alert stays firing until the value passes `clear`
 *   clearFor                       →  keep_firing_for (Prometheus ≥ 2.42)
 * Labels: severity, rule_id and the rule's labels; annotations: summary (the rule's name), description
 * (its message with Prometheus template values), runbook_url (the rule's runbook, as a link). Disabled rules and rules on metrics not in the catalog
 * are listed in the header, not converted. An `action` (emergency-stop) stays on the PC: the
 * Prometheus alert only says so.
 */

export interface RuleFile {
  yaml: string;
  converted: string[];
  skipped: { id: string; reason: string }[];
}

type CompiledRule = ReturnType<typeof compileRules>['rules'][number];

const promDuration = (ms: number): string => {
  if (ms === 0) return '0s';
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
    ['ms', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      parts.push(`${n}${unit}`);
      rest -= n * size;
    }
  }
  return parts.join('');
};

/** A threshold in the exported unit, without floating-point noise (90 × 0.01 → 0.9). */
const scaled = (value: number, scale: number): string => String(Number((value * scale).toPrecision(12)));

const promString = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

function selectorText(rule: CompiledRule, metricName: string): string {
  const matchers = rule.expr.selector.matchers.map((m) => `${m.label}${m.op}${promString(m.value)}`);
  return matchers.length > 0 ? `${metricName}{${matchers.join(', ')}}` : metricName;
}

/** How a message's `{{value}}` reads in the exported unit, and the unit words after it that it replaces. */
const VALUE_TEMPLATE: Partial<Record<MetricUnit, { template: string; unitAfter: RegExp }>> = {
  percent: { template: '{{ $value | humanizePercentage }}', unitAfter: /^\s*%/ },
  milliseconds: { template: '{{ $value | humanizeDuration }}', unitAfter: /^\s*ms/ },
  megabytes_per_hour: { template: '{{ $value | humanize1024 }}B/s', unitAfter: /^\s*MB\/(?:時|h(?:our)?)/ },
  bytes: { template: '{{ $value | humanize1024 }}B', unitAfter: /^\s*(?:bytes|B)\b/ },
};

/** A Nexus Ops message template → a Prometheus annotation template. */
function messageTemplate(rule: CompiledRule, unit: MetricUnit): string {
  const text = rule.message ?? `${rule.name}: {{value}}`;
  const value = VALUE_TEMPLATE[unit];
  let out = '';
  let rest = text;
  for (;;) {
    const m = /\{\{\s*([a-zA-Z_.]+)\s*\}\}/.exec(rest);
    if (!m) break;
    out += rest.slice(0, m.index);
    rest = rest.slice(m.index + m[0].length);
    const name = m[1] as string;
    if (name === 'value') {
      if (value) {
        out += value.template;
        rest = rest.replace(value.unitAfter, '');
      } else out += '{{ $value }}';
    } else if (name.startsWith('labels.')) out += `{{ $labels.${name.slice('labels.'.length)} }}`;
    else if (name === 'for') out += rule.forText;
    else if (name === 'threshold') out += String(rule.expr.threshold);
    else if (name === 'rule') out += rule.id;
    else if (name === 'name') out += rule.name;
    else if (name === 'op') out += rule.expr.op;
    else if (name === 'severity') out += rule.severity;
    else if (name === 'series') out += '{{ $labels }}';
    else out += m[0];
  }
  return out + rest;
}

function convert(
  rule: CompiledRule,
  dashboardUrl: string,
): { rule: Record<string, unknown> } | { reason: string } {
  const def = findMetric(rule.expr.selector.metric);
  if (!def) return { reason: `metric ${rule.expr.selector.metric} is not in the catalog (not exported yet)` };
  const exported = exportedName(def);
  const name = alertName(rule.id);
  const selector = selectorText(rule, exported.name);
  const { forecast, window } = rule.expr;
  const operand = (s: string) =>
    forecast
      ? `predict_linear(${s}[${promDuration(forecast.lookbackMs)}], ${forecast.horizonMs / 1000})`
      : window
        ? `${window.fn}(${s}[${promDuration(window.rangeMs)}])`
        : s;
  let expr = `${operand(selector)} ${rule.expr.op} ${scaled(rule.expr.threshold, exported.scale)}`;
  const labels: Record<string, string> = { ...rule.labels, severity: rule.severity, rule_id: rule.id };
  delete labels.runbook_url;
  delete labels.dashboard_url;
  if (rule.clear !== undefined) {
    const keepOp = rule.expr.op === '>' || rule.expr.op === '>=' ? '>=' : '<=';
    const ignoring = ['alertname', 'alertstate', ...Object.keys(labels)].sort().join(', ');
    expr =
      `${expr}\nor\n(${operand(selector)} ${keepOp} ${scaled(rule.clear, exported.scale)}` +
      ` and ignoring(${ignoring}) ALERTS{alertname=${promString(name)}, alertstate="firing"})`;
  }
  const annotations: Record<string, string> = {
    summary: rule.name,
    description: messageTemplate(rule, def.unit),
  };
  const runbook = runbookLink(rule.runbook, dashboardUrl) ?? rule.labels.runbook_url;
  if (runbook) annotations.runbook_url = runbook;
  if (rule.action) {
    annotations.nexus_action = `${rule.action} (run by Nexus Ops on the PC itself; this alert only reports it)`;
  }
  const out: Record<string, unknown> = { alert: name, expr };
  if (rule.forMs > 0) out.for = promDuration(rule.forMs);
  if (rule.clearForMs > 0) out.keep_firing_for = promDuration(rule.clearForMs);
  out.labels = labels;
  out.annotations = annotations;
  return { rule: out };
}

/**
 * The rule file for these Nexus Ops rules (the `alerts.rules` list, or the shipped defaults). A rule's
 * shipped runbook becomes a link to its page under `dashboardUrl` (notify's `dashboardUrlOf`).
 */
export function prometheusRuleFile(
  rules: readonly unknown[],
  source: string,
  dashboardUrl: string,
): RuleFile {
  const { rules: compiled, errors } = compileRules(rules, { file: source });
  const converted: Record<string, unknown>[] = [];
  const ids: string[] = [];
  const skipped: RuleFile['skipped'] = errors.map((e) => ({
    id: e.ruleId ?? `#${e.ruleIndex}`,
    reason: e.reason,
  }));
  for (const rule of compiled) {
    if (!rule.enabled) {
      skipped.push({ id: rule.id, reason: 'disabled' });
      continue;
    }
    const result = convert(rule, dashboardUrl);
    if ('reason' in result) skipped.push({ id: rule.id, reason: result.reason });
    else {
      converted.push(result.rule);
      ids.push(rule.id);
    }
  }
  const header = [
    `# Prometheus alerting rules equivalent to the Nexus Ops rules in ${source}.`,
    '# Generated by electron/core/export/rule-file.ts; do not edit by hand: a unit test compares this',
    '# file with the shipped rules (npx vitest run --project unit test/unit/export-rule-file.test.ts -u',
    '# rewrites it). Load it with rule_files in prometheus.yml; see resources/prometheus/README.md.',
    '# Needs Prometheus 2.42 or later (keep_firing_for).',
    `# Runbook links (runbook_url) of shipped runbooks open their page in the Nexus Ops at ${dashboardUrl}`,
    '# (notify.dashboardUrl, else the app port on the PC itself: put the address your team reaches it at).',
    ...(skipped.length > 0
      ? ['#', '# Not converted:', ...skipped.map((s) => `#   ${s.id}: ${s.reason}`)]
      : []),
    '',
  ].join('\n');
  const body = stringify({ groups: [{ name: 'nexus-ops', rules: converted }] }, { lineWidth: 0 });
  return { yaml: `${header}${body}`, converted: ids, skipped };
}

import type { z } from 'zod';
import {
  type AlertRuleConfig,
  type AlertSeverity,
  alertRuleSchema,
  type RuleLoadError,
} from '../../../shared/config/alerts.js';
import { isCatalogMetric } from '../../../shared/metrics/catalog.js';
import {
  type CompareOp,
  ExprError,
  type ParsedExpr,
  parseDuration,
  parseExpr,
  selectorText,
} from './expr.js';

/** A validated rule, ready to evaluate. */
export interface CompiledRule {
  id: string;
  name: string;
  exprText: string;
  expr: ParsedExpr;
  forText: string;
  forMs: number;
  clearForMs: number;
  severity: AlertSeverity;
  clear: number | undefined;
  message: string | undefined;
  labels: Record<string, string>;
  action: string | undefined;
  enabled: boolean;
  notes: string | undefined;
}

/** Metric names the monitor publishes (issue 3). Names in these namespaces must be one of them. */
export const monitorMetrics: readonly string[] = [
  'cpu.total',
  'cpu.core',
  'mem.used_pct',
  'swap.used_pct',
  'disk.free_pct',
  'disk.free_bytes',
  'proc.count',
  'proc.cpu_pct',
  'proc.rss',
  'proc.zombies',
  'proc.hung',
  'proc.leak_mb_per_h',
];
const monitorNamespaces = new Set(monitorMetrics.map((m) => m.split('.')[0] as string));
/** Namespaces open to other producers (bot telemetry) whose names are not known in advance. */
export const openNamespaces: readonly string[] = ['bot', 'app', 'net', 'telemetry', 'custom'];

export type MetricCheck = (metric: string) => string | undefined;

/** Default check: exact names in the monitor's namespaces, any name in the open ones. */
export const defaultMetricCheck: MetricCheck = (metric) => {
  // Every metric the catalog declares (maintenance job.*, backup.*, check.*, ...) is known.
  if (isCatalogMetric(metric)) return undefined;
  const ns = metric.split('.')[0] as string;
  if (monitorNamespaces.has(ns)) {
    if (monitorMetrics.includes(metric)) return undefined;
    const near = monitorMetrics.filter((m) => m.startsWith(`${ns}.`)).join(', ');
    return `unknown metric "${metric}" (known in ${ns}.*: ${near})`;
  }
  if (openNamespaces.includes(ns)) return undefined;
  return `unknown metric "${metric}": use a monitor metric (${[...monitorNamespaces].join('.*, ')}.*) or one under ${openNamespaces.map((n) => `${n}.*`).join(', ')}`;
};

const MINUTE = 60_000;

/** Default clear delay: half of `for`, at least 1 minute, at most 5 minutes. */
export function defaultClearForMs(forMs: number): number {
  return Math.min(5 * MINUTE, Math.max(MINUTE, Math.floor(forMs / 2)));
}

export type Locate = (path: readonly (string | number)[]) => { line: number; col: number } | undefined;

export interface RuleLoad {
  rules: CompiledRule[];
  errors: RuleLoadError[];
}

/**
 * Validates each rule on its own: a bad rule becomes an error with its place in the file, the others load.
 * `basePath` is the YAML path of the rules list in the config document (default `['alerts', 'rules']`).
 */
export function compileRules(
  raw: readonly unknown[],
  opts: {
    file: string;
    locate?: Locate;
    basePath?: readonly (string | number)[];
    metricCheck?: MetricCheck;
  },
): RuleLoad {
  const base = opts.basePath ?? ['alerts', 'rules'];
  const check = opts.metricCheck ?? defaultMetricCheck;
  const rules: CompiledRule[] = [];
  const errors: RuleLoadError[] = [];
  const seen = new Set<string>();

  raw.forEach((item, index) => {
    const ruleId =
      item && typeof item === 'object' && typeof (item as { id?: unknown }).id === 'string'
        ? (item as { id: string }).id
        : undefined;
    const fail = (reason: string, field?: string | number | readonly (string | number)[]) => {
      const sub = field === undefined ? [] : Array.isArray(field) ? field : [field];
      const pos = opts.locate?.([...base, index, ...sub]) ?? opts.locate?.([...base, index]);
      errors.push({
        file: opts.file,
        line: pos?.line ?? 0,
        col: pos?.col ?? 0,
        ruleIndex: index,
        ...(ruleId !== undefined ? { ruleId } : {}),
        reason,
      });
    };

    const parsed = alertRuleSchema.safeParse(item);
    if (!parsed.success) {
      const issue = parsed.error.issues[0] as z.core.$ZodIssue;
      const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
      const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
      const target = keys.length > 0 ? [...path, keys[0] as string] : path;
      const what = target.length > 0 ? `${target.join('.')}: ` : '';
      fail(`${what}${issue.message}`, target);
      return;
    }
    const r: AlertRuleConfig = parsed.data;
    if (seen.has(r.id)) {
      fail(`duplicate rule id "${r.id}": ids must be unique`, 'id');
      return;
    }

    let expr: ParsedExpr;
    try {
      expr = parseExpr(r.expr);
    } catch (err) {
      const offset = err instanceof ExprError ? ` (at character ${err.offset + 1})` : '';
      fail(`expr: ${(err as Error).message}${offset}`, 'expr');
      return;
    }
    const unknownMetric = check(expr.selector.metric);
    if (unknownMetric) {
      fail(`expr: ${unknownMetric}`, 'expr');
      return;
    }

    let forMs: number;
    try {
      forMs = parseDuration(r.for);
    } catch (err) {
      fail(`for: ${(err as Error).message}`, 'for');
      return;
    }
    let clearForMs: number;
    try {
      clearForMs = r.clearFor === undefined ? defaultClearForMs(forMs) : parseDuration(r.clearFor);
    } catch (err) {
      fail(`clearFor: ${(err as Error).message}`, 'clearFor');
      return;
    }

    if (r.clear !== undefined) {
      const problem = clearProblem(expr.op, expr.threshold, r.clear);
      if (problem) {
        fail(`clear: ${problem}`, 'clear');
        return;
      }
    }

    seen.add(r.id);
    rules.push({
      id: r.id,
      name: r.name ?? r.id,
      exprText: r.expr,
      expr,
      forText: typeof r.for === 'number' ? String(r.for) : r.for,
      forMs,
      clearForMs,
      severity: r.severity,
      clear: r.clear,
      message: r.message,
      labels: r.labels,
      action: r.action,
      enabled: r.enabled,
      notes: r.notes,
    });
  });
  return { rules, errors };
}

function clearProblem(op: CompareOp, threshold: number, clear: number): string | undefined {
  if (op === '==' || op === '!=') return `a clear threshold needs > >= < or <= (the rule uses ${op})`;
  if ((op === '>' || op === '>=') && clear > threshold) {
    return `${clear} is above the threshold ${threshold}: for "${op}" the clear value must be at or below it`;
  }
  if ((op === '<' || op === '<=') && clear < threshold) {
    return `${clear} is below the threshold ${threshold}: for "${op}" the clear value must be at or above it`;
  }
  return undefined;
}

/**
 * True when a firing alert may resolve: past the clear threshold when there is one (strictly), else
 * when the condition no longer holds.
 */
export function isCleared(rule: CompiledRule, value: number, conditionHolds: boolean): boolean {
  if (rule.clear === undefined) return !conditionHolds;
  switch (rule.expr.op) {
    case '>':
    case '>=':
      return value < rule.clear;
    case '<':
    case '<=':
      return value > rule.clear;
    default:
      return !conditionHolds;
  }
}

export function describeRule(rule: CompiledRule): string {
  const sel = selectorText(rule.expr.selector);
  return rule.expr.forecast
    ? `forecast(${sel}) ${rule.expr.op} ${rule.expr.threshold}`
    : `${sel} ${rule.expr.op} ${rule.expr.threshold}`;
}

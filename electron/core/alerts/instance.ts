/**
 * An alert instance (a rule bound to one series) and the batch that collects what one evaluation, tick
 * or operator action changed: rows to save, events to record, messages to send, actions to run and
 * alerts to push to the UI. Every part of the engine works on a batch; the engine commits it once.
 */
import type { Alert, AlertState } from '../../../shared/api/alerts.js';
import type { AlertSeverity } from '../../../shared/config/alerts.js';
import type { AlertRow, NewEvent } from './repo.js';
import type { CompiledRule } from './rules.js';

/** What the alert engine hands to the notifier (electron/core/notify); send() must only enqueue. */
export interface AlertNotifyMessage {
  kind: 'firing' | 'escalation' | 'repeat' | 'resolved' | 'stop';
  severity: AlertSeverity;
  title: string;
  body: string;
  channels: string[];
  alertId?: string;
  dedupeKey?: string;
  /** What a receiver routes on (webhook payloads carry it). */
  context?: {
    ruleId: string;
    ruleName: string;
    labels: Record<string, string>;
    value: number | null;
    threshold: number;
    state: AlertState;
    /** The rule's runbook: a shipped runbook's id or an http(s) URL. */
    runbook?: string;
  };
}

export interface Instance extends AlertRow {
  rule: CompiledRule;
  /** Labels a silence or window may match: series labels, rule labels, rule, severity, metric. */
  matchLabels: Record<string, string>;
  clearSince: number | null;
  /** When the current suppression began (in memory; after a restart escalation resumes unshifted). */
  suppressedSince: number | null;
  lastSeenAt: number;
  valueDirty: boolean;
}

/** A rule bound to one series: the pair an alert instance belongs to. */
export interface Binding {
  rule: CompiledRule;
  /** openKey(rule.id, series key), built once so the per-cycle lookup does not build strings. */
  key: string;
}

export interface Batch {
  now: number;
  save: Set<Instance>;
  events: NewEvent[];
  messages: AlertNotifyMessage[];
  actions: Instance[];
  changed: Set<Instance>;
}

export function newBatch(now: number): Batch {
  return { now, save: new Set(), events: [], messages: [], actions: [], changed: new Set() };
}

export function isQuiet(batch: Batch): boolean {
  return (
    batch.save.size === 0 &&
    batch.events.length === 0 &&
    batch.messages.length === 0 &&
    batch.changed.size === 0
  );
}

export function transition(
  inst: Instance,
  to: AlertState,
  batch: Batch,
  opts: { from?: AlertState; actor?: string; detail?: string } = {},
): void {
  const from = opts.from ?? inst.state;
  inst.state = to;
  inst.valueDirty = false;
  batch.save.add(inst);
  batch.changed.add(inst);
  batch.events.push({
    alertId: inst.id,
    ts: batch.now,
    type: to,
    fromState: from,
    toState: to,
    value: inst.value,
    actor: opts.actor ?? null,
    detail: opts.detail ?? null,
  });
}

/** An event that does not change the state (notified, suppressed, action…). */
export function recordEvent(
  inst: Instance,
  batch: Batch,
  type: string,
  detail: string,
  actor?: string,
): void {
  batch.save.add(inst);
  batch.events.push({
    alertId: inst.id,
    ts: batch.now,
    type,
    fromState: inst.state,
    toState: inst.state,
    value: inst.value,
    actor: actor ?? null,
    detail,
  });
}

export function openKey(ruleId: string, seriesKey: string): string {
  return `${ruleId}\u0000${seriesKey}`;
}

export function matchLabelsOf(
  rule: CompiledRule,
  labels: Record<string, string>,
  metric: string,
): Record<string, string> {
  return { ...rule.labels, ...labels, rule: rule.id, severity: rule.severity, metric };
}

export function matchesSelector(rule: CompiledRule, labels: Readonly<Record<string, string>>): boolean {
  for (const m of rule.expr.selector.matchers) {
    const v = labels[m.label] ?? '';
    const ok =
      m.op === '='
        ? v === m.value
        : m.op === '!='
          ? v !== m.value
          : m.op === '=~'
            ? m.re?.test(v)
            : !m.re?.test(v);
    if (!ok) return false;
  }
  return true;
}

export const SEVERITY_RANK: Record<AlertSeverity, number> = { critical: 0, warning: 1, info: 2 };

export function stateRank(s: AlertState): number {
  return s === 'firing' ? 0 : s === 'acknowledged' ? 1 : 2;
}

export function toAlert(a: AlertRow | Instance): Alert {
  return {
    runbook: 'rule' in a ? (a.rule.runbook ?? null) : null,
    id: a.id,
    ruleId: a.ruleId,
    ruleName: a.ruleName,
    seriesKey: a.seriesKey,
    metric: a.metric,
    labels: a.labels,
    state: a.state,
    severity: a.severity,
    value: a.value,
    threshold: a.threshold,
    op: a.op,
    message: a.message,
    suppressed: a.suppressed,
    suppressedBy: a.suppressedBy,
    startedAt: a.startedAt,
    firedAt: a.firedAt,
    ackedAt: a.ackedAt,
    ackBy: a.ackBy,
    ackNote: a.ackNote,
    resolvedAt: a.resolvedAt,
    lastNotifiedAt: a.lastNotifiedAt,
    escalationLevel: a.escalationLevel,
    action: a.action,
    actionState: a.actionState,
  };
}

/** A stand-in for an open alert whose rule is gone; reconcile resolves it at once. */
export function placeholderRule(row: AlertRow): CompiledRule {
  return {
    id: row.ruleId,
    name: row.ruleName,
    exprText: '',
    expr: { selector: { metric: row.metric, matchers: [] }, op: '>', threshold: row.threshold },
    forText: '0',
    forMs: 0,
    clearForMs: 0,
    severity: row.severity,
    clear: undefined,
    message: row.message,
    labels: {},
    action: undefined,
    enabled: false,
    notes: undefined,
    runbook: undefined,
  };
}

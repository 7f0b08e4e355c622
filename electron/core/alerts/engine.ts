import { randomUUID } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import type {
  Alert,
  AlertApiEvent,
  AlertHealth,
  AlertRuleInfo,
  AlertState,
  MaintenanceWindowStatus,
  Silence,
} from '../../../shared/api/alerts.js';
import {
  type AlertSeverity,
  type AlertsConfig,
  alertsConfigSchema,
  type EscalationLevel,
  type RuleLoadError,
} from '../../../shared/config/alerts.js';
import { defaultRules } from './defaults.js';
import { compare, compileMatchers, formatDuration } from './expr.js';
import {
  ActiveSilence,
  localTimeZone,
  MaintenanceWindow,
  parseInstant,
  type SilenceRecord,
} from './maintenance.js';
import { type AlertRow, AlertsRepo, type HistoryFilter, type NewEvent } from './repo.js';
import { type CompiledRule, compileRules, isCleared, type Locate, type MetricCheck } from './rules.js';

export interface LatestSample {
  key: string;
  name: string;
  labels: Record<string, string>;
  ts: number;
  value: number;
}

/** What the alert engine hands to the notifier (electron/core/notify); send() must only enqueue. */
export interface AlertNotifyMessage {
  kind: 'firing' | 'escalation' | 'repeat' | 'resolved' | 'stop';
  severity: AlertSeverity;
  title: string;
  body: string;
  channels: string[];
  alertId?: string;
  dedupeKey?: string;
}
export interface AlertNotifier {
  send(msg: AlertNotifyMessage): void;
}

export interface ActionContext {
  ruleId: string;
  alertId: string;
  reason: string;
}
export type AlertAction = (ctx: ActionContext) => void | Promise<void>;

export interface AlertsDeps {
  db: BetterSqlite3.Database;
  clock: { now(): number };
  notifier: AlertNotifier;
  onEvent?: (event: AlertApiEvent) => void;
  /** Stored samples of one series in [from, to], oldest first (forecast rules). */
  readSeries?: (key: string, fromMs: number, toMs: number) => { ts: number; value: number }[];
  actions?: Record<string, AlertAction>;
  /** The raw `alerts:` section (undefined = all defaults). */
  config?: unknown;
  /** Config file path, for RuleLoadError.file. */
  configFile?: string;
  /** Which metric names rules may use; default: the monitor's names plus bot.*, app.*, ... */
  metricCheck?: MetricCheck;
  /** Operator actions (ack, silence) for the audit trail (store.appendAudit). */
  audit?: (entry: { actor: string; action: string; details?: Record<string, unknown> }) => void;
  /** Where to report problems that have no caller to return to (a failing action). */
  log?: (message: string) => void;
}

interface Instance extends AlertRow {
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
interface Binding {
  rule: CompiledRule;
  /** openKey(rule.id, series key), built once so the per-cycle lookup does not build strings. */
  key: string;
}

interface Batch {
  now: number;
  save: Set<Instance>;
  events: NewEvent[];
  messages: AlertNotifyMessage[];
  actions: { inst: Instance; name: string }[];
  changed: Set<Instance>;
}

const MINUTE = 60_000;
const FORECAST_REFRESH_MS = 5 * MINUTE;
const VALUE_FLUSH_MS = MINUTE;
/** After the database refused a write, the next attempt waits this long (each try may wait busy_timeout). */
const WRITE_RETRY_MS = 5_000;
/** Bounds on what waits in memory for the database; beyond them the oldest is dropped (and logged). */
const MAX_UNWRITTEN_ALERTS = 2_000;
const MAX_UNWRITTEN_EVENTS = 20_000;
const SEVERITY_RANK: Record<AlertSeverity, number> = { critical: 0, warning: 1, info: 2 };
const SEVERITY_JA: Record<AlertSeverity, string> = { critical: '重大', warning: '警告', info: '情報' };

/** ok / warning / critical from open alerts: firing or acknowledged, not suppressed. */
export function healthOf(alerts: readonly Pick<Alert, 'state' | 'severity' | 'suppressed'>[]): AlertHealth {
  let health: AlertHealth = 'ok';
  for (const a of alerts) {
    if (a.suppressed || (a.state !== 'firing' && a.state !== 'acknowledged')) continue;
    if (a.severity === 'critical') return 'critical';
    if (a.severity === 'warning') health = 'warning';
  }
  return health;
}

export function formatValue(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '-';
  return String(Number(v.toFixed(Math.abs(v) >= 100 ? 0 : 2)));
}

function renderTemplate(template: string, vars: Record<string, string>): string {
  return template.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (whole, name: string) => vars[name] ?? whole);
}

export class AlertsEngine {
  private readonly repo: AlertsRepo;
  private readonly clock: { now(): number };
  private rules: CompiledRule[] = [];
  private ruleErrors: RuleLoadError[] = [];
  private config: AlertsConfig;
  private windows: MaintenanceWindow[] = [];
  private configSilences: ActiveSilence[] = [];
  private apiSilences: ActiveSilence[] = [];
  /** Open alerts by rule id + series key. */
  private readonly open = new Map<string, Instance>();
  private readonly byId = new Map<string, Instance>();
  /** Series key → the enabled rules whose selector matches it (built on first sight, reset by setConfig). */
  private rulesBySeries = new Map<string, Binding[]>();
  private sortedLevels: EscalationLevel[] = [];
  private readonly forecastCache = new Map<string, { at: number; value: number | undefined }>();
  private resumedAt: number | null = null;
  private lastEvaluatedAt: number | null = null;
  private lastValueFlush = 0;
  private lastHealth: string | undefined;
  /** Open alerts read at start, attached to their rules by the first setConfig. */
  private pendingRestore: AlertRow[] | undefined;
  /**
   * What the database refused (locked, read-only, full), written by a later flush: alerts by id (their
   * current state is what gets written), events in order, engine state by key.
   */
  private readonly unwrittenAlerts = new Map<string, Instance>();
  private unwrittenEvents: NewEvent[] = [];
  private readonly unwrittenState = new Map<string, string>();
  private writeFailing = false;
  private nextWriteAttemptAt = 0;
  private droppedWrites = 0;

  constructor(private readonly deps: AlertsDeps) {
    this.repo = new AlertsRepo(deps.db);
    this.clock = deps.clock;
    this.config = alertsConfigSchema.parse({});
    const resumed = this.repo.getState('lastResumeAt');
    this.resumedAt = resumed === undefined ? null : Number(resumed);
    const now = this.clock.now();
    for (const s of this.repo.silences(now)) this.apiSilences.push(new ActiveSilence(s));
    this.pendingRestore = this.repo.openAlerts();
    this.setConfig(deps.config);
    this.lastValueFlush = now;
  }

  // ---------------------------------------------------------------- config

  setConfig(section: unknown, locate?: Locate): RuleLoadError[] {
    const file = this.deps.configFile ?? 'config.yaml';
    const errors: RuleLoadError[] = [];
    const where = (path: readonly (string | number)[]) => locate?.(['alerts', ...path]);
    const sectionError = (path: readonly (string | number)[], reason: string) => {
      const pos = where(path);
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
      // Keep the rest of the section usable: rules still load on their own.
      config = this.config;
      const rulesField =
        section && typeof section === 'object' ? (section as { rules?: unknown }).rules : undefined;
      rawRules = Array.isArray(rulesField) ? rulesField : (config.rules ?? defaultRules);
    }

    const load = compileRules(rawRules, {
      file,
      ...(locate ? { locate: (p) => locate(p) } : {}),
      basePath: ['alerts', 'rules'],
      ...(this.deps.metricCheck ? { metricCheck: this.deps.metricCheck } : {}),
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

    this.config = config;
    this.rules = load.rules;
    this.ruleErrors = errors;
    this.windows = windows;
    this.configSilences = configSilences;
    this.rulesBySeries = new Map();
    this.sortedLevels = [...config.escalation].sort((a, b) => a.afterMinutes - b.afterMinutes);
    this.forecastCache.clear();

    const batch = this.newBatch();
    this.reconcileInstances(batch);
    this.refreshSuppression(batch);
    this.flush(batch);
    this.emit({ type: 'alert.rules', ruleCount: this.rules.filter((r) => r.enabled).length, errors });
    return errors;
  }

  private reconcileInstances(batch: Batch): void {
    const rulesById = new Map(this.rules.filter((r) => r.enabled).map((r) => [r.id, r]));
    if (this.pendingRestore) {
      const now = batch.now;
      for (const row of this.pendingRestore) {
        const rule = rulesById.get(row.ruleId);
        const inst: Instance = {
          ...row,
          rule: rule ?? placeholderRule(row),
          matchLabels: {},
          clearSince: null,
          suppressedSince: row.suppressed ? now : null,
          lastSeenAt: now,
          valueDirty: false,
        };
        inst.matchLabels = matchLabelsOf(inst.rule, row.labels, row.metric);
        this.open.set(openKey(row.ruleId, row.seriesKey), inst);
        this.byId.set(row.id, inst);
      }
      this.pendingRestore = undefined;
    }
    for (const inst of [...this.open.values()]) {
      const rule = rulesById.get(inst.ruleId);
      if (!rule) {
        this.close(inst, batch, 'rule removed or disabled');
        continue;
      }
      if (inst.rule !== rule) {
        inst.rule = rule;
        inst.ruleName = rule.name;
        inst.severity = rule.severity;
        inst.op = rule.expr.op;
        inst.threshold = rule.expr.threshold;
        inst.matchLabels = matchLabelsOf(rule, inst.labels, inst.metric);
        batch.save.add(inst);
      }
    }
  }

  // ---------------------------------------------------------------- evaluation

  /** One evaluation cycle over the newest value of every series. */
  evaluate(latest: readonly LatestSample[]): void {
    const now = this.clock.now();
    this.lastEvaluatedAt = now;
    const staleMs = this.config.staleAfterMinutes * MINUTE;
    const batch = this.newBatch(now);

    for (const s of latest) {
      if (now - s.ts > staleMs) continue;
      let bindings = this.rulesBySeries.get(s.key);
      if (!bindings) {
        bindings = this.rules
          .filter((r) => r.enabled && r.expr.selector.metric === s.name && matchesSelector(r, s.labels))
          .map((rule) => ({ rule, key: openKey(rule.id, s.key) }));
        this.rulesBySeries.set(s.key, bindings);
      }
      for (const b of bindings) {
        const value = b.rule.expr.forecast ? this.forecast(b, s, now) : s.value;
        if (value === undefined || !Number.isFinite(value)) continue;
        this.step(b, s, value, batch);
      }
    }

    const stale: Instance[] = [];
    for (const inst of this.open.values()) if (now - inst.lastSeenAt > staleMs) stale.push(inst);
    for (const inst of stale) this.close(inst, batch, `no data for ${formatDuration(now - inst.lastSeenAt)}`);
    this.refreshSuppression(batch);
    for (const inst of batch.changed) if (inst.state === 'firing') this.notifyStep(inst, batch);
    if (batch.save.size > 0 || batch.events.length > 0) {
      for (const inst of this.open.values()) if (inst.valueDirty) batch.save.add(inst);
    }
    this.flush(batch);
  }

  private step(binding: Binding, s: LatestSample, value: number, batch: Batch): void {
    const { rule, key } = binding;
    const holds = compare(rule.expr.op, value, rule.expr.threshold);
    const inst = this.open.get(key);
    const now = batch.now;
    if (!inst) {
      if (!holds) return;
      const created = this.create(rule, s, value, now);
      this.open.set(key, created);
      this.byId.set(created.id, created);
      this.transition(created, 'pending', batch, { from: 'inactive' });
      if (rule.forMs === 0) this.fire(created, batch);
      return;
    }
    inst.lastSeenAt = now;
    if (inst.value !== value) {
      inst.value = value;
      inst.valueDirty = true;
    }
    if (inst.state === 'pending') {
      if (!holds) {
        this.transition(inst, 'inactive', batch, { detail: 'condition false before the duration' });
        inst.resolvedAt = now;
        this.forget(inst);
      } else if (now - inst.startedAt >= rule.forMs) {
        this.fire(inst, batch);
      }
      return;
    }
    // firing or acknowledged
    if (isCleared(rule, value, holds)) {
      if (inst.clearSince === null) inst.clearSince = now;
      if (now - inst.clearSince >= rule.clearForMs) this.resolve(inst, batch, 'condition cleared');
    } else {
      inst.clearSince = null;
    }
  }

  private create(rule: CompiledRule, s: LatestSample, value: number, now: number): Instance {
    const inst: Instance = {
      id: randomUUID(),
      ruleId: rule.id,
      ruleName: rule.name,
      seriesKey: s.key,
      metric: s.name,
      labels: { ...s.labels },
      state: 'pending',
      severity: rule.severity,
      op: rule.expr.op,
      threshold: rule.expr.threshold,
      value,
      message: '',
      suppressed: false,
      suppressedBy: null,
      startedAt: now,
      firedAt: null,
      ackedAt: null,
      ackBy: null,
      ackNote: null,
      resolvedAt: null,
      firstNotifiedAt: null,
      lastNotifiedAt: null,
      escalationLevel: -1,
      action: rule.action ?? null,
      actionState: null,
      rule,
      matchLabels: matchLabelsOf(rule, s.labels, s.name),
      clearSince: null,
      suppressedSince: null,
      lastSeenAt: now,
      valueDirty: false,
    };
    inst.message = this.render(inst);
    const cover = this.suppressor(inst, now);
    inst.suppressed = cover !== null;
    inst.suppressedBy = cover;
    inst.suppressedSince = inst.suppressed ? now : null;
    return inst;
  }

  private fire(inst: Instance, batch: Batch): void {
    inst.firedAt = batch.now;
    inst.message = this.render(inst);
    this.transition(inst, 'firing', batch, {});
    if (inst.rule.action) this.triggerAction(inst, batch);
  }

  private resolve(inst: Instance, batch: Batch, why: string): void {
    const notified = inst.firstNotifiedAt !== null;
    inst.resolvedAt = batch.now;
    if (inst.actionState === 'deferred') inst.actionState = 'skipped';
    this.transition(inst, 'resolved', batch, { detail: why });
    this.forget(inst);
    if (notified && this.config.notifyResolved && !inst.suppressed) {
      const first = this.levels()[0];
      if (first && levelApplies(first, inst.severity)) {
        batch.messages.push({
          kind: 'resolved',
          severity: inst.severity,
          title: inst.ruleName,
          body: `解消: ${this.render(inst)}（${formatDuration(batch.now - (inst.firedAt ?? inst.startedAt))} 継続）`,
          channels: [...first.channels],
          alertId: inst.id,
          dedupeKey: `${inst.id}:resolved`,
        });
      }
    }
  }

  /** Ends an open alert that no longer has a rule or data: pending → inactive, firing → resolved. */
  private close(inst: Instance, batch: Batch, why: string): void {
    if (inst.state === 'pending') {
      inst.resolvedAt = batch.now;
      this.transition(inst, 'inactive', batch, { detail: why });
      this.forget(inst);
    } else {
      this.resolve(inst, batch, why);
    }
  }

  private forget(inst: Instance): void {
    this.open.delete(openKey(inst.ruleId, inst.seriesKey));
    this.byId.delete(inst.id);
  }

  private transition(
    inst: Instance,
    to: AlertState,
    batch: Batch,
    opts: { from?: AlertState; actor?: string; detail?: string },
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

  private event(inst: Instance, batch: Batch, type: string, detail: string, actor?: string): void {
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

  // ---------------------------------------------------------------- forecast

  private forecast(binding: Binding, s: LatestSample, now: number): number | undefined {
    const f = binding.rule.expr.forecast;
    if (!f || !this.deps.readSeries) return undefined;
    // Keyed by rule and series: rules with the same look-back and horizon could share a fit, but rarely exist.
    const cacheKey = binding.key;
    const cached = this.forecastCache.get(cacheKey);
    if (cached && now - cached.at < FORECAST_REFRESH_MS) return cached.value;
    const points = this.deps.readSeries(s.key, now - f.lookbackMs, now);
    const value = linearForecast(points, now, f.horizonMs, f.lookbackMs / 4);
    this.forecastCache.set(cacheKey, { at: now, value });
    return value;
  }

  // ---------------------------------------------------------------- suppression

  private suppressor(inst: Instance, now: number): string | null {
    for (const s of this.apiSilences) {
      if (s.covers(now, inst.ruleId, inst.matchLabels)) return `silence:${s.record.id}`;
    }
    for (const s of this.configSilences) {
      if (s.covers(now, inst.ruleId, inst.matchLabels)) return `silence:${s.record.id}`;
    }
    for (const w of this.windows) {
      if (w.covers(now, inst.matchLabels)) return `maintenance:${w.id}`;
    }
    return null;
  }

  private refreshSuppression(batch: Batch): void {
    for (const inst of this.open.values()) {
      const by = this.suppressor(inst, batch.now);
      if (by === inst.suppressedBy) continue;
      const was = inst.suppressed;
      inst.suppressed = by !== null;
      inst.suppressedBy = by;
      if (!was && inst.suppressed) inst.suppressedSince = batch.now;
      if (was && !inst.suppressed) {
        // Time spent suppressed does not count towards escalation: no burst of levels when it ends.
        if (inst.firstNotifiedAt !== null && inst.suppressedSince !== null) {
          inst.firstNotifiedAt += batch.now - inst.suppressedSince;
        }
        inst.suppressedSince = null;
      }
      batch.changed.add(inst);
      if (was && !inst.suppressed)
        this.event(inst, batch, 'unsuppressed', 'no silence or maintenance window covers it');
      else this.event(inst, batch, 'suppressed', by ?? '');
    }
  }

  // ---------------------------------------------------------------- notification and escalation

  private levels(): EscalationLevel[] {
    return this.sortedLevels;
  }

  /**
   * Sends what is due for a firing, unacknowledged, unsuppressed alert: the first notice, each
   * escalation level once (at its afterMinutes since the first notice), then repeats.
   */
  private notifyStep(inst: Instance, batch: Batch): void {
    if (inst.state !== 'firing' || inst.suppressed) return;
    const now = batch.now;
    const levels = this.levels();
    if (inst.firstNotifiedAt === null) {
      inst.firstNotifiedAt = now;
      batch.save.add(inst);
    }
    const elapsed = now - inst.firstNotifiedAt;
    let sentNow = false;
    for (let i = inst.escalationLevel + 1; i < levels.length; i++) {
      const level = levels[i] as EscalationLevel;
      if (level.afterMinutes * MINUTE > elapsed) break;
      inst.escalationLevel = i;
      batch.save.add(inst);
      if (!levelApplies(level, inst.severity)) continue;
      const first = i === 0;
      batch.messages.push({
        kind: first ? 'firing' : 'escalation',
        severity: inst.severity,
        title: inst.ruleName,
        body: first
          ? inst.message
          : `${inst.message}\n未確認 ${level.afterMinutes} 分: ${level.name ?? `レベル ${i}`} へエスカレーション`,
        channels: [...level.channels],
        alertId: inst.id,
        dedupeKey: `${inst.id}:level:${i}`,
      });
      inst.lastNotifiedAt = now;
      sentNow = true;
      this.event(
        inst,
        batch,
        first ? 'notified' : 'escalated',
        `level ${i} (${level.name ?? i}): ${level.channels.join(', ')}`,
      );
    }
    if (sentNow || inst.lastNotifiedAt === null) return;
    const repeatMs = this.config.repeatIntervalMinutes * MINUTE;
    if (now - inst.lastNotifiedAt < repeatMs) return;
    let channels: string[] = [];
    for (let i = Math.min(inst.escalationLevel, levels.length - 1); i >= 0; i--) {
      const level = levels[i] as EscalationLevel;
      if (levelApplies(level, inst.severity)) {
        channels = level.channels;
        break;
      }
    }
    if (channels.length === 0) return;
    batch.messages.push({
      kind: 'repeat',
      severity: inst.severity,
      title: inst.ruleName,
      body: `${this.render(inst)}\n継続中（${formatDuration(now - (inst.firedAt ?? inst.startedAt))}、未確認）`,
      channels: [...channels],
      alertId: inst.id,
      dedupeKey: `${inst.id}:repeat:${now}`,
    });
    inst.lastNotifiedAt = now;
    this.event(inst, batch, 'repeated', channels.join(', '));
  }

  // ---------------------------------------------------------------- actions

  private cooldownUntil(): number {
    return this.resumedAt === null ? 0 : this.resumedAt + this.config.actionCooldownMinutes * MINUTE;
  }

  private triggerAction(inst: Instance, batch: Batch): void {
    const name = inst.rule.action as string;
    inst.action = name;
    const until = this.cooldownUntil();
    if (batch.now < until) {
      inst.actionState = 'deferred';
      this.event(
        inst,
        batch,
        'action-deferred',
        `${name}: cooldown after resume until ${new Date(until).toISOString()}`,
      );
      return;
    }
    this.queueAction(inst, batch);
  }

  private queueAction(inst: Instance, batch: Batch): void {
    const name = inst.action as string;
    if (!this.deps.actions?.[name]) {
      inst.actionState = 'failed';
      this.event(inst, batch, 'action-failed', `${name}: no such action is wired`);
      return;
    }
    inst.actionState = 'done';
    this.event(inst, batch, 'action', name);
    batch.actions.push({ inst, name });
  }

  /** The emergency-stop module calls this on resume: action rules wait the cooldown before acting again. */
  noteResume(at: number): void {
    this.resumedAt = at;
    this.unwrittenState.set('lastResumeAt', String(at));
    this.persist(this.clock.now());
  }

  // ---------------------------------------------------------------- periodic work

  /** Escalation, repeats, silences/windows starting or ending, deferred actions. Call every few seconds. */
  tick(): void {
    const now = this.clock.now();
    const batch = this.newBatch(now);
    this.refreshSuppression(batch);
    const until = this.cooldownUntil();
    for (const inst of this.open.values()) {
      if (inst.state !== 'firing') continue;
      this.notifyStep(inst, batch);
      if (inst.actionState === 'deferred' && now >= until) this.queueAction(inst, batch);
    }
    if (now - this.lastValueFlush >= VALUE_FLUSH_MS) {
      // Values are stored and pushed to the UI at most once a minute; transitions go at once.
      for (const inst of this.open.values()) {
        if (!inst.valueDirty) continue;
        batch.save.add(inst);
        batch.changed.add(inst);
      }
      this.lastValueFlush = now;
    }
    this.flush(batch);
  }

  // ---------------------------------------------------------------- commit

  private newBatch(now = this.clock.now()): Batch {
    return { now, save: new Set(), events: [], messages: [], actions: [], changed: new Set() };
  }

  /**
   * Writes the batch (with anything an earlier flush could not write) in one transaction, then notifies,
   * runs actions and emits events. A database that refuses the write does not stop the rest: the rows
   * wait in memory for a later flush, so alerts and the emergency stop keep working.
   */
  private flush(batch: Batch): void {
    const quiet =
      batch.save.size === 0 &&
      batch.events.length === 0 &&
      batch.messages.length === 0 &&
      batch.changed.size === 0;
    // Health can only move with a transition or a suppression change, both of which mark `changed`.
    if (quiet && this.lastHealth !== undefined && !this.hasUnwritten()) return;
    for (const inst of batch.save) {
      this.unwrittenAlerts.delete(inst.id); // re-inserted last: the map's order is oldest-first
      this.unwrittenAlerts.set(inst.id, inst);
      inst.valueDirty = false;
    }
    for (const e of batch.events) this.unwrittenEvents.push(e);
    this.persist(batch.now);
    for (const m of batch.messages) {
      try {
        this.deps.notifier.send(m);
      } catch (err) {
        this.deps.log?.(`alerts: notifier refused a message for ${m.alertId}: ${(err as Error).message}`);
      }
    }
    for (const { inst, name } of batch.actions) this.runAction(inst, name);
    for (const inst of batch.changed) this.emit({ type: 'alert.changed', alert: toAlert(inst) });
    this.emitHealthIfChanged();
  }

  private hasUnwritten(): boolean {
    return this.unwrittenAlerts.size > 0 || this.unwrittenEvents.length > 0 || this.unwrittenState.size > 0;
  }

  /** Writes what waits in memory, unless the database failed less than WRITE_RETRY_MS ago. Never throws. */
  private persist(now: number): void {
    this.boundUnwritten();
    if (!this.hasUnwritten()) return;
    if (this.writeFailing && now < this.nextWriteAttemptAt) return;
    const count = this.unwrittenAlerts.size + this.unwrittenEvents.length + this.unwrittenState.size;
    try {
      this.repo.transaction(() => {
        for (const inst of this.unwrittenAlerts.values()) this.repo.saveAlert(inst, now);
        for (const e of this.unwrittenEvents) this.repo.addEvent(e);
        for (const [key, value] of this.unwrittenState) this.repo.setState(key, value);
      });
    } catch (err) {
      if (!this.writeFailing) {
        this.log(
          `alerts: the database refused a write (${errorMessage(err)}); alerts, notifications and actions go on, ` +
            `and the rows are kept in memory until it accepts writes again`,
        );
      }
      this.writeFailing = true;
      this.nextWriteAttemptAt = now + WRITE_RETRY_MS;
      return;
    }
    this.unwrittenAlerts.clear();
    this.unwrittenEvents = [];
    this.unwrittenState.clear();
    if (this.writeFailing) {
      const dropped = this.droppedWrites > 0 ? ` (${this.droppedWrites} older rows were dropped)` : '';
      this.log(`alerts: the database accepts writes again; wrote ${count} waiting rows${dropped}`);
    }
    this.writeFailing = false;
    this.droppedWrites = 0;
  }

  private boundUnwritten(): void {
    while (this.unwrittenAlerts.size > MAX_UNWRITTEN_ALERTS) {
      const oldest = this.unwrittenAlerts.keys().next().value as string;
      this.unwrittenAlerts.delete(oldest);
      // Its events would break the foreign key if the row was never written: they go with it.
      const before = this.unwrittenEvents.length;
      this.unwrittenEvents = this.unwrittenEvents.filter((e) => e.alertId !== oldest);
      this.droppedWrites += 1 + before - this.unwrittenEvents.length;
    }
    const excess = this.unwrittenEvents.length - MAX_UNWRITTEN_EVENTS;
    if (excess > 0) {
      this.unwrittenEvents.splice(0, excess);
      this.droppedWrites += excess;
    }
  }

  private log(message: string): void {
    try {
      this.deps.log?.(message);
    } catch {
      // A broken logger must not stop evaluation.
    }
  }

  private runAction(inst: Instance, name: string): void {
    const ctx: ActionContext = {
      ruleId: inst.ruleId,
      alertId: inst.id,
      reason: `${inst.ruleName}: ${inst.message}`,
    };
    const failed = (err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      this.log(`alerts: action ${name} for ${inst.ruleId} failed: ${message}`);
      inst.actionState = 'failed';
      this.unwrittenAlerts.delete(inst.id);
      this.unwrittenAlerts.set(inst.id, inst);
      this.unwrittenEvents.push({
        alertId: inst.id,
        ts: this.clock.now(),
        type: 'action-failed',
        detail: `${name}: ${message}`,
      });
      this.persist(this.clock.now());
    };
    try {
      const result = this.deps.actions?.[name]?.(ctx);
      if (result && typeof (result as Promise<void>).catch === 'function')
        (result as Promise<void>).catch(failed);
    } catch (err) {
      failed(err);
    }
  }

  private emit(event: AlertApiEvent): void {
    try {
      this.deps.onEvent?.(event);
    } catch {
      // A broken listener must not stop evaluation.
    }
  }

  private emitHealthIfChanged(): void {
    const counts = { pending: 0, firing: 0, acknowledged: 0 };
    for (const inst of this.open.values()) {
      if (inst.suppressed) continue;
      if (inst.state === 'pending' || inst.state === 'firing' || inst.state === 'acknowledged')
        counts[inst.state]++;
    }
    const health = this.health();
    const key = `${health}|${counts.pending}|${counts.firing}|${counts.acknowledged}`;
    if (key === this.lastHealth) return;
    this.lastHealth = key;
    this.emit({ type: 'alert.health', health, counts });
  }

  private render(inst: Instance): string {
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
    const template =
      rule.message ??
      (rule.expr.forecast
        ? `{{series}}: ${formatDuration(rule.expr.forecast.horizonMs)} 後の予測値 {{value}} ({{op}} {{threshold}})`
        : '{{series}} = {{value}} ({{op}} {{threshold}})');
    return renderTemplate(template, vars);
  }

  // ---------------------------------------------------------------- operator actions and queries

  health(): AlertHealth {
    return healthOf([...this.open.values()]);
  }

  list(opts: { states?: readonly AlertState[]; includeSuppressed?: boolean } = {}): Alert[] {
    const states = opts.states ?? ['pending', 'firing', 'acknowledged'];
    return [...this.open.values()]
      .filter((a) => states.includes(a.state) && (opts.includeSuppressed !== false || !a.suppressed))
      .sort(
        (a, b) =>
          SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
          stateRank(a.state) - stateRank(b.state) ||
          (a.firedAt ?? a.startedAt) - (b.firedAt ?? b.startedAt),
      )
      .map(toAlert);
  }

  get evaluatedAt(): number | null {
    return this.lastEvaluatedAt;
  }

  ack(id: string, by: string, note?: string): Alert {
    const inst = this.byId.get(id);
    if (!inst) {
      const row = this.repo.alert(id);
      if (!row) throw new AlertError('not_found', `no alert ${id}`);
      throw new AlertError(
        'conflict',
        `alert ${id} is ${row.state}: only a firing alert can be acknowledged`,
      );
    }
    if (inst.state === 'pending') {
      throw new AlertError('conflict', `alert ${id} is pending: it has not fired yet`);
    }
    if (inst.state === 'acknowledged') {
      throw new AlertError('conflict', `alert ${id} was already acknowledged by ${inst.ackBy ?? '?'}`);
    }
    const batch = this.newBatch();
    inst.ackedAt = batch.now;
    inst.ackBy = by;
    inst.ackNote = note?.trim() ? note.trim() : null;
    if (inst.actionState === 'deferred') inst.actionState = 'skipped';
    this.transition(inst, 'acknowledged', batch, {
      actor: by,
      ...(inst.ackNote ? { detail: inst.ackNote } : {}),
    });
    this.flush(batch);
    this.deps.audit?.({
      actor: by,
      action: 'alert.ack',
      details: { alertId: id, ruleId: inst.ruleId, note: inst.ackNote },
    });
    return toAlert(inst);
  }

  silence(input: {
    ruleId?: string;
    matchers?: SilenceRecord['matchers'];
    startsAt?: number;
    endsAt?: number;
    durationMinutes?: number;
    reason: string;
    by: string;
  }): Silence {
    const now = this.clock.now();
    const matchers = input.matchers ?? [];
    if (input.ruleId === undefined && matchers.length === 0) {
      throw new AlertError('invalid_input', 'a silence needs a ruleId or at least one matcher');
    }
    try {
      compileMatchers(matchers);
    } catch (err) {
      throw new AlertError('invalid_input', `bad matcher: ${(err as Error).message}`);
    }
    const startsAt = input.startsAt ?? now;
    const endsAt =
      input.endsAt ??
      (input.durationMinutes !== undefined ? startsAt + input.durationMinutes * MINUTE : undefined);
    if (endsAt === undefined) throw new AlertError('invalid_input', 'give endsAt or durationMinutes');
    if (endsAt <= startsAt || endsAt <= now) {
      throw new AlertError('invalid_input', 'the silence must end in the future and after it starts');
    }
    const record: SilenceRecord = {
      id: randomUUID(),
      ruleId: input.ruleId ?? null,
      matchers,
      startsAt,
      endsAt,
      reason: input.reason,
      createdBy: input.by,
      createdAt: now,
      source: 'api',
      expiredAt: null,
    };
    this.repo.addSilence(record);
    this.apiSilences.unshift(new ActiveSilence(record));
    this.afterSilenceChange(now);
    this.deps.audit?.({
      actor: input.by,
      action: 'alert.silence',
      details: {
        silenceId: record.id,
        ruleId: record.ruleId,
        matchers,
        startsAt,
        endsAt,
        reason: input.reason,
      },
    });
    const out = toSilence(record, now);
    this.emit({ type: 'alert.silence', silence: out });
    return out;
  }

  unsilence(id: string, by: string): Silence {
    const now = this.clock.now();
    if (this.configSilences.some((s) => s.record.id === id)) {
      throw new AlertError('conflict', `silence ${id} is declared in the config file: remove it there`);
    }
    const s = this.apiSilences.find((x) => x.record.id === id);
    if (!s) throw new AlertError('not_found', `no silence ${id}`);
    if (s.record.expiredAt !== null || s.record.endsAt <= now) {
      throw new AlertError('conflict', `silence ${id} has already ended`);
    }
    this.repo.endSilence(id, now, by);
    s.record.expiredAt = now;
    this.afterSilenceChange(now);
    this.deps.audit?.({ actor: by, action: 'alert.unsilence', details: { silenceId: id } });
    const out = toSilence(s.record, now);
    this.emit({ type: 'alert.silence', silence: out });
    return out;
  }

  private afterSilenceChange(now: number): void {
    const batch = this.newBatch(now);
    this.refreshSuppression(batch);
    for (const inst of batch.changed) if (inst.state === 'firing') this.notifyStep(inst, batch);
    this.flush(batch);
  }

  silences(includeExpired = false): Silence[] {
    const now = this.clock.now();
    this.apiSilences = this.apiSilences.filter((s) => s.record.endsAt > now - 7 * 24 * 60 * MINUTE);
    return [...this.apiSilences, ...this.configSilences]
      .filter((s) => includeExpired || s.isActive(now) || s.record.startsAt > now)
      .filter((s) => includeExpired || s.record.expiredAt === null)
      .map((s) => toSilence(s.record, now));
  }

  history(filter: HistoryFilter): Alert[] {
    return this.repo.history(filter).map((row) => {
      const live = this.byId.get(row.id);
      return live ? toAlert(live) : toAlert(row);
    });
  }

  events(alertId: string): { alert: Alert; events: ReturnType<AlertsRepo['events']> } {
    const row = this.byId.get(alertId) ?? this.repo.alert(alertId);
    if (!row) throw new AlertError('not_found', `no alert ${alertId}`);
    return { alert: toAlert(row), events: this.repo.events(alertId) };
  }

  maintenance(): { windows: MaintenanceWindowStatus[]; activeNow: string[] } {
    const now = this.clock.now();
    const windows = this.windows.map((w) => w.status(now));
    return { windows, activeNow: windows.filter((w) => w.active).map((w) => w.id) };
  }

  ruleInfo(): { rules: AlertRuleInfo[]; errors: RuleLoadError[] } {
    return {
      rules: this.rules.map((r) => ({
        id: r.id,
        name: r.name,
        expr: r.exprText,
        for: r.forText,
        forMs: r.forMs,
        clearForMs: r.clearForMs,
        severity: r.severity,
        clear: r.clear ?? null,
        labels: r.labels,
        action: r.action ?? null,
        enabled: r.enabled,
        notes: r.notes ?? null,
      })),
      errors: this.ruleErrors,
    };
  }

  loadErrors(): RuleLoadError[] {
    return this.ruleErrors;
  }
}

/** Errors for the API layer: mapped to ApiFailure with the same code. */
export class AlertError extends Error {
  constructor(
    readonly code: 'not_found' | 'conflict' | 'invalid_input',
    message: string,
  ) {
    super(message);
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function stateRank(s: AlertState): number {
  return s === 'firing' ? 0 : s === 'acknowledged' ? 1 : 2;
}

function openKey(ruleId: string, seriesKey: string): string {
  return `${ruleId}\u0000${seriesKey}`;
}

function levelApplies(level: EscalationLevel, severity: AlertSeverity): boolean {
  return level.severities === undefined || level.severities.includes(severity);
}

function matchesSelector(rule: CompiledRule, labels: Readonly<Record<string, string>>): boolean {
  for (const m of rule.expr.selector.matchers) {
    const v = labels[m.label] ?? '';
    if (
      m.op === '='
        ? v !== m.value
        : m.op === '!='
          ? v === m.value
          : m.op === '=~'
            ? !m.re?.test(v)
            : m.re?.test(v)
    ) {
      return false;
    }
  }
  return true;
}

function matchLabelsOf(
  rule: CompiledRule,
  labels: Record<string, string>,
  metric: string,
): Record<string, string> {
  return { ...rule.labels, ...labels, rule: rule.id, severity: rule.severity, metric };
}

function toAlert(a: AlertRow): Alert {
  return {
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

function toSilence(r: SilenceRecord, now: number): Silence {
  return {
    id: r.id,
    ruleId: r.ruleId,
    matchers: r.matchers,
    startsAt: r.startsAt,
    endsAt: r.endsAt,
    reason: r.reason,
    createdBy: r.createdBy,
    createdAt: r.createdAt,
    source: r.source,
    expiredAt: r.expiredAt,
    active: r.expiredAt === null && now >= r.startsAt && now < r.endsAt,
  };
}

/** A stand-in for an open alert whose rule is gone; reconcile resolves it at once. */
function placeholderRule(row: AlertRow): CompiledRule {
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
  };
}

function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * Least-squares line through the points; the value it gives `horizonMs` after `now`. Undefined when
 * there are fewer than 10 points or they span less than `minSpanMs`.
 */
export function linearForecast(
  points: readonly { ts: number; value: number }[],
  now: number,
  horizonMs: number,
  minSpanMs: number,
): number | undefined {
  const n = points.length;
  if (n < 10) return undefined;
  const first = points[0] as { ts: number };
  const last = points[n - 1] as { ts: number };
  if (last.ts - first.ts < minSpanMs) return undefined;
  // x in hours relative to now keeps the sums well conditioned.
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    const x = (p.ts - now) / 3_600_000;
    sx += x;
    sy += p.value;
    sxx += x * x;
    sxy += x * p.value;
  }
  const denom = n * sxx - sx * sx;
  if (denom === 0) return undefined;
  const slope = (n * sxy - sx * sy) / denom;
  const intercept = (sy - slope * sx) / n;
  return intercept + slope * (horizonMs / 3_600_000);
}

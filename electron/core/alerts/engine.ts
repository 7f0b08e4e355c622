/**
 * The alert engine: the state machine of alert instances (pending → firing → acknowledged →
 * resolved, with durations and hysteresis), fed by samples, and the one place that commits what
 * changed. Its parts live beside it: rules (rules.ts, compile and validate), the `alerts:` section
 * (section.ts), suppression by silences and maintenance windows (suppression.ts), escalation and
 * repeats (escalation.ts), message texts (messages.ts), rule actions (actions.ts) and the SQL (repo.ts).
 *
 * A commit writes the batch through the store's write path (a database that refuses writes does not
 * stop anything: rows wait in memory), then sends the messages, runs the actions and pushes the
 * changed alerts to the UI and to other capabilities.
 */
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
import { type AlertsConfig, alertsConfigSchema, type RuleLoadError } from '../../../shared/config/alerts.js';
import { createWritePath, type WritePath } from '../store/index.js';
import {
  type AlertAction,
  actionsFromMap,
  type EvidenceLookup,
  type RuleActionRunner,
  RuleActions,
} from './actions.js';
import { AlertError } from './errors.js';
import { Escalation } from './escalation.js';
import { applyWindow, compare, formatDuration, type WindowFn } from './expr.js';
import {
  type AlertNotifyMessage,
  type Batch,
  type Binding,
  type Instance,
  isQuiet,
  matchesSelector,
  matchLabelsOf,
  newBatch,
  openKey,
  placeholderRule,
  recordEvent,
  SEVERITY_RANK,
  stateRank,
  toAlert,
  transition,
} from './instance.js';
import { type Locale, renderMessage } from './messages.js';
import { type AlertRow, AlertsRepo, type HistoryFilter } from './repo.js';
import { type CompiledRule, isCleared, type Locate, type MetricCheck } from './rules.js';
import { loadSection } from './section.js';
import { type NewSilence, Suppression, toSilence } from './suppression.js';

export type { AlertNotifyMessage } from './instance.js';

export interface LatestSample {
  key: string;
  name: string;
  labels: Record<string, string>;
  ts: number;
  value: number;
}

export interface AlertNotifier {
  send(msg: AlertNotifyMessage): void;
}

export interface AlertsDeps {
  db: BetterSqlite3.Database;
  clock: { now(): number };
  notifier: AlertNotifier;
  onEvent?: (event: AlertApiEvent) => void;
  /** Stored samples of one series in [from, to], oldest first (forecast rules). */
  readSeries?: (key: string, fromMs: number, toMs: number) => { ts: number; value: number }[];
  /** Named actions rules may run: the core action registry, or a plain map. */
  actions?: RuleActionRunner | Record<string, AlertAction>;
  /** The raw `alerts:` section (undefined = all defaults). */
  config?: unknown;
  /** Config file path, for RuleLoadError.file. */
  configFile?: string;
  /** Which metric names rules may use; default the metric catalog. */
  metricCheck?: MetricCheck;
  /** Operator actions (ack, silence) for the audit trail (store.appendAudit). */
  audit?: (entry: { actor: string; action: string; details?: Record<string, unknown> }) => void;
  /** Where to report problems that have no caller to return to (a failing action). */
  log?: (message: string) => void;
  /** The store's write path; default one of its own over `db`. */
  writes?: WritePath;
  /** The language of notification texts (`ui.locale`); default Japanese. */
  locale?: () => Locale;
  /** The longest an evaluation holds the event loop before it yields; default 20 ms. */
  sliceBudgetMs?: number;
  /** What made an alert fire (values, log records), handed to its action (the emergency stop records it). */
  evidenceFor?: EvidenceLookup;
}

const MINUTE = 60_000;
const FORECAST_REFRESH_MS = 5 * MINUTE;
const VALUE_FLUSH_MS = MINUTE;
const DEFAULT_SLICE_BUDGET_MS = 20;
/** A slice always does this much, so a small evaluation is never split (and stays synchronous). */
const MIN_STEPS_PER_SLICE = 512;
const MAX_CHANGES_PER_SLICE = 256;

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

function isRunner(a: RuleActionRunner | Record<string, AlertAction>): a is RuleActionRunner {
  return (
    typeof (a as RuleActionRunner).has === 'function' && typeof (a as RuleActionRunner).run === 'function'
  );
}

export class AlertsEngine {
  private readonly repo: AlertsRepo;
  private readonly writes: WritePath;
  private readonly clock: { now(): number };
  private readonly locale: () => Locale;
  private readonly suppression: Suppression;
  private readonly escalation: Escalation;
  private readonly actions: RuleActions;
  private rules: CompiledRule[] = [];
  private ruleErrors: RuleLoadError[] = [];
  private config: AlertsConfig;
  /** Open alerts by rule id + series key. */
  private readonly open = new Map<string, Instance>();
  private readonly byId = new Map<string, Instance>();
  /** Series key → the enabled rules whose selector matches it (built on first sight, reset by setConfig). */
  private rulesBySeries = new Map<string, Binding[]>();
  /** Enabled rules by metric name: a new series is matched against these only. */
  private rulesByMetric = new Map<string, CompiledRule[]>();
  private readonly forecastCache = new Map<string, { at: number; value: number | undefined }>();
  /** Recent samples per series for windowed functions (increase, rate, …_over_time). */
  private readonly windowBuffers = new Map<
    string,
    { points: { ts: number; value: number }[]; rangeMs: number; lastTs: number }
  >();
  private lastEvaluatedAt: number | null = null;
  private lastValueFlush = 0;
  private lastHealth: string | undefined;
  /** Open alerts read at start, attached to their rules by the first setConfig. */
  private pendingRestore: AlertRow[] | undefined;
  /** Series waiting to be evaluated (newest value per series), and the sample in progress. */
  private readonly pendingSamples = new Map<string, LatestSample>();
  private cursor: { sample: LatestSample; bindings: Binding[]; index: number } | null = null;
  private evaluating = false;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly sliceBudgetMs: number;

  constructor(private readonly deps: AlertsDeps) {
    this.repo = new AlertsRepo(deps.db);
    this.clock = deps.clock;
    this.sliceBudgetMs = deps.sliceBudgetMs ?? DEFAULT_SLICE_BUDGET_MS;
    this.locale = deps.locale ?? (() => 'ja');
    this.writes =
      deps.writes ??
      createWritePath({
        db: deps.db,
        file: deps.db.name,
        now: () => deps.clock.now(),
        log: (m) => this.log(m),
      });
    this.config = alertsConfigSchema.parse({});
    const now = this.clock.now();
    this.suppression = new Suppression(this.repo, this.writes, now);
    this.escalation = new Escalation(this.locale);
    const runner =
      deps.actions === undefined
        ? undefined
        : isRunner(deps.actions)
          ? deps.actions
          : actionsFromMap(deps.actions);
    this.actions = new RuleActions(
      runner,
      (inst, event) => {
        const batch = this.newBatch();
        recordEvent(inst, batch, event.type, event.detail);
        batch.changed.add(inst);
        this.commit(batch);
      },
      (m) => this.log(m),
      deps.evidenceFor,
    );
    const resumed = this.repo.getState('lastResumeAt');
    if (resumed !== undefined) this.actions.noteResume(Number(resumed));
    this.pendingRestore = this.repo.openAlerts();
    this.setConfig(deps.config);
    this.lastValueFlush = now;
  }

  // ---------------------------------------------------------------- config

  setConfig(section: unknown, locate?: Locate): RuleLoadError[] {
    const loaded = loadSection(section, {
      file: this.deps.configFile ?? 'config.yaml',
      previous: this.config,
      ...(locate ? { locate } : {}),
      ...(this.deps.metricCheck ? { metricCheck: this.deps.metricCheck } : {}),
    });
    this.config = loaded.config;
    this.rules = loaded.rules;
    this.ruleErrors = loaded.errors;
    this.suppression.setConfig(loaded.configSilences, loaded.windows);
    this.escalation.setConfig(loaded.config);
    this.actions.setCooldown(loaded.config.actionCooldownMinutes);
    this.rulesBySeries = new Map();
    this.rulesByMetric = new Map();
    for (const r of this.rules) {
      if (!r.enabled) continue;
      const list = this.rulesByMetric.get(r.expr.selector.metric) ?? [];
      list.push(r);
      this.rulesByMetric.set(r.expr.selector.metric, list);
    }
    this.forecastCache.clear();

    const batch = this.newBatch();
    this.reconcileInstances(batch);
    this.suppression.refresh(this.open.values(), batch);
    this.commit(batch);
    this.emit({
      type: 'alert.rules',
      ruleCount: this.rules.filter((r) => r.enabled).length,
      errors: loaded.errors,
    });
    return loaded.errors;
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

  /**
   * Evaluates the newest value of the series a producer reported. The work runs in slices of at most
   * SLICE_BUDGET_MS: 20 000 rules firing at once are evaluated, written and notified over many slices
   * with the event loop free in between (the emergency stop and the UI keep answering). Samples that
   * arrive meanwhile join the work (the newest value per series wins).
   */
  evaluate(latest: readonly LatestSample[]): void {
    // Most series (per process, per core, per drive) have no rule on their metric: they are not queued.
    for (const s of latest) if (this.rulesByMetric.has(s.name)) this.pendingSamples.set(s.key, s);
    if (!this.evaluating) this.runSlices();
  }

  /** Resolves when no evaluation is in progress (tests, benchmarks). */
  idle(): Promise<void> {
    if (!this.evaluating) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private runSlices(): void {
    this.evaluating = true;
    let done = true;
    try {
      done = this.evaluateSlice();
    } catch (err) {
      this.cursor = null;
      this.pendingSamples.clear();
      this.log(`evaluation failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!done) {
      // More to do: the rest runs after the event loop has turned (timers, I/O, the stop, the UI).
      setImmediate(() => this.runSlices());
      return;
    }
    this.evaluating = false;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** One slice; true when nothing is left to evaluate. */
  private evaluateSlice(): boolean {
    const now = this.clock.now();
    this.lastEvaluatedAt = now;
    const staleMs = this.config.staleAfterMinutes * MINUTE;
    const batch = this.newBatch(now);
    const deadline = performance.now() + this.sliceBudgetMs;
    let steps = 0;
    // A slice also ends after MAX_CHANGES_PER_SLICE state changes: committing one (row, event, notice) costs
    // far more than evaluating it, and the commit is part of the slice.
    const overBudget = () =>
      batch.changed.size >= MAX_CHANGES_PER_SLICE ||
      (++steps >= MIN_STEPS_PER_SLICE && (steps & 63) === 0 && performance.now() > deadline);

    let cursor = this.cursor;
    for (;;) {
      if (!cursor) {
        const next = this.pendingSamples.values().next();
        if (next.done) break;
        const s = next.value;
        this.pendingSamples.delete(s.key);
        if (now - s.ts > staleMs) continue;
        let bindings = this.rulesBySeries.get(s.key);
        if (!bindings) {
          bindings = (this.rulesByMetric.get(s.name) ?? [])
            .filter((r) => matchesSelector(r, s.labels))
            .map((rule) => ({ rule, key: openKey(rule.id, s.key) }));
          this.rulesBySeries.set(s.key, bindings);
        }
        cursor = { sample: s, bindings, index: 0 };
      }
      const { sample, bindings } = cursor;
      while (cursor.index < bindings.length) {
        const b = bindings[cursor.index++] as Binding;
        const expr = b.rule.expr;
        const value = expr.forecast
          ? this.forecast(b, sample, now)
          : expr.window
            ? this.windowValue(expr.window, sample, now)
            : sample.value;
        if (value !== undefined && Number.isFinite(value)) this.step(b, sample, value, batch);
        if (overBudget()) break;
      }
      if (cursor.index >= bindings.length) cursor = null;
      if (batch.changed.size >= MAX_CHANGES_PER_SLICE) break;
      if (steps >= MIN_STEPS_PER_SLICE && performance.now() > deadline) break;
    }

    const done = cursor === null && this.pendingSamples.size === 0;
    if (done) {
      const stale: Instance[] = [];
      for (const inst of this.open.values()) if (now - inst.lastSeenAt > staleMs) stale.push(inst);
      for (const inst of stale)
        this.close(inst, batch, `no data for ${formatDuration(now - inst.lastSeenAt)}`);
      this.suppression.refresh(this.open.values(), batch);
    }
    for (const inst of batch.changed) if (inst.state === 'firing') this.escalation.step(inst, batch);
    if (batch.save.size > 0 || batch.events.length > 0) {
      for (const inst of this.open.values()) if (inst.valueDirty) batch.save.add(inst);
    }
    this.commit(batch);
    this.cursor = cursor;
    return done;
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
      transition(created, 'pending', batch, { from: 'inactive' });
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
        transition(inst, 'inactive', batch, { detail: 'condition false before the duration' });
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
    inst.message = renderMessage(inst, this.locale());
    const cover = this.suppression.suppressor(inst, now);
    inst.suppressed = cover !== null;
    inst.suppressedBy = cover;
    inst.suppressedSince = inst.suppressed ? now : null;
    return inst;
  }

  private fire(inst: Instance, batch: Batch): void {
    inst.firedAt = batch.now;
    inst.message = renderMessage(inst, this.locale());
    transition(inst, 'firing', batch);
    if (inst.rule.action) this.actions.trigger(inst, batch);
  }

  private resolve(inst: Instance, batch: Batch, why: string): void {
    inst.resolvedAt = batch.now;
    if (inst.actionState === 'deferred') inst.actionState = 'skipped';
    transition(inst, 'resolved', batch, { detail: why });
    this.forget(inst);
    this.escalation.resolved(inst, batch);
  }

  /** Ends an open alert that no longer has a rule or data: pending → inactive, firing → resolved. */
  private close(inst: Instance, batch: Batch, why: string): void {
    if (inst.state === 'pending') {
      inst.resolvedAt = batch.now;
      transition(inst, 'inactive', batch, { detail: why });
      this.forget(inst);
    } else {
      this.resolve(inst, batch, why);
    }
  }

  private forget(inst: Instance): void {
    this.open.delete(openKey(inst.ruleId, inst.seriesKey));
    this.byId.delete(inst.id);
  }

  /**
   * A windowed function's value: the series' recent samples kept in memory (one buffer per series, as
   * long as the longest range a rule asks), filled from stored samples the first time.
   */
  private windowValue(
    w: { fn: WindowFn; rangeMs: number },
    s: LatestSample,
    now: number,
  ): number | undefined {
    let buf = this.windowBuffers.get(s.key);
    if (!buf) {
      buf = { points: [], rangeMs: 0, lastTs: Number.NEGATIVE_INFINITY };
      this.windowBuffers.set(s.key, buf);
    }
    if (w.rangeMs > buf.rangeMs) {
      const firstKept = buf.points[0]?.ts ?? s.ts;
      const history = this.deps.readSeries?.(s.key, now - w.rangeMs, firstKept - 1) ?? [];
      buf.points = [...history, ...buf.points];
      buf.rangeMs = w.rangeMs;
    }
    if (s.ts > buf.lastTs) {
      buf.points.push({ ts: s.ts, value: s.value });
      buf.lastTs = s.ts;
    }
    let drop = 0;
    while (drop < buf.points.length && (buf.points[drop] as { ts: number }).ts < now - buf.rangeMs) drop++;
    if (drop > 0) buf.points.splice(0, drop);
    const from = now - w.rangeMs;
    let start = 0;
    while (start < buf.points.length && (buf.points[start] as { ts: number }).ts < from) start++;
    return applyWindow(w.fn, start === 0 ? buf.points : buf.points.slice(start), w.rangeMs);
  }

  private forecast(binding: Binding, s: LatestSample, now: number): number | undefined {
    const f = binding.rule.expr.forecast;
    if (!f || !this.deps.readSeries) return undefined;
    const cached = this.forecastCache.get(binding.key);
    if (cached && now - cached.at < FORECAST_REFRESH_MS) return cached.value;
    const points = this.deps.readSeries(s.key, now - f.lookbackMs, now);
    const value = linearForecast(points, now, f.horizonMs, f.lookbackMs / 4);
    this.forecastCache.set(binding.key, { at: now, value });
    return value;
  }

  /** The emergency stop calls this on resume: action rules wait the cooldown before acting again. */
  noteResume(at: number): void {
    this.actions.noteResume(at);
    this.writes.write('alerts', () => this.repo.setState('lastResumeAt', String(at)), {
      key: 'alerts:lastResumeAt',
    });
  }

  // ---------------------------------------------------------------- periodic work

  /** Escalation, repeats, silences/windows starting or ending, deferred actions. Call every few seconds. */
  tick(): void {
    // Rows that waited for the database go in first (the core's flush job does the same on its own cadence).
    this.writes.flush();
    const now = this.clock.now();
    const batch = this.newBatch(now);
    this.suppression.refresh(this.open.values(), batch);
    for (const inst of this.open.values()) {
      if (inst.state !== 'firing') continue;
      this.escalation.step(inst, batch);
      this.actions.releaseDeferred(inst, batch);
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
    this.commit(batch);
  }

  /** Deletes resolved alerts (and their events) that ended before `before`; open ones are never touched. */
  prune(before: number): void {
    this.writes.write('alerts', () => this.repo.prune(before), { key: 'alerts:prune' });
  }

  // ---------------------------------------------------------------- commit

  private newBatch(now = this.clock.now()): Batch {
    return newBatch(now);
  }

  /** Writes the batch, then notifies, runs actions and announces the changes. Never throws. */
  private commit(batch: Batch): void {
    if (isQuiet(batch) && this.lastHealth !== undefined) return;
    // The rows and the deliveries of one burst go in with one commit.
    this.writes.batch(() => {
      if (batch.save.size > 0 || batch.events.length > 0) {
        const rows = [...batch.save].map((inst) => this.repo.alertParams(inst, batch.now));
        const events = [...batch.events];
        this.writes.write(
          'alerts',
          () => {
            for (const r of rows) this.repo.saveParams(r);
            for (const e of events) this.repo.addEvent(e);
          },
          { rows: rows.length + events.length },
        );
      }
      for (const m of batch.messages) {
        try {
          this.deps.notifier.send(m);
        } catch (err) {
          this.log(`notifier refused a message for ${m.alertId}: ${(err as Error).message}`);
        }
      }
    });
    const settledNow: Instance[] = [];
    for (const inst of batch.actions) {
      this.actions.run(inst);
      if (inst.actionState !== 'running') settledNow.push(inst);
    }
    if (settledNow.length > 0) {
      // A quick action settled while it ran: its outcome goes in with the row.
      const rows = settledNow.map((inst) => this.repo.alertParams(inst, batch.now));
      this.writes.write('alerts', () => {
        for (const r of rows) this.repo.saveParams(r);
      });
    }
    for (const inst of batch.changed) this.emit({ type: 'alert.changed', alert: toAlert(inst) });
    this.emitHealthIfChanged();
  }

  private log(message: string): void {
    try {
      this.deps.log?.(message);
    } catch {
      // A broken logger must not stop evaluation.
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
    if (inst.state === 'pending')
      throw new AlertError('conflict', `alert ${id} is pending: it has not fired yet`);
    if (inst.state === 'acknowledged') {
      throw new AlertError('conflict', `alert ${id} was already acknowledged by ${inst.ackBy ?? '?'}`);
    }
    const batch = this.newBatch();
    inst.ackedAt = batch.now;
    inst.ackBy = by;
    inst.ackNote = note?.trim() ? note.trim() : null;
    if (inst.actionState === 'deferred') inst.actionState = 'skipped';
    transition(inst, 'acknowledged', batch, { actor: by, ...(inst.ackNote ? { detail: inst.ackNote } : {}) });
    this.commit(batch);
    this.deps.audit?.({
      actor: by,
      action: 'alert.ack',
      details: { alertId: id, ruleId: inst.ruleId, note: inst.ackNote },
    });
    return toAlert(inst);
  }

  silence(input: NewSilence): Silence {
    const now = this.clock.now();
    const record = this.suppression.add(input, now);
    this.afterSilenceChange(now);
    this.deps.audit?.({
      actor: input.by,
      action: 'alert.silence',
      details: {
        silenceId: record.id,
        ruleId: record.ruleId,
        matchers: record.matchers,
        startsAt: record.startsAt,
        endsAt: record.endsAt,
        reason: input.reason,
      },
    });
    const out = toSilence(record, now);
    this.emit({ type: 'alert.silence', silence: out });
    return out;
  }

  unsilence(id: string, by: string): Silence {
    const now = this.clock.now();
    const record = this.suppression.end(id, by, now);
    this.afterSilenceChange(now);
    this.deps.audit?.({ actor: by, action: 'alert.unsilence', details: { silenceId: id } });
    const out = toSilence(record, now);
    this.emit({ type: 'alert.silence', silence: out });
    return out;
  }

  private afterSilenceChange(now: number): void {
    const batch = this.newBatch(now);
    this.suppression.refresh(this.open.values(), batch);
    for (const inst of batch.changed) if (inst.state === 'firing') this.escalation.step(inst, batch);
    this.commit(batch);
  }

  silences(includeExpired = false): Silence[] {
    return this.suppression.list(includeExpired, this.clock.now());
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
    return this.suppression.maintenance(this.clock.now());
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
        runbook: r.runbook ?? null,
      })),
      errors: this.ruleErrors,
    };
  }

  loadErrors(): RuleLoadError[] {
    return this.ruleErrors;
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

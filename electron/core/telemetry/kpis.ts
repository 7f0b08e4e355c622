/**
 * KPIs per bot and per account, from events, without keeping the events: minute and second buckets
 * for the sliding windows (actions per hour, success rate, API error rate, outage share, QPS), one
 * HDR histogram per minute for the response time percentiles (merged over the window when asked),
 * counters, and the failure streak (reset by a success).
 */
import { build, type Histogram } from 'hdr-histogram-js';
import type { TelemetryConfig } from '../../../shared/config/telemetry.js';
import type { TelemetryEvent } from './types.js';
import { BucketRing } from './windows.js';

const SECOND = 1000;
const MINUTE = 60_000;
const HOUR = 3_600_000;
/** A response later than this after its request is not paired with it (a request that never got an answer). */
const PAIR_MAX_MS = 60_000;
/** A `Rate limit - リトライ` line this soon after a 429 answer is the same event told twice. */
const RATE_LIMIT_SAME_MS = 2_000;
const MAX_PENDING_REQUESTS = 1000;
/** Label value of accounts and actions beyond the bound. */
export const OTHER = 'other';

export type KpiSettings = TelemetryConfig['kpis'];

export interface BotCounters {
  apiCalls: number;
  errors: number;
  rateLimitAnswers: number;
  qpsWaits: number;
  budgetWarnings: number;
  actionLimitHits: number;
  profileLockTimeouts: number;
  chromeStartFailures: number;
  webdriverRestarts: number;
}

/** What survives a restart of Nexus Ops (the streak that an automatic stop counts). */
export interface StreakState {
  consecutiveFailures: number;
  lastSuccessAt: number | null;
  lastFailureAt: number | null;
  accounts: Record<string, { consecutiveFailures: number; lastSuccessAt: number | null }>;
}

export interface BotKpiView {
  bot: string;
  actionsPerHour: number;
  successes: number;
  failures: number;
  /** null: fewer outcomes in the window than `minOutcomesForRate`. */
  successRatePct: number | null;
  apiCallsInWindow: number;
  apiErrorRatePct: number | null;
  responseP50Ms: number | null;
  responseP95Ms: number | null;
  qps: number;
  qpsViolations: number;
  outage: boolean;
  consecutiveFailures: number;
  lastSuccessAt: number | null;
  secondsSinceSuccess: number | null;
  memoryBytes: number | null;
  lastEventAt: number | null;
  counters: BotCounters;
  accounts: AccountKpiView[];
}

export interface AccountKpiView {
  account: string;
  actionsPerHour: number;
  successRatePct: number | null;
  consecutiveFailures: number;
  secondsSinceSuccess: number | null;
  actions: { action: string; perHour: number }[];
}

function newHistogram(): Histogram {
  return build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 10 * MINUTE,
    numberOfSignificantValueDigits: 2,
  });
}

class AccountKpis {
  readonly success = new BucketRing(MINUTE, 60);
  readonly failure = new BucketRing(MINUTE, 60);
  readonly actions = new Map<string, BucketRing>();
  consecutiveFailures = 0;
  lastSuccessAt: number | null = null;
}

export class BotKpis {
  private readonly success = new BucketRing(MINUTE, 60);
  private readonly failure = new BucketRing(MINUTE, 60);
  private readonly apiAttempts = new BucketRing(MINUTE, 60);
  private readonly apiErrors = new BucketRing(MINUTE, 60);
  private readonly outageFails = new BucketRing(MINUTE, 60);
  private readonly apiCallsPerMinute = new BucketRing(MINUTE, 60);
  /** Calls per second, 10 minutes deep (QPS peak and violations). */
  private readonly callsPerSecond = new BucketRing(SECOND, 600);
  /** The bot's own QPS reports (⏱️ lines), peak per second. */
  private readonly reportedQps = new BucketRing(SECOND, 600);
  /** One histogram per minute, `ring` deep. */
  private readonly histograms: { minute: number; hist: Histogram }[] = [];
  private readonly scratch = newHistogram();
  private readonly pending: number[] = [];
  private lastRateLimitAt = Number.NEGATIVE_INFINITY;
  private readonly accounts = new Map<string, AccountKpis>();
  consecutiveFailures = 0;
  lastSuccessAt: number | null = null;
  lastFailureAt: number | null = null;
  lastEventAt: number | null = null;
  memoryBytes: number | null = null;
  readonly counters: BotCounters = {
    apiCalls: 0,
    errors: 0,
    rateLimitAnswers: 0,
    qpsWaits: 0,
    budgetWarnings: 0,
    actionLimitHits: 0,
    profileLockTimeouts: 0,
    chromeStartFailures: 0,
    webdriverRestarts: 0,
  };

  constructor(
    readonly bot: string,
    private settings: () => KpiSettings,
  ) {}

  restore(state: StreakState): void {
    this.consecutiveFailures = state.consecutiveFailures;
    this.lastSuccessAt = state.lastSuccessAt;
    this.lastFailureAt = state.lastFailureAt;
    for (const [name, a] of Object.entries(state.accounts)) {
      const acc = this.account(name);
      if (!acc) continue;
      acc.consecutiveFailures = a.consecutiveFailures;
      acc.lastSuccessAt = a.lastSuccessAt;
    }
  }

  streak(): StreakState {
    const accounts: StreakState['accounts'] = {};
    for (const [name, a] of this.accounts)
      accounts[name] = { consecutiveFailures: a.consecutiveFailures, lastSuccessAt: a.lastSuccessAt };
    return {
      consecutiveFailures: this.consecutiveFailures,
      lastSuccessAt: this.lastSuccessAt,
      lastFailureAt: this.lastFailureAt,
      accounts,
    };
  }

  /** A deliberate resume after an emergency stop starts a new streak (so the next 5 failures stop again). */
  resetStreak(): void {
    this.consecutiveFailures = 0;
    for (const a of this.accounts.values()) a.consecutiveFailures = 0;
  }

  private account(name: string | undefined): AccountKpis | undefined {
    if (name === undefined) return undefined;
    let acc = this.accounts.get(name);
    if (acc) return acc;
    const key = this.accounts.size >= this.settings().maxAccountsPerBot ? OTHER : name;
    acc = this.accounts.get(key);
    if (!acc) {
      acc = new AccountKpis();
      this.accounts.set(key, acc);
    }
    return acc;
  }

  /** Applies one event. Outcome events (success / failure) come here only from the bot's outcome source. */
  apply(ev: TelemetryEvent): void {
    const ts = ev.ts;
    if (this.lastEventAt === null || ts > this.lastEventAt) this.lastEventAt = ts;
    switch (ev.kind) {
      case 'success':
      case 'failure':
        this.outcome(ev);
        break;
      case 'error':
        this.counters.errors++;
        break;
      case 'api-request':
        if (this.pending.length >= MAX_PENDING_REQUESTS) this.pending.shift();
        this.pending.push(ts);
        break;
      case 'api-call':
        this.apiCall(ev);
        break;
      case 'api-error':
        this.apiAttempts.add(ts);
        this.apiErrors.add(ts);
        this.outageFails.add(ts);
        this.takePending(ts);
        break;
      case 'rate-limit-answer':
        // The bot's retry line right after a 429 answer we counted is the same answer told twice.
        if (ts - this.lastRateLimitAt > RATE_LIMIT_SAME_MS) this.counters.rateLimitAnswers++;
        break;
      case 'qps-wait':
        this.counters.qpsWaits++;
        if (ev.qps !== undefined) this.reportedQps.max(ts, ev.qps);
        break;
      case 'budget-warning':
        this.counters.budgetWarnings++;
        break;
      case 'action-limit':
        this.counters.actionLimitHits++;
        break;
      case 'profile-lock-timeout':
        this.counters.profileLockTimeouts++;
        break;
      case 'chrome-start-failure':
        this.counters.chromeStartFailures++;
        break;
      case 'webdriver-restart':
        this.counters.webdriverRestarts++;
        break;
      case 'memory':
        if (ev.value !== undefined) this.memoryBytes = Math.round(ev.value * 1024 * 1024);
        break;
      case 'count':
      case 'run':
        break;
    }
  }

  private outcome(ev: TelemetryEvent): void {
    const ok = ev.kind === 'success';
    (ok ? this.success : this.failure).add(ev.ts);
    if (ok) {
      this.consecutiveFailures = 0;
      if (this.lastSuccessAt === null || ev.ts > this.lastSuccessAt) this.lastSuccessAt = ev.ts;
    } else {
      this.consecutiveFailures++;
      if (this.lastFailureAt === null || ev.ts > this.lastFailureAt) this.lastFailureAt = ev.ts;
    }
    const acc = this.account(ev.account);
    if (!acc) return;
    (ok ? acc.success : acc.failure).add(ev.ts);
    if (ok) {
      acc.consecutiveFailures = 0;
      if (acc.lastSuccessAt === null || ev.ts > acc.lastSuccessAt) acc.lastSuccessAt = ev.ts;
    } else {
      acc.consecutiveFailures++;
    }
    const action = ev.action ?? '-';
    let ring = acc.actions.get(action);
    if (!ring) {
      const key = acc.actions.size >= this.settings().maxActionsPerBot ? OTHER : action;
      ring = acc.actions.get(key) ?? new BucketRing(MINUTE, 60);
      acc.actions.set(key, ring);
    }
    ring.add(ev.ts);
  }

  private apiCall(ev: TelemetryEvent): void {
    const ts = ev.ts;
    this.counters.apiCalls++;
    this.apiCallsPerMinute.add(ts);
    this.apiAttempts.add(ts);
    this.callsPerSecond.add(ts);
    const status = ev.status ?? 200;
    if (status >= 400) this.apiErrors.add(ts);
    if (status >= 500) this.outageFails.add(ts);
    if (status === 429) {
      this.counters.rateLimitAnswers++;
      this.lastRateLimitAt = ts;
    }
    const started = this.takePending(ts);
    const ms = ev.value ?? (started === undefined ? undefined : ts - started);
    if (ms !== undefined && ms >= 0) this.recordResponse(ts, ms);
  }

  /** The oldest request still waiting for its answer (console lines carry no ids: first in, first out). */
  private takePending(ts: number): number | undefined {
    while (this.pending.length > 0) {
      const first = this.pending.shift() as number;
      if (first <= ts && ts - first <= PAIR_MAX_MS) return first;
    }
    return undefined;
  }

  private recordResponse(ts: number, ms: number): void {
    const minute = Math.floor(ts / MINUTE);
    let slot = this.histograms.find((h) => h.minute === minute);
    if (!slot) {
      const depth = this.settings().rateWindowMinutes;
      // Reuse the oldest histogram once the ring is full.
      if (this.histograms.length >= depth) {
        this.histograms.sort((a, b) => a.minute - b.minute);
        slot = this.histograms.shift() as { minute: number; hist: Histogram };
        if (minute < slot.minute) {
          this.histograms.unshift(slot);
          return; // older than the window
        }
        slot.hist.reset();
        slot.minute = minute;
      } else {
        slot = { minute, hist: newHistogram() };
      }
      this.histograms.push(slot);
    }
    slot.hist.recordValue(Math.min(Math.round(ms), 10 * MINUTE));
  }

  private percentiles(now: number, windowMs: number): { p50: number; p95: number } | null {
    const from = Math.floor((now - windowMs) / MINUTE) + 1;
    const to = Math.floor(now / MINUTE);
    this.scratch.reset();
    let any = false;
    for (const h of this.histograms) {
      if (h.minute < from || h.minute > to || h.hist.totalCount === 0) continue;
      this.scratch.add(h.hist);
      any = true;
    }
    if (!any) return null;
    return { p50: this.scratch.getValueAtPercentile(50), p95: this.scratch.getValueAtPercentile(95) };
  }

  /** The QPS: the busiest second of the window (counted calls, or what the bot's limiter reported). */
  qps(now: number): number {
    const w = this.settings().qpsWindowSeconds * SECOND;
    return Math.max(this.callsPerSecond.peak(now, w), this.reportedQps.peak(now, w));
  }

  qpsViolations(now: number): number {
    const s = this.settings();
    const w = s.violationWindowMinutes * MINUTE;
    return Math.max(
      this.callsPerSecond.countAbove(now, w, s.qpsViolation),
      this.reportedQps.countAbove(now, w, s.qpsViolation),
    );
  }

  outage(now: number): boolean {
    const s = this.settings();
    const w = s.outageWindowMinutes * MINUTE;
    const attempts = this.apiAttempts.sum(now, w);
    if (attempts < s.outageMinCalls) return false;
    return (this.outageFails.sum(now, w) / attempts) * 100 >= s.outageFailurePct;
  }

  view(now: number): BotKpiView {
    const s = this.settings();
    const rateW = s.rateWindowMinutes * MINUTE;
    const successes = this.success.sum(now, rateW);
    const failures = this.failure.sum(now, rateW);
    const outcomes = successes + failures;
    const attempts = this.apiAttempts.sum(now, rateW);
    const errors = this.apiErrors.sum(now, rateW);
    const pct = this.percentiles(now, rateW);
    const accounts: AccountKpiView[] = [];
    for (const [name, a] of this.accounts) {
      const ok = a.success.sum(now, rateW);
      const bad = a.failure.sum(now, rateW);
      accounts.push({
        account: name,
        actionsPerHour: a.success.sum(now, HOUR) + a.failure.sum(now, HOUR),
        successRatePct: ok + bad >= s.minOutcomesForRate ? round2((ok / (ok + bad)) * 100) : null,
        consecutiveFailures: a.consecutiveFailures,
        secondsSinceSuccess:
          a.lastSuccessAt === null ? null : Math.max(0, Math.round((now - a.lastSuccessAt) / 1000)),
        actions: [...a.actions].map(([action, ring]) => ({ action, perHour: ring.sum(now, HOUR) })),
      });
    }
    accounts.sort((x, y) => x.account.localeCompare(y.account));
    return {
      bot: this.bot,
      actionsPerHour: this.success.sum(now, HOUR) + this.failure.sum(now, HOUR),
      successes,
      failures,
      successRatePct: outcomes >= s.minOutcomesForRate ? round2((successes / outcomes) * 100) : null,
      apiCallsInWindow: this.apiCallsPerMinute.sum(now, rateW),
      apiErrorRatePct: attempts >= s.minOutcomesForRate ? round2((errors / attempts) * 100) : null,
      responseP50Ms: pct?.p50 ?? null,
      responseP95Ms: pct?.p95 ?? null,
      qps: this.qps(now),
      qpsViolations: this.qpsViolations(now),
      outage: this.outage(now),
      consecutiveFailures: this.consecutiveFailures,
      lastSuccessAt: this.lastSuccessAt,
      secondsSinceSuccess:
        this.lastSuccessAt === null ? null : Math.max(0, Math.round((now - this.lastSuccessAt) / 1000)),
      memoryBytes: this.memoryBytes,
      lastEventAt: this.lastEventAt,
      counters: { ...this.counters },
      accounts,
    };
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

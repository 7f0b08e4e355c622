/**
 * Telemetry: records → events (extraction rules) → KPIs, cost and evidence → samples (alert rules,
 * the stored tiers, the Prometheus export, the UI); run signals → the dead-man's switch per bot.
 *
 * Records are applied in the order they arrive. Right after a batch, the values an automatic stop
 * watches (failure streak, QPS and its violations, outage, today's cost) are announced at once, so a
 * record that crosses a stop rule reaches the stop within the same turn of the event loop; the whole
 * set follows on the publish job.
 */
import type { Alert } from '../../../shared/api/alerts.js';
import type {
  BotKpi,
  CostView,
  DmsStateView,
  Evidence,
  TelemetryApiEvent,
  TelemetryOverview,
} from '../../../shared/api/telemetry.js';
import type { Config, ConfigIssue } from '../../../shared/config/schema.js';
import type { BotTelemetryConfig, TelemetryConfig } from '../../../shared/config/telemetry.js';
import { CUSTOM_PREFIX } from '../../../shared/metrics/catalog.js';
import { type LiveSample, type Sample, seriesKey } from '../../../shared/series.js';
import type { WritePath } from '../store/index.js';
import { COST_BUCKET_MS, CostLedger } from './cost.js';
import { DeadMan, DMS_STATE_VALUE, type DmsState, type RunRecord } from './deadman.js';
import { defaultExtractionRules } from './default-rules.js';
import { EvidenceRings } from './evidence.js';
import { BotKpis, type BotKpiView } from './kpis.js';
import { type Locale, reasonText } from './messages.js';
import {
  Calendar,
  cronSchedule,
  everySchedule,
  isValidTimeZone,
  type Schedule,
  timesSchedule,
} from './periods.js';
import { TelemetryRepo } from './repo.js';
import { type CompiledRule, compileRules, eventOf, matchRule, type RuleProblem } from './rules.js';
import { scanStateFiles } from './state-files.js';
import type { RunSignal, TelemetryEvent, TelemetryRecord } from './types.js';

type Locate = (path: readonly (string | number)[]) => { line: number; col: number } | undefined;

export interface TelemetryDeps {
  db: import('better-sqlite3').Database;
  writes: WritePath;
  clock: { now(): number };
  config(): Config;
  configFile: string;
  locate?: () => Locate;
  /** Announce samples (the `samples` hook: alert rules evaluate them, the export keeps the latest). */
  publish(ts: number, samples: readonly LiveSample[]): void;
  /** Write samples into the stored tiers. */
  store(samples: readonly Sample[]): void;
  emit(event: TelemetryApiEvent): void;
  newId(): string;
  log(message: string): void;
  /** Something app.status shows changed (a rule became stale). */
  statusChanged?(): void;
  isStopped?(): boolean;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;
const DEFAULT_TIMEZONE = 'Asia/Tokyo';
/** A run only its per-run log file showed ends with its last record once the bot is this long quiet. */
export const LOG_RUN_QUIET_MS = 10 * 60_000;
/** Runs, evidence and cost rows are kept this long. */
export const TELEMETRY_RETENTION_DAYS = 400;

interface RuleStat {
  matches: number;
  lastMatchAt: number;
  /** Matches since Nexus Ops started (the API shows these). */
  session: number;
}

function sample(name: string, labels: Record<string, string>, ts: number, value: number): LiveSample {
  return { name, labels, ts, value, key: seriesKey(name, labels) };
}

export class Telemetry {
  private readonly repo: TelemetryRepo;
  private cfg!: TelemetryConfig;
  private timezone = DEFAULT_TIMEZONE;
  private rules: CompiledRule[] = [];
  private ruleProblems: RuleProblem[] = [];
  private rulesFromConfig = false;
  private issues: ConfigIssue[] = [];
  private staleIssues: ConfigIssue[] = [];
  private readonly rulesByBot = new Map<string, CompiledRule[]>();
  private readonly botCfg = new Map<string, BotTelemetryConfig>();
  private readonly kpis = new Map<string, BotKpis>();
  private readonly ledger: CostLedger;
  private readonly rings = new EvidenceRings();
  private readonly deadMen = new Map<string, DeadMan>();
  private readonly watchingSince = new Map<string, number>();
  private readonly lastUp = new Map<string, number>();
  private readonly ruleStats = new Map<string, RuleStat>();
  private readonly dirtyStats = new Set<string>();
  private readonly statKeys = new Map<string, Map<string, string>>();
  private readonly dirtyStreaks = new Set<string>();
  private readonly lastRecordAt = new Map<string, number>();
  private readonly custom = new Map<string, number>();
  private lastStoredAt = 0;
  private lastDmsJson = '';
  private stopped = false;
  /** Records received and events made, since start (the bench and the status read these). */
  readonly stats = { records: 0, events: 0, unmatched: 0 };

  constructor(private readonly deps: TelemetryDeps) {
    this.repo = new TelemetryRepo(deps.db);
    const initial = this.parseSection(deps.config());
    this.cfg = initial;
    this.timezone = initial.timezone;
    const now = deps.clock.now();
    const calendar = new Calendar(initial.timezone);
    const month = calendar.monthOf(now);
    const prevMonth = calendar.monthOf(month.start - 1);
    const day = calendar.dayOf(now);
    this.ledger = new CostLedger(
      initial,
      this.repo.costSince(prevMonth.start),
      this.repo.marksSince([`day:${day.key}`, `month:${month.key}`]),
    );
    for (const [bot, streak] of this.repo.streaks()) this.botKpis(bot).restore(streak);
    for (const s of this.repo.ruleStats())
      this.ruleStats.set(`${s.ruleId}\u0000${s.bot}`, {
        matches: s.matches,
        lastMatchAt: s.lastMatchAt,
        session: 0,
      });
    this.stopped = deps.isStopped?.() ?? false;
    this.setConfig(deps.config());
  }

  private parseSection(config: Config): TelemetryConfig & { timezone: string } {
    const t = config.telemetry;
    return { ...t, timezone: isValidTimeZone(t.timezone) ? t.timezone : DEFAULT_TIMEZONE };
  }

  // ------------------------------------------------------------------ config

  setConfig(config: Config): ConfigIssue[] {
    const file = this.deps.configFile;
    const locate = this.deps.locate?.() ?? (() => undefined);
    const issues: ConfigIssue[] = [];
    const issue = (path: (string | number)[], message: string, severity?: 'notice') => {
      const pos = locate(['telemetry', ...path]);
      issues.push({
        file,
        ...(pos ? { line: pos.line, col: pos.col } : {}),
        path: ['telemetry', ...path].join('.'),
        message,
        ...(severity ? { severity } : {}),
      });
    };
    const t = config.telemetry;
    if (!isValidTimeZone(t.timezone))
      issue(
        ['timezone'],
        `unknown time zone "${t.timezone}": use an IANA name such as Asia/Tokyo (${DEFAULT_TIMEZONE} is used)`,
      );
    this.cfg = this.parseSection(config);
    this.timezone = this.cfg.timezone;
    if (this.ledger) this.ledger.setSettings(this.cfg);

    const raw = t.rules ?? defaultExtractionRules;
    this.rulesFromConfig = t.rules !== undefined;
    const compiled = compileRules(raw);
    this.rules = compiled.rules;
    this.ruleProblems = compiled.problems;
    for (const p of compiled.problems)
      issue(
        ['rules', p.index, ...p.path],
        `rule ${p.ruleId ?? `#${p.index + 1}`}: ${p.message} (the other rules run)`,
      );

    const providers = new Set(this.cfg.providers.map((p) => p.id));
    if (!providers.has(this.cfg.defaultProvider))
      issue(
        ['defaultProvider'],
        `no provider "${this.cfg.defaultProvider}" in telemetry.providers: its calls cost nothing`,
      );
    for (const r of this.rules)
      if (r.rule.provider && !providers.has(r.rule.provider))
        issue(['rules', r.index, 'provider'], `no provider "${r.rule.provider}" in telemetry.providers`);

    const knownBots = new Map(config.bots.map((b) => [b.id, b]));
    this.botCfg.clear();
    this.rulesByBot.clear();
    const now = this.deps.clock.now();
    const wanted = new Set<string>();
    t.bots.forEach((b, i) => {
      if (this.botCfg.has(b.bot)) {
        issue(['bots', i, 'bot'], `bot "${b.bot}" is listed twice (the first entry is used)`);
        return;
      }
      this.botCfg.set(b.bot, b);
      if (!knownBots.has(b.bot))
        issue(['bots', i, 'bot'], `no bot "${b.bot}" in bots: (add it there, or correct the id)`);
      if (b.provider && !providers.has(b.provider))
        issue(['bots', i, 'provider'], `no provider "${b.provider}" in telemetry.providers`);
      if (b.outcomes === 'state-files' && (knownBots.get(b.bot)?.stateFiles.length ?? 0) === 0)
        issue(
          ['bots', i, 'outcomes'],
          `outcomes: state-files, but bot "${b.bot}" has no stateFiles in bots:`,
        );
      if (!b.deadMan) return;
      let schedule: Schedule;
      try {
        schedule = this.scheduleOf(b.deadMan.schedule);
      } catch (err) {
        issue(['bots', i, 'deadMan', 'schedule'], `bad schedule: ${errorText(err)}`);
        return;
      }
      wanted.add(b.bot);
      // A bot the operator disabled in bots: is not expected to run: its switch pauses.
      const deadMan = knownBots.get(b.bot)?.enabled === false ? { ...b.deadMan, enabled: false } : b.deadMan;
      const since = this.watchingSince.get(b.bot) ?? now;
      const existing = this.deadMen.get(b.bot);
      if (existing) existing.reconfigure(deadMan, schedule, now);
      else
        this.deadMen.set(
          b.bot,
          new DeadMan(
            b.bot,
            deadMan,
            schedule,
            since,
            { newId: () => this.deps.newId(), save: (run) => this.saveRun(run) },
            this.repo.runs(b.bot, 50),
          ),
        );
      this.watchingSince.set(b.bot, (this.deadMen.get(b.bot) as DeadMan).watchingFrom);
    });
    for (const bot of [...this.deadMen.keys()]) if (!wanted.has(bot)) this.deadMen.delete(bot);
    // Every declared bot has its KPIs (zero until it writes), so its tiles and series exist from the start.
    for (const b of config.bots) if (b.enabled) this.botKpis(b.id);
    for (const bot of this.botCfg.keys()) this.botKpis(bot);
    this.issues = issues;
    return [...issues, ...this.staleIssues];
  }

  private scheduleOf(s: NonNullable<BotTelemetryConfig['deadMan']>['schedule']): Schedule {
    if (s.cron !== undefined) return cronSchedule(s.cron, this.timezone);
    if (s.everyMinutes !== undefined) return everySchedule(s.everyMinutes, new Calendar(this.timezone));
    return timesSchedule(s.times ?? [], this.timezone);
  }

  configIssues(): ConfigIssue[] {
    return [...this.issues, ...this.staleIssues];
  }

  /** The rules that apply to a bot: its packs (or every rule when it names none), and rules naming it. */
  private rulesFor(bot: string): CompiledRule[] {
    let list = this.rulesByBot.get(bot);
    if (list) return list;
    const packs = this.botCfg.get(bot)?.packs ?? [];
    list = this.rules.filter((r) => {
      if (r.rule.bots) return r.rule.bots.includes(bot);
      if (r.rule.pack && packs.length > 0) return packs.includes(r.rule.pack);
      return true;
    });
    this.rulesByBot.set(bot, list);
    return list;
  }

  private botKpis(bot: string): BotKpis {
    let k = this.kpis.get(bot);
    if (!k) {
      k = new BotKpis(bot, () => this.cfg.kpis);
      this.kpis.set(bot, k);
    }
    return k;
  }

  private providerOf(bot: string, ev: TelemetryEvent): string {
    return ev.provider ?? this.botCfg.get(bot)?.provider ?? this.cfg.defaultProvider;
  }

  private outcomesFromLogs(bot: string): boolean {
    return (this.botCfg.get(bot)?.outcomes ?? 'logs') === 'logs';
  }

  // ------------------------------------------------------------------ input

  /** Log records (the logs capability's stored records, through adapter.ts). Never throws. */
  ingest(records: readonly TelemetryRecord[]): void {
    this.ingestEach(records, (r) => r);
  }

  /**
   * The same, each record made from its item only when its turn comes: the log capability announces
   * thousands of records at once, and a whole batch of them made up front outlived a young-generation
   * collection or two (copied, then promoted) where one at a time dies young.
   */
  ingestEach<T>(items: readonly T[], toRecord: (item: T) => TelemetryRecord | undefined): void {
    if (items.length === 0) return;
    const touched = new Set<string>();
    let costChanged = false;
    for (let i = 0; i < items.length; i++) {
      const record = toRecord(items[i] as T);
      if (!record) continue;
      this.stats.records++;
      const prev = this.lastRecordAt.get(record.bot);
      if (prev === undefined || record.ts > prev) this.lastRecordAt.set(record.bot, record.ts);
      let ev: TelemetryEvent | undefined;
      const rules = this.rulesFor(record.bot);
      for (let j = 0; j < rules.length; j++) {
        const r = rules[j] as CompiledRule;
        let groups: Record<string, string> | null;
        try {
          groups = matchRule(r, record);
        } catch (err) {
          this.deps.log(`telemetry: rule ${r.rule.id} failed on record ${record.id}: ${errorText(err)}`);
          continue;
        }
        if (!groups) continue;
        ev = eventOf(r, record, groups);
        this.noteMatch(r.rule.id, record.bot, record.ts);
        break;
      }
      if (!ev) {
        this.stats.unmatched++;
        continue;
      }
      if (this.apply(ev)) costChanged = true;
      touched.add(ev.bot);
    }
    this.afterBatch(touched, costChanged);
  }

  /** Applies one event; true when it changed the cost. */
  private apply(ev: TelemetryEvent): boolean {
    this.stats.events++;
    const isOutcome = ev.kind === 'success' || ev.kind === 'failure';
    const counts = !isOutcome || (ev.origin === 'log') === this.outcomesFromLogs(ev.bot);
    const k = this.botKpis(ev.bot);
    if (counts) {
      k.apply(ev);
      if (isOutcome) this.dirtyStreaks.add(ev.bot);
    }
    this.rings.note(ev, isOutcome && counts);
    if (ev.kind === 'count' && ev.metric?.startsWith(CUSTOM_PREFIX))
      this.custom.set(ev.metric, (this.custom.get(ev.metric) ?? 0) + (ev.value ?? 1));
    if (ev.run) {
      const signal: RunSignal =
        ev.run === 'start'
          ? {
              kind: 'start',
              bot: ev.bot,
              at: ev.ts,
              from: 'log',
              evidence: ev.recordId,
              ...(ev.executionId ? { runId: ev.executionId } : {}),
            }
          : {
              kind: 'finish',
              bot: ev.bot,
              at: ev.ts,
              from: 'log',
              ok: ev.run === 'finish',
              evidence: ev.recordId,
              ...(ev.executionId ? { runId: ev.executionId } : {}),
            };
      this.deadMen.get(ev.bot)?.observe(signal);
    }
    if (ev.kind === 'api-call') {
      this.ledger.addCall(ev.bot, this.providerOf(ev.bot, ev), ev.ts);
      return true;
    }
    return false;
  }

  private afterBatch(touched: ReadonlySet<string>, costChanged: boolean): void {
    const now = this.deps.clock.now();
    if (costChanged) {
      const rows = this.ledger.takeDirty();
      this.deps.writes.write('telemetry', () => this.repo.upsertCost(rows), { rows: rows.length });
      for (const mark of this.ledger.crossings(now)) {
        this.deps.writes.write('telemetry', () => this.repo.insertMark(mark), {
          key: `telemetry:mark:${mark.period}:${mark.pct}`,
        });
        this.deps.log(
          `telemetry: budget ${mark.period} reached ${mark.pct}% ($${mark.spentUsd.toFixed(4)} of $${mark.budgetUsd})`,
        );
        this.deps.emit({ type: 'telemetry.budget', ...mark, at: mark.firedAt });
      }
    }
    this.saveStreaks(now);
    if (touched.size === 0 && !costChanged) return;
    // What the stop rules watch, at once.
    const out: LiveSample[] = [];
    for (const bot of touched) {
      const k = this.botKpis(bot);
      const labels = { bot };
      out.push(
        sample('bot.consecutive_failures', labels, now, k.consecutiveFailures),
        sample('bot.qps', labels, now, k.qps(now)),
        sample('bot.qps_violations', labels, now, k.qpsViolations(now)),
        sample('bot.api_outage', labels, now, k.outage(now) ? 1 : 0),
        sample('bot.rate_limit_answers', labels, now, k.counters.rateLimitAnswers),
        sample('bot.chrome_start_failures', labels, now, k.counters.chromeStartFailures),
      );
    }
    if (costChanged) out.push(...this.costSamples(now, false));
    this.deps.publish(now, out);
  }

  private saveStreaks(now: number): void {
    if (this.dirtyStreaks.size === 0) return;
    for (const bot of this.dirtyStreaks) {
      const streak = this.botKpis(bot).streak();
      this.deps.writes.write('telemetry', () => this.repo.saveStreak(bot, streak, now), {
        key: `telemetry:streak:${bot}`,
      });
    }
    this.dirtyStreaks.clear();
  }

  /** `ruleId NUL bot`, made once per pair: a match per record would otherwise build and hash it anew. */
  private statKey(ruleId: string, bot: string): string {
    let byBot = this.statKeys.get(ruleId);
    if (!byBot) {
      byBot = new Map();
      this.statKeys.set(ruleId, byBot);
    }
    let key = byBot.get(bot);
    if (key === undefined) {
      key = `${ruleId}\u0000${bot}`;
      byBot.set(bot, key);
    }
    return key;
  }

  private noteMatch(ruleId: string, bot: string, ts: number): void {
    const key = this.statKey(ruleId, bot);
    const s = this.ruleStats.get(key);
    if (s) {
      s.matches++;
      s.session++;
      if (ts > s.lastMatchAt) s.lastMatchAt = ts;
    } else {
      this.ruleStats.set(key, { matches: 1, lastMatchAt: ts, session: 1 });
    }
    this.dirtyStats.add(key);
  }

  /** A start or end of a run (process, per-run log file, Task Scheduler). */
  observeRun(signal: RunSignal): void {
    const dms = this.deadMen.get(signal.bot);
    if (!dms) return;
    // A per-run file from before Nexus Ops watched (its history, read at the first start) is no run of now.
    if (signal.kind === 'start' && signal.from === 'log' && signal.at < dms.watchingFrom) return;
    dms.observe(signal);
  }

  /**
   * The `samples` hook: a bot's processes appearing (bot.up 0 → 1) and leaving (1 → 0) are the starts
   * and ends of its runs. The first value after a start of Nexus Ops closes runs it did not see end.
   */
  onSamples(samples: readonly LiveSample[]): void {
    for (const s of samples) {
      if (s.name !== 'bot.up') continue;
      const bot = s.labels.bot;
      if (!bot) continue;
      const up = s.value > 0 ? 1 : 0;
      const before = this.lastUp.get(bot);
      this.lastUp.set(bot, up);
      const dms = this.deadMen.get(bot);
      if (!dms || before === up) continue;
      if (before === undefined) {
        if (up === 0 && dms.hasOpenRun()) dms.closeUnseen(s.ts);
        else if (up === 1 && !dms.hasOpenRun())
          dms.observe({ kind: 'start', bot, at: s.ts, from: 'process' });
        continue;
      }
      dms.observe(
        up === 1
          ? { kind: 'start', bot, at: s.ts, from: 'process' }
          : { kind: 'finish', bot, at: s.ts, from: 'process', ok: null },
      );
    }
  }

  setStopped(stopped: boolean): void {
    if (this.stopped && !stopped) {
      // Resumed: the runs the stop prevented are not missed runs; slots from now on are judged.
      const now = this.deps.clock.now();
      for (const [bot, dms] of this.deadMen) {
        dms.watchFrom(now);
        this.watchingSince.set(bot, dms.watchingFrom);
      }
    }
    this.stopped = stopped;
  }

  /** A deliberate resume starts new failure streaks: the next 5 failures in a row stop again. */
  resumed(): void {
    for (const [bot, k] of this.kpis) {
      k.resetStreak();
      this.rings.clearFailures(bot);
      this.dirtyStreaks.add(bot);
    }
    this.saveStreaks(this.deps.clock.now());
  }

  private saveRun(run: RunRecord): void {
    const copy = { ...run };
    this.deps.writes.write('telemetry', () => this.repo.saveRun(copy), { key: `telemetry:run:${run.id}` });
  }

  // ------------------------------------------------------------------ jobs

  /** Every few seconds: the whole KPI set to the rules, the UI and (every store interval) the tiers. */
  publishAll(): void {
    const now = this.deps.clock.now();
    const out = this.allSamples(now);
    this.deps.publish(now, out);
    const storeEvery = this.deps.config().monitor.storeIntervalSeconds * 1000;
    if (now - this.lastStoredAt >= storeEvery) {
      this.deps.store(out.map(({ name, labels, value }) => ({ name, labels, ts: now, value })));
      this.lastStoredAt = now;
    }
    this.deps.emit({ type: 'telemetry.kpis', at: now, bots: this.kpiViews(now) });
    this.deps.emit({ type: 'telemetry.cost', cost: this.costView(now) });
    this.flushStats();
    this.checkStale(now);
  }

  private allSamples(now: number): LiveSample[] {
    const out: LiveSample[] = [];
    for (const [bot, k] of this.kpis) {
      const v = k.view(now);
      const labels = { bot };
      out.push(
        sample('bot.actions_per_hour', labels, now, v.actionsPerHour),
        sample('bot.consecutive_failures', labels, now, v.consecutiveFailures),
        sample('bot.qps', labels, now, v.qps),
        sample('bot.qps_violations', labels, now, v.qpsViolations),
        sample('bot.api_outage', labels, now, v.outage ? 1 : 0),
        sample('bot.api_calls', labels, now, v.counters.apiCalls),
        sample('bot.errors', labels, now, v.counters.errors),
        sample('bot.rate_limit_answers', labels, now, v.counters.rateLimitAnswers),
        sample('bot.chrome_start_failures', labels, now, v.counters.chromeStartFailures),
        sample('bot.webdriver_restarts', labels, now, v.counters.webdriverRestarts),
        sample('bot.profile_lock_timeouts', labels, now, v.counters.profileLockTimeouts),
        sample('bot.action_limit_hits', labels, now, v.counters.actionLimitHits),
      );
      if (v.successRatePct !== null) out.push(sample('bot.success_rate_pct', labels, now, v.successRatePct));
      if (v.apiErrorRatePct !== null)
        out.push(sample('bot.api_error_rate_pct', labels, now, v.apiErrorRatePct));
      if (v.responseP95Ms !== null) out.push(sample('bot.response_time_ms', labels, now, v.responseP95Ms));
      if (v.responseP50Ms !== null)
        out.push(sample('bot.response_time_p50_ms', labels, now, v.responseP50Ms));
      if (v.secondsSinceSuccess !== null)
        out.push(sample('bot.seconds_since_success', labels, now, v.secondsSinceSuccess));
      if (v.memoryBytes !== null) out.push(sample('bot.memory_bytes', labels, now, v.memoryBytes));
      for (const a of v.accounts) {
        const al = { bot, account: a.account };
        out.push(sample('bot.account_consecutive_failures', al, now, a.consecutiveFailures));
        if (a.successRatePct !== null)
          out.push(sample('bot.account_success_rate_pct', al, now, a.successRatePct));
        if (a.secondsSinceSuccess !== null)
          out.push(sample('bot.account_seconds_since_success', al, now, a.secondsSinceSuccess));
        for (const act of a.actions)
          out.push(sample('bot.account_actions_per_hour', { ...al, action: act.action }, now, act.perHour));
      }
    }
    out.push(...this.costSamples(now));
    for (const dms of this.deadMen.values()) {
      const st = dms.state();
      if (st) out.push(sample('bot.dms_state', { bot: st.bot }, now, DMS_STATE_VALUE[st.state]));
    }
    for (const [metric, value] of this.custom) out.push(sample(metric, {}, now, value));
    return out;
  }

  /** Today's and this month's cost (and, with `forecasts`, the burn rate and forecasts, which cost more). */
  private costSamples(now: number, forecasts = true): LiveSample[] {
    const b = this.cfg.budgets;
    const day = this.ledger.spentToday(now);
    const month = this.ledger.spentThisMonth(now);
    const bots = new Set<string>([...this.kpis.keys(), ...this.botCfg.keys()]);
    const out: LiveSample[] = [];
    for (const bot of bots) {
      out.push(sample('bot.cost_usd_day', { bot }, now, round6(this.ledger.spentToday(now, bot))));
      out.push(sample('bot.cost_month_usd', { bot }, now, round6(this.ledger.spentThisMonth(now, bot))));
    }
    out.push(
      sample('cost.day_usd', {}, now, round6(day)),
      sample('cost.month_usd', {}, now, round6(month)),
      sample('cost.budget_day_pct', {}, now, round2((day / b.dailyUsd) * 100)),
      sample('cost.budget_month_pct', {}, now, round2((month / b.monthlyUsd) * 100)),
    );
    if (!forecasts) return out;
    const view = this.ledger.view(now, this.botProviders());
    out.push(
      sample('cost.burn_per_hour_usd', {}, now, view.burnUsdPerHour),
      sample('cost.forecast_day_usd', {}, now, view.day.forecastUsd),
      sample('cost.forecast_month_usd', {}, now, view.month.forecastUsd),
    );
    return out;
  }

  /** Every 15 s: each bot's dead-man's switch; a change is announced at once. */
  checkDeadMen(): void {
    const now = this.deps.clock.now();
    const states: DmsState[] = [];
    for (const [bot, dms] of this.deadMen) {
      dms.finishQuietLogRun(now, this.lastRecordAt.get(bot), LOG_RUN_QUIET_MS);
      states.push(dms.evaluate(now, this.stopped));
    }
    if (states.length === 0) return;
    const views = states.map((s) => this.dmsView(s));
    const json = JSON.stringify(views.map((v) => [v.bot, v.state, v.reason]));
    this.deps.publish(
      now,
      states.map((s) => sample('bot.dms_state', { bot: s.bot }, now, DMS_STATE_VALUE[s.state])),
    );
    if (json !== this.lastDmsJson) {
      this.lastDmsJson = json;
      this.deps.emit({ type: 'telemetry.deadman', states: views });
      for (const v of views)
        this.deps.log(`telemetry: dead-man's switch ${v.bot}: ${v.state} (${v.reasonText})`);
    }
  }

  /** Every 10 s: state files whose modification time changed. */
  scanStateFiles(): void {
    const config = this.deps.config();
    const touched = new Set<string>();
    let costChanged = false;
    for (const bot of config.bots) {
      if (!bot.enabled || bot.stateFiles.length === 0) continue;
      if (this.botCfg.get(bot.id)?.outcomes !== 'state-files') continue;
      const known = this.repo.stateFiles(bot.id);
      const baseline = known.size === 0;
      const scan = scanStateFiles({
        bot: bot.id,
        root: bot.root,
        patterns: bot.stateFiles,
        known,
        baseline,
        timezone: this.timezone,
      });
      for (const p of scan.problems)
        this.deps.log(`telemetry: state file ${p.path}: ${p.message} (read again later)`);
      // An empty first look still marks the bot as looked at.
      const marks = baseline
        ? [...scan.marks, { bot: bot.id, path: '', mtimeMs: 0, watermark: 0 }]
        : scan.marks;
      if (marks.length > 0)
        this.deps.writes.write('telemetry', () => this.repo.saveStateFiles(marks), { rows: marks.length });
      for (const ev of scan.events) {
        if (this.apply(ev)) costChanged = true;
        touched.add(ev.bot);
      }
    }
    if (touched.size > 0 || costChanged) this.afterBatch(touched, costChanged);
  }

  /** Daily: rows older than the retention, buckets of finished months out of memory. */
  prune(): void {
    const now = this.deps.clock.now();
    const before = now - TELEMETRY_RETENTION_DAYS * DAY;
    this.deps.writes.write('telemetry', () => {
      this.repo.pruneCost(before);
      this.repo.pruneRuns(before);
      this.repo.pruneEvidence(before);
    });
    const month = new Calendar(this.timezone).monthOf(now);
    this.ledger.forgetBefore(new Calendar(this.timezone).monthOf(month.start - 1).start - COST_BUCKET_MS);
  }

  private flushStats(): void {
    if (this.dirtyStats.size === 0) return;
    const rows = [...this.dirtyStats].map((key) => {
      const [ruleId, bot] = key.split('\u0000') as [string, string];
      const s = this.ruleStats.get(key) as RuleStat;
      return { ruleId, bot, matches: s.matches, lastMatchAt: s.lastMatchAt };
    });
    this.dirtyStats.clear();
    this.deps.writes.write('telemetry', () => this.repo.saveRuleStats(rows), { rows: rows.length });
  }

  /**
   * A rule that matched a bot's records before and has not for its `expectWithinHours` while the bot kept
   * writing: possibly stale (the bot's format changed). Shown in app.status.
   */
  private checkStale(now: number): void {
    const locate = this.deps.locate?.() ?? (() => undefined);
    const issues: ConfigIssue[] = [];
    for (const r of this.rules) {
      const hours = r.rule.expectWithinHours;
      if (hours === undefined) continue;
      const expectMs = hours * HOUR;
      const bots: string[] = [];
      for (const [key, s] of this.ruleStats) {
        const [ruleId, bot] = key.split('\u0000') as [string, string];
        if (ruleId !== r.rule.id) continue;
        const last = this.lastRecordAt.get(bot);
        if (last !== undefined && now - s.lastMatchAt > expectMs && last > s.lastMatchAt + expectMs)
          bots.push(bot);
      }
      if (bots.length === 0) continue;
      const path = this.rulesFromConfig ? ['telemetry', 'rules', r.index] : ['telemetry', 'rules'];
      const pos = this.rulesFromConfig ? locate(path) : undefined;
      issues.push({
        file: this.deps.configFile,
        ...(pos ? { line: pos.line, col: pos.col } : {}),
        path: `${path.join('.')} (${r.rule.id})`,
        message: `rule ${r.rule.id} is possibly stale: it matched nothing in the records of ${bots.join(', ')} for ${hours} h while they kept writing (did the bot's log format change?)`,
      });
    }
    const before = JSON.stringify(this.staleIssues);
    this.staleIssues = issues;
    if (JSON.stringify(issues) !== before) this.deps.statusChanged?.();
  }

  // ------------------------------------------------------------------ evidence

  /** The values and records behind a metric of a bot: what an automatic stop shows as its cause. */
  evidenceFor(
    metric: string,
    labels: Readonly<Record<string, string>>,
    value?: number | null,
  ): { facts: string[]; records: Evidence['records'] } {
    const now = this.deps.clock.now();
    const bot = labels.bot;
    const facts: string[] = [];
    const series = seriesKey(metric, { ...labels });
    if (value !== undefined && value !== null) facts.push(`${series} = ${value}`);
    const k = bot ? this.kpis.get(bot) : undefined;
    if (k) {
      const v = k.view(now);
      if (metric.includes('consecutive_failures') || metric.includes('success_rate'))
        facts.push(
          `consecutive failures ${v.consecutiveFailures}; last success ${v.lastSuccessAt === null ? 'none seen' : new Date(v.lastSuccessAt).toISOString()}; success rate ${v.successRatePct ?? '–'}% over ${this.cfg.kpis.rateWindowMinutes} min`,
        );
      if (metric.startsWith('bot.qps') || metric === 'bot.rate_limit_answers')
        facts.push(
          `QPS peak ${v.qps} (limit ${this.cfg.kpis.qpsViolation}) over ${this.cfg.kpis.qpsWindowSeconds} s; violations ${v.qpsViolations} in ${this.cfg.kpis.violationWindowMinutes} min; rate-limit answers ${v.counters.rateLimitAnswers}`,
        );
      if (
        metric === 'bot.api_outage' ||
        metric === 'bot.api_error_rate_pct' ||
        metric.startsWith('bot.response_time')
      )
        facts.push(
          `API error rate ${v.apiErrorRatePct ?? '–'}% over ${this.cfg.kpis.rateWindowMinutes} min; response p50 ${v.responseP50Ms ?? '–'} ms, p95 ${v.responseP95Ms ?? '–'} ms`,
        );
    }
    if (metric.startsWith('cost.') || metric.startsWith('bot.cost')) {
      const view = this.ledger.view(now, this.botProviders());
      facts.push(
        `today $${view.day.spentUsd.toFixed(4)} (${view.day.calls} calls) of $${view.day.budgetUsd}; month $${view.month.spentUsd.toFixed(2)} of $${view.month.budgetUsd}; burn $${view.burnUsdPerHour.toFixed(4)}/h`,
      );
      for (const b of view.bots)
        facts.push(`${b.bot}: $${b.dayUsd.toFixed(4)} today (${b.dayCalls} calls × ${b.provider})`);
    }
    if (metric === 'bot.dms_state' && bot) {
      const st = this.deadMen.get(bot)?.state();
      if (st) facts.push(`${st.state}: ${reasonText(st.reason, st.params, this.timezone, this.locale())}`);
    }
    return { facts, records: this.rings.recordsFor(metric, bot, labels.account) };
  }

  /** The `alerts.changed` hook: a telemetry alert that fires keeps what it was based on. */
  onAlert(alert: Alert): void {
    if (alert.state !== 'firing') return;
    if (!isTelemetryMetric(alert.metric)) return;
    const { facts, records } = this.evidenceFor(alert.metric, alert.labels, alert.value);
    const row = {
      alertId: alert.id,
      ruleId: alert.ruleId,
      metric: alert.metric,
      labels: { ...alert.labels },
      at: alert.firedAt ?? this.deps.clock.now(),
      value: alert.value,
      facts,
      records,
    };
    this.deps.writes.write('telemetry', () => this.repo.saveEvidence(row), {
      key: `telemetry:evidence:${alert.id}`,
    });
    this.savedEvidence.set(alert.id, row);
  }

  private readonly savedEvidence = new Map<string, Evidence>();

  evidence(alertId: string): Evidence | null {
    return this.savedEvidence.get(alertId) ?? this.repo.evidence(alertId) ?? null;
  }

  // ------------------------------------------------------------------ views

  private locale(): Locale {
    return this.deps.config().ui.locale;
  }

  private botProviders(): Map<string, string> {
    const out = new Map<string, string>();
    for (const bot of new Set([...this.kpis.keys(), ...this.botCfg.keys()]))
      out.set(bot, this.botCfg.get(bot)?.provider ?? this.cfg.defaultProvider);
    return out;
  }

  kpiViews(now = this.deps.clock.now(), bot?: string): BotKpi[] {
    const out: BotKpiView[] = [];
    for (const [name, k] of this.kpis) if (bot === undefined || bot === name) out.push(k.view(now));
    return out.sort((a, b) => a.bot.localeCompare(b.bot));
  }

  costView(now = this.deps.clock.now()): CostView {
    return this.ledger.view(now, this.botProviders());
  }

  private dmsView(s: DmsState): DmsStateView {
    const params: Record<string, number | null> = {};
    for (const [k, v] of Object.entries(s.params)) if (v !== undefined) params[k] = v;
    return {
      bot: s.bot,
      state: s.state,
      reason: s.reason,
      reasonText: reasonText(s.reason, s.params, this.timezone, this.locale()),
      params,
      since: s.since,
      nextExpectedAt: s.nextExpectedAt,
      schedule: s.schedule,
      lastRun: s.lastRun
        ? {
            startedAt: s.lastRun.startedAt,
            finishedAt: s.lastRun.finishedAt,
            ok: s.lastRun.ok,
            exitCode: s.lastRun.exitCode,
            from: s.lastRun.from,
          }
        : null,
    };
  }

  deadManViews(): DmsStateView[] {
    const now = this.deps.clock.now();
    return [...this.deadMen.values()].map((d) => this.dmsView(d.state() ?? d.evaluate(now, this.stopped)));
  }

  /** The dead-man's switch of one bot now (tests and the API). */
  deadManState(bot: string): DmsStateView | undefined {
    const d = this.deadMen.get(bot);
    return d ? this.dmsView(d.evaluate(this.deps.clock.now(), this.stopped)) : undefined;
  }

  overview(): TelemetryOverview {
    const now = this.deps.clock.now();
    return { at: now, bots: this.kpiViews(now), cost: this.costView(now), deadMan: this.deadManViews() };
  }

  ruleStatus() {
    const now = this.deps.clock.now();
    return {
      rules: this.rules.map((r) => {
        const matches: Record<string, number> = {};
        let lastMatchAt: number | null = null;
        const staleFor: string[] = [];
        for (const [key, s] of this.ruleStats) {
          const [ruleId, bot] = key.split('\u0000') as [string, string];
          if (ruleId !== r.rule.id) continue;
          matches[bot] = s.session;
          if (lastMatchAt === null || s.lastMatchAt > lastMatchAt) lastMatchAt = s.lastMatchAt;
          const hours = r.rule.expectWithinHours;
          const last = this.lastRecordAt.get(bot);
          if (
            hours !== undefined &&
            last !== undefined &&
            now - s.lastMatchAt > hours * HOUR &&
            last > s.lastMatchAt + hours * HOUR
          )
            staleFor.push(bot);
        }
        return {
          id: r.rule.id,
          index: r.index,
          pack: r.rule.pack ?? null,
          event: r.rule.event,
          matches,
          lastMatchAt,
          staleFor,
        };
      }),
      problems: this.ruleProblems.map((p) => ({
        index: p.index,
        ruleId: p.ruleId ?? null,
        message: p.message,
      })),
    };
  }

  /** Writes what is pending (streaks, rule statistics, cost) before the store closes. */
  flush(): void {
    this.saveStreaks(this.deps.clock.now());
    this.flushStats();
    const rows = this.ledger.takeDirty();
    if (rows.length > 0)
      this.deps.writes.write('telemetry', () => this.repo.upsertCost(rows), { rows: rows.length });
  }
}

export function isTelemetryMetric(metric: string): boolean {
  return (metric.startsWith('bot.') && metric !== 'bot.up') || metric.startsWith('cost.');
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function round6(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

/**
 * API cost: billed calls × the provider's price, per bot, in 15-minute buckets (every time zone's
 * offset is a multiple of 15 minutes, so local days and months are whole buckets). Buckets are stored,
 * so the count goes on across restarts of a bot (whose own cost guard starts from zero) and of Nexus
 * Ops. Budgets: each warning threshold fires once per period and the set resets at the boundary
 * (OpenMeter's semantics; LiteLLM #24675 is what a never-resetting spend does).
 */
import type { TelemetryConfig } from '../../../shared/config/telemetry.js';
import { Calendar, type Period } from './periods.js';

export const COST_BUCKET_MS = 15 * 60_000;
const HOUR = 3_600_000;

export interface CostBucket {
  bot: string;
  provider: string;
  bucket: number;
  calls: number;
  costUsd: number;
}

export interface BudgetMark {
  /** `day:2026-01-05` or `month:2026-01`. */
  period: string;
  pct: number;
  firedAt: number;
  spentUsd: number;
  budgetUsd: number;
}

export interface PeriodCost {
  key: string;
  start: number;
  end: number;
  spentUsd: number;
  calls: number;
  budgetUsd: number;
  usedPct: number;
  forecastUsd: number;
  warnPct: number[];
  /** Thresholds already crossed in this period (each fired once). */
  fired: number[];
}

export interface CostView {
  timezone: string;
  at: number;
  day: PeriodCost;
  month: PeriodCost;
  burnUsdPerHour: number;
  bots: {
    bot: string;
    provider: string;
    dayUsd: number;
    monthUsd: number;
    dayCalls: number;
    monthCalls: number;
  }[];
  /** Cumulative spend of the day, one point per 15 minutes up to now. */
  dayPoints: { ts: number; spentUsd: number }[];
  /** Cumulative spend of the month, one point per day up to now. */
  monthPoints: { ts: number; spentUsd: number }[];
}

type Settings = Pick<TelemetryConfig, 'providers' | 'budgets' | 'timezone'>;

interface Totals {
  calls: number;
  costUsd: number;
}

export class CostLedger {
  private readonly buckets = new Map<string, CostBucket>();
  /** Day key → bot → totals, kept as calls arrive (a budget check per batch costs a few lookups). */
  private dayTotals = new Map<string, Map<string, Totals>>();
  private readonly dirty = new Map<string, CostBucket>();
  private readonly marks = new Map<string, BudgetMark>();
  private calendar: Calendar;
  private settings: Settings;

  constructor(settings: Settings, rows: readonly CostBucket[], marks: readonly BudgetMark[]) {
    this.settings = settings;
    this.calendar = new Calendar(settings.timezone);
    for (const r of rows) this.buckets.set(bucketKey(r.bot, r.provider, r.bucket), { ...r });
    this.rebuildTotals();
    for (const m of marks) this.marks.set(`${m.period}|${m.pct}`, m);
  }

  setSettings(settings: Settings): void {
    this.settings = settings;
    if (settings.timezone !== this.calendar.timezone) {
      this.calendar = new Calendar(settings.timezone);
      this.rebuildTotals();
    }
  }

  private rebuildTotals(): void {
    this.dayTotals = new Map();
    for (const b of this.buckets.values()) this.addTotals(b.bot, b.bucket, b.calls, b.costUsd);
  }

  private addTotals(bot: string, ts: number, calls: number, costUsd: number): void {
    const key = this.calendar.dayOf(ts).key;
    let day = this.dayTotals.get(key);
    if (!day) {
      day = new Map();
      this.dayTotals.set(key, day);
    }
    const t = day.get(bot);
    if (t) {
      t.calls += calls;
      t.costUsd += costUsd;
    } else {
      day.set(bot, { calls, costUsd });
    }
  }

  private dayTotal(dayKey: string, bot?: string): Totals {
    const day = this.dayTotals.get(dayKey);
    const out = { calls: 0, costUsd: 0 };
    if (!day) return out;
    for (const [b, t] of day) {
      if (bot !== undefined && b !== bot) continue;
      out.calls += t.calls;
      out.costUsd += t.costUsd;
    }
    return out;
  }

  private monthTotal(monthKey: string, bot?: string): Totals {
    const out = { calls: 0, costUsd: 0 };
    for (const key of this.dayTotals.keys()) {
      if (!key.startsWith(monthKey)) continue;
      const t = this.dayTotal(key, bot);
      out.calls += t.calls;
      out.costUsd += t.costUsd;
    }
    return out;
  }

  get timezone(): string {
    return this.calendar.timezone;
  }

  /** Price per call; a provider missing from the config costs nothing (and is reported as a config problem). */
  priceOf(provider: string): number {
    return this.settings.providers.find((p) => p.id === provider)?.costPerCallUsd ?? 0;
  }

  addCall(bot: string, provider: string, ts: number): void {
    const bucket = Math.floor(ts / COST_BUCKET_MS) * COST_BUCKET_MS;
    const key = bucketKey(bot, provider, bucket);
    let b = this.buckets.get(key);
    if (!b) {
      b = { bot, provider, bucket, calls: 0, costUsd: 0 };
      this.buckets.set(key, b);
    }
    const price = this.priceOf(provider);
    b.calls++;
    b.costUsd += price;
    this.dirty.set(key, b);
    this.addTotals(bot, ts, 1, price);
  }

  /** Buckets changed since the last call (the capability upserts them through the write path). */
  takeDirty(): CostBucket[] {
    const out = [...this.dirty.values()].map((b) => ({ ...b }));
    this.dirty.clear();
    return out;
  }

  /** Forgets buckets older than `before` (memory only; the stored rows have their own retention). */
  forgetBefore(before: number): void {
    for (const [k, b] of this.buckets) if (b.bucket < before) this.buckets.delete(k);
    this.rebuildTotals();
  }

  private sum(from: number, to: number, bot?: string): { calls: number; costUsd: number } {
    let calls = 0;
    let costUsd = 0;
    for (const b of this.buckets.values()) {
      if (b.bucket < from || b.bucket >= to) continue;
      if (bot !== undefined && b.bot !== bot) continue;
      calls += b.calls;
      costUsd += b.costUsd;
    }
    return { calls, costUsd };
  }

  dayOf(ts: number): Period {
    return this.calendar.dayOf(ts);
  }

  monthOf(ts: number): Period {
    return this.calendar.monthOf(ts);
  }

  spentToday(now: number, bot?: string): number {
    return this.dayTotal(this.calendar.dayOf(now).key, bot).costUsd;
  }

  spentThisMonth(now: number, bot?: string): number {
    return this.monthTotal(this.calendar.monthOf(now).key, bot).costUsd;
  }

  /** Cost per hour over the trailing window (its whole 15-minute buckets). */
  burnRate(now: number, windowMs = HOUR): number {
    const from = Math.floor((now - windowMs) / COST_BUCKET_MS) * COST_BUCKET_MS;
    const spent = this.sum(from, now + 1).costUsd;
    const hours = Math.max((now - from) / HOUR, 0.25);
    return spent / hours;
  }

  /**
   * Thresholds crossed now and not fired before in their period: recorded (so each fires once per
   * period, across restarts) and returned.
   */
  crossings(now: number): BudgetMark[] {
    const out: BudgetMark[] = [];
    const b = this.settings.budgets;
    const check = (period: string, spent: number, budget: number, pcts: readonly number[]) => {
      for (const pct of pcts) {
        // Compared in micro-dollars: 240 calls × $0.1 is $24 even if the float sum says 23.999999999999996.
        if (Math.round(spent * 1e6) < Math.round(((budget * pct) / 100) * 1e6)) continue;
        const key = `${period}|${pct}`;
        if (this.marks.has(key)) continue;
        const mark = { period, pct, firedAt: now, spentUsd: spent, budgetUsd: budget };
        this.marks.set(key, mark);
        out.push(mark);
      }
    };
    check(`day:${this.calendar.dayOf(now).key}`, this.spentToday(now), b.dailyUsd, b.dailyWarnPct);
    check(
      `month:${this.calendar.monthOf(now).key}`,
      this.spentThisMonth(now),
      b.monthlyUsd,
      b.monthlyWarnPct,
    );
    return out;
  }

  private firedIn(period: string): number[] {
    const out: number[] = [];
    for (const m of this.marks.values()) if (m.period === period) out.push(m.pct);
    return out.sort((a, x) => a - x);
  }

  view(now: number, botProviders: ReadonlyMap<string, string>): CostView {
    const b = this.settings.budgets;
    const day = this.calendar.dayOf(now);
    const month = this.calendar.monthOf(now);
    const today = this.dayTotal(day.key);
    const thisMonth = this.monthTotal(month.key);
    const burn = this.burnRate(now);
    const burn3h = this.burnRate(now, 3 * HOUR);
    const dayForecast = today.costUsd + burn3h * Math.max(0, (day.end - now) / HOUR);
    const elapsedDays = Math.max((now - month.start) / (24 * HOUR), 1 / 24);
    const monthForecast =
      thisMonth.costUsd + (thisMonth.costUsd / elapsedDays) * Math.max(0, (month.end - now) / (24 * HOUR));

    // One pass over the month's buckets: the day's 15-minute slots and the month's days.
    const days = this.calendar.daysOfMonth(now).filter((d) => d.start <= now);
    const slots = Math.ceil((Math.min(now + 1, day.end) - day.start) / COST_BUCKET_MS);
    const perSlot = new Array<number>(Math.max(0, slots)).fill(0);
    const perDay = new Array<number>(days.length).fill(0);
    const bots = new Set<string>(botProviders.keys());
    for (const bk of this.buckets.values()) {
      if (bk.bucket < month.start || bk.bucket >= month.end) continue;
      bots.add(bk.bot);
      if (bk.bucket >= day.start && bk.bucket < day.end) {
        const i = Math.floor((bk.bucket - day.start) / COST_BUCKET_MS);
        if (i < perSlot.length) perSlot[i] = (perSlot[i] as number) + bk.costUsd;
      }
      const d = days.findIndex((p) => bk.bucket >= p.start && bk.bucket < p.end);
      if (d >= 0) perDay[d] = (perDay[d] as number) + bk.costUsd;
    }
    const dayPoints: { ts: number; spentUsd: number }[] = [{ ts: day.start, spentUsd: 0 }];
    let running = 0;
    perSlot.forEach((c, i) => {
      running += c;
      dayPoints.push({ ts: Math.min(day.start + (i + 1) * COST_BUCKET_MS, now), spentUsd: round6(running) });
    });
    const monthPoints: { ts: number; spentUsd: number }[] = [{ ts: month.start, spentUsd: 0 }];
    running = 0;
    perDay.forEach((c, i) => {
      running += c;
      monthPoints.push({ ts: Math.min((days[i] as Period).end, now), spentUsd: round6(running) });
    });

    const period = (
      p: Period,
      spent: Totals,
      budget: number,
      forecast: number,
      warn: readonly number[],
      name: string,
    ): PeriodCost => ({
      key: p.key,
      start: p.start,
      end: p.end,
      spentUsd: round6(spent.costUsd),
      calls: spent.calls,
      budgetUsd: budget,
      usedPct: round2((spent.costUsd / budget) * 100),
      forecastUsd: round6(forecast),
      warnPct: [...warn],
      fired: this.firedIn(`${name}:${p.key}`),
    });
    return {
      timezone: this.calendar.timezone,
      at: now,
      day: period(day, today, b.dailyUsd, dayForecast, b.dailyWarnPct, 'day'),
      month: period(month, thisMonth, b.monthlyUsd, monthForecast, b.monthlyWarnPct, 'month'),
      burnUsdPerHour: round6(burn),
      bots: [...bots].sort().map((bot) => {
        const d = this.dayTotal(day.key, bot);
        const m = this.monthTotal(month.key, bot);
        return {
          bot,
          provider: botProviders.get(bot) ?? '',
          dayUsd: round6(d.costUsd),
          monthUsd: round6(m.costUsd),
          dayCalls: d.calls,
          monthCalls: m.calls,
        };
      }),
      dayPoints,
      monthPoints,
    };
  }
}

function bucketKey(bot: string, provider: string, bucket: number): string {
  return `${bot}\u0000${provider}\u0000${bucket}`;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function round6(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

import { CronExpressionParser } from 'cron-parser';
import type { MaintenanceWindowStatus } from '../../../shared/api/alerts.js';
import type { MaintenanceWindowConfig } from '../../../shared/config/alerts.js';
import { compileMatchers, type Matcher, matchLabels } from './expr.js';

interface WindowCache {
  /** Valid for now in [from, until). */
  from: number;
  until: number;
  active: boolean;
  lastStart: number | null;
  nextStart: number | null;
}

/**
 * A recurring maintenance window: starts on its cron in the configured zone, lasts durationMinutes.
 * The answer for "is it active now" is cached until the next boundary, so asking every cycle is free.
 */
export class MaintenanceWindow {
  readonly matchers: Matcher[];
  private cache: WindowCache | undefined;
  private readonly durationMs: number;

  constructor(
    readonly config: MaintenanceWindowConfig,
    readonly timezone: string,
  ) {
    this.durationMs = Math.round(config.durationMinutes * 60_000);
    this.matchers = compileMatchers(config.matchers);
    // Parse once now so a bad cron fails at load, not at evaluation.
    CronExpressionParser.parse(config.cron, { tz: timezone, currentDate: new Date(0) });
  }

  get id(): string {
    return this.config.id;
  }

  isActive(now: number): boolean {
    if (!this.config.enabled) return false;
    return this.state(now).active;
  }

  covers(now: number, labels: Readonly<Record<string, string>>): boolean {
    return this.isActive(now) && matchLabels(this.matchers, labels);
  }

  status(now: number): MaintenanceWindowStatus {
    const s = this.state(now);
    const nextStart = s.nextStart;
    return {
      id: this.config.id,
      name: this.config.name ?? this.config.id,
      cron: this.config.cron,
      durationMinutes: this.config.durationMinutes,
      enabled: this.config.enabled,
      timezone: this.timezone,
      active: this.config.enabled && s.active,
      lastStart: s.lastStart,
      lastEnd: s.lastStart === null ? null : s.lastStart + this.durationMs,
      nextStart,
      nextEnd: nextStart === null ? null : nextStart + this.durationMs,
    };
  }

  private state(now: number): WindowCache {
    const c = this.cache;
    if (c && now >= c.from && now < c.until) return c;
    const fresh = this.compute(now);
    this.cache = fresh;
    return fresh;
  }

  private compute(now: number): WindowCache {
    // prev() is strictly before currentDate; +1 s so a window starting exactly now counts as started.
    const lastStart = this.step(now + 1000, 'prev');
    const nextStart = this.step(now, 'next');
    const active = lastStart !== null && now < lastStart + this.durationMs;
    const boundaries = [nextStart ?? Number.POSITIVE_INFINITY];
    if (active && lastStart !== null) boundaries.push(lastStart + this.durationMs);
    return { from: now, until: Math.min(...boundaries), active, lastStart, nextStart };
  }

  private step(at: number, dir: 'prev' | 'next'): number | null {
    try {
      const expr = CronExpressionParser.parse(this.config.cron, {
        tz: this.timezone,
        currentDate: new Date(at),
      });
      return (dir === 'prev' ? expr.prev() : expr.next()).getTime();
    } catch {
      return null;
    }
  }
}

/** A silence, from the API (stored) or the config file (in memory). */
export interface SilenceRecord {
  id: string;
  ruleId: string | null;
  matchers: { label: string; op: '=' | '!=' | '=~' | '!~'; value: string }[];
  startsAt: number;
  endsAt: number;
  reason: string;
  createdBy: string;
  createdAt: number;
  source: 'api' | 'config';
  expiredAt: number | null;
}

export class ActiveSilence {
  readonly matchers: Matcher[];
  constructor(readonly record: SilenceRecord) {
    this.matchers = compileMatchers(record.matchers);
  }
  isActive(now: number): boolean {
    const r = this.record;
    return r.expiredAt === null && now >= r.startsAt && now < r.endsAt;
  }
  covers(now: number, ruleId: string, labels: Readonly<Record<string, string>>): boolean {
    if (!this.isActive(now)) return false;
    if (this.record.ruleId !== null && this.record.ruleId !== ruleId) return false;
    return matchLabels(this.matchers, labels);
  }
}

/** Accepts epoch ms or an ISO date-time; one without an offset is read as the process's local time. */
export function parseInstant(value: string | number): number {
  if (typeof value === 'number') return value;
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new Error(`bad date-time "${value}": use ISO 8601, e.g. 2026-12-01T09:00:00+09:00`);
  return ms;
}

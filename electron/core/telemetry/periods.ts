/**
 * Calendar arithmetic in the operator's time zone: day and month boundaries (budgets reset at local
 * midnight and at the first of the month, not at UTC midnight) and the slots of a schedule (cron,
 * every N minutes from local midnight, or times of day). cron-parser does the zone work (DST included),
 * so this file holds no offset tables.
 */
import { CronExpressionParser } from 'cron-parser';

export interface Period {
  /** `2026-01-05` for a day, `2026-01` for a month (local calendar). */
  key: string;
  start: number;
  end: number;
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function cronStep(expr: string, tz: string, at: number, dir: 'prev' | 'next'): number {
  const it = CronExpressionParser.parse(expr, { tz, currentDate: new Date(at) });
  return (dir === 'prev' ? it.prev() : it.next()).getTime();
}

/** Day and month periods containing a time, cached: records arrive in time order, so this is mostly a compare. */
export class Calendar {
  private day: Period | null = null;
  private month: Period | null = null;
  private days: Period[] | null = null;
  private daysMonth = '';
  private readonly dateFormat: Intl.DateTimeFormat;

  constructor(readonly timezone: string) {
    this.dateFormat = new Intl.DateTimeFormat('en-CA', {
      timeZone: timezone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
  }

  dayOf(ts: number): Period {
    const d = this.day;
    if (d && ts >= d.start && ts < d.end) return d;
    const known = this.days?.find((p) => ts >= p.start && ts < p.end);
    if (known) {
      this.day = known;
      return known;
    }
    const start = cronStep('0 0 * * *', this.timezone, ts + 1, 'prev');
    const end = cronStep('0 0 * * *', this.timezone, ts, 'next');
    const p = { key: this.dateFormat.format(new Date(start + 1)), start, end };
    this.day = p;
    return p;
  }

  monthOf(ts: number): Period {
    const m = this.month;
    if (m && ts >= m.start && ts < m.end) return m;
    const start = cronStep('0 0 1 * *', this.timezone, ts + 1, 'prev');
    const end = cronStep('0 0 1 * *', this.timezone, ts, 'next');
    const p = { key: this.dateFormat.format(new Date(start + 1)).slice(0, 7), start, end };
    this.month = p;
    return p;
  }

  /** Days of the month containing `ts`, oldest first; kept for the month (the cost view asks every 5 s). */
  daysOfMonth(ts: number): Period[] {
    const month = this.monthOf(ts);
    if (this.days && this.daysMonth === month.key) return this.days;
    const out: Period[] = [];
    this.days = null;
    for (let t = month.start; t < month.end; ) {
      const d = this.dayOf(t);
      out.push(d);
      t = d.end;
    }
    this.days = out;
    this.daysMonth = month.key;
    return out;
  }
}

/** When runs are expected: the slot at or before a time, and the one after. */
export interface Schedule {
  prev(atOrBefore: number): number | null;
  next(after: number): number | null;
  /** The shortest gap between two slots (for "runs too often"). */
  readonly minGapMs: number;
  readonly describe: string;
}

/**
 * Remembers the slot interval [prev, next) around the last time asked: the dead-man's switch asks about
 * the same two slots every few seconds, and a cron step costs a parse.
 */
function remembered(raw: Pick<Schedule, 'prev' | 'next'>): Pick<Schedule, 'prev' | 'next'> {
  let lo = Number.NaN;
  let hi = Number.NaN;
  const window = (t: number) => {
    if (t >= lo && t < hi) return;
    lo = raw.prev(t) ?? Number.NEGATIVE_INFINITY;
    hi = raw.next(t) ?? Number.POSITIVE_INFINITY;
  };
  return {
    prev(t) {
      window(t);
      return Number.isFinite(lo) ? lo : null;
    },
    next(t) {
      window(t);
      return Number.isFinite(hi) ? hi : null;
    },
  };
}

export function cronSchedule(expr: string, tz: string): Schedule {
  // Throws with cron-parser's reason for a bad expression: the caller reports it as a config issue.
  CronExpressionParser.parse(expr, { tz, currentDate: new Date(0) });
  const probe = CronExpressionParser.parse(expr, { tz, currentDate: new Date(Date.UTC(2026, 0, 5)) });
  let minGap = Number.POSITIVE_INFINITY;
  let last = probe.next().getTime();
  for (let i = 0; i < 50; i++) {
    const t = probe.next().getTime();
    minGap = Math.min(minGap, t - last);
    last = t;
  }
  return {
    ...remembered({
      prev: (t) => cronStep(expr, tz, t + 1, 'prev'),
      next: (t) => cronStep(expr, tz, t, 'next'),
    }),
    minGapMs: minGap,
    describe: `cron ${expr} (${tz})`,
  };
}

export function everySchedule(minutes: number, calendar: Calendar): Schedule {
  const step = minutes * 60_000;
  const prev = (t: number): number => {
    const day = calendar.dayOf(t);
    return day.start + Math.floor((t - day.start) / step) * step;
  };
  return {
    prev,
    next(t) {
      const day = calendar.dayOf(t);
      const n = prev(t) + step;
      return n < day.end ? n : day.end;
    },
    minGapMs: step,
    describe: `every ${minutes} min from local midnight (${calendar.timezone})`,
  };
}

export function timesSchedule(times: readonly string[], tz: string): Schedule {
  const byHour = new Map<number, Set<number>>();
  for (const t of times) {
    const [h, m] = t.split(':').map(Number) as [number, number];
    const set = byHour.get(h) ?? new Set<number>();
    set.add(m);
    byHour.set(h, set);
  }
  const exprs = [...byHour].map(([h, ms]) => `${[...ms].sort((a, b) => a - b).join(',')} ${h} * * *`);
  const minutesOfDay = [...new Set(times)]
    .map((t) => {
      const [h, m] = t.split(':').map(Number) as [number, number];
      return h * 60 + m;
    })
    .sort((a, b) => a - b);
  let minGap = 24 * 60;
  for (let i = 1; i < minutesOfDay.length; i++)
    minGap = Math.min(minGap, (minutesOfDay[i] as number) - (minutesOfDay[i - 1] as number));
  if (minutesOfDay.length > 1)
    minGap = Math.min(
      minGap,
      24 * 60 - (minutesOfDay[minutesOfDay.length - 1] as number) + (minutesOfDay[0] as number),
    );
  return {
    ...remembered({
      prev: (t) => Math.max(...exprs.map((e) => cronStep(e, tz, t + 1, 'prev'))),
      next: (t) => Math.min(...exprs.map((e) => cronStep(e, tz, t, 'next'))),
    }),
    minGapMs: minGap * 60_000,
    describe: `${times.length} time(s) a day (${tz})`,
  };
}

/** Offset of a zone from UTC at an instant, ms (positive east of Greenwich). */
function zoneOffset(ts: number, tz: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(ts));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return asUtc - Math.floor(ts / 1000) * 1000;
}

/**
 * A wall-clock time without a zone (`2025-09-13T12:02:34.123456`, Python's isoformat of a naive
 * datetime, or `2025-09-13 12:02:34`), read in `tz`; a text with an offset or `Z` keeps it. NaN when
 * it is not a date.
 */
export function wallTimeToEpoch(text: string, tz: string): number {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(
      text.trim(),
    );
  if (!m) return Number.NaN;
  const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  if (m[8])
    return Date.parse(
      `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}.${String(ms).padStart(3, '0')}${m[8]}`,
    );
  const asUtc = Date.UTC(
    Number(m[1]),
    Number(m[2]) - 1,
    Number(m[3]),
    Number(m[4]),
    Number(m[5]),
    Number(m[6] ?? 0),
    ms,
  );
  // Two passes settle the offset across a DST change.
  let guess = asUtc - zoneOffset(asUtc, tz);
  guess = asUtc - zoneOffset(guess, tz);
  return guess;
}

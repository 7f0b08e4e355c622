import { CronExpressionParser } from 'cron-parser';

/**
 * Local dates and slots in the operator's zone. Slots come from cron (cron-parser, which keeps 09:00 at
 * 09:00 across a DST change); day boundaries come from the zone's offset, so a 23- or 25-hour day and
 * a zone whose midnight does not exist on some date still give one day each.
 */

const HOUR = 3_600_000;
const DAY = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      weekday: 'short',
    });
    formatters.set(tz, f);
  }
  return f;
}

export interface LocalParts {
  /** YYYY-MM-DD */
  date: string;
  /** HH:MM */
  time: string;
  /** 0 = Sunday */
  weekday: number;
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

export function localParts(ts: number, tz: string): LocalParts {
  const parts: Record<string, string> = {};
  for (const p of formatter(tz).formatToParts(new Date(ts))) parts[p.type] = p.value;
  const year = Number(parts.year);
  const month = Number(parts.month);
  const day = Number(parts.day);
  const hour = Number(parts.hour) % 24;
  const minute = Number(parts.minute);
  const second = Number(parts.second);
  const pad = (n: number) => String(n).padStart(2, '0');
  return {
    date: `${year}-${pad(month)}-${pad(day)}`,
    time: `${pad(hour)}:${pad(minute)}`,
    weekday: WEEKDAYS[parts.weekday ?? 'Sun'] ?? 0,
    year,
    month,
    day,
    hour,
    minute,
    second,
  };
}

/** The zone's offset from UTC at `ts`, ms (Tokyo: +9 h). */
export function offsetAt(ts: number, tz: string): number {
  const p = localParts(ts, tz);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(ts / 1000) * 1000;
}

/** The first instant of the local day `date` (YYYY-MM-DD): midnight, or the first time that exists. */
export function dayStart(date: string, tz: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const naiveMidnight = Date.UTC(y, m - 1, d);
  // Offsets around that midnight: the one before and the one after a change that day.
  let candidate = naiveMidnight - offsetAt(naiveMidnight - offsetAt(naiveMidnight, tz), tz);
  // A midnight skipped by DST (or an offset guess one change off): step to the first instant of that date.
  for (let i = 0; i < 8 && localParts(candidate, tz).date !== date; i++) {
    candidate += localParts(candidate, tz).date < date ? HOUR / 2 : -HOUR / 2;
  }
  while (localParts(candidate - 60_000, tz).date === date) candidate -= 60_000;
  return candidate;
}

/** The local date (YYYY-MM-DD) of `ts`. */
export function localDate(ts: number, tz: string): string {
  return localParts(ts, tz).date;
}

/** `date` plus `days` (calendar arithmetic, no zone involved). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const t = new Date(Date.UTC(y, m - 1, d) + days * DAY);
  return t.toISOString().slice(0, 10);
}

/** Monday of the week of `date` (weeks start on Monday, as in Japan's business calendar). */
export function weekStart(date: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  return addDays(date, -((weekday + 6) % 7));
}

/** A cron schedule in one zone. Throws a readable error for a bad expression. */
export class Schedule {
  constructor(
    readonly cron: string,
    readonly tz: string,
  ) {
    try {
      CronExpressionParser.parse(cron, { tz, currentDate: new Date(0) });
    } catch (err) {
      throw new Error(
        `bad schedule "${cron}": ${(err as Error).message} (use 5 cron fields, e.g. "0 9 * * *")`,
      );
    }
  }

  // The pages, the reminder job and the overdue gauge ask about the same slots every minute, and a cron
  // step costs a parse: remember the interval between the two slots around the last time asked, and
  // the slots of the last few days.
  private lo = Number.NaN;
  private hi = Number.NaN;
  private readonly spans = new Map<string, readonly number[]>();

  private around(t: number): void {
    if (t >= this.lo && t < this.hi) return;
    this.lo = this.step(t + 1, 'prev') ?? Number.NEGATIVE_INFINITY;
    this.hi = this.step(t, 'next') ?? Number.POSITIVE_INFINITY;
  }

  /** The first slot strictly after `after`, or null. */
  next(after: number): number | null {
    this.around(after);
    return Number.isFinite(this.hi) ? this.hi : null;
  }

  /** The last slot at or before `at`, or null. */
  latest(at: number): number | null {
    this.around(at);
    return Number.isFinite(this.lo) ? this.lo : null;
  }

  /** Every slot in [from, to). */
  between(from: number, to: number): number[] {
    const key = `${from}:${to}`;
    const known = this.spans.get(key);
    if (known) return [...known];
    const out: number[] = [];
    let t = this.next(from - 1);
    while (t !== null && t < to && out.length < 1000) {
      out.push(t);
      t = this.next(t);
    }
    if (this.spans.size >= 8) this.spans.clear();
    this.spans.set(key, out);
    return [...out];
  }

  private step(at: number, dir: 'next' | 'prev'): number | null {
    try {
      const expr = CronExpressionParser.parse(this.cron, { tz: this.tz, currentDate: new Date(at) });
      return (dir === 'next' ? expr.next() : expr.prev()).getTime();
    } catch {
      return null;
    }
  }
}

/**
 * Start of a window given as `HH:MM` (its last occurrence before `ref`, in the zone) or as a duration
 * back from `now` (`30m`, `24h`, `7d`). Throws on anything else.
 */
export function windowStart(since: string, ref: number, now: number, tz: string): number {
  const clock = /^(\d{1,2}):(\d{2})$/.exec(since);
  if (clock) {
    const at = new Schedule(`${Number(clock[2])} ${Number(clock[1])} * * *`, tz).latest(ref - 1);
    if (at === null) throw new Error(`no ${since} before the slot`);
    return at;
  }
  const span = /^(\d+)(m|h|d)$/.exec(since);
  if (span) return now - Number(span[1]) * { m: 60_000, h: HOUR, d: DAY }[span[2] as 'm' | 'h' | 'd'];
  throw new Error(`bad "since: ${since}": use a local time such as "18:00" or a span such as "24h" or "7d"`);
}

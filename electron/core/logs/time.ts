/**
 * Timestamps in log text. Python's asctime (`2025-09-13 12:02:34,123`) is wall-clock time without a
 * zone: the bots' zone, which is this PC's unless `logs.timezone` says otherwise. Converting a wall
 * time to epoch ms costs a Date or Intl call, so the minute's start is cached: lines of one minute
 * share it and only add seconds and milliseconds.
 */
export interface WallClock {
  /** Epoch ms of a wall-clock time in the configured zone (month 1-12). */
  toEpoch(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number;
}

export function createWallClock(timeZone?: string): WallClock {
  const minuteCache = new Map<number, number>();
  const minuteStart = timeZone ? zonedMinute(timeZone) : localMinute;
  return {
    toEpoch(y, mo, d, h, mi, s, ms) {
      const key = (((y * 13 + mo) * 32 + d) * 24 + h) * 60 + mi;
      let base = minuteCache.get(key);
      if (base === undefined) {
        if (minuteCache.size > 10_000) minuteCache.clear();
        base = minuteStart(y, mo, d, h, mi);
        minuteCache.set(key, base);
      }
      return base + s * 1000 + ms;
    },
  };
}

function localMinute(y: number, mo: number, d: number, h: number, mi: number): number {
  return new Date(y, mo - 1, d, h, mi, 0, 0).getTime();
}

function zonedMinute(timeZone: string): (y: number, mo: number, d: number, h: number, mi: number) => number {
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
  });
  const offsetAt = (utc: number): number => {
    const p: Record<string, number> = {};
    for (const part of fmt.formatToParts(new Date(utc))) p[part.type] = Number(part.value);
    const asUtc = Date.UTC(p.year ?? 1970, (p.month ?? 1) - 1, p.day ?? 1, p.hour ?? 0, p.minute ?? 0);
    return asUtc - Math.floor(utc / 60_000) * 60_000;
  };
  return (y, mo, d, h, mi) => {
    const wall = Date.UTC(y, mo - 1, d, h, mi);
    let utc = wall - offsetAt(wall);
    // Around a DST change the first guess may be an hour off: one more step settles it.
    utc = wall - offsetAt(utc);
    return utc;
  };
}

const D = (s: string, i: number) => s.charCodeAt(i) - 48;

/**
 * `YYYY-MM-DD HH:MM:SS[,.]fff` at the start of `s` (T also separates date and time). Returns epoch ms
 * or NaN. Fractions beyond milliseconds are cut.
 */
export function parseAsctime(s: string, clock: WallClock): number {
  if (s.length < 19) return Number.NaN;
  const y = D(s, 0) * 1000 + D(s, 1) * 100 + D(s, 2) * 10 + D(s, 3);
  const mo = D(s, 5) * 10 + D(s, 6);
  const d = D(s, 8) * 10 + D(s, 9);
  const h = D(s, 11) * 10 + D(s, 12);
  const mi = D(s, 14) * 10 + D(s, 15);
  const sec = D(s, 17) * 10 + D(s, 18);
  if (!(mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && sec <= 60)) return Number.NaN;
  let ms = 0;
  const sep = s.charCodeAt(19);
  if (sep === 44 || sep === 46) {
    let scale = 100;
    for (let i = 20; i < s.length && i < 23; i++) {
      const c = D(s, i);
      if (c < 0 || c > 9) break;
      ms += c * scale;
      scale /= 10;
    }
  }
  return clock.toEpoch(y, mo, d, h, mi, sec, ms);
}

const ISO_WITH_ZONE = /(?:Z|[+-]\d{2}:?\d{2})$/i;

/**
 * A timestamp field of a JSON line or a regex group: ISO 8601 (with a zone: as given; without: wall
 * time in the configured zone), asctime, or epoch seconds / milliseconds. NaN when none fits.
 */
export function parseTimestamp(value: unknown, clock: WallClock): number {
  if (typeof value === 'number' && Number.isFinite(value)) {
    return value < 1e11 ? Math.round(value * 1000) : Math.round(value);
  }
  if (typeof value !== 'string') return Number.NaN;
  const s = value.trim();
  if (/^\d{9,10}(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  if (/^\d{12,13}$/.test(s)) return Number(s);
  if (!/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}/.test(s)) return Number.NaN;
  if (ISO_WITH_ZONE.test(s)) {
    const t = Date.parse(s.replace(' ', 'T'));
    return Number.isFinite(t) ? t : Number.NaN;
  }
  return parseAsctime(s, clock);
}

import { useEffect, useState } from 'react';
import type { Labels } from '../../../../shared/api/contract.js';
import type { LabelMatcher } from '../../../../shared/config/alerts.js';
import { formatBytes } from '../../i18n/index.js';

/** The local clock for ages that tick on screen (a re-render, not a server poll). */
export function useNow(intervalMs = 5000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

function locale(lang: string): string {
  return lang === 'en' ? 'en-GB' : 'ja-JP';
}

/** "12 分前" / "12 minutes ago"; a time in the future reads "3 時間後" / "in 3 hours". */
export function formatRelative(ts: number, now: number, lang: string): string {
  const rtf = new Intl.RelativeTimeFormat(locale(lang), { numeric: 'always' });
  const diff = ts - now;
  const abs = Math.abs(diff);
  const sign = diff <= 0 ? -1 : 1;
  if (abs < 60_000) return rtf.format(sign * Math.max(0, Math.floor(abs / 1000)), 'second');
  if (abs < 3_600_000) return rtf.format(sign * Math.floor(abs / 60_000), 'minute');
  if (abs < 86_400_000) return rtf.format(sign * Math.floor(abs / 3_600_000), 'hour');
  return rtf.format(sign * Math.floor(abs / 86_400_000), 'day');
}

/** How long ago something happened; never "in 0 seconds" when the two clocks differ slightly. */
export function formatAge(ts: number, now: number, lang: string): string {
  return formatRelative(Math.min(ts, now), now, lang);
}

/** "1 時間 20 分" style span, for how long something lasted. */
export function formatSpan(ms: number, lang: string): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  const parts: [number, Intl.NumberFormatOptions['unit']][] = [
    [Math.floor(minutes / 1440), 'day'],
    [Math.floor((minutes % 1440) / 60), 'hour'],
    [minutes % 60, 'minute'],
  ];
  const shown = parts.filter(([n]) => n > 0).slice(0, 2);
  if (shown.length === 0) {
    return new Intl.NumberFormat(locale(lang), { style: 'unit', unit: 'minute', unitDisplay: 'long' }).format(
      0,
    );
  }
  return shown
    .map(([n, unit]) =>
      new Intl.NumberFormat(locale(lang), {
        style: 'unit',
        unit,
        unitDisplay: lang === 'en' ? 'short' : 'long',
      }).format(n),
    )
    .join(' ');
}

/** A metric value with its natural unit: percentages for *_pct and cpu.total, bytes for rss/bytes. */
export function formatValue(value: number | null, metric: string, lang: string): string {
  if (value === null || !Number.isFinite(value)) return '—';
  if (/_pct$|^cpu\.total$/.test(metric)) return `${value.toFixed(1)} %`;
  if (/(\.rss|_bytes)$/.test(metric)) return formatBytes(value);
  return new Intl.NumberFormat(locale(lang), { maximumFractionDigits: Math.abs(value) >= 10 ? 1 : 2 }).format(
    value,
  );
}

export function formatLabels(labels: Labels): string[] {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`);
}

export function formatMatcher(m: LabelMatcher): string {
  return `${m.label}${m.op}"${m.value}"`;
}

/** Value for an `<input type="datetime-local">` in the browser's zone. */
export function toDateTimeLocal(ts: number): string {
  const d = new Date(ts);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fromDateTimeLocal(text: string): number | null {
  if (!text) return null;
  const ts = new Date(text).getTime();
  return Number.isFinite(ts) ? ts : null;
}

// ---- maintenance window schedules in words ----

export type CronSchedule =
  | { kind: 'daily' }
  | { kind: 'weekly'; weekdays: number[] }
  | { kind: 'nthWeekday'; weekday: number; nth: number }
  | { kind: 'lastWeekday'; weekday: number }
  | { kind: 'monthDay'; day: number };

export interface CronDescription {
  schedule: CronSchedule;
  start: string;
  end: string;
  /** The window ends on a later day than it starts. */
  endsNextDay: boolean;
}

function int(text: string, min: number, max: number): number | null {
  if (!/^\d+$/.test(text)) return null;
  const n = Number(text);
  return n >= min && n <= max ? n : null;
}

function weekdayList(field: string): number[] | null {
  const days = new Set<number>();
  for (const part of field.split(',')) {
    const range = /^(\d)-(\d)$/.exec(part);
    if (range) {
      const from = int(range[1] ?? '', 0, 7);
      const to = int(range[2] ?? '', 0, 7);
      if (from === null || to === null || from > to) return null;
      for (let d = from; d <= to; d++) days.add(d % 7);
      continue;
    }
    const d = int(part, 0, 7);
    if (d === null) return null;
    days.add(d % 7);
  }
  return [...days].sort((a, b) => a - b);
}

/**
 * Reads the common cron shapes of maintenance windows (fixed minute and hour; every day, some
 * weekdays, the n-th or last weekday of the month, or a day of the month). Anything else returns
 * null and the UI shows the cron text itself.
 */
export function describeCron(cron: string, durationMinutes: number): CronDescription | null {
  let fields = cron.trim().split(/\s+/);
  if (fields.length === 6) fields = fields.slice(1); // leading seconds field
  if (fields.length !== 5) return null;
  const [minF = '', hourF = '', domF = '', monthF = '', dowF = ''] = fields;
  const minute = int(minF, 0, 59);
  const hour = int(hourF, 0, 23);
  if (minute === null || hour === null || monthF !== '*') return null;

  let schedule: CronSchedule | null = null;
  if (domF === '*' || domF === '?') {
    if (dowF === '*' || dowF === '?') schedule = { kind: 'daily' };
    else if (/^\d#[1-5]$/.test(dowF)) {
      const [d = '0', n = '1'] = dowF.split('#');
      schedule = { kind: 'nthWeekday', weekday: Number(d) % 7, nth: Number(n) };
    } else if (/^\dL$/.test(dowF)) schedule = { kind: 'lastWeekday', weekday: Number(dowF[0]) % 7 };
    else {
      const days = weekdayList(dowF);
      if (days && days.length === 7) schedule = { kind: 'daily' };
      else if (days && days.length > 0) schedule = { kind: 'weekly', weekdays: days };
    }
  } else if (dowF === '*' || dowF === '?') {
    const day = int(domF, 1, 31);
    if (day !== null) schedule = { kind: 'monthDay', day };
  }
  if (!schedule) return null;

  const startMin = hour * 60 + minute;
  const endMin = startMin + Math.round(durationMinutes);
  const hhmm = (m: number) => {
    const inDay = ((m % 1440) + 1440) % 1440;
    return `${String(Math.floor(inDay / 60)).padStart(2, '0')}:${String(inDay % 60).padStart(2, '0')}`;
  };
  return { schedule, start: hhmm(startMin), end: hhmm(endMin), endsNextDay: endMin >= 1440 };
}

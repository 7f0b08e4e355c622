import i18next from 'i18next';
import { findMetric, type MetricName, type MetricUnit } from '../../../../shared/metrics/catalog.js';
import { formatBytes } from '../../i18n/index.js';

/** How a chart's values read: shares in %, sizes in GB, rates in MB/s, operations per second. */
export type ChartUnit = 'pct' | 'bytes' | 'bps' | 'iops' | 'count' | 'mbPerHour';

const CHART_UNITS: Partial<Record<MetricUnit, ChartUnit>> = {
  percent: 'pct',
  bytes: 'bytes',
  bytes_per_second: 'bps',
  ops_per_second: 'iops',
  megabytes_per_hour: 'mbPerHour',
};

/** How a metric's values read, from the metric catalog. */
export function chartUnitOf(metric: MetricName): ChartUnit {
  const unit = findMetric(metric)?.unit;
  return (unit && CHART_UNITS[unit]) ?? 'count';
}

function locale(): string {
  return i18next.language === 'en' ? 'en-GB' : 'ja-JP';
}

function fixed(v: number, digits: number): string {
  return v.toLocaleString(locale(), { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Bytes per second the way Task Manager shows them: KB/s, MB/s, GB/s. */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(Math.max(0, bytesPerSecond))}/s`;
}

export function formatPct(v: number): string {
  return `${fixed(v, v >= 100 ? 0 : 1)}%`;
}

export function formatValue(v: number, unit: ChartUnit): string {
  switch (unit) {
    case 'pct':
      return formatPct(v);
    case 'bytes':
      return formatBytes(Math.max(0, v));
    case 'bps':
      return formatRate(v);
    case 'iops':
      return `${fixed(v, v >= 100 ? 0 : 1)}/s`;
    case 'mbPerHour':
      return `${v >= 0 ? '+' : ''}${fixed(v, 1)} MB/h`;
    case 'count':
      return fixed(v, Number.isInteger(v) ? 0 : 1);
  }
}

/** Axis ticks: shorter than the tooltip (no decimals once a value is large). */
export function formatTick(v: number, unit: ChartUnit): string {
  if (unit === 'pct') return `${Math.round(v)}%`;
  return formatValue(v, unit);
}

const MINUTE = 60_000;
const DAY = 86_400_000;
const TICK_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080, 20160].map(
  (m) => m * MINUTE,
);

/**
 * Round local-time ticks across [from, to]: about one per 110 px, on whole minutes, hours or days
 * (recharts' own ticks on a time axis land on odd instants).
 */
export function timeTicks(from: number, to: number, widthPx: number): { ticks: number[]; stepMs: number } {
  const target = Math.max(2, Math.floor(widthPx / 110));
  const span = Math.max(1, to - from);
  const stepMs = TICK_STEPS.find((s) => span / s <= target) ?? TICK_STEPS[TICK_STEPS.length - 1] ?? DAY;
  const offset = new Date(from).getTimezoneOffset() * MINUTE;
  const ticks: number[] = [];
  for (let t = Math.ceil((from - offset) / stepMs) * stepMs + offset; t <= to; t += stepMs) ticks.push(t);
  return { ticks, stepMs };
}

/** X axis label: clock time for steps within a day, the date for longer steps. */
export function formatAxisTime(ts: number, stepMs: number): string {
  const d = new Date(ts);
  if (stepMs < DAY) return d.toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit' });
  return d.toLocaleDateString(locale(), { month: 'numeric', day: 'numeric' });
}

/** Tooltip label: the full local date and time. */
export function formatPointTime(ts: number): string {
  return new Date(ts).toLocaleString(locale(), {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

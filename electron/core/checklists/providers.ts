import type BetterSqlite3 from 'better-sqlite3';
import type { Alert, MaintenanceWindowStatus } from '../../../shared/api/alerts.js';
import type { StopRun, StopStatus } from '../../../shared/api/stop.js';
import { findMetric, type MetricUnit } from '../../../shared/metrics/catalog.js';
import type {
  EvidenceProvider,
  EvidenceQuery,
  EvidenceReading,
  EvidenceRegistry,
  EvidenceText,
  TimelineEntry,
} from '../capability/index.js';
import type { JobStatus } from '../jobs/index.js';
import { localParts } from './calendar.js';

/** What the built-in providers read, through the doors of the capabilities that own the data. */
export interface OpsPorts {
  db: BetterSqlite3.Database;
  alerts: {
    /** Open alerts (pending, firing, acknowledged). */
    open(): Alert[];
    /** Alerts overlapping [from, to]. */
    history(from: number, to: number): Alert[];
    maintenance(): MaintenanceWindowStatus[];
  };
  stops: { history(limit: number): StopRun[]; status(): StopStatus };
  jobs: { list(): JobStatus[] };
  /** The zone readings print times in. */
  timezone(): string;
}

const bi = (ja: string, en: string): EvidenceText => ({ ja, en });

function countText(n: number, ja: string, en: string): EvidenceText {
  return bi(`${n} ${ja}`, `${n} ${en}`);
}

/** A value with its catalog unit, the same in both languages. */
export function formatUnit(value: number, unit: MetricUnit | undefined): string {
  const round = (v: number, d = 1) => String(Number(v.toFixed(Math.abs(v) >= 100 ? 0 : d)));
  switch (unit) {
    case 'percent':
      return `${round(value)}%`;
    case 'bytes': {
      const units = ['B', 'KB', 'MB', 'GB', 'TB'];
      let v = value;
      let i = 0;
      while (Math.abs(v) >= 1024 && i < units.length - 1) {
        v /= 1024;
        i++;
      }
      return `${round(v)} ${units[i]}`;
    }
    case 'usd':
      return `$${value.toFixed(2)}`;
    case 'milliseconds':
      return `${round(value, 0)} ms`;
    case 'seconds':
      return `${round(value)} s`;
    case 'megabytes_per_hour':
      return `${round(value)} MB/h`;
    default:
      return round(value, 2);
  }
}

type Agg = 'last' | 'max' | 'min' | 'avg' | 'count' | 'increase';
const AGGS: readonly Agg[] = ['last', 'max', 'min', 'avg', 'count', 'increase'];
const AGG_TEXT: Record<Agg, EvidenceText> = {
  last: bi('最新', 'latest'),
  max: bi('最大', 'max'),
  min: bi('最小', 'min'),
  avg: bi('平均', 'avg'),
  count: bi('件数', 'samples'),
  increase: bi('増加', 'increase'),
};

class ParamError extends Error {}

function stringParam(q: EvidenceQuery, name: string, required: true): string;
function stringParam(q: EvidenceQuery, name: string, required?: false): string | undefined;
function stringParam(q: EvidenceQuery, name: string, required = false): string | undefined {
  const v = q.params[name];
  if (v === undefined) {
    if (required) throw new ParamError(`params.${name} is required`);
    return undefined;
  }
  if (typeof v !== 'string') throw new ParamError(`params.${name} must be text`);
  return v;
}

function labelsParam(q: EvidenceQuery): Record<string, string> {
  const v = q.params.labels;
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null)
    throw new ParamError('params.labels must be a map of label: value');
  return v as Record<string, string>;
}

/**
 * Readings over stored series: the newest value (`metric.latest`) or an aggregate over the window
 * (`metric.window`, `agg`: max, min, avg, last, count, increase). Labels narrow the series; several
 * matching series combine by `combine` (max by default, or sum/min).
 */
function metricProvider(ports: OpsPorts, mode: 'latest' | 'window'): EvidenceProvider {
  const seriesByName = ports.db.prepare<[string], { id: number; labels: string }>(
    'SELECT id, labels FROM series WHERE name = ?',
  );
  const lastIn = ports.db.prepare<[number, number, number], { value: number; ts: number }>(
    'SELECT value, ts FROM samples WHERE series_id = ? AND ts BETWEEN ? AND ? ORDER BY ts DESC LIMIT 1',
  );
  const firstIn = ports.db.prepare<[number, number, number], { value: number; ts: number }>(
    'SELECT value, ts FROM samples WHERE series_id = ? AND ts BETWEEN ? AND ? ORDER BY ts ASC LIMIT 1',
  );
  const statsIn = ports.db.prepare<
    [number, number, number],
    { mx: number | null; mn: number | null; av: number | null; n: number; t: number | null }
  >(
    'SELECT max(value) AS mx, min(value) AS mn, avg(value) AS av, count(*) AS n, max(ts) AS t FROM samples WHERE series_id = ? AND ts BETWEEN ? AND ?',
  );

  return {
    label:
      mode === 'latest'
        ? bi('メトリクスの最新値', 'Latest metric value')
        : bi('メトリクスの集計', 'Metric over a window'),
    read(q) {
      const metric = stringParam(q, 'metric', true);
      const want = labelsParam(q);
      const agg = (mode === 'latest' ? 'last' : (stringParam(q, 'agg') ?? 'max')) as Agg;
      if (!AGGS.includes(agg)) throw new ParamError(`params.agg must be one of ${AGGS.join(', ')}`);
      const combine = stringParam(q, 'combine') ?? 'max';
      if (!['max', 'min', 'sum'].includes(combine))
        throw new ParamError('params.combine must be max, min or sum');
      const def = findMetric(metric);
      const series = seriesByName.all(metric).filter((s) => {
        const labels = JSON.parse(s.labels) as Record<string, string>;
        return Object.entries(want).every(([k, v]) => labels[k] === v);
      });
      const values: number[] = [];
      let at: number | null = null;
      for (const s of series) {
        let v: number | null = null;
        let t: number | null = null;
        if (agg === 'last' || agg === 'increase') {
          const last = lastIn.get(s.id, q.from, q.to);
          if (last) {
            t = last.ts;
            if (agg === 'last') v = last.value;
            else {
              const first = firstIn.get(s.id, q.from, q.to);
              v = first ? Math.max(0, last.value - first.value) : null;
            }
          }
        } else {
          const st = statsIn.get(s.id, q.from, q.to);
          if (st && st.n > 0) {
            t = st.t;
            v = agg === 'max' ? st.mx : agg === 'min' ? st.mn : agg === 'avg' ? st.av : st.n;
          }
        }
        if (v !== null) values.push(v);
        if (t !== null && (at === null || t > at)) at = t;
      }
      const name = def ? bi(def.help.ja, def.help.en) : bi(metric, metric);
      if (values.length === 0) {
        return { value: null, text: bi(`${name.ja}: データなし`, `${name.en}: no data`), at: null };
      }
      const value =
        combine === 'sum'
          ? values.reduce((a, b) => a + b, 0)
          : combine === 'min'
            ? Math.min(...values)
            : Math.max(...values);
      const shown = agg === 'count' ? String(value) : formatUnit(value, def?.unit);
      const aggText = AGG_TEXT[agg];
      return {
        value,
        text: bi(`${name.ja}（${aggText.ja}）: ${shown}`, `${name.en} (${aggText.en}): ${shown}`),
        at,
      };
    },
  };
}

function firedIn(a: Alert, from: number, to: number): boolean {
  return a.firedAt !== null && a.firedAt >= from && a.firedAt <= to;
}

function alertsFired(ports: OpsPorts, q: { from: number; to: number }, severity?: string): Alert[] {
  const byId = new Map<string, Alert>();
  for (const a of [...ports.alerts.history(q.from, q.to), ...ports.alerts.open()]) {
    if (!firedIn(a, q.from, q.to) || a.suppressed) continue;
    if (severity && a.severity !== severity) continue;
    byId.set(a.id, a);
  }
  return [...byId.values()];
}

function timeText(ts: number, tz: string): string {
  const p = localParts(ts, tz);
  return `${p.date.slice(5).replace('-', '/')} ${p.time}`;
}

/** The built-in providers, over the store and the alert, stop and job doors. */
export function provideBuiltInEvidence(registry: EvidenceRegistry, ports: OpsPorts): void {
  registry.provide('metric.latest', metricProvider(ports, 'latest'));
  registry.provide('metric.window', metricProvider(ports, 'window'));

  registry.provide('alerts.fired', {
    label: bi('発火したアラート', 'Alerts fired'),
    read(q) {
      const severity = stringParam(q, 'severity');
      const fired = alertsFired(ports, q, severity);
      const names = [...new Set(fired.map((a) => a.ruleName))].slice(0, 3).join('、');
      const t = countText(fired.length, '件', fired.length === 1 ? 'alert' : 'alerts');
      return {
        value: fired.length,
        text: names ? bi(`${t.ja}（${names}）`, `${t.en} (${names})`) : t,
        at: fired.reduce<number | null>((m, a) => Math.max(m ?? 0, a.firedAt ?? 0), null),
      };
    },
    timeline(w) {
      return ports.alerts
        .history(w.from, w.to)
        .filter((a) => (a.firedAt ?? a.startedAt) >= w.from && (a.firedAt ?? a.startedAt) <= w.to)
        .slice(0, w.limit)
        .map(
          (a): TimelineEntry => ({
            at: a.firedAt ?? a.startedAt,
            kind: 'alert',
            severity: a.severity,
            text: `${a.ruleName}: ${a.message}${a.resolvedAt ? '' : ` [${a.state}]`}`,
            ref: a.id,
          }),
        );
    },
  });

  registry.provide('alerts.open', {
    label: bi('対応が必要なアラート', 'Alerts needing action'),
    read(q) {
      const severity = stringParam(q, 'severity');
      const open = ports.alerts
        .open()
        .filter((a) => a.state === 'firing' && !a.suppressed && (!severity || a.severity === severity));
      return {
        value: open.length,
        text: countText(open.length, '件（未確認）', 'unacknowledged'),
        at: q.now,
      };
    },
  });

  registry.provide('stops.count', {
    label: bi('緊急停止', 'Emergency stops'),
    read(q) {
      const runs = ports.stops.history(200).filter((r) => r.requestedAt >= q.from && r.requestedAt <= q.to);
      const status = ports.stops.status();
      const t = countText(runs.length, '回', runs.length === 1 ? 'stop' : 'stops');
      const now = status.stopped ? bi('（現在停止中）', ' (stopped now)') : bi('', '');
      return {
        value: runs.length,
        text: bi(`${t.ja}${now.ja}`, `${t.en}${now.en}`),
        at: runs[0]?.requestedAt ?? null,
      };
    },
    timeline(w) {
      return ports.stops
        .history(200)
        .filter((r) => r.requestedAt >= w.from && r.requestedAt <= w.to)
        .slice(0, w.limit)
        .map((r) => ({
          at: r.requestedAt,
          kind: 'stop',
          severity: 'critical' as const,
          text: `emergency stop (${r.source}, ${r.actor}): ${r.reason} → ${r.status}, ${r.counts.stopped}/${r.counts.targets} stopped`,
          ref: r.id,
        }));
    },
  });

  registry.provide('stops.state', {
    label: bi('緊急停止の状態', 'Emergency stop state'),
    read(q) {
      const s = ports.stops.status();
      return {
        value: s.stopped ? 1 : 0,
        text: s.stopped ? bi('緊急停止中', 'stopped') : bi('稼働中', 'running'),
        at: s.since ?? q.now,
      };
    },
  });

  registry.provide('jobs.failures', {
    label: bi('失敗したジョブ', 'Failed jobs'),
    read(q) {
      const prefix = stringParam(q, 'job') ?? '';
      const failed = ports.jobs
        .list()
        .filter(
          (j) =>
            j.name.startsWith(prefix) &&
            j.lastErrorAt !== null &&
            j.lastErrorAt >= q.from &&
            j.lastErrorAt <= q.to,
        );
      const names = failed
        .map((j) => j.name)
        .slice(0, 3)
        .join(', ');
      const t = countText(failed.length, '件', failed.length === 1 ? 'job' : 'jobs');
      return {
        value: failed.length,
        text: names ? bi(`${t.ja}（${names}）`, `${t.en} (${names})`) : t,
        at: failed.reduce<number | null>((m, j) => Math.max(m ?? 0, j.lastErrorAt ?? 0), null),
      };
    },
    timeline(w) {
      return ports.jobs
        .list()
        .filter((j) => j.lastErrorAt !== null && j.lastErrorAt >= w.from && j.lastErrorAt <= w.to)
        .slice(0, w.limit)
        .map((j) => ({
          at: j.lastErrorAt ?? w.from,
          kind: 'job',
          severity: 'warning' as const,
          text: `job ${j.name} failed: ${j.lastError ?? ''} (${j.failures} failures since start)`,
          ref: j.name,
        }));
    },
  });

  registry.provide('maintenance.next', {
    label: bi('次のメンテナンス', 'Next maintenance window'),
    read(q) {
      const tz = ports.timezone();
      const windows = ports.alerts.maintenance().filter((w) => w.enabled);
      const active = windows.find((w) => w.active);
      if (active) {
        return {
          value: 0,
          text: bi(`実施中: ${active.name}`, `in progress: ${active.name}`),
          at: active.lastStart,
        };
      }
      const next = windows
        .filter((w) => w.nextStart !== null)
        .sort((a, b) => (a.nextStart ?? 0) - (b.nextStart ?? 0))[0];
      if (!next || next.nextStart === null)
        return { value: null, text: bi('予定なし', 'none scheduled'), at: null };
      const when = timeText(next.nextStart, tz);
      return {
        value: (next.nextStart - q.now) / 3_600_000,
        text: bi(`${when} ${next.name}`, `${when} ${next.name}`),
        at: next.nextStart,
      };
    },
  });
}

export function isParamError(err: unknown): boolean {
  return err instanceof ParamError;
}

export type { EvidenceReading };

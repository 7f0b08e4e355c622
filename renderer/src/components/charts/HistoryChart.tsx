import { type ReactNode, type RefObject, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Area, CartesianGrid, ComposedChart, Line, Tooltip, XAxis, YAxis } from 'recharts';
import { api } from '../../api/client.js';
import { appendPoint, type ChartPoint, type LatestValues, useMonitor } from '../../stores/monitor.js';
import {
  type ChartUnit,
  formatAxisTime,
  formatPointTime,
  formatTick,
  formatValue,
  timeTicks,
} from './format.js';
import './charts.css';

export const RANGES = ['1h', '6h', '24h', '7d', '30d', '90d'] as const;
export type RangeId = (typeof RANGES)[number];

const HOUR = 60 * 60 * 1000;
export const RANGE_MS: Record<RangeId, number> = {
  '1h': HOUR,
  '6h': 6 * HOUR,
  '24h': 24 * HOUR,
  '7d': 7 * 24 * HOUR,
  '30d': 30 * 24 * HOUR,
  '90d': 90 * 24 * HOUR,
};

export interface ChartSeries {
  key: string;
  label: string;
  color: string;
}

/** A fixed palette that reads on the dark background; series keep their colour across renders. */
export const SERIES_COLORS = [
  'var(--c1)',
  'var(--c2)',
  'var(--c3)',
  'var(--c4)',
  '#56d4dd',
  '#f0883e',
  '#a371f7',
  '#e3b341',
  '#8ddb8c',
  '#ff7b72',
];

export function RangePicker({ value, onChange }: { value: RangeId; onChange(range: RangeId): void }) {
  const { t } = useTranslation('monitor');
  return (
    <fieldset className="range-picker" aria-label={t('range.label')} data-testid="range-picker">
      {RANGES.map((r) => (
        <button
          key={r}
          type="button"
          className={r === value ? 'active' : ''}
          aria-pressed={r === value}
          onClick={() => onChange(r)}
          data-testid={`range-${r}`}
        >
          {t(`range.${r}`)}
        </button>
      ))}
    </fieldset>
  );
}

/** The width of an element in CSS pixels, kept current as the layout changes. */
function useElementWidth<T extends HTMLElement>(): [RefObject<T | null>, number] {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    setWidth(el.clientWidth);
    const observer = new ResizeObserver((entries) => {
      const w = entries[0]?.contentRect.width;
      if (w !== undefined) setWidth(w);
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

type Row = { ts: number } & Record<string, number | [number, number] | undefined>;

function toRows(
  data: Record<string, ChartPoint[]>,
  series: ChartSeries[],
): { rows: Row[]; banded: boolean[] } {
  const byTs = new Map<number, Row>();
  const banded = series.map((s) =>
    (data[s.key] ?? []).some((p) => p.min !== undefined || p.max !== undefined),
  );
  series.forEach((s, i) => {
    for (const p of data[s.key] ?? []) {
      let row = byTs.get(p.ts);
      if (!row) {
        row = { ts: p.ts };
        byTs.set(p.ts, row);
      }
      row[`v${i}`] = p.value;
      if (banded[i]) row[`b${i}`] = [p.min ?? p.value, p.max ?? p.value];
    }
  });
  return { rows: [...byTs.values()].sort((a, b) => a.ts - b.ts), banded };
}

function ChartTooltip({
  row,
  series,
  banded,
  unit,
}: {
  row: Row | undefined;
  series: ChartSeries[];
  banded: boolean[];
  unit: ChartUnit;
}) {
  const { t } = useTranslation('monitor');
  if (!row) return null;
  return (
    <div className="hc-tooltip" data-testid="chart-tooltip">
      <div className="hc-tooltip-time">{formatPointTime(row.ts)}</div>
      {series.map((s, i) => {
        const v = row[`v${i}`];
        if (typeof v !== 'number') return null;
        const band = row[`b${i}`];
        const range = Array.isArray(band) && (band[0] !== v || band[1] !== v) ? band : null;
        return (
          <div key={s.key} className="hc-tooltip-row">
            <span className="swatch" style={{ background: s.color }} />
            <span className="name">{s.label}</span>
            <strong>{formatValue(v, unit)}</strong>
            {banded[i] && range && (
              <span className="muted">
                {t('chart.minMax', { min: formatValue(range[0], unit), max: formatValue(range[1], unit) })}
              </span>
            )}
          </div>
        );
      })}
    </div>
  );
}

interface Loaded {
  data: Record<string, ChartPoint[]>;
  from: number;
  to: number;
  range: RangeId;
  keys: string;
  tiers: string[];
}

/**
 * A chart over stored history: asks series.query for as many points as it is wide (the store keeps
 * each bucket's min and max, drawn as a band so short peaks stay visible), and on the 1 h range
 * appends each live push.
 */
export function HistoryChart({
  series,
  unit,
  range,
  domain,
  height = 220,
  liveSource = 'metrics',
  testId = 'history-chart',
  empty,
}: {
  series: ChartSeries[];
  unit: ChartUnit;
  range: RangeId;
  domain?: [number, number];
  height?: number;
  /** Which push carries these series: system `metrics` or the `processes` scan. */
  liveSource?: 'metrics' | 'processes';
  testId?: string;
  empty?: ReactNode;
}) {
  const { t } = useTranslation('monitor');
  const [boxRef, width] = useElementWidth<HTMLDivElement>();
  // quantised so a scrollbar appearing does not refetch everything
  const maxPoints = width > 0 ? Math.max(25, Math.min(5000, Math.floor(width / 25) * 25)) : 0;
  const keys = series.map((s) => s.key).join('\n');
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const connectSeq = useMonitor((s) => s.connectSeq);
  const latest = useMonitor((s): LatestValues | null =>
    liveSource === 'metrics' ? s.latest : s.latestProcesses,
  );

  // biome-ignore lint/correctness/useExhaustiveDependencies: a reconnect (connectSeq) refetches what was missed
  useEffect(() => {
    if (maxPoints === 0 || keys === '') return;
    let cancelled = false;
    const to = Date.now();
    const from = to - RANGE_MS[range];
    setError(null);
    void api.call('series.query', { keys: keys.split('\n'), from, to, maxPoints }).then((r) => {
      if (cancelled) return;
      if (!r.ok) {
        setError(r.error.message);
        return;
      }
      const data: Record<string, ChartPoint[]> = {};
      for (const s of r.value.series) data[s.key] = s.points;
      setLoaded({ data, from, to, range, keys, tiers: [...new Set(r.value.series.map((s) => s.tier))] });
    });
    return () => {
      cancelled = true;
    };
  }, [keys, range, maxPoints, connectSeq]);

  useEffect(() => {
    if (range !== '1h' || !latest) return;
    setLoaded((prev) => {
      if (prev?.range !== '1h') return prev;
      const bucketMs = RANGE_MS['1h'] / maxPoints;
      const data = { ...prev.data };
      for (const key of keys.split('\n')) {
        const v = latest.values[key];
        if (v !== undefined) data[key] = appendPoint(data[key] ?? [], latest.ts, v, bucketMs, RANGE_MS['1h']);
      }
      return {
        ...prev,
        data,
        to: Math.max(prev.to, latest.ts),
        from: Math.max(prev.from, latest.ts - RANGE_MS['1h']),
      };
    });
  }, [latest, range, keys, maxPoints]);

  const { rows, banded } = useMemo(() => toRows(loaded?.data ?? {}, series), [loaded, series]);
  const axis = timeTicks(loaded?.from ?? 0, loaded?.to ?? 0, width - (unit === 'pct' ? 60 : 90));
  const current = loaded?.range === range && loaded.keys === keys;
  const state = error ? 'error' : current ? 'ready' : 'loading';

  return (
    <div
      className="history-chart"
      ref={boxRef}
      data-testid={testId}
      data-state={state}
      data-range={range}
      data-points={rows.length}
      data-tier={loaded?.tiers.join(',') ?? ''}
      style={{ minHeight: height }}
    >
      {width > 0 && loaded && (
        <ComposedChart
          width={width}
          height={height}
          data={rows}
          margin={{ top: 6, right: 12, bottom: 0, left: 4 }}
        >
          <CartesianGrid stroke="var(--grid)" strokeDasharray="3 3" />
          <XAxis
            dataKey="ts"
            type="number"
            scale="time"
            domain={[loaded.from, loaded.to]}
            allowDataOverflow
            ticks={axis.ticks}
            interval={0}
            tickFormatter={(v: number) => formatAxisTime(v, axis.stepMs)}
            stroke="var(--muted)"
            fontSize={11}
          />
          <YAxis
            domain={domain ?? [0, 'auto']}
            allowDataOverflow={domain !== undefined}
            tickFormatter={(v: number) => formatTick(v, unit)}
            stroke="var(--muted)"
            fontSize={11}
            width={unit === 'pct' ? 44 : 72}
          />
          <Tooltip
            isAnimationActive={false}
            content={(props) => (
              <ChartTooltip
                row={props.payload?.[0]?.payload as Row | undefined}
                series={series}
                banded={banded}
                unit={unit}
              />
            )}
          />
          {series.map((s, i) =>
            banded[i] ? (
              <Area
                key={`b${s.key}`}
                dataKey={`b${i}`}
                stroke="none"
                fill={s.color}
                fillOpacity={0.18}
                isAnimationActive={false}
                connectNulls
                activeDot={false}
                legendType="none"
              />
            ) : null,
          )}
          {series.map((s, i) => (
            <Line
              key={s.key}
              dataKey={`v${i}`}
              name={s.label}
              stroke={s.color}
              dot={false}
              isAnimationActive={false}
              connectNulls
              strokeWidth={1.6}
            />
          ))}
        </ComposedChart>
      )}
      {state === 'ready' && rows.length === 0 && (
        <div className="hc-overlay muted" data-testid="chart-empty">
          {empty ?? t('chart.noData')}
        </div>
      )}
      {state === 'loading' && !loaded && <div className="hc-overlay muted">{t('chart.loading')}</div>}
      {error && (
        <div className="hc-overlay form-error" role="alert">
          {t('chart.error', { message: error })}
        </div>
      )}
      <ul className="hc-legend">
        {series.map((s) => (
          <li key={s.key}>
            <span className="swatch" style={{ background: s.color }} />
            {s.label}
          </li>
        ))}
      </ul>
    </div>
  );
}

import { useEffect, useMemo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { api } from '../api/client.js';
import { formatTime } from '../i18n/index.js';
import { useLive } from '../stores/live.js';

export interface LiveSeries {
  key: string;
  label: string;
  color: string;
}

const HOUR = 60 * 60 * 1000;
/** Samples further apart than this (stored ones are 30 s apart, live ones 1-5 s) leave a gap. */
const GAP_MS = 3 * 60 * 1000;

/** A one-hour chart that fills from stored history, then moves with the push channel. */
export function LiveChart({
  series,
  unit,
  domain,
}: {
  series: LiveSeries[];
  unit: string;
  domain?: [number, number];
}) {
  const points = useLive((s) => s.points);
  const seed = useLive((s) => s.seed);
  const keys = series.map((s) => s.key).join('|');

  useEffect(() => {
    const to = Date.now();
    void api
      .call('series.query', { keys: keys.split('|'), from: to - HOUR, to, maxPoints: 720 })
      .then((r) => {
        if (!r.ok) return;
        for (const s of r.value.series)
          seed(
            s.key,
            s.points.map((p) => ({ ts: p.ts, value: p.value })),
          );
      });
  }, [keys, seed]);

  const rows = useMemo(() => {
    const byTs = new Map<number, Record<string, number>>();
    for (const s of series) {
      for (const p of points[s.key] ?? []) {
        const row = byTs.get(p.ts) ?? { ts: p.ts };
        row[s.key] = p.value;
        byTs.set(p.ts, row);
      }
    }
    const sorted = [...byTs.values()].sort((a, b) => (a.ts ?? 0) - (b.ts ?? 0));
    // Where no sample was taken (the app was closed, the PC slept) the line breaks instead of drawing
    // a straight line across the hole.
    const out: Record<string, number | null>[] = [];
    for (const row of sorted) {
      const prev = out.at(-1);
      if (prev && (row.ts ?? 0) - (prev.ts ?? 0) > GAP_MS) {
        const hole: Record<string, number | null> = { ts: (prev.ts ?? 0) + 1 };
        for (const s of series) hole[s.key] = null;
        out.push(hole);
      }
      out.push(row);
    }
    return out;
  }, [points, series]);

  const span = rows.length > 1 ? (rows.at(-1)?.ts ?? 0) - (rows[0]?.ts ?? 0) : 0;
  const tickWithSeconds = span < 10 * 60 * 1000;

  return (
    <div className="chart" data-testid="live-chart" data-points={rows.length}>
      <ResponsiveContainer width="100%" height={260}>
        <LineChart data={rows} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="var(--grid)" strokeDasharray="3 3" />
          <XAxis
            dataKey="ts"
            type="number"
            scale="time"
            domain={['dataMin', 'dataMax']}
            tickFormatter={(v: number) => formatTime(v, tickWithSeconds)}
            stroke="var(--muted)"
            fontSize={12}
          />
          <YAxis
            domain={domain ?? ['auto', 'auto']}
            unit={unit}
            stroke="var(--muted)"
            fontSize={12}
            width={56}
          />
          <Tooltip
            labelFormatter={(v) => formatTime(Number(v))}
            formatter={(v) => `${Number(v).toFixed(1)}${unit}`}
            contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)' }}
          />
          <Legend />
          {series.map((s) => (
            <Line
              key={s.key}
              dataKey={s.key}
              name={s.label}
              stroke={s.color}
              dot={false}
              isAnimationActive={false}
              strokeWidth={2}
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

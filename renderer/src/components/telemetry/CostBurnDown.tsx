import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { CartesianGrid, ComposedChart, Legend, Line, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import type { CostView } from '../../../../shared/api/telemetry.js';
import { formatUsd, formatWhen } from './format.js';

type Span = 'day' | 'month';

interface Row {
  ts: number;
  remaining?: number;
  forecast?: number;
}

/** Budget left over the day (or month), the forecast to its end, and the warning thresholds. */
export function burnDownRows(
  cost: CostView,
  span: Span,
): { rows: Row[]; budget: number; start: number; end: number } {
  const period = cost[span];
  const points = span === 'day' ? cost.dayPoints : cost.monthPoints;
  const budget = period.budgetUsd;
  const rows: Row[] = points.map((p) => ({ ts: p.ts, remaining: round(budget - p.spentUsd) }));
  const last = rows.at(-1);
  const now = Math.min(Math.max(cost.at, period.start), period.end);
  if (last) last.forecast = last.remaining;
  else rows.push({ ts: now, remaining: budget, forecast: budget });
  rows.push({ ts: period.end, forecast: round(budget - period.forecastUsd) });
  return { rows, budget, start: period.start, end: period.end };
}

function round(v: number): number {
  return Math.round(v * 10000) / 10000;
}

export function CostBurnDown({
  cost,
  width = 640,
  height = 260,
}: {
  cost: CostView;
  width?: number;
  height?: number;
}) {
  const { t, i18n } = useTranslation('telemetry');
  const [span, setSpan] = useState<Span>('day');
  const { rows, budget, start, end } = burnDownRows(cost, span);
  const period = cost[span];
  const locale = i18n.language === 'en' ? 'en-GB' : 'ja-JP';
  const time = (ts: number) =>
    span === 'day'
      ? new Date(ts).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' })
      : new Date(ts).toLocaleDateString(locale, { month: 'numeric', day: 'numeric' });
  const steps = span === 'day' ? 8 : 6;
  const ticks = Array.from({ length: steps + 1 }, (_, i) => Math.round(start + ((end - start) * i) / steps));
  return (
    <section className="panel burn-down" data-testid="cost-burn-down" data-span={span}>
      <div className="panel-head">
        <h3>{t(`burnDown.title.${span}`)}</h3>
        <fieldset className="range-picker" aria-label={t('burnDown.span')}>
          {(['day', 'month'] as const).map((s) => (
            <button
              key={s}
              type="button"
              className={s === span ? 'active' : ''}
              aria-pressed={s === span}
              onClick={() => setSpan(s)}
              data-testid={`burn-down-${s}`}
            >
              {t(`burnDown.${s}`)}
            </button>
          ))}
        </fieldset>
      </div>
      <p className="muted burn-down-summary">
        {t('burnDown.summary', {
          spent: formatUsd(period.spentUsd),
          budget: formatUsd(budget),
          forecast: formatUsd(period.forecastUsd),
          end: formatWhen(end),
        })}
      </p>
      <ComposedChart
        width={width}
        height={height}
        data={rows}
        margin={{ top: 8, right: 24, bottom: 4, left: 8 }}
      >
        <CartesianGrid stroke="var(--grid)" strokeDasharray="3 3" />
        <XAxis
          dataKey="ts"
          type="number"
          scale="time"
          domain={[start, end]}
          ticks={ticks}
          tickFormatter={time}
          stroke="var(--muted)"
          fontSize={11}
        />
        <YAxis
          domain={[Math.min(0, ...rows.map((r) => r.forecast ?? r.remaining ?? 0)), budget]}
          tickFormatter={(v: number) => `$${v}`}
          stroke="var(--muted)"
          fontSize={11}
          width={56}
        />
        <Tooltip
          labelFormatter={(v) => formatWhen(Number(v))}
          formatter={(v) => formatUsd(Number(v))}
          contentStyle={{ background: 'var(--panel-2)', border: '1px solid var(--border)' }}
        />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        {period.warnPct.map((pct) => (
          <ReferenceLine
            key={pct}
            y={round(budget * (1 - pct / 100))}
            stroke="var(--warning)"
            strokeDasharray="4 4"
            label={{
              value: t('burnDown.warn', { pct }),
              fill: 'var(--warning)',
              fontSize: 11,
              position: 'insideTopRight',
            }}
          />
        ))}
        <ReferenceLine
          y={0}
          stroke="var(--critical)"
          label={{
            value: t('burnDown.exhausted'),
            fill: 'var(--critical)',
            fontSize: 11,
            position: 'insideBottomRight',
          }}
        />
        <Line
          name={t('burnDown.remaining')}
          dataKey="remaining"
          type="stepAfter"
          stroke="var(--c1)"
          strokeWidth={2}
          dot={false}
          isAnimationActive={false}
        />
        <Line
          name={t('burnDown.forecast')}
          dataKey="forecast"
          type="linear"
          stroke="var(--c4)"
          strokeDasharray="6 4"
          strokeWidth={2}
          dot={false}
          connectNulls
          isAnimationActive={false}
        />
      </ComposedChart>
    </section>
  );
}

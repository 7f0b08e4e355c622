import { useTranslation } from 'react-i18next';
import type { CostView, PeriodCost } from '../../../../shared/api/telemetry.js';
import { formatUsd } from './format.js';

function level(p: PeriodCost): string {
  const worst = Math.max(0, ...p.fired);
  return p.usedPct >= 100 ? 'critical' : worst > 0 ? 'warning' : 'ok';
}

/** Today's and this month's API cost against the budgets (for the Overview). */
export function CostSection({ cost }: { cost: CostView | null }) {
  const { t } = useTranslation('telemetry');
  if (!cost) return <p className="muted">{t('cost.none')}</p>;
  const periods = [
    ['day', cost.day],
    ['month', cost.month],
  ] as const;
  return (
    <section className="cost-section" data-testid="cost-section">
      {periods.map(([name, p]) => (
        <div key={name} className={`card ${level(p)}`} data-testid={`cost-${name}`}>
          <h3>{t(`cost.${name}`)}</h3>
          <div className="figure">{formatUsd(p.spentUsd)}</div>
          <div className="detail">
            {t('cost.ofBudget', { budget: formatUsd(p.budgetUsd), pct: p.usedPct.toFixed(1) })}
          </div>
          <div className="cost-bar" aria-hidden="true">
            <span style={{ width: `${Math.min(100, p.usedPct)}%` }} />
            {p.warnPct.map((w) => (
              <i key={w} style={{ left: `${Math.min(100, w)}%` }} title={`${w}%`} />
            ))}
          </div>
          <div className="detail">
            {t('cost.forecast', { v: formatUsd(p.forecastUsd) })}
            {p.fired.length > 0 && ` · ${t('cost.fired', { list: p.fired.map((f) => `${f}%`).join(', ') })}`}
          </div>
        </div>
      ))}
      <div className="card" data-testid="cost-burn">
        <h3>{t('cost.burn')}</h3>
        <div className="figure">{formatUsd(cost.burnUsdPerHour)}</div>
        <div className="detail">{t('cost.perHour')}</div>
        <ul className="cost-bots">
          {cost.bots.map((b) => (
            <li key={b.bot}>
              <strong>{b.bot}</strong> {formatUsd(b.dayUsd)} · {t('cost.calls', { n: b.dayCalls })}
            </li>
          ))}
        </ul>
      </div>
    </section>
  );
}

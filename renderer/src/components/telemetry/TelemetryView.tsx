import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { startTelemetryUpdates, useTelemetry } from '../../stores/telemetry.js';
import { CostBurnDown } from './CostBurnDown.js';
import { CostSection } from './CostSection.js';
import { DeadManBadge } from './DeadManBadge.js';
import { formatUsd, formatWhen } from './format.js';
import { KpiTiles } from './KpiTiles.js';
import './telemetry.css';

/**
 * The telemetry parts on one page (`#/telemetry`), until they take their places on the Bots page
 * (per bot: dead-man's switch and KPI tiles) and the Overview (the cost section).
 */
export function TelemetryView() {
  const { t } = useTranslation('telemetry');
  const { loaded, error, bots, cost, deadMan, crossings } = useTelemetry();
  useEffect(() => startTelemetryUpdates(), []);
  if (!loaded) return <p className="muted">{t('loading')}</p>;
  if (error) return <p className="banner warning">{error}</p>;
  const costOf = (bot: string) => cost?.bots.find((b) => b.bot === bot)?.dayUsd;
  return (
    <div className="page telemetry-page" data-testid="telemetry-page">
      {crossings.length > 0 && (
        <div className="banner warning" role="status" data-testid="budget-crossing">
          {t('budget.crossed', {
            period: crossings[0]?.period,
            pct: crossings[0]?.pct,
            spent: formatUsd(crossings[0]?.spentUsd ?? 0),
            at: formatWhen(crossings[0]?.at),
          })}
        </div>
      )}
      <CostSection cost={cost} />
      {cost && <CostBurnDown cost={cost} />}
      {bots.length === 0 && <p className="muted">{t('noBots')}</p>}
      {bots.map((k) => {
        const dms = deadMan.find((d) => d.bot === k.bot);
        return (
          <section key={k.bot} className="panel telemetry-bot" data-testid="telemetry-bot" data-bot={k.bot}>
            <div className="panel-head">
              <h3>{k.bot}</h3>
              {dms ? <DeadManBadge state={dms} /> : <span className="muted">{t('dms.none')}</span>}
            </div>
            <KpiTiles kpi={k} {...(costOf(k.bot) !== undefined ? { costUsd: costOf(k.bot) } : {})} />
          </section>
        );
      })}
    </div>
  );
}

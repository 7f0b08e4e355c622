import { useTranslation } from 'react-i18next';
import type { BotKpi } from '../../../../shared/api/telemetry.js';
import { formatBytes } from '../../i18n/index.js';
import { formatNumber, formatSpan, formatUsd } from './format.js';

type Level = 'ok' | 'warning' | 'critical' | '';

interface Tile {
  id: string;
  label: string;
  value: string;
  detail?: string;
  level: Level;
}

/** Thresholds of the shipped rules (TASK-003 AlertThresholds, Phase 6): the tile turns the rule's colour. */
function tiles(
  k: BotKpi,
  t: (key: string, o?: Record<string, unknown>) => string,
  costUsd: number | undefined,
): Tile[] {
  const pct = (v: number | null) => (v === null ? '–' : `${formatNumber(v, 1)}%`);
  const ms = (v: number | null) => (v === null ? '–' : `${formatNumber(v)} ms`);
  return [
    { id: 'actions', label: t('kpi.actionsPerHour'), value: formatNumber(k.actionsPerHour), level: '' },
    {
      id: 'success',
      label: t('kpi.successRate'),
      value: pct(k.successRatePct),
      detail: t('kpi.outcomes', { ok: k.successes, failed: k.failures }),
      level: k.successRatePct === null ? '' : k.successRatePct < 90 ? 'critical' : 'ok',
    },
    {
      id: 'streak',
      label: t('kpi.consecutiveFailures'),
      value: formatNumber(k.consecutiveFailures),
      detail: t('kpi.streakLimits'),
      level: k.consecutiveFailures >= 5 ? 'critical' : k.consecutiveFailures >= 3 ? 'warning' : 'ok',
    },
    {
      id: 'since-success',
      label: t('kpi.sinceSuccess'),
      value: k.secondsSinceSuccess === null ? '–' : formatSpan(k.secondsSinceSuccess),
      level: '',
    },
    {
      id: 'error-rate',
      label: t('kpi.apiErrorRate'),
      value: pct(k.apiErrorRatePct),
      detail: t('kpi.calls', { n: k.apiCallsInWindow }),
      level: k.apiErrorRatePct === null ? '' : k.apiErrorRatePct >= 10 ? 'warning' : 'ok',
    },
    {
      id: 'response',
      label: t('kpi.responseTime'),
      value: ms(k.responseP95Ms),
      detail: t('kpi.p50', { v: ms(k.responseP50Ms) }),
      level: k.responseP95Ms === null ? '' : k.responseP95Ms >= 1000 ? 'warning' : 'ok',
    },
    {
      id: 'qps',
      label: t('kpi.qps'),
      value: formatNumber(k.qps),
      detail: t('kpi.qpsDetail', { n: k.qpsViolations }),
      level: k.qpsViolations > 0 ? 'critical' : k.qps > 210 ? 'warning' : 'ok',
    },
    {
      id: 'outage',
      label: t('kpi.outage'),
      value: k.outage ? t('kpi.outageYes') : t('kpi.outageNo'),
      detail: t('kpi.rateLimits', { n: k.counters.rateLimitAnswers }),
      level: k.outage ? 'critical' : 'ok',
    },
    {
      id: 'cost',
      label: t('kpi.costToday'),
      value: costUsd === undefined ? '–' : formatUsd(costUsd),
      detail: t('kpi.apiCalls', { n: k.counters.apiCalls }),
      level: '',
    },
    {
      id: 'chrome',
      label: t('kpi.chromeFailures'),
      value: formatNumber(k.counters.chromeStartFailures),
      detail: t('kpi.chromeDetail', {
        restarts: k.counters.webdriverRestarts,
        locks: k.counters.profileLockTimeouts,
      }),
      level: '',
    },
    {
      id: 'memory',
      label: t('kpi.memory'),
      value: k.memoryBytes === null ? '–' : formatBytes(k.memoryBytes),
      detail: t('kpi.errors', { n: k.counters.errors }),
      level: '',
    },
  ];
}

/** A bot's KPIs as tiles (per account below them when the bot has accounts). */
export function KpiTiles({ kpi, costUsd }: { kpi: BotKpi; costUsd?: number }) {
  const { t } = useTranslation('telemetry');
  return (
    <div data-testid="kpi-tiles" data-bot={kpi.bot}>
      <div className="kpi-tiles">
        {tiles(kpi, t, costUsd).map((tile) => (
          <section key={tile.id} className={`kpi-tile ${tile.level}`} data-testid={`kpi-${tile.id}`}>
            <h4>{tile.label}</h4>
            <div className="kpi-value">{tile.value}</div>
            {tile.detail && <div className="kpi-detail muted">{tile.detail}</div>}
          </section>
        ))}
      </div>
      {kpi.accounts.length > 0 && (
        <table className="kpi-accounts" data-testid="kpi-accounts">
          <thead>
            <tr>
              <th>{t('accounts.account')}</th>
              <th>{t('kpi.actionsPerHour')}</th>
              <th>{t('kpi.successRate')}</th>
              <th>{t('kpi.consecutiveFailures')}</th>
              <th>{t('kpi.sinceSuccess')}</th>
              <th>{t('accounts.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {kpi.accounts.map((a) => (
              <tr key={a.account}>
                <td>{a.account}</td>
                <td>{formatNumber(a.actionsPerHour)}</td>
                <td>{a.successRatePct === null ? '–' : `${formatNumber(a.successRatePct, 1)}%`}</td>
                <td className={a.consecutiveFailures >= 3 ? 'warn-text' : ''}>{a.consecutiveFailures}</td>
                <td>{a.secondsSinceSuccess === null ? '–' : formatSpan(a.secondsSinceSuccess)}</td>
                <td className="muted">
                  {a.actions
                    .filter((x) => x.perHour > 0)
                    .map((x) => `${x.action} ${x.perHour}`)
                    .join(' · ') || '–'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

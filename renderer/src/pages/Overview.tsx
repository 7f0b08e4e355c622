import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import type { EvidenceResult } from '../../../shared/api/checklists.js';
import { LiveChart } from '../components/LiveChart.js';
import { DeadManBadge } from '../components/telemetry/index.js';
import { formatBytes, formatDateTime, formatTime } from '../i18n/index.js';
import {
  badgeSummary,
  loadMaintenance,
  sortedAlerts,
  startAlertUpdates,
  useAlerts,
} from '../stores/alerts.js';
import { loadToday, startChecklistUpdates, useChecklists } from '../stores/checklists.js';
import { useLive } from '../stores/live.js';
import { startOverviewUpdates, useBotLines, useOverview } from '../stores/overview.js';
import { STATE_CLASS as BOT_STATE_CLASS } from './bots/BotCard.js';
import { bi } from './checklists/text.js';
import { links } from './incidents/route.js';
import './checklists/opsday.css';
import './Overview.css';

function level(pct: number, warn: number, crit: number): 'ok' | 'warning' | 'critical' {
  return pct >= crit ? 'critical' : pct >= warn ? 'warning' : 'ok';
}

function Block({
  title,
  href,
  children,
  testId,
  slot = false,
}: {
  title: string;
  href: string;
  children: React.ReactNode;
  testId: string;
  slot?: boolean;
}) {
  return (
    <section className={`block${slot ? ' slot' : ''}`} data-testid={testId}>
      <h2>
        <a href={href}>{title}</a>
      </h2>
      {children}
    </section>
  );
}

/** A reading from a provider another capability offers (cost, backup); a clearly marked slot until then. */
function Reading({ reading, slotText }: { reading: EvidenceResult | null; slotText: string }) {
  const { t } = useTranslation('overview');
  if (!reading || (reading.verdict === 'unavailable' && reading.error?.startsWith('no capability'))) {
    return (
      <p className="muted" data-testid="slot-pending">
        {slotText}
      </p>
    );
  }
  return (
    <p>
      <span className={`verdict ${reading.verdict}`}>{t(`verdict.${reading.verdict}`)}</span>{' '}
      {bi(reading.text)}
    </p>
  );
}

/** Each bot's state in words, and its dead-man's switch (state, since when, why) when it has one. */
function BotsSummary() {
  const { t } = useTranslation('overview');
  const { t: tBots } = useTranslation('bots');
  const { loaded, error, lines } = useBotLines();
  if (error) return <p className="form-error">{tBots('loadError', { message: error })}</p>;
  if (!loaded) return <p className="muted">…</p>;
  if (lines.length === 0) return <p className="muted">{t('bots.none')}</p>;
  return (
    <ul className="ov-bots">
      {lines.map(({ bot, deadMan }) => (
        <li key={bot.id} data-testid="ov-bot" data-bot={bot.id} data-state={bot.state}>
          <div className="ov-bot-head">
            <span className="ov-bot-name">{bot.name}</span>
            <span className={`bot-state ${BOT_STATE_CLASS[bot.state]}`} data-testid="ov-bot-state">
              {tBots(`state.${bot.state}`)}
            </span>
          </div>
          {deadMan && (
            <div className="ov-bot-dms" data-testid="ov-bot-dms">
              <span className="muted">{t('bots.deadMan')}</span>
              <DeadManBadge state={deadMan} />
              <span className="muted" data-testid="ov-bot-dms-since">
                {t('bots.deadManSince', { time: formatDateTime(deadMan.since) })}
              </span>
            </div>
          )}
        </li>
      ))}
    </ul>
  );
}

function OperatorBlocks() {
  const { t } = useTranslation('overview');
  const { t: tAlerts } = useTranslation('alerts');
  const { t: tStop } = useTranslation('stop');
  const status = useLive((s) => s.status);
  const alerts = useAlerts((s) => s.alerts);
  const maintenance = useAlerts((s) => s.maintenance);
  const today = useChecklists((s) => s.today);
  const { stop, cost, backup } = useOverview();
  const needing = sortedAlerts(alerts).filter((a) => a.state === 'firing' && !a.suppressed);
  const { count } = badgeSummary(alerts);
  const nextWindow = maintenance
    .filter((w) => w.enabled)
    .map((w) => ({ w, at: w.active ? w.lastStart : w.nextStart }))
    .filter((x) => x.at !== null)
    .sort((a, b) => (a.at ?? 0) - (b.at ?? 0))[0];
  const latestStop = stop?.latest ?? null;
  return (
    <div className="overview-blocks ops">
      <Block title={t('health.title')} href="#/alerts" testId="ov-health">
        {status && (
          <p>
            <span className={`pill ${status.health}`}>{t(`health.${status.health}`)}</span>{' '}
            <span className="muted">{t('health.open', { count })}</span>
          </p>
        )}
        {status && status.configIssues.length > 0 && (
          <p className="form-error">{t('health.config', { count: status.configIssues.length })}</p>
        )}
      </Block>
      <Block title={t('alerts.title')} href="#/alerts" testId="ov-alerts">
        {needing.length === 0 ? (
          <p className="muted">{t('alerts.none')}</p>
        ) : (
          <ul>
            {needing.slice(0, 5).map((a) => (
              <li key={a.id}>
                <span className={`state ${a.severity === 'critical' ? 'missed' : 'open'}`}>
                  {tAlerts(`severity.${a.severity}`)}
                </span>{' '}
                {a.ruleName}
              </li>
            ))}
          </ul>
        )}
        {needing.length > 0 && <p className="muted">{t('alerts.todo')}</p>}
      </Block>
      <Block title={t('checklists.title')} href="#/checklists" testId="ov-checklists">
        {today ? (
          <>
            {today.instances
              .filter((i) => i.state !== 'upcoming' || i.localDate === today.date)
              .map((i) => (
                <div key={i.id} className="row">
                  <span>{bi(i.name)}</span>
                  <span className={`state ${i.state}`}>{t(`checkState.${i.state}`)}</span>
                  <span className="muted">
                    {i.done}/{i.total}
                  </span>
                </div>
              ))}
            {today.next && (
              <p className="muted" data-testid="ov-next-slot">
                {t('checklists.next', { name: bi(today.next.name), time: formatDateTime(today.next.at) })}
              </p>
            )}
          </>
        ) : (
          <p className="muted">…</p>
        )}
      </Block>
      <Block title={t('bots.title')} href="#/bots" testId="ov-bots">
        <BotsSummary />
      </Block>
      <Block title={t('stop.title')} href="#/stop-history" testId="ov-stop">
        {latestStop ? (
          <>
            <p>
              {formatDateTime(latestStop.requestedAt)} · {latestStop.reason}{' '}
              <span className="muted">({tStop(`history.status.${latestStop.status}`)})</span>
            </p>
            {stop?.stopped && <p className="form-error">{t('stop.stopped')}</p>}
            <a href={links.newIncident({ stopId: latestStop.id })} data-testid="ov-stop-incident">
              {t('stop.incident')}
            </a>
          </>
        ) : (
          <p className="muted">{t('stop.none')}</p>
        )}
      </Block>
      <Block title={t('maintenance.title')} href="#/maintenance" testId="ov-maintenance">
        {nextWindow ? (
          <p>
            {nextWindow.w.active ? t('maintenance.active') : formatDateTime(nextWindow.at ?? 0)} ·{' '}
            {nextWindow.w.name}
          </p>
        ) : (
          <p className="muted">{t('maintenance.none')}</p>
        )}
      </Block>
      <Block
        title={t('cost.title')}
        href="#/telemetry"
        testId="ov-cost"
        slot={!cost || cost.verdict === 'unavailable'}
      >
        <Reading reading={cost} slotText={t('cost.pending')} />
      </Block>
      <Block
        title={t('backup.title')}
        href="#/maintenance"
        testId="ov-backup"
        slot={!backup || backup.verdict === 'unavailable'}
      >
        <Reading reading={backup} slotText={t('backup.pending')} />
      </Block>
    </div>
  );
}

export function OverviewPage() {
  const { t } = useTranslation();
  const { t: to } = useTranslation('overview');
  const snapshot = useLive((s) => s.snapshot);
  useEffect(() => {
    startAlertUpdates();
    startChecklistUpdates();
    startOverviewUpdates();
    void loadToday();
    void loadMaintenance();
  }, []);

  return (
    <div className="page">
      <OperatorBlocks />
      <h2 className="overview-section">{to('system')}</h2>
      {!snapshot ? (
        <p className="muted">{t('overview.waiting')}</p>
      ) : (
        <>
          <div className="cards">
            <section className={`card ${level(snapshot.cpuPct, 80, 90)}`}>
              <h3>{t('overview.cpu')}</h3>
              <div className="figure" data-testid="cpu-value">
                {snapshot.cpuPct.toFixed(1)}
                <span className="unit">%</span>
              </div>
            </section>
            <section className={`card ${level(snapshot.memUsedPct, 85, 95)}`}>
              <h3>{t('overview.memory')}</h3>
              <div className="figure" data-testid="mem-value">
                {snapshot.memUsedPct.toFixed(1)}
                <span className="unit">%</span>
              </div>
              <div className="detail">
                {t('overview.memDetail', {
                  used: formatBytes(snapshot.memUsedBytes),
                  total: formatBytes(snapshot.memTotalBytes),
                })}
              </div>
            </section>
            {snapshot.disks.length === 0 && <section className="card">{t('overview.noDisk')}</section>}
            {snapshot.disks.map((d) => (
              <section key={d.mount} className={`card ${level(100 - d.freePct, 80, 95)}`}>
                <h3>{t('overview.disk', { mount: d.mount })}</h3>
                <div className="figure" data-testid="disk-value">
                  {d.freePct.toFixed(1)}
                  <span className="unit">%</span>
                </div>
                <div className="detail">
                  {t('overview.diskDetail', {
                    free: formatBytes(d.freeBytes),
                    total: formatBytes(d.totalBytes),
                  })}
                </div>
              </section>
            ))}
          </div>
          <section className="panel">
            <header className="panel-head">
              <h3>{t('overview.lastHour')}</h3>
              <span className="muted">{t('overview.updated', { time: formatTime(snapshot.ts) })}</span>
            </header>
            <LiveChart
              unit="%"
              domain={[0, 100]}
              series={[
                { key: 'cpu.total', label: t('overview.cpu'), color: 'var(--c1)' },
                { key: 'mem.used_pct', label: t('overview.memory'), color: 'var(--c2)' },
              ]}
            />
          </section>
        </>
      )}
    </div>
  );
}

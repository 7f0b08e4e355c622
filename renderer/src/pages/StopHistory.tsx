import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import type { StopRun } from '../../../shared/api/stop.js';
import { ResumeControl } from '../components/stop/ResumeControl.js';
import { loadHistory, startStopUpdates, useStop } from '../components/stop/store.js';
import { formatDateTime } from '../i18n/index.js';

/**
 * Every emergency stop (when, who or which rule, why, the result, the resume), next to the customer's
 * Level 3 procedure: 1. 緊急停止実行 2. ログ収集・分析 3. 根本原因調査 4. 修正・再開手順実行.
 */
export function StopHistoryPage() {
  const { t } = useTranslation('stop');
  const history = useStop((s) => s.history);
  const error = useStop((s) => s.historyError);
  const status = useStop((s) => s.status);

  useEffect(() => {
    startStopUpdates();
    void loadHistory();
  }, []);

  const latest = history[0] ?? null;
  return (
    <div className="page">
      <Runbook latest={latest} stopped={status?.stopped ?? false} />
      <section className="panel">
        <div className="panel-head">
          <h3>{t('history.title')}</h3>
        </div>
        {error && <p className="stop-error">{error}</p>}
        {history.length === 0 ? (
          <p className="muted">{t('history.empty')}</p>
        ) : (
          <table className="stop-history" data-testid="stop-history">
            <thead>
              <tr>
                <th>{t('history.when')}</th>
                <th>{t('history.source')}</th>
                <th>{t('history.actor')}</th>
                <th>{t('history.reason')}</th>
                <th>{t('history.result')}</th>
                <th>{t('history.counts')}</th>
                <th>{t('history.duration')}</th>
                <th>{t('history.resumed')}</th>
              </tr>
            </thead>
            <tbody>
              {history.map((run) => (
                <HistoryRow key={run.id} run={run} />
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}

function HistoryRow({ run }: { run: StopRun }) {
  const { t } = useTranslation('stop');
  const c = run.counts;
  return (
    <tr data-testid="stop-history-row" data-run={run.id}>
      <td>{formatDateTime(run.requestedAt)}</td>
      <td>{t(`history.sources.${run.source}`)}</td>
      <td>{run.actor}</td>
      <td>{run.reason}</td>
      <td>
        <span className={`stop-status-${run.status}`}>{t(`history.status.${run.status}`)}</span>
        {run.recordedLate && <div className="muted">{t('history.recordedLate')}</div>}
        {run.survivors.length > 0 && (
          <div className="muted">
            {t('history.survivorsList', {
              list: run.survivors.map((s) => `${s.pid} ${s.name} (${s.reason})`).join(', '),
            })}
          </div>
        )}
      </td>
      <td>
        {c.stopped} / {c.targets} ({c.forced})
      </td>
      <td>{run.durationMs === null ? '—' : `${Math.round(run.durationMs)} ms`}</td>
      <td>
        {run.resumedAt === null ? (
          <span className="muted">{t('history.notResumed')}</span>
        ) : (
          t('history.resumedBy', {
            time: formatDateTime(run.resumedAt),
            actor: run.resumedBy ?? '',
            reason: run.resumeReason ?? '',
          })
        )}
      </td>
    </tr>
  );
}

/** The four Level 3 steps, each with where it is done in Nexus Ops and whether the last stop did it. */
function Runbook({ latest, stopped }: { latest: StopRun | null; stopped: boolean }) {
  const { t } = useTranslation('stop');
  const stopDone = latest !== null && (stopped || latest.resumedAt === null);
  const resumed = latest?.resumedAt ?? null;
  return (
    <section className="panel stop-runbook" data-testid="stop-runbook">
      <div className="panel-head">
        <h3>{t('runbook.title')}</h3>
      </div>
      <ol>
        <li className={latest ? 'done' : ''}>
          <strong>{t('runbook.step1')}</strong>
          {latest ? (
            <span className="muted">
              {t('runbook.step1Done', { time: formatDateTime(latest.requestedAt) })}
            </span>
          ) : (
            <span className="muted">{t('runbook.step1Todo')}</span>
          )}
        </li>
        <li>
          <strong>{t('runbook.step2')}</strong>
          <a href="#/logs" className="stop-link">
            {t('runbook.step2Link')}
          </a>
        </li>
        <li>
          <strong>{t('runbook.step3')}</strong>
          <a href="#/incidents" className="stop-link">
            {t('runbook.step3Link')}
          </a>
        </li>
        <li className={resumed !== null && !stopDone ? 'done' : ''}>
          <strong>{t('runbook.step4')}</strong>
          {stopped ? (
            <>
              <span className="muted">{t('runbook.step4Todo')}</span>
              <ResumeControl />
            </>
          ) : resumed !== null ? (
            <span className="muted">{t('runbook.step4Done', { time: formatDateTime(resumed) })}</span>
          ) : (
            <span className="muted">{t('runbook.step4Todo')}</span>
          )}
        </li>
      </ol>
    </section>
  );
}

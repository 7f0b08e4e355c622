import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import type { StopRun } from '../../../shared/api/stop.js';
import { STOP_RUNBOOK, StopRunbookLink } from '../components/stop/RunbookLink.js';
import { loadHistory, startStopUpdates, useStop } from '../components/stop/store.js';
import { formatDateTime } from '../i18n/index.js';
import { links } from './incidents/route.js';

/**
 * Every emergency stop (when, who or which rule, why, the result, the resume), each with the customer's
 * Level 3 runbook (resources/runbooks/{ja,en}/level3-system-stop.md) to follow for it.
 */
export function StopHistoryPage() {
  const { t } = useTranslation('stop');
  const history = useStop((s) => s.history);
  const error = useStop((s) => s.historyError);

  useEffect(() => {
    startStopUpdates();
    void loadHistory();
  }, []);

  const latest = history[0] ?? null;
  return (
    <div className="page">
      <RunbookPanel latest={latest} />
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
                <th>{t('history.runbook')}</th>
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
      <td>
        <a
          href={links.runbook(STOP_RUNBOOK, `stop:${run.id}`)}
          className="stop-link"
          data-testid="stop-row-runbook"
        >
          {t('history.runbookLink')}
        </a>
      </td>
    </tr>
  );
}

/** What to do after a stop is the customer's Level 3 runbook: one link to it, its steps ticked per stop. */
function RunbookPanel({ latest }: { latest: StopRun | null }) {
  const { t } = useTranslation('stop');
  return (
    <section className="panel stop-runbook" data-testid="stop-runbook">
      <p>
        {t(
          latest ? 'runbook.latest' : 'runbook.none',
          latest ? { time: formatDateTime(latest.requestedAt) } : {},
        )}
      </p>
      <StopRunbookLink stopId={latest?.id ?? null} testId="stop-history-runbook" />
    </section>
  );
}

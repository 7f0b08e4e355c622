import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import type { StopPhase } from '../../../../shared/api/stop.js';
import { StopRunbookLink } from './RunbookLink.js';
import { closeStopPanel, useStop } from './store.js';

const PHASES: StopPhase[] = [
  'requested',
  'kill-switch',
  'schedules',
  'snapshot',
  'graceful',
  'force',
  'verify',
  'done',
];

/** Live progress of the current stop, then its result: counts, survivors with reasons, what was paused. */
export function StopResultPanel() {
  const { t } = useTranslation('stop');
  const open = useStop((s) => s.panelOpen);
  const progress = useStop((s) => s.progress);
  const result = useStop((s) => s.result);
  const error = useStop((s) => s.error);
  useEffect(() => {
    // Following the history link (or any navigation) puts the panel away.
    window.addEventListener('hashchange', closeStopPanel);
    return () => window.removeEventListener('hashchange', closeStopPanel);
  }, []);
  if (!open) return null;

  const finished = result && (!progress || progress.runId === result.id) ? result : null;
  const counts = finished?.counts ?? progress?.counts ?? null;
  const state = error ? 'failed' : finished ? finished.status : 'running';
  const reached = new Set<StopPhase>(finished ? finished.steps.map((s) => s.phase) : []);
  if (!finished && progress) {
    for (const p of PHASES) {
      reached.add(p);
      if (p === progress.phase) break;
    }
  }

  return (
    <section
      className={`stop-panel ${state}`}
      data-testid="stop-result"
      data-state={state}
      aria-live="polite"
    >
      <header>
        <strong data-testid="stop-result-title">{t(`panel.title.${state}`)}</strong>
        <button type="button" className="stop-close" onClick={closeStopPanel} aria-label={t('panel.close')}>
          ×
        </button>
      </header>
      {error && <p className="stop-error">{error}</p>}
      {counts && (
        <dl className="stop-counts">
          <div>
            <dt>{t('panel.targets')}</dt>
            <dd data-testid="stop-count-targets">{counts.targets}</dd>
          </div>
          <div>
            <dt>{t('panel.stopped')}</dt>
            <dd data-testid="stop-count-stopped">{counts.stopped}</dd>
          </div>
          <div>
            <dt>{t('panel.forced')}</dt>
            <dd data-testid="stop-count-forced">{counts.forced}</dd>
          </div>
          <div className={counts.survivors > 0 ? 'bad' : ''}>
            <dt>{t('panel.survivors')}</dt>
            <dd data-testid="stop-count-survivors">{counts.survivors}</dd>
          </div>
        </dl>
      )}
      <ol className="stop-phases">
        {PHASES.filter((p) => p !== 'force' || reached.has('force')).map((p) => (
          <li key={p} className={reached.has(p) ? 'reached' : ''}>
            {t(`panel.phases.${p}`)}
            {!finished && progress?.phase === p && progress.remaining > 0 && (
              <span className="muted"> · {t('panel.remaining', { count: progress.remaining })}</span>
            )}
          </li>
        ))}
      </ol>
      {finished && (
        <>
          {finished.durationMs !== null && (
            <p className="muted">{t('panel.duration', { ms: Math.round(finished.durationMs) })}</p>
          )}
          {finished.survivors.length > 0 && (
            <>
              <h4>{t('panel.survivorsTitle')}</h4>
              <table data-testid="stop-survivors">
                <thead>
                  <tr>
                    <th>{t('panel.pid')}</th>
                    <th>{t('panel.name')}</th>
                    <th>{t('panel.family')}</th>
                    <th>{t('panel.reason')}</th>
                  </tr>
                </thead>
                <tbody>
                  {finished.survivors.map((s) => (
                    <tr key={s.pid}>
                      <td>{s.pid}</td>
                      <td>{s.name}</td>
                      <td>{s.family}</td>
                      <td>{s.reason}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
          <p className="stop-line">
            <span className="muted">{t('panel.killSwitch')}: </span>
            {finished.killSwitch.written.length > 0
              ? finished.killSwitch.written.join(', ')
              : t('panel.killSwitchNone')}
          </p>
          {finished.disabledTasks.length > 0 && (
            <p className="stop-line">
              <span className="muted">{t('panel.disabledTasks')}: </span>
              {finished.disabledTasks.join(', ')}
            </p>
          )}
          {finished.pausedSchedules.length > 0 && (
            <p className="stop-line">
              <span className="muted">{t('panel.pausedSchedules')}: </span>
              {finished.pausedSchedules.join(', ')}
            </p>
          )}
          {finished.evidence.length > 0 && (
            <div className="stop-evidence" data-testid="stop-evidence">
              <span className="muted">{t('panel.evidence')}</span>
              <ul>
                {finished.evidence.map((e) => (
                  <li key={e}>{e}</li>
                ))}
              </ul>
            </div>
          )}
          {finished.errors.length > 0 && (
            <ul className="stop-problems" aria-label={t('panel.problems')}>
              {finished.errors.map((e) => (
                <li key={e}>{e}</li>
              ))}
            </ul>
          )}
          {finished.recordedLate && <p className="muted">{t('panel.recordedLate')}</p>}
        </>
      )}
      <div className="stop-links">
        <StopRunbookLink stopId={finished?.id ?? progress?.runId ?? null} testId="stop-result-runbook" />
        <a href="#/stop-history" className="stop-link">
          {t('panel.history')}
        </a>
      </div>
    </section>
  );
}

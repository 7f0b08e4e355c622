import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import './stop.css';
import { StopResultPanel } from './StopResultPanel.js';
import { startStopUpdates, triggerStop, useStop } from './store.js';

/**
 * The red button for the top bar of every page. One click acts at once (no dialog): the stop runs in
 * core, the live result panel opens below the button. Clicking again while a stop runs joins it.
 */
export function EmergencyStopButton() {
  const { t } = useTranslation('stop');
  const triggering = useStop((s) => s.triggering);
  const running = useStop((s) => s.status?.running ?? false);
  useEffect(() => startStopUpdates(), []);
  const busy = triggering || running;
  return (
    <div className="stop-anchor">
      <button
        type="button"
        className={`stop-button${busy ? ' busy' : ''}`}
        data-testid="emergency-stop"
        title={t('button.title')}
        aria-label={t('button.title')}
        onClick={() => void triggerStop('button')}
      >
        <span className="stop-icon" aria-hidden="true">
          ■
        </span>
        {busy ? t('button.running') : t('button.label')}
      </button>
      <StopResultPanel />
    </div>
  );
}

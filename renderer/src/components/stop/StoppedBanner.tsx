import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDateTime } from '../../i18n/index.js';
import './stop.css';
import { ResumeControl } from './ResumeControl.js';
import { startStopUpdates, useStop } from './store.js';

/** On every page while the bots are stopped: since when, by whom, why, and the resume control. */
export function StoppedBanner() {
  const { t } = useTranslation('stop');
  const status = useStop((s) => s.status);
  useEffect(() => startStopUpdates(), []);
  if (!status?.stopped) return null;
  const latest = status.latest;
  return (
    <div className="banner critical stop-banner" role="alert" data-testid="stopped-banner">
      <div className="stop-banner-text">
        <strong>{t('banner.title')}</strong>
        {status.since !== null && <span>{t('banner.since', { time: formatDateTime(status.since) })}</span>}
        {latest && (
          <>
            <span>
              {t('banner.by', { actor: latest.actor, source: t(`history.sources.${latest.source}`) })}
            </span>
            <span>{t('banner.reason', { reason: latest.reason })}</span>
          </>
        )}
        {status.running && <span>{t('banner.running')}</span>}
        {status.killSwitch.present.length > 0 && (
          <span className="muted">
            {t('banner.killSwitch', { paths: status.killSwitch.present.join(', ') })}
          </span>
        )}
      </div>
      <ResumeControl />
    </div>
  );
}

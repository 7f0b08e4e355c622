import { useTranslation } from 'react-i18next';
import type { Alert } from '../../../../shared/api/alerts.js';
import './alerts.css';

/** `#/logs?alert=<id>`: the Logs page reads the alert and shows the log records around it (its bot's, if it has one). */
export function alertLogsHref(alertId: string): string {
  return `#/logs?alert=${encodeURIComponent(alertId)}`;
}

/** The log records around an alert, for every alert (the Logs page chooses the window from the alert). */
export function AlertLogsLink({ alert }: { alert: Pick<Alert, 'id'> }) {
  const { t } = useTranslation('alerts');
  return (
    <a href={alertLogsHref(alert.id)} className="alert-logs-link" data-testid="alert-logs">
      {t('logs.link')}
    </a>
  );
}

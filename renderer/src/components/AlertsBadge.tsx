import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { badgeSummary, startAlertUpdates, useAlerts } from '../stores/alerts.js';
import '../pages/alerts/alerts.css';

/**
 * The navigation badge: how many alerts need an operator (firing or acknowledged, not suppressed),
 * coloured by the worst severity among them; solid while any is unacknowledged.
 */
export function AlertsBadge() {
  const { t } = useTranslation('alerts');
  const alerts = useAlerts((s) => s.alerts);
  useEffect(() => startAlertUpdates(), []);
  const { count, worst, unacknowledged } = badgeSummary(alerts);
  if (count === 0 || worst === null) return null;
  return (
    <span
      className={`alerts-badge ${worst}${unacknowledged > 0 ? ' unacked' : ''}`}
      data-testid="alerts-badge"
      data-severity={worst}
      title={t('badge.title', { count, unacknowledged })}
    >
      {count}
    </span>
  );
}

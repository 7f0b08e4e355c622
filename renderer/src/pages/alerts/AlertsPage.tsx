import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { NotificationPermissionButton } from '../../components/Toasts.js';
import { badgeSummary, startAlertUpdates, useAlerts } from '../../stores/alerts.js';
import { ActiveAlerts } from './ActiveAlerts.js';
import { HistoryPanel } from './HistoryPanel.js';
import { MaintenancePanel } from './MaintenancePanel.js';
import { RuleErrors } from './RuleErrors.js';
import { SilencesPanel } from './SilencesPanel.js';
import './alerts.css';

function Summary() {
  const { t } = useTranslation('alerts');
  const alerts = useAlerts((s) => s.alerts);
  const health = useAlerts((s) => s.health);
  const rules = useAlerts((s) => s.rules);
  const { count, unacknowledged } = badgeSummary(alerts);
  return (
    <div className="alerts-summary">
      <span className={`pill ${health}`} data-testid="alerts-health">
        {t(`health.${health}`)}
      </span>
      <span className="muted">
        {t('summary.counts', { count, unacknowledged })}
        {' · '}
        {t('summary.rules', { count: rules.filter((r) => r.enabled).length })}
      </span>
      <span className="spacer" />
      <NotificationPermissionButton />
    </div>
  );
}

export function AlertsPage() {
  useEffect(() => startAlertUpdates(), []);
  return (
    <div className="page alerts-page" data-testid="alerts-page">
      <Summary />
      <RuleErrors />
      <ActiveAlerts />
      <div className="alerts-columns">
        <SilencesPanel />
        <MaintenancePanel />
      </div>
      <HistoryPanel />
    </div>
  );
}

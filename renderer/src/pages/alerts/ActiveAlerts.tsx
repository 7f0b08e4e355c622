import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Alert } from '../../../../shared/api/alerts.js';
import { AlertLogsLink } from '../../components/alerts/AlertLogsLink.js';
import { formatDateTime } from '../../i18n/index.js';
import { SEVERITY_ORDER, sortedAlerts, useAlerts } from '../../stores/alerts.js';
import { AlertExtras } from '../incidents/AlertExtras.js';
import { AckDialog } from './AckDialog.js';
import { formatAge, formatLabels, formatValue, useNow } from './format.js';
import { SilenceDialog } from './SilenceDialog.js';

export function StatePill({ state }: { state: Alert['state'] }) {
  const { t } = useTranslation('alerts');
  return (
    <span className={`pill state-${state}`} data-testid="alert-state" data-state={state}>
      {t(`state.${state}`)}
    </span>
  );
}

function SuppressedMarker({ alert }: { alert: Alert }) {
  const { t } = useTranslation('alerts');
  const silences = useAlerts((s) => s.silences);
  const windows = useAlerts((s) => s.maintenance);
  if (!alert.suppressed) return null;
  const [kind, id] = (alert.suppressedBy ?? '').split(/:(.*)/s);
  let detail = '';
  if (kind === 'silence') detail = silences.find((s) => s.id === id)?.reason ?? '';
  if (kind === 'maintenance') detail = windows.find((w) => w.id === id)?.name ?? id ?? '';
  const label = kind === 'maintenance' ? t('suppressed.maintenance') : t('suppressed.silence');
  return (
    <span className="suppressed" title={detail || undefined} data-testid="alert-suppressed">
      {label}
      {detail ? `: ${detail}` : ''}
    </span>
  );
}

function AlertRow({
  alert,
  now,
  onAck,
  onSilence,
}: {
  alert: Alert;
  now: number;
  onAck: () => void;
  onSilence: () => void;
}) {
  const { t, i18n } = useTranslation('alerts');
  const since = alert.firedAt ?? alert.startedAt;
  const liveValue = useAlerts((s) => s.liveValues[alert.seriesKey]);
  // a forecast rule's value is the prediction, not the sample
  const isForecast = useAlerts((s) =>
    s.rules.some((r) => r.id === alert.ruleId && r.expr.trimStart().startsWith('forecast')),
  );
  const value = !isForecast && liveValue !== undefined ? liveValue : alert.value;
  return (
    <li
      className={`alert-row ${alert.severity}${alert.suppressed ? ' is-suppressed' : ''}`}
      data-testid="alert-row"
      data-alert-id={alert.id}
      data-rule={alert.ruleId}
    >
      <div className="alert-main">
        <div className="alert-title">
          <StatePill state={alert.state} />
          <strong data-testid="alert-rule">{alert.ruleName}</strong>
          <SuppressedMarker alert={alert} />
        </div>
        {alert.message && <div className="alert-message">{alert.message}</div>}
        <div className="alert-meta">
          <code className="series">{alert.metric}</code>
          {formatLabels(alert.labels).map((l) => (
            <code key={l} className="label-chip">
              {l}
            </code>
          ))}
        </div>
        {alert.state === 'acknowledged' && (
          <div className="alert-ack" data-testid="alert-ack">
            {t('ack.by', {
              name: alert.ackBy ?? '?',
              time: alert.ackedAt ? formatDateTime(alert.ackedAt) : '',
            })}
            {alert.ackNote && <q data-testid="alert-ack-note">{alert.ackNote}</q>}
          </div>
        )}
        <AlertExtras alert={alert} />
      </div>
      <div className="alert-figures">
        <div className="alert-value" title={t('value.title')}>
          <span className="now" data-testid="alert-value">
            {formatValue(value, alert.metric, i18n.language)}
          </span>
          <span className="vs">
            {alert.op} {formatValue(alert.threshold, alert.metric, i18n.language)}
          </span>
        </div>
        <div className="alert-age" title={formatDateTime(since)} data-testid="alert-age">
          {alert.state === 'pending'
            ? t('age.pending', { age: formatAge(alert.startedAt, now, i18n.language) })
            : t('age.firing', { age: formatAge(since, now, i18n.language) })}
        </div>
      </div>
      <div className="alert-actions">
        {alert.state !== 'acknowledged' && (
          <button type="button" className="primary" onClick={onAck} data-testid="alert-ack-button">
            {t('ack.button')}
          </button>
        )}
        <button type="button" onClick={onSilence} data-testid="alert-silence-button">
          {t('silence.button')}
        </button>
        <AlertLogsLink alert={alert} />
      </div>
    </li>
  );
}

/** Open alerts grouped by severity, critical first; every change arrives by push. */
export function ActiveAlerts() {
  const { t } = useTranslation('alerts');
  const alerts = useAlerts((s) => s.alerts);
  const loaded = useAlerts((s) => s.loaded);
  const loadError = useAlerts((s) => s.loadError);
  const now = useNow(1000);
  // The alert as it was when the dialog opened: a resolve meanwhile must not throw away a typed note.
  const [acking, setAcking] = useState<Alert | null>(null);
  const [silencing, setSilencing] = useState<Alert | null>(null);

  const list = sortedAlerts(alerts);

  return (
    <section className="panel" data-testid="active-alerts">
      <header className="panel-head">
        <h3>{t('active.title')}</h3>
        <span className="muted">{t('active.count', { count: list.length })}</span>
      </header>
      {loadError && !loaded && (
        <p className="form-error" role="alert">
          {t('error.load', { message: loadError.message })}
        </p>
      )}
      {loaded && list.length === 0 && (
        <p className="empty-ok" data-testid="no-alerts">
          {t('active.none')}
        </p>
      )}
      {!loaded && !loadError && <p className="muted">{t('active.loading')}</p>}
      {SEVERITY_ORDER.map((severity) => {
        const group = list.filter((a) => a.severity === severity);
        if (group.length === 0) return null;
        return (
          <div key={severity} className={`sev-group ${severity}`} data-testid={`alerts-${severity}`}>
            <h4>
              <span className={`sev-dot ${severity}`} />
              {t(`severity.${severity}`)}
              <span className="muted">{group.length}</span>
            </h4>
            <ul className="alert-list">
              {group.map((a) => (
                <AlertRow
                  key={a.id}
                  alert={a}
                  now={now}
                  onAck={() => setAcking(a)}
                  onSilence={() => setSilencing(a)}
                />
              ))}
            </ul>
          </div>
        );
      })}
      {acking && <AckDialog alert={alerts[acking.id] ?? acking} onClose={() => setAcking(null)} />}
      {silencing && <SilenceDialog alert={silencing} onClose={() => setSilencing(null)} />}
    </section>
  );
}

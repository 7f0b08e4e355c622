import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Alert } from '../../../../shared/api/alerts.js';
import type { IncidentSuggestion } from '../../../../shared/api/incidents.js';
import { api } from '../../api/client.js';
import { loadRunbooks, startIncidentUpdates, useIncidents } from '../../stores/incidents.js';
import { links } from './route.js';
import '../checklists/opsday.css';

/** The runbook a rule names (Prometheus' runbook_url convention): shipped id or URL. */
export function runbookOf(alert: Alert, ruleLinks: Record<string, string> | undefined): string | null {
  return alert.runbook ?? ruleLinks?.[alert.ruleId] ?? null;
}

/**
 * Next to an alert: its runbook, a link to record an incident from it, and similar past incidents with
 * the reason each matched.
 */
export function AlertExtras({ alert }: { alert: Alert }) {
  const { t } = useTranslation('incidents');
  const ruleLinks = useIncidents((s) => s.runbooks?.ruleLinks);
  const changeSeq = useIncidents((s) => s.changeSeq);
  const [suggestions, setSuggestions] = useState<IncidentSuggestion[]>([]);
  useEffect(() => {
    startIncidentUpdates();
    if (!useIncidents.getState().runbooks) void loadRunbooks();
  }, []);
  const live = alert.state === 'firing' || alert.state === 'acknowledged';
  useEffect(() => {
    // changeSeq: a new or changed incident may be a new suggestion.
    if (!live || changeSeq < 0) return;
    let current = true;
    void api.call('incidents.similar', { alertId: alert.id }).then((r) => {
      if (current && r.ok) setSuggestions(r.value.suggestions);
    });
    return () => {
      current = false;
    };
  }, [alert.id, live, changeSeq]);

  const runbook = runbookOf(alert, ruleLinks);
  const external = runbook !== null && /^https?:/.test(runbook);
  return (
    <div className="ops alert-extras" data-testid="alert-extras">
      <div className="row">
        {runbook &&
          (external ? (
            <a href={runbook} target="_blank" rel="noopener noreferrer" data-testid="alert-runbook">
              {t('alert.runbook')}
            </a>
          ) : (
            <a href={links.runbook(runbook, `alert:${alert.id}`)} data-testid="alert-runbook">
              {t('alert.runbook')}
            </a>
          ))}
        <a href={links.newIncident({ alertId: alert.id })} data-testid="alert-new-incident">
          {t('alert.newIncident')}
        </a>
      </div>
      {suggestions.length > 0 && (
        <div className="suggestions" data-testid="alert-suggestions">
          <span className="muted">{t('alert.similar')}</span>
          {suggestions.map((s) => (
            <div key={s.incident.id} data-testid="alert-suggestion">
              <a href={links.incident(s.incident.id)}>
                {s.incident.id} {s.incident.title}
              </a>{' '}
              <span className="muted">
                {s.reasons.map((r) => t(`reason.${r.kind}`, { detail: r.detail })).join(' · ')}
              </span>
            </div>
          ))}
        </div>
      )}
    </div>
  );
}

import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { bi } from '../../pages/checklists/text.js';
import { links } from '../../pages/incidents/route.js';
import { loadRunbooks, useIncidents } from '../../stores/incidents.js';

/** The customer's 障害対応手順 Level 3 (システム停止): what to do after an emergency stop. */
export const STOP_RUNBOOK = 'level3-system-stop';

/**
 * A link to the Level 3 runbook, titled as the runbook is; for a stop run its steps are ticked for
 * that run (`stop:<id>`). The steps themselves live only in the runbook.
 */
export function StopRunbookLink({ stopId, testId }: { stopId: string | null; testId: string }) {
  const { t } = useTranslation('stop');
  const title = useIncidents((s) => s.runbooks?.runbooks.find((r) => r.id === STOP_RUNBOOK)?.title);
  useEffect(() => {
    if (!useIncidents.getState().runbooks) void loadRunbooks();
  }, []);
  return (
    <a
      href={links.runbook(STOP_RUNBOOK, stopId ? `stop:${stopId}` : undefined)}
      className="stop-link"
      data-testid={testId}
    >
      {t('runbook.open', { title: title ? bi(title) : STOP_RUNBOOK })}
    </a>
  );
}

import { useTranslation } from 'react-i18next';
import type { RuleLoadError } from '../../../../shared/config/alerts.js';
import { useAlerts } from '../../stores/alerts.js';

function place(e: RuleLoadError): string {
  return e.line > 0 ? `${e.file}:${e.line}:${Math.max(e.col, 1)}` : e.file;
}

/** Rules the engine refused at load, each with its place in the file; the other rules keep working. */
export function RuleErrors() {
  const { t } = useTranslation('alerts');
  const errors = useAlerts((s) => s.ruleErrors);
  if (errors.length === 0) return null;
  return (
    <div className="banner warning" role="alert" data-testid="rule-errors">
      <strong>{t('rules.errors', { count: errors.length })}</strong>
      <ul>
        {errors.map((e) => (
          <li key={`${place(e)}:${e.ruleIndex}:${e.reason}`}>
            <code>{place(e)}</code>
            {e.ruleId && <span className="tag">{e.ruleId}</span>} {e.reason}
          </li>
        ))}
      </ul>
    </div>
  );
}

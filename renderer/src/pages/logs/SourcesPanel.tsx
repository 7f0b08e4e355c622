import { useTranslation } from 'react-i18next';
import { formatBytes } from '../../i18n/index.js';
import { loadSources, useLogs } from '../../stores/logs.js';
import { formatLogTime } from './format.js';

/** Every source with its files: where reading stands, what was bad, the last error. */
export function SourcesPanel() {
  const { t } = useTranslation('logs');
  const sources = useLogs((s) => s.sources);
  return (
    <details className="panel log-sources" data-testid="log-sources" onToggle={() => void loadSources()}>
      <summary>
        {t('sources.title')}
        {sources && (
          <span className="muted small">
            {' '}
            {t('sources.totals', {
              records: sources.totals.records,
              bad: sources.totals.badLines,
              duplicates: sources.totals.duplicates,
            })}
          </span>
        )}
      </summary>
      {sources && !sources.enabled && <p className="muted">{t('sources.disabled')}</p>}
      {sources && sources.sources.length === 0 && <p className="muted">{t('sources.none')}</p>}
      {sources?.sources.map((s) => (
        <section key={`${s.botId}:${s.source}`} className="log-source">
          <h4>
            {s.botId} · {s.kind === 'output' ? t('sources.output') : s.source}{' '}
            <code className="muted small">{s.pattern}</code>
          </h4>
          {s.lastError && <p className="form-error">{s.lastError}</p>}
          {s.files.length === 0 ? (
            <p className="muted small">{t('sources.noFiles')}</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>{t('sources.file')}</th>
                  <th>{t('sources.format')}</th>
                  <th>{t('sources.read')}</th>
                  <th>{t('sources.records')}</th>
                  <th>{t('sources.bad')}</th>
                  <th>{t('sources.duplicates')}</th>
                  <th>{t('sources.lastRead')}</th>
                </tr>
              </thead>
              <tbody>
                {s.files.map((f) => (
                  <tr key={f.id} className={f.state === 'gone' ? 'muted' : ''} data-testid="log-source-file">
                    <td title={f.path}>
                      {f.path.split(/[\\/]/).pop()}
                      {f.account && <span className="muted small"> ({f.account})</span>}
                      {f.lastError && <div className="form-error small">{f.lastError}</div>}
                    </td>
                    <td>{f.format ? t(`format.${f.format}`) : '—'}</td>
                    <td>
                      {formatBytes(f.offset)}
                      {f.size !== null && ` / ${formatBytes(f.size)}`}
                    </td>
                    <td>{f.records}</td>
                    <td className={f.badLines > 0 ? 'warn' : ''}>{f.badLines}</td>
                    <td>{f.duplicates}</td>
                    <td>{f.lastReadAt ? formatLogTime(f.lastReadAt) : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      ))}
    </details>
  );
}

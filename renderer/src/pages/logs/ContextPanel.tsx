import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { closeContext, useLogs } from '../../stores/logs.js';
import { LogRow } from './LogRow.js';

/** A record with the lines around it, its whole traceback, and every line of its execution id. */
export function ContextPanel() {
  const { t } = useTranslation('logs');
  const context = useLogs((s) => s.context);
  const error = useLogs((s) => s.contextError);
  const currentRef = useRef<HTMLDivElement>(null);
  const panelRef = useRef<HTMLElement>(null);
  useEffect(() => {
    if (!context) return;
    // Bring the record to the middle of the panel (not the page: the list keeps its place).
    const panel = panelRef.current;
    const current = currentRef.current;
    if (panel && current) panel.scrollTop = Math.max(0, current.offsetTop - panel.clientHeight / 2);
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') closeContext();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [context]);
  if (!context && !error) return null;
  return (
    <aside
      className="panel log-context"
      ref={panelRef}
      data-testid="log-context"
      aria-label={t('context.title')}
    >
      <header className="panel-head">
        <h3>{t('context.title')}</h3>
        <button type="button" onClick={closeContext} data-testid="log-context-close">
          {t('context.close')}
        </button>
      </header>
      {error && (
        <p className="form-error" role="alert">
          {error.message}
        </p>
      )}
      {context && (
        <>
          {context.file && (
            <p className="muted small log-file" title={context.file.path}>
              {t('context.file', { path: context.file.path })}
            </p>
          )}
          <h4>{t('context.around')}</h4>
          <div className="log-context-list">
            {context.before.map((r) => (
              <LogRow key={r.id} record={r} />
            ))}
            <div ref={currentRef}>
              <LogRow record={context.record} current />
            </div>
            {context.after.map((r) => (
              <LogRow key={r.id} record={r} />
            ))}
          </div>
          {context.record.traceId && (
            <>
              <h4 data-testid="log-trace-title">
                {t('context.trace', { id: context.record.traceId, count: context.trace.length })}
              </h4>
              <div className="log-context-list" data-testid="log-trace">
                {context.trace.map((r) => (
                  <LogRow key={r.id} record={r} current={r.id === context.record.id} />
                ))}
              </div>
              {context.traceTruncated && <p className="muted small">{t('context.traceTruncated')}</p>}
            </>
          )}
          {context.record.fields && (
            <>
              <h4>{t('context.fields')}</h4>
              <pre className="log-fields">{JSON.stringify(context.record.fields, null, 2)}</pre>
            </>
          )}
        </>
      )}
    </aside>
  );
}

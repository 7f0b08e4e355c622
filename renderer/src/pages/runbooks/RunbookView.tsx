import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { MethodOutput, Runbook } from '../../../../shared/api/index.js';
import { api } from '../../api/client.js';
import { formatDateTime } from '../../i18n/index.js';
import { rememberedOperator } from '../../stores/alerts.js';
import { links } from '../incidents/route.js';
import { SafeMarkdown } from './SafeMarkdown.js';
import '../checklists/opsday.css';

type Progress = MethodOutput<'runbooks.progress'>;

/** A runbook, with its steps ticked for one subject (an incident, an alert or a stop run). */
export function RunbookView({ id, subject }: { id: string; subject: string | null }) {
  const { t, i18n } = useTranslation('runbooks');
  const [runbook, setRunbook] = useState<Runbook | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);

  useEffect(() => {
    let live = true;
    void api.call('runbooks.get', { id, locale: i18n.language === 'en' ? 'en' : 'ja' }).then((r) => {
      if (!live) return;
      if (r.ok) setRunbook(r.value);
      else setError(r.error.message);
    });
    return () => {
      live = false;
    };
  }, [id, i18n.language]);

  useEffect(() => {
    if (!subject) return;
    void api.call('runbooks.progress', { subject, runbookId: id }).then((r) => r.ok && setProgress(r.value));
    return api.subscribe((e) => {
      if (e.type === 'runbook.progress' && e.subject === subject && e.runbookId === id) {
        setProgress((p) => ({ steps: e.steps, history: p?.history ?? [] }));
      }
    });
  }, [id, subject]);

  if (error) return <p className="form-error">{error}</p>;
  if (!runbook) return <p className="muted">{t('loading')}</p>;
  const byLine = new Map(runbook.steps.map((s) => [s.line, s]));
  const done = new Map((progress?.steps ?? []).map((s) => [s.step, s]));

  async function toggle(step: number, value: boolean) {
    if (!subject) return;
    const r = await api.call('runbooks.tickStep', {
      subject,
      runbookId: id,
      step,
      done: value,
      by: rememberedOperator() || 'operator',
    });
    if (r.ok) setProgress(r.value);
    else setError(r.error.message);
  }

  return (
    <section className="panel" data-testid="runbook" data-runbook={id}>
      <div className="row muted">
        {subject ? (
          <span data-testid="runbook-subject">{t('subject', { subject })}</span>
        ) : (
          <span>{t('noSubject')}</span>
        )}
        <span className="spacer" />
        <span>
          {t('stepsDone', {
            done: [...done.values()].filter((s) => s.done).length,
            total: runbook.steps.length,
          })}
        </span>
      </div>
      <SafeMarkdown
        markdown={runbook.markdown}
        runbookHref={(other) => links.runbook(other, subject ?? undefined)}
        listItem={(line, children) => {
          const step = line === undefined ? undefined : byLine.get(line);
          if (!step) return undefined;
          const state = done.get(step.n);
          return (
            <li
              className={`step${state?.done ? ' done' : ''}`}
              data-testid="runbook-step"
              data-step={step.n}
              data-done={state?.done ?? false}
            >
              <input
                type="checkbox"
                checked={state?.done ?? false}
                disabled={!subject}
                aria-label={step.text}
                onChange={(e) => void toggle(step.n, e.target.checked)}
              />
              <span>
                {step.n}. {children}
                {state && (
                  <span className="muted">
                    {' '}
                    ({t(state.done ? 'ticked' : 'unticked', { by: state.by, time: formatDateTime(state.at) })}
                    )
                  </span>
                )}
              </span>
            </li>
          );
        }}
      />
    </section>
  );
}

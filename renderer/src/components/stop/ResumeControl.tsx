import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { resumeStop, useStop } from './store.js';

const ACTOR_KEY = 'nexus-ops.operator';

/** A deliberate resume: a reason is required; the operator's name is remembered on this screen. */
export function ResumeControl() {
  const { t } = useTranslation('stop');
  const [reason, setReason] = useState('');
  const [actor, setActor] = useState(() => localStorage.getItem(ACTOR_KEY) ?? '');
  const [missing, setMissing] = useState(false);
  const resuming = useStop((s) => s.resuming);
  const running = useStop((s) => s.status?.running ?? false);
  const error = useStop((s) => s.resumeError);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!reason.trim()) {
      setMissing(true);
      return;
    }
    setMissing(false);
    if (actor.trim()) localStorage.setItem(ACTOR_KEY, actor.trim());
    if (await resumeStop(reason.trim(), actor)) setReason('');
  };

  return (
    <form className="stop-resume" onSubmit={(e) => void submit(e)} data-testid="resume-form">
      <label>
        {t('resume.reasonLabel')}
        <input
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          placeholder={t('resume.reasonPlaceholder')}
          maxLength={500}
          data-testid="resume-reason"
          aria-invalid={missing}
        />
      </label>
      <label className="stop-actor">
        {t('resume.actorLabel')}
        <input
          value={actor}
          onChange={(e) => setActor(e.target.value)}
          placeholder={t('resume.actorPlaceholder')}
          maxLength={100}
          data-testid="resume-actor"
        />
      </label>
      <button type="submit" disabled={resuming || running} data-testid="resume-submit">
        {resuming ? t('resume.submitting') : t('resume.submit')}
      </button>
      {missing && <span className="stop-error">{t('resume.needReason')}</span>}
      {error && <span className="stop-error">{error}</span>}
    </form>
  );
}

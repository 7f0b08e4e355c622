import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Silence } from '../../../../shared/api/alerts.js';
import { formatDateTime } from '../../i18n/index.js';
import {
  endSilence,
  isCurrentSilence,
  rememberedOperator,
  rememberOperator,
  useAlerts,
} from '../../stores/alerts.js';
import { formatMatcher, formatRelative, useNow } from './format.js';
import { Modal, ModalFormFoot } from './Modal.js';
import { SilenceDialog } from './SilenceDialog.js';

function EndSilenceDialog({ silence, onClose }: { silence: Silence; onClose: () => void }) {
  const { t } = useTranslation('alerts');
  const [by, setBy] = useState(rememberedOperator);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!by.trim()) return setError(t('ack.nameRequired'));
    setBusy(true);
    const r = await endSilence(silence.id, by.trim());
    setBusy(false);
    if (!r.ok) return setError(t('error.action', { message: r.error.message }));
    rememberOperator(by);
    onClose();
  }

  return (
    <Modal title={t('silences.endTitle')} onClose={onClose} testId="end-silence-dialog">
      <form onSubmit={submit} className="alerts-form">
        <p>{t('silences.endBody', { reason: silence.reason })}</p>
        <label>
          {t('ack.name')}
          <input value={by} onChange={(e) => setBy(e.target.value)} maxLength={100} required data-autofocus />
        </label>
        <ModalFormFoot
          error={error}
          busy={busy}
          onCancel={onClose}
          submitLabel={t('silences.end')}
          submitClass="danger"
          submitTestId="end-silence-submit"
        />
      </form>
    </Modal>
  );
}

export function SilencesPanel() {
  const { t, i18n } = useTranslation('alerts');
  // re-rendered by the ticker and by every push; the later of the two clocks is the current time
  const now = Math.max(useNow(10_000), Date.now());
  const silences = useAlerts((s) => s.silences).filter((s) => isCurrentSilence(s, now));
  const rules = useAlerts((s) => s.rules);
  const [creating, setCreating] = useState(false);
  const [ending, setEnding] = useState<Silence | null>(null);
  const ruleName = (id: string) => rules.find((r) => r.id === id)?.name ?? id;

  return (
    <section className="panel" data-testid="silences">
      <header className="panel-head">
        <h3>{t('silences.title')}</h3>
        <button type="button" onClick={() => setCreating(true)} data-testid="new-silence">
          {t('silences.new')}
        </button>
      </header>
      {silences.length === 0 ? (
        <p className="muted">{t('silences.none')}</p>
      ) : (
        <ul className="plain-list">
          {silences.map((s) => (
            <li key={s.id} className="silence-item" data-testid="silence-row">
              <div>
                <div className="silence-target">
                  {s.ruleId && <strong>{ruleName(s.ruleId)}</strong>}
                  {s.matchers.map((m) => (
                    <code key={formatMatcher(m)} className="label-chip">
                      {formatMatcher(m)}
                    </code>
                  ))}
                  {s.startsAt > now && (
                    <span className="tag">
                      {t('silences.scheduled', { time: formatDateTime(s.startsAt) })}
                    </span>
                  )}
                  {s.source === 'config' && <span className="tag">{t('silences.fromConfig')}</span>}
                </div>
                <div className="muted small">
                  {t('silences.until', {
                    time: formatDateTime(s.endsAt),
                    left: formatRelative(s.endsAt, now, i18n.language),
                  })}
                  {' · '}
                  {t('silences.by', { name: s.createdBy })}
                </div>
                <div className="silence-reason">{s.reason}</div>
              </div>
              {s.source === 'api' && (
                <button type="button" onClick={() => setEnding(s)} data-testid="silence-end">
                  {t('silences.end')}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {creating && <SilenceDialog onClose={() => setCreating(false)} />}
      {ending && <EndSilenceDialog silence={ending} onClose={() => setEnding(null)} />}
    </section>
  );
}

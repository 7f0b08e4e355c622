import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Alert } from '../../../../shared/api/alerts.js';
import { acknowledgeAlert, rememberedOperator, rememberOperator } from '../../stores/alerts.js';
import { formatLabels } from './format.js';
import { Modal, ModalFormFoot } from './Modal.js';

export function AckDialog({ alert, onClose }: { alert: Alert; onClose: () => void }) {
  const { t } = useTranslation('alerts');
  const [by, setBy] = useState(rememberedOperator);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!by.trim()) {
      setError(t('ack.nameRequired'));
      return;
    }
    setBusy(true);
    setError(null);
    const r = await acknowledgeAlert(alert.id, by.trim(), note);
    setBusy(false);
    if (!r.ok) {
      setError(t('error.action', { message: r.error.message }));
      return;
    }
    rememberOperator(by);
    onClose();
  }

  return (
    <Modal title={t('ack.title')} onClose={onClose} testId="ack-dialog">
      <form onSubmit={submit} className="alerts-form">
        <div className="alerts-modal-subject">
          <span className={`sev-dot ${alert.severity}`} />
          <strong>{alert.ruleName}</strong>
          {formatLabels(alert.labels).map((l) => (
            <code key={l} className="label-chip">
              {l}
            </code>
          ))}
        </div>
        <label>
          {t('ack.name')}
          <input
            value={by}
            onChange={(e) => setBy(e.target.value)}
            maxLength={100}
            required
            autoComplete="name"
            data-autofocus={by ? undefined : true}
            data-testid="ack-name"
          />
        </label>
        <label>
          {t('ack.note')}
          <textarea
            value={note}
            onChange={(e) => setNote(e.target.value)}
            maxLength={2000}
            rows={3}
            placeholder={t('ack.notePlaceholder')}
            data-autofocus={by ? true : undefined}
            data-testid="ack-note"
          />
        </label>
        <p className="muted small">{t('ack.hint')}</p>
        <ModalFormFoot
          error={error}
          busy={busy}
          onCancel={onClose}
          submitLabel={t('ack.submit')}
          submitTestId="ack-submit"
        />
      </form>
    </Modal>
  );
}

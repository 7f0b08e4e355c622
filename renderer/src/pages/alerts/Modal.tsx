import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { useModalDialog } from '../../components/useModalDialog.js';

/** A modal on the native <dialog> (useModalDialog), closed also by a press on its backdrop. */
export function Modal({
  title,
  onClose,
  children,
  testId,
  wide = false,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  testId?: string;
  wide?: boolean;
}) {
  const { t } = useTranslation('alerts');
  const { ref, titleId, close } = useModalDialog(onClose);

  return (
    <dialog
      ref={ref}
      className={`alerts-modal${wide ? ' wide' : ''}`}
      aria-labelledby={titleId}
      data-testid={testId}
      onMouseDown={(e) => {
        // a press on the backdrop (the dialog box itself, outside its content) closes it
        if (e.target === ref.current) close();
      }}
    >
      <div className="alerts-modal-body">
        <header className="alerts-modal-head">
          <h2 id={titleId}>{title}</h2>
          <button type="button" className="icon" onClick={() => close()} aria-label={t('dialog.close')}>
            ×
          </button>
        </header>
        {children}
      </div>
    </dialog>
  );
}

/** The end of every dialog form: the error of the last attempt, then cancel and submit. */
export function ModalFormFoot({
  error,
  busy,
  onCancel,
  submitLabel,
  submitClass = 'primary',
  submitTestId,
}: {
  error: string | null;
  busy: boolean;
  onCancel: () => void;
  submitLabel: string;
  submitClass?: 'primary' | 'danger';
  submitTestId: string;
}) {
  const { t } = useTranslation('alerts');
  return (
    <>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <footer className="alerts-modal-foot">
        <button type="button" onClick={onCancel}>
          {t('dialog.cancel')}
        </button>
        <button type="submit" className={submitClass} disabled={busy} data-testid={submitTestId}>
          {submitLabel}
        </button>
      </footer>
    </>
  );
}

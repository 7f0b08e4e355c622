import { type ReactNode, useEffect, useId, useRef } from 'react';
import { useTranslation } from 'react-i18next';

/**
 * A real modal on the native <dialog>: showModal() makes the rest of the page inert and keeps focus
 * inside, Esc closes it (the `cancel` event), and focus goes back to whatever opened it.
 */
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
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) dialog.showModal();
    const autofocus = dialog.querySelector<HTMLElement>('[data-autofocus]');
    autofocus?.focus();
    const onCancel = (e: Event) => {
      e.preventDefault();
      onCloseRef.current();
    };
    dialog.addEventListener('cancel', onCancel);
    return () => {
      dialog.removeEventListener('cancel', onCancel);
      if (dialog.open) dialog.close();
      opener?.focus();
    };
  }, []);

  return (
    <dialog
      ref={ref}
      className={`alerts-modal${wide ? ' wide' : ''}`}
      aria-labelledby={titleId}
      data-testid={testId}
      onMouseDown={(e) => {
        // a press on the backdrop (the dialog box itself, outside its content) closes it
        if (e.target === ref.current) onCloseRef.current();
      }}
    >
      <div className="alerts-modal-body">
        <header className="alerts-modal-head">
          <h2 id={titleId}>{title}</h2>
          <button
            type="button"
            className="icon"
            onClick={() => onCloseRef.current()}
            aria-label={t('dialog.close')}
          >
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

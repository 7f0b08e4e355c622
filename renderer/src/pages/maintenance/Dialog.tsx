import { type ReactNode, useEffect, useId, useRef } from 'react';
import { useTranslation } from 'react-i18next';

/** A modal on the native <dialog>: the page behind is inert, Esc closes, focus returns to the opener. */
export function Dialog({
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
  const { t } = useTranslation('maintenance');
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) dialog.showModal();
    dialog.querySelector<HTMLElement>('[data-autofocus]')?.focus();
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
      className={`maint-dialog${wide ? ' wide' : ''}`}
      aria-labelledby={titleId}
      data-testid={testId}
    >
      <header className="maint-dialog-head">
        <h2 id={titleId}>{title}</h2>
        <button
          type="button"
          className="link"
          onClick={() => onCloseRef.current()}
          aria-label={t('dialog.close')}
        >
          ×
        </button>
      </header>
      {children}
    </dialog>
  );
}

import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { useModalDialog } from '../../components/useModalDialog.js';

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
  const { ref, titleId, close } = useModalDialog(onClose);

  return (
    <dialog
      ref={ref}
      className={`maint-dialog${wide ? ' wide' : ''}`}
      aria-labelledby={titleId}
      data-testid={testId}
    >
      <header className="maint-dialog-head">
        <h2 id={titleId}>{title}</h2>
        <button type="button" className="link" onClick={() => close()} aria-label={t('dialog.close')}>
          ×
        </button>
      </header>
      {children}
    </dialog>
  );
}

import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { browserNotificationsSupported, startAlertUpdates, type Toast, useAlerts } from '../stores/alerts.js';
import '../pages/alerts/alerts.css';

/** Critical toasts stay until dismissed; the others leave on their own. */
const AUTO_DISMISS_MS = { critical: 0, warning: 12_000, info: 8_000 } as const;

function ToastItem({ toast }: { toast: Toast }) {
  const { t } = useTranslation('alerts');
  const dismiss = useAlerts((s) => s.dismissToast);
  useEffect(() => {
    const ms = AUTO_DISMISS_MS[toast.severity];
    if (ms === 0) return;
    const timer = setTimeout(() => dismiss(toast.id), ms);
    return () => clearTimeout(timer);
  }, [toast, dismiss]);
  return (
    <div
      className={`toast ${toast.severity}`}
      role={toast.severity === 'critical' ? 'alert' : 'status'}
      data-testid="toast"
    >
      <div className="toast-text">
        <strong>{toast.title}</strong>
        {toast.body && <p>{toast.body}</p>}
        {toast.alertId && (
          <button
            type="button"
            className="link"
            onClick={() => {
              window.location.hash = '#/alerts';
              dismiss(toast.id);
            }}
          >
            {t('toast.open')}
          </button>
        )}
      </div>
      <button
        type="button"
        className="icon"
        onClick={() => dismiss(toast.id)}
        aria-label={t('toast.dismiss')}
      >
        ×
      </button>
    </div>
  );
}

/**
 * In-page toasts for `notify` pushes (headless mode's desktop notifications) and newly firing alerts,
 * shown over every page. Browser notifications follow when the operator has allowed them.
 */
export function Toasts() {
  const toasts = useAlerts((s) => s.toasts);
  useEffect(() => startAlertUpdates(), []);
  if (toasts.length === 0) return null;
  return (
    <div className="toasts" aria-live="polite">
      {toasts.map((toast) => (
        <ToastItem key={toast.id} toast={toast} />
      ))}
    </div>
  );
}

/** Asks for browser notification permission only when the operator presses it, never on load. */
export function NotificationPermissionButton() {
  const { t } = useTranslation('alerts');
  const [permission, setPermission] = useState<NotificationPermission | 'unsupported'>(() =>
    browserNotificationsSupported() ? Notification.permission : 'unsupported',
  );
  if (permission === 'unsupported') return null;
  if (permission === 'granted') return <span className="muted small">{t('browserNotify.on')}</span>;
  if (permission === 'denied') return <span className="muted small">{t('browserNotify.denied')}</span>;
  return (
    <button
      type="button"
      onClick={() => void Notification.requestPermission().then(setPermission)}
      data-testid="enable-browser-notifications"
    >
      {t('browserNotify.enable')}
    </button>
  );
}

import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { BotStatus } from '../../../../shared/api/bots.js';
import { type BotAction, runBotAction, useBots } from '../../stores/bots.js';

const ACTOR_KEY = 'nexus-ops.operator';

function rememberedActor(): string {
  try {
    return localStorage.getItem(ACTOR_KEY) ?? '';
  } catch {
    return '';
  }
}

/**
 * Asks before a start, stop or restart (native <dialog>: the page behind is inert, Esc cancels), with an
 * optional reason and the operator's name for the audit trail. Closes when the action is done; an
 * error stays in the dialog.
 */
export function ConfirmBotAction({
  bot,
  action,
  graceSeconds,
  onClose,
}: {
  bot: BotStatus;
  action: BotAction;
  graceSeconds: number;
  onClose: () => void;
}) {
  const { t } = useTranslation('bots');
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [reason, setReason] = useState('');
  const [actor, setActor] = useState(rememberedActor);
  const busy = useBots((s) => s.busy[bot.id] !== undefined);
  const error = useBots((s) => s.actionError[bot.id]);
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) dialog.showModal();
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

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      if (actor.trim()) localStorage.setItem(ACTOR_KEY, actor.trim());
    } catch {
      // storage may be disabled: the name is asked again next time
    }
    if (await runBotAction(bot.id, action, actor, reason)) onClose();
  };

  return (
    <dialog ref={ref} className="bots-dialog" aria-labelledby={titleId} data-testid="bot-confirm">
      <form onSubmit={(e) => void submit(e)}>
        <h2 id={titleId}>{t(`confirm.title.${action}`, { name: bot.name })}</h2>
        <p>{t(`confirm.body.${action}`, { grace: graceSeconds })}</p>
        {action === 'stop' && bot.start === 'always' && (
          <p className="muted small">{t('confirm.stopAlways')}</p>
        )}
        <label>
          {t('confirm.reason')}
          <input
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            placeholder={t('confirm.reasonPlaceholder')}
            maxLength={500}
            data-testid="bot-confirm-reason"
          />
        </label>
        <label>
          {t('confirm.actor')}
          <input
            value={actor}
            onChange={(e) => setActor(e.target.value)}
            placeholder={t('confirm.actorPlaceholder')}
            maxLength={100}
          />
        </label>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <footer>
          <button type="button" onClick={onClose}>
            {t('confirm.cancel')}
          </button>
          <button
            type="submit"
            className={action === 'start' ? 'primary' : 'danger'}
            disabled={busy}
            data-testid="bot-confirm-submit"
          >
            {busy ? t('action.busy') : t(`confirm.submit.${action}`)}
          </button>
        </footer>
      </form>
    </dialog>
  );
}

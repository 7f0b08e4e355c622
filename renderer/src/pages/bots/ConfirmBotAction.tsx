import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { BotStatus } from '../../../../shared/api/bots.js';
import { useModalDialog } from '../../components/useModalDialog.js';
import { type BotAction, runBotAction, useBots } from '../../stores/bots.js';
import { rememberedOperator, rememberOperator } from '../../stores/operator.js';

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
  const { ref, titleId } = useModalDialog(onClose);
  const [reason, setReason] = useState('');
  const [actor, setActor] = useState(rememberedOperator);
  const busy = useBots((s) => s.busy[bot.id] !== undefined);
  const error = useBots((s) => s.actionError[bot.id]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    rememberOperator(actor);
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

import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { BotState, BotStatus } from '../../../../shared/api/bots.js';
import { formatDateTime, formatTime } from '../../i18n/index.js';
import { type BotAction, useBots } from '../../stores/bots.js';
import { BotOutput } from './BotOutput.js';
import { ConfirmBotAction } from './ConfirmBotAction.js';
import { exitErrorText } from './exit-text.js';
import { formatDuration } from './format.js';

export const STATE_CLASS: Record<BotState, string> = {
  running: 'ok',
  starting: 'active',
  stopping: 'active',
  stopped: 'idle',
  backoff: 'warning',
  errored: 'critical',
  held: 'stopped',
  disabled: 'idle',
};

/** Which buttons a bot offers in its state (supervised bots only; the emergency stop's hold blocks starts). */
function actionsFor(bot: BotStatus): Record<BotAction, boolean> {
  if (bot.mode !== 'supervised' || !bot.enabled) return { start: false, stop: false, restart: false };
  const running = bot.state === 'running' || bot.state === 'starting';
  return {
    start: !bot.held && (bot.state === 'stopped' || bot.state === 'errored' || bot.state === 'backoff'),
    stop: running || bot.state === 'backoff',
    restart: !bot.held && (running || bot.state === 'stopped' || bot.state === 'errored'),
  };
}

export function BotCard({ bot, now }: { bot: BotStatus; now: number }) {
  const { t } = useTranslation('bots');
  const [confirm, setConfirm] = useState<BotAction | null>(null);
  const [showOutput, setShowOutput] = useState(false);
  const busy = useBots((s) => s.busy[bot.id]);
  const error = useBots((s) => s.actionError[bot.id]);
  const allowed = actionsFor(bot);
  const exit = bot.lastExit;
  const u = bot.unstable;

  return (
    <article
      className={`bot-card ${STATE_CLASS[bot.state]}`}
      data-testid="bot-card"
      data-bot={bot.id}
      data-state={bot.state}
    >
      <header className="bot-head">
        <div className="bot-title">
          <h3>{bot.name}</h3>
          <code className="muted">{bot.id}</code>
          <span className="bot-tag">{t(`mode.${bot.mode}`)}</span>
          {bot.start && <span className="bot-tag">{t(`start.${bot.start}`)}</span>}
        </div>
        <span className={`bot-state ${STATE_CLASS[bot.state]}`} data-testid="bot-state">
          {t(`state.${bot.state}`)}
        </span>
      </header>

      {bot.state === 'errored' && bot.erroredAt !== null && (
        <p className="banner critical small" role="alert">
          {t('errored', { count: u.count, seconds: u.minUptimeSeconds, time: formatDateTime(bot.erroredAt) })}
        </p>
      )}
      {bot.operatorStopped && bot.state === 'stopped' && (
        <p className="muted small">{t('operatorStopped')}</p>
      )}
      {bot.orphaned && <p className="banner warning small">{t('orphaned')}</p>}
      {bot.problem && bot.state !== 'running' && (
        <p className="form-error small" data-testid="bot-problem">
          {t('problem', { message: bot.problem })}
        </p>
      )}

      <dl className="bot-fields">
        <dt>{t('field.pid')}</dt>
        <dd data-testid="bot-pid">{bot.pid ?? '—'}</dd>
        <dt>{t('field.uptime')}</dt>
        <dd data-testid="bot-uptime">
          {bot.startedAt !== null ? formatDuration(now - bot.startedAt, t) : '—'}
        </dd>
        <dt>{t('field.processes')}</dt>
        <dd>{bot.processes}</dd>
        {bot.mode === 'supervised' && (
          <>
            <dt>{t('field.restarts')}</dt>
            <dd data-testid="bot-restarts">
              {bot.restarts.since !== null
                ? t('restartsSince', { count: bot.restarts.count, since: formatDateTime(bot.restarts.since) })
                : t('restartsCount', { count: bot.restarts.count })}
            </dd>
            <dt>{t('field.crashLoop')}</dt>
            <dd
              data-testid="bot-unstable"
              title={t('unstableHint', { max: u.max, seconds: u.minUptimeSeconds })}
            >
              {u.count > 0 && u.since !== null && u.last !== null
                ? t('unstable', {
                    count: u.count,
                    max: u.max,
                    from: formatTime(u.since),
                    to: formatTime(u.last),
                  })
                : t('unstableNone', { max: u.max })}
            </dd>
          </>
        )}
        {bot.nextRestartAt !== null && (
          <>
            <dt>{t('field.nextRestart')}</dt>
            <dd>
              {t('nextRestart', {
                time: formatTime(bot.nextRestartAt),
                delay: formatDuration(bot.nextRestartAt - now, t),
              })}
            </dd>
          </>
        )}
        {bot.schedule && (
          <>
            <dt>{t('field.nextRun')}</dt>
            <dd data-testid="bot-next-run">
              {bot.schedule.nextRunAt !== null
                ? t('nextRun', { time: formatDateTime(bot.schedule.nextRunAt), zone: bot.schedule.timezone })
                : '—'}{' '}
              <code className="muted">{bot.schedule.cron}</code>
            </dd>
          </>
        )}
        {bot.timeoutMinutes !== null && (
          <>
            <dt>{t('field.timeout')}</dt>
            <dd>{t('timeoutMinutes', { minutes: bot.timeoutMinutes })}</dd>
          </>
        )}
        <dt>{t('field.lastExit')}</dt>
        <dd data-testid="bot-last-exit">
          {exit ? (
            <>
              <span className={`bot-outcome ${exit.outcome}`}>{t(`outcome.${exit.outcome}`)}</span>
              {exit.code !== null && ` · ${t('exitCode', { code: exit.code })}`}
              {exit.signal && ` · ${t('exitSignal', { signal: exit.signal })}`}
              <span className="muted">
                {' · '}
                {t('exitDetail', {
                  time: formatDateTime(exit.at),
                  duration: formatDuration(exit.uptimeMs, t),
                })}
              </span>
              {exit.error && <div className="muted small">{exitErrorText(exit.error, t)}</div>}
            </>
          ) : (
            '—'
          )}
        </dd>
        {bot.command && (
          <>
            <dt>{t('field.command')}</dt>
            <dd>
              <code className="bot-command">{bot.command}</code>
            </dd>
          </>
        )}
      </dl>

      <footer className="bot-foot">
        {bot.mode === 'supervised' && (
          <div className="bot-actions">
            {(['start', 'stop', 'restart'] as const).map((action) => (
              <button
                key={action}
                type="button"
                className={action === 'start' ? 'primary' : action === 'stop' ? 'danger' : ''}
                disabled={!allowed[action] || busy !== undefined}
                onClick={() => setConfirm(action)}
                data-testid={`bot-${action}`}
              >
                {busy === action ? t('action.busy') : t(`action.${action}`)}
              </button>
            ))}
          </div>
        )}
        <div className="bot-links">
          {bot.mode === 'supervised' && (
            <button
              type="button"
              className="link"
              aria-expanded={showOutput}
              onClick={() => setShowOutput((v) => !v)}
              data-testid="bot-output-toggle"
            >
              {showOutput ? t('output.hide') : t('output.show')}
            </button>
          )}
          <a href={`#/logs?bot=${encodeURIComponent(bot.id)}`} data-testid="bot-logs-link">
            {t('logs')}
          </a>
        </div>
      </footer>
      {error && !confirm && (
        <p className="form-error small" role="alert">
          {error}
        </p>
      )}
      {showOutput && (
        <section className="bot-output-panel" aria-label={t('output.title')}>
          <h4>{t('output.title')}</h4>
          <BotOutput id={bot.id} />
        </section>
      )}
      {confirm && (
        <ConfirmBotAction
          bot={bot}
          action={confirm}
          graceSeconds={bot.stopGraceSeconds ?? 10}
          onClose={() => setConfirm(null)}
        />
      )}
    </article>
  );
}

import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { TelemetryView } from '../../components/telemetry/index.js';
import { formatDateTime } from '../../i18n/index.js';
import { startBotUpdates, useBots } from '../../stores/bots.js';
import { BotCard } from './BotCard.js';
import { useNow } from './format.js';
import './bots.css';

/** Every bot: its state, uptime, restarts and crash-loop window, last exit, output; start / stop / restart. */
export function BotsPage() {
  const { t } = useTranslation('bots');
  useEffect(() => startBotUpdates(), []);
  const loaded = useBots((s) => s.loaded);
  const error = useBots((s) => s.error);
  const order = useBots((s) => s.order);
  const bots = useBots((s) => s.bots);
  const held = useBots((s) => s.held);
  const heldSince = useBots((s) => s.heldSince);
  const now = useNow();

  return (
    <div className="page bots-page" data-testid="bots-page">
      {held && (
        <div className="banner bots-held" role="status" data-testid="bots-held">
          {t('held', { time: heldSince !== null ? formatDateTime(heldSince) : '—' })}
        </div>
      )}
      <section className="panel">
        <header className="panel-head">
          <h3>{t('title')}</h3>
          {loaded && <span className="muted small">{t('summary', { count: order.length })}</span>}
        </header>
        {error && (
          <p className="form-error" role="alert">
            {t('loadError', { message: error })}
          </p>
        )}
        {!loaded && !error && <p className="muted">{t('loading')}</p>}
        {loaded && order.length === 0 && <p className="muted">{t('none')}</p>}
      </section>
      <div className="bot-list">
        {order.map((id) => {
          const bot = bots[id];
          return bot ? <BotCard key={id} bot={bot} now={now} /> : null;
        })}
      </div>
      {/* What the bots' output says: KPIs, the API cost against the budget, the dead-man's switch. */}
      <TelemetryView />
    </div>
  );
}

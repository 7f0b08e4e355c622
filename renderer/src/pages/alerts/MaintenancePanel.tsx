import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import type { MaintenanceWindowStatus } from '../../../../shared/api/alerts.js';
import { formatDateTime } from '../../i18n/index.js';
import { useAlerts } from '../../stores/alerts.js';
import { type CronDescription, describeCron, formatRelative, formatSpan, useNow } from './format.js';

function scheduleText(d: CronDescription, t: TFunction<'alerts'>): string {
  const day = (n: number) => t(`weekday.${n}`);
  const s = d.schedule;
  let when: string;
  switch (s.kind) {
    case 'daily':
      when = t('cron.daily');
      break;
    case 'weekly':
      when = t('cron.weekly', { days: s.weekdays.map(day).join(t('cron.daySeparator')) });
      break;
    case 'nthWeekday':
      when = t('cron.nthWeekday', { nth: t(`cron.nth.${s.nth}`), day: day(s.weekday) });
      break;
    case 'lastWeekday':
      when = t('cron.lastWeekday', { day: day(s.weekday) });
      break;
    case 'monthDay':
      when = t('cron.monthDay', { day: s.day });
      break;
  }
  const end = d.endsNextDay ? t('cron.nextDay', { time: d.end }) : d.end;
  return t('cron.window', { when, start: d.start, end });
}

/** "毎週日曜 02:00-04:00" when the cron has a common shape, else the cron text and the duration. */
export function windowScheduleText(w: MaintenanceWindowStatus, t: TFunction<'alerts'>, lang: string): string {
  const d = describeCron(w.cron, w.durationMinutes);
  if (d) return scheduleText(d, t);
  return t('cron.raw', { cron: w.cron, duration: formatSpan(w.durationMinutes * 60_000, lang) });
}

function localZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

export function MaintenancePanel() {
  const { t, i18n } = useTranslation('alerts');
  const windows = useAlerts((s) => s.maintenance);
  const now = useNow(30_000);

  return (
    <section className="panel" data-testid="maintenance-windows">
      <header className="panel-head">
        <h3>{t('maintenance.title')}</h3>
        <span className="muted small">{t('maintenance.hint')}</span>
      </header>
      {windows.length === 0 ? (
        <p className="muted">{t('maintenance.none')}</p>
      ) : (
        <ul className="plain-list">
          {windows.map((w) => (
            <li
              key={w.id}
              className={`window-item${w.active ? ' active' : ''}${w.enabled ? '' : ' disabled'}`}
              data-testid="maintenance-row"
            >
              <div>
                <div className="window-name">
                  <strong>{w.name || w.id}</strong>
                  {w.active && <span className="pill state-maintenance">{t('maintenance.activeNow')}</span>}
                  {!w.enabled && <span className="tag">{t('maintenance.disabled')}</span>}
                </div>
                <div className="window-schedule" title={w.cron}>
                  {windowScheduleText(w, t, i18n.language)}
                  {w.timezone !== localZone() && <span className="muted small"> ({w.timezone})</span>}
                </div>
              </div>
              <div className="window-when muted small">
                {w.active && w.lastEnd !== null && (
                  <div>
                    {t('maintenance.endsAt', {
                      time: formatDateTime(w.lastEnd),
                      rel: formatRelative(w.lastEnd, now, i18n.language),
                    })}
                  </div>
                )}
                {w.enabled && w.nextStart !== null && (
                  <div>
                    {t('maintenance.nextStart', {
                      time: formatDateTime(w.nextStart),
                      rel: formatRelative(w.nextStart, now, i18n.language),
                    })}
                  </div>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

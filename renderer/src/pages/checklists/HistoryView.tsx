import { useTranslation } from 'react-i18next';
import { formatDateTime } from '../../i18n/index.js';
import { useChecklists } from '../../stores/checklists.js';
import { EvidenceList } from './ChecklistsPage.js';
import { bi, hhmm } from './text.js';

/** Completion per day and week, who ticked, what was missed, the evidence at the time. */
export function HistoryView() {
  const { t } = useTranslation('checklists');
  const history = useChecklists((s) => s.history);
  if (!history) return <p className="muted">{t('loading')}</p>;
  const days = [...history.days].reverse();
  return (
    <>
      <section className="panel">
        <header className="panel-head">
          <h3>{t('history.weeks')}</h3>
        </header>
        <table className="history-table" data-testid="history-weeks">
          <thead>
            <tr>
              <th>{t('history.week')}</th>
              <th>{t('history.slots')}</th>
              <th>{t('history.items')}</th>
            </tr>
          </thead>
          <tbody>
            {history.weeks
              .filter((w) => w.slots > 0)
              .map((w) => (
                <tr key={w.weekStart}>
                  <td>{w.weekStart}</td>
                  <td>{t('history.slotsValue', { complete: w.slotsComplete, total: w.slots })}</td>
                  <td>{w.total ? `${Math.round((w.done / w.total) * 100)}% (${w.done}/${w.total})` : '-'}</td>
                </tr>
              ))}
          </tbody>
        </table>
      </section>
      <section className="panel">
        <header className="panel-head">
          <h3>{t('history.days')}</h3>
          <span className="muted">{history.timezone}</span>
        </header>
        <table className="history-table" data-testid="history-days">
          <thead>
            <tr>
              <th>{t('history.date')}</th>
              <th>{t('history.slot')}</th>
              <th>{t('history.result')}</th>
              <th>{t('history.who')}</th>
              <th>{t('history.missed')}</th>
            </tr>
          </thead>
          <tbody>
            {days.flatMap((d) =>
              d.slots.map((s, i) => (
                <tr
                  key={s.instanceId}
                  data-testid="history-slot"
                  data-instance={s.instanceId}
                  data-state={s.state}
                >
                  <td>{i === 0 ? d.date : ''}</td>
                  <td>
                    {bi(s.name)} <span className="muted">{hhmm(s.slotAt)}</span>
                  </td>
                  <td>
                    <span className={`state ${s.state}`}>{t(`state.${s.state}`)}</span> {s.done}/{s.total}
                  </td>
                  <td>
                    {s.ticks.length === 0 ? (
                      <span className="muted">-</span>
                    ) : (
                      <details>
                        <summary>{[...new Set(s.ticks.map((k) => k.by))].join(', ')}</summary>
                        <ul className="evidence">
                          {s.ticks.map((k) => (
                            <li key={`${k.itemId}:${k.at}:${k.action}`} style={{ flexDirection: 'column' }}>
                              <span>
                                {t(k.action === 'tick' ? 'last.tick' : 'last.untick', {
                                  by: k.by,
                                  time: formatDateTime(k.at),
                                })}{' '}
                                · {k.itemId}
                                {k.note && <q> {k.note}</q>}
                              </span>
                              <EvidenceList evidence={k.evidence} />
                            </li>
                          ))}
                        </ul>
                      </details>
                    )}
                  </td>
                  <td>
                    {s.state === 'upcoming'
                      ? ''
                      : s.missed.map((m) => bi(m.text)).join('、') || <span className="muted">-</span>}
                  </td>
                </tr>
              )),
            )}
          </tbody>
        </table>
      </section>
    </>
  );
}

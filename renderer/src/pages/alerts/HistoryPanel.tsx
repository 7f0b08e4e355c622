import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Alert, AlertState, AlertTransition } from '../../../../shared/api/alerts.js';
import type { AlertSeverity } from '../../../../shared/config/alerts.js';
import { api } from '../../api/client.js';
import { AlertLogsLink } from '../../components/alerts/AlertLogsLink.js';
import { formatDateTime } from '../../i18n/index.js';
import { SEVERITY_ORDER, useAlerts } from '../../stores/alerts.js';
import { StatePill } from './ActiveAlerts.js';
import { formatLabels, formatSpan, formatValue } from './format.js';
import { Modal } from './Modal.js';

const PAGE_SIZE = 50;
const RANGES = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000, all: 0 };
type RangeId = keyof typeof RANGES;
const STATE_FILTERS = ['firing', 'acknowledged', 'resolved', 'pending', 'inactive'] as const;

interface Filters {
  range: RangeId;
  severity: AlertSeverity | '';
  ruleId: string;
  state: (typeof STATE_FILTERS)[number] | '';
}

function EventsDialog({ alert, onClose }: { alert: Alert; onClose: () => void }) {
  const { t, i18n } = useTranslation('alerts');
  const [events, setEvents] = useState<AlertTransition[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    void api.call('alerts.events', { alertId: alert.id }).then((r) => {
      if (!live) return;
      if (r.ok) setEvents(r.value.events);
      else setError(r.error.message);
    });
    return () => {
      live = false;
    };
  }, [alert.id]);

  return (
    <Modal title={t('events.title', { rule: alert.ruleName })} onClose={onClose} testId="events-dialog" wide>
      <p className="events-subject">
        <StatePill state={alert.state} />
        <code className="series">{alert.seriesKey}</code>
        <span className="muted">{formatDateTime(alert.startedAt)}</span>
        <AlertLogsLink alert={alert} />
      </p>
      {error && <p className="form-error">{t('error.load', { message: error })}</p>}
      {events === null && !error && <p className="muted">{t('active.loading')}</p>}
      {events && (
        <div className="table-scroll">
          <table className="history-table events-table">
            <thead>
              <tr>
                <th>{t('events.time')}</th>
                <th>{t('events.type')}</th>
                <th>{t('events.value')}</th>
                <th>{t('events.actor')}</th>
                <th>{t('events.detail')}</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.seq}>
                  <td className="nowrap">{formatDateTime(e.ts)}</td>
                  <td>{t(`transition.${e.type}`, { defaultValue: e.type })}</td>
                  <td className="nowrap">
                    {e.value === null ? '' : formatValue(e.value, alert.metric, i18n.language)}
                  </td>
                  <td>{e.actor ?? ''}</td>
                  <td className="detail-cell">{e.detail ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Modal>
  );
}

/** Past and present alerts with filters and paging; the first page follows alert pushes. */
export function HistoryPanel() {
  const { t, i18n } = useTranslation('alerts');
  const rules = useAlerts((s) => s.rules);
  const changeSeq = useAlerts((s) => s.changeSeq);
  const [filters, setFilters] = useState<Filters>({ range: '24h', severity: '', ruleId: '', state: '' });
  /** `before` cursors of the pages after the first (startedAt of the last row of the page before). */
  const [cursors, setCursors] = useState<number[]>([]);
  const [rows, setRows] = useState<Alert[]>([]);
  const [hasMore, setHasMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [detail, setDetail] = useState<Alert | null>(null);

  const before = cursors.at(-1);
  // Only the first page moves with new events; older pages stay still while the operator reads them.
  const followSeq = before === undefined ? changeSeq : -1;

  useEffect(() => {
    let live = true;
    const span = RANGES[filters.range];
    // followSeq is what makes this refetch on pushes; a short delay folds bursts into one request.
    const timer = setTimeout(
      () => {
        void api
          .call('alerts.history', {
            limit: PAGE_SIZE + 1,
            includeInactive: filters.state === 'inactive',
            ...(span > 0 ? { from: Date.now() - span } : {}),
            ...(before !== undefined ? { before } : {}),
            ...(filters.severity ? { severity: filters.severity } : {}),
            ...(filters.ruleId ? { ruleId: filters.ruleId } : {}),
            ...(filters.state ? { states: [filters.state as AlertState] } : {}),
          })
          .then((r) => {
            if (!live) return;
            setLoading(false);
            if (!r.ok) {
              setError(r.error.message);
              return;
            }
            setError(null);
            setRows(r.value.alerts.slice(0, PAGE_SIZE));
            setHasMore(r.value.alerts.length > PAGE_SIZE);
          });
      },
      followSeq > 0 ? 400 : 0,
    );
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [filters, before, followSeq]);

  function setFilter<K extends keyof Filters>(key: K, value: Filters[K]) {
    setFilters((f) => ({ ...f, [key]: value }));
    setCursors([]);
  }

  const lastRow = rows.at(-1);
  return (
    <section className="panel" data-testid="alert-history">
      <header className="panel-head">
        <h3>{t('history.title')}</h3>
      </header>
      <div className="filters">
        <label>
          {t('history.range')}
          <select
            value={filters.range}
            onChange={(e) => setFilter('range', e.target.value as RangeId)}
            data-testid="history-range"
          >
            {(Object.keys(RANGES) as RangeId[]).map((r) => (
              <option key={r} value={r}>
                {t(`history.ranges.${r}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('history.severity')}
          <select
            value={filters.severity}
            onChange={(e) => setFilter('severity', e.target.value as Filters['severity'])}
            data-testid="history-severity"
          >
            <option value="">{t('history.all')}</option>
            {SEVERITY_ORDER.map((s) => (
              <option key={s} value={s}>
                {t(`severity.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('history.rule')}
          <select
            value={filters.ruleId}
            onChange={(e) => setFilter('ruleId', e.target.value)}
            data-testid="history-rule"
          >
            <option value="">{t('history.all')}</option>
            {rules.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('history.state')}
          <select
            value={filters.state}
            onChange={(e) => setFilter('state', e.target.value as Filters['state'])}
            data-testid="history-state"
          >
            <option value="">{t('history.all')}</option>
            {STATE_FILTERS.map((s) => (
              <option key={s} value={s}>
                {t(`state.${s}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {error && (
        <p className="form-error" role="alert">
          {t('error.load', { message: error })}
        </p>
      )}
      <div className="table-scroll">
        <table className="history-table" data-testid="history-table">
          <thead>
            <tr>
              <th>{t('history.started')}</th>
              <th>{t('history.severity')}</th>
              <th>{t('history.rule')}</th>
              <th>{t('history.series')}</th>
              <th>{t('history.value')}</th>
              <th>{t('history.state')}</th>
              <th>{t('history.ack')}</th>
              <th>{t('history.duration')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((a) => (
              <tr
                key={a.id}
                className="clickable"
                onClick={() => setDetail(a)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') setDetail(a);
                }}
                tabIndex={0}
                data-testid="history-row"
              >
                <td className="nowrap">{formatDateTime(a.startedAt)}</td>
                <td className="nowrap">
                  <span className={`sev-dot ${a.severity}`} /> {t(`severity.${a.severity}`)}
                </td>
                <td className="nowrap">{a.ruleName}</td>
                <td>
                  <code className="series">{a.metric}</code>
                  {formatLabels(a.labels).map((l) => (
                    <code key={l} className="label-chip">
                      {l}
                    </code>
                  ))}
                </td>
                <td className="nowrap">
                  {formatValue(a.value, a.metric, i18n.language)}{' '}
                  <span className="muted">
                    {a.op} {formatValue(a.threshold, a.metric, i18n.language)}
                  </span>
                </td>
                <td>
                  <StatePill state={a.state} />
                </td>
                <td>{a.ackBy ?? ''}</td>
                <td className="nowrap">
                  {a.resolvedAt !== null ? (
                    formatSpan(a.resolvedAt - a.startedAt, i18n.language)
                  ) : a.state === 'inactive' ? (
                    ''
                  ) : (
                    <span className="muted">{t('history.ongoing')}</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!loading && rows.length === 0 && !error && <p className="muted">{t('history.none')}</p>}
      <footer className="pager">
        <button
          type="button"
          disabled={cursors.length === 0}
          onClick={() => setCursors((c) => c.slice(0, -1))}
          data-testid="history-newer"
        >
          {t('history.newer')}
        </button>
        <span className="muted small">{t('history.page', { page: cursors.length + 1 })}</span>
        <button
          type="button"
          disabled={!hasMore || !lastRow}
          onClick={() => lastRow && setCursors((c) => [...c, lastRow.startedAt])}
          data-testid="history-older"
        >
          {t('history.older')}
        </button>
      </footer>
      {detail && <EventsDialog alert={detail} onClose={() => setDetail(null)} />}
    </section>
  );
}

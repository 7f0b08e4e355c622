import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type {
  ChecklistInstance,
  ChecklistItemView,
  EvidenceResult,
} from '../../../../shared/api/checklists.js';
import { formatDateTime } from '../../i18n/index.js';
import { rememberedOperator, rememberOperator } from '../../stores/alerts.js';
import {
  confirmPassing,
  loadHistory,
  loadToday,
  startChecklistUpdates,
  tickItem,
  untickItem,
  useChecklists,
} from '../../stores/checklists.js';
import { useSubRoute } from '../incidents/route.js';
import { HistoryView } from './HistoryView.js';
import { bi, hhmm } from './text.js';
import './opsday.css';

export function EvidenceList({ evidence }: { evidence: readonly EvidenceResult[] }) {
  const { t } = useTranslation('checklists');
  if (evidence.length === 0) return null;
  return (
    <ul className="evidence" data-testid="evidence">
      {evidence.map((e) => (
        <li key={`${e.source}:${bi(e.label)}`} data-source={e.source} data-verdict={e.verdict}>
          <span className={`verdict ${e.verdict}`}>{t(`verdict.${e.verdict}`)}</span>
          <span className="muted">{bi(e.label)}:</span>
          <span>{bi(e.text)}</span>
          {e.condition && <span className="muted">({t('condition', { condition: e.condition })})</span>}
        </li>
      ))}
    </ul>
  );
}

function ItemRow({
  instance,
  item,
  note,
  disabled,
}: {
  instance: ChecklistInstance;
  item: ChecklistItemView;
  note: string;
  disabled: boolean;
}) {
  const { t } = useTranslation('checklists');
  return (
    <li
      className={`checklist-item${item.done ? ' done' : ''}`}
      data-testid="checklist-item"
      data-item={item.id}
      data-done={item.done}
    >
      <input
        type="checkbox"
        checked={item.done}
        disabled={disabled}
        aria-label={bi(item.text)}
        data-testid="checklist-tick"
        onChange={() =>
          void (item.done ? untickItem(instance.id, item.id, note) : tickItem(instance.id, item.id, note))
        }
      />
      <div>
        <div>{bi(item.text)}</div>
        <EvidenceList evidence={item.evidence} />
        {item.last && (
          <div className="muted" data-testid="checklist-last">
            {t(item.last.action === 'tick' ? 'last.tick' : 'last.untick', {
              by: item.last.by,
              time: formatDateTime(item.last.at),
            })}
            {item.last.note && <q> {item.last.note}</q>}
          </div>
        )}
      </div>
      <span className={`verdict ${item.verdict}`} data-testid="item-verdict">
        {t(`itemVerdict.${item.verdict}`)}
      </span>
    </li>
  );
}

export function InstanceCard({ instance }: { instance: ChecklistInstance }) {
  const { t } = useTranslation('checklists');
  const busy = useChecklists((s) => s.busy[instance.id] ?? false);
  const error = useChecklists((s) => s.actionError[instance.id]);
  const [note, setNote] = useState('');
  const closed = instance.state === 'missed' || instance.state === 'upcoming';
  const passing = instance.items.filter((i) => !i.done && i.verdict === 'pass').length;
  let group = '';
  return (
    <section
      className="panel checklist"
      data-testid="checklist"
      data-instance={instance.id}
      data-state={instance.state}
    >
      <header className="panel-head">
        <h3>{bi(instance.name)}</h3>
        <span className={`state ${instance.state}`} data-testid="checklist-state">
          {t(`state.${instance.state}`)}
        </span>
        <span className="muted">
          {instance.localDate} {instance.localTime} ·{' '}
          {t('progress', { done: instance.done, total: instance.total })}
          {instance.state !== 'done' && ` · ${t('due', { time: hhmm(instance.dueAt) })}`}
          {instance.remindedAt && ` · ${t('reminded', { time: hhmm(instance.remindedAt) })}`}
        </span>
      </header>
      <div className="progress" aria-hidden>
        <span style={{ width: `${instance.total ? (instance.done / instance.total) * 100 : 0}%` }} />
      </div>
      <div className="muted">{t('source', { source: instance.source })}</div>
      <ul className="checklist-items">
        {instance.items.map((item) => {
          const head = bi(item.group);
          const showHead = head !== group;
          group = head;
          return (
            <li key={item.id} style={{ listStyle: 'none' }}>
              {showHead && head && <h4 className="group-head">{head}</h4>}
              <ul className="checklist-items">
                <ItemRow
                  instance={instance}
                  item={item}
                  note={note}
                  disabled={busy || instance.state === 'missed'}
                />
              </ul>
            </li>
          );
        })}
      </ul>
      {!closed && (
        <div className="row">
          <input
            value={note}
            onChange={(e) => setNote(e.target.value)}
            placeholder={t('notePlaceholder')}
            aria-label={t('notePlaceholder')}
            style={{ flex: 1 }}
          />
          <button
            type="button"
            className="primary"
            disabled={busy || passing === 0}
            onClick={() => void confirmPassing(instance.id)}
            data-testid="confirm-passing"
            title={t('confirmPassingHelp')}
          >
            {t('confirmPassing', { count: passing })}
          </button>
        </div>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {instance.evidenceMs !== null && (
        <div className="muted">{t('evidenceMs', { ms: instance.evidenceMs })}</div>
      )}
    </section>
  );
}

function OperatorName() {
  const { t } = useTranslation('checklists');
  const [name, setName] = useState(rememberedOperator());
  return (
    <label className="row">
      <span className="muted">{t('operator')}</span>
      <input
        value={name}
        onChange={(e) => {
          setName(e.target.value);
          rememberOperator(e.target.value);
        }}
        placeholder={t('operatorPlaceholder')}
        data-testid="operator-name"
      />
    </label>
  );
}

function TodayView() {
  const { t } = useTranslation('checklists');
  const today = useChecklists((s) => s.today);
  const loadError = useChecklists((s) => s.loadError);
  if (loadError) return <p className="form-error">{loadError}</p>;
  if (!today) return <p className="muted">{t('loading')}</p>;
  return (
    <>
      <div className="row muted">
        <span data-testid="checklist-date">{t('today', { date: today.date, zone: today.timezone })}</span>
        {today.next && (
          <span data-testid="checklist-next">
            {' · '}
            {t('next', { name: bi(today.next.name), time: formatDateTime(today.next.at) })}
          </span>
        )}
      </div>
      {today.instances.map((i) => (
        <InstanceCard key={i.id} instance={i} />
      ))}
    </>
  );
}

export function ChecklistsPage() {
  const { t } = useTranslation('checklists');
  const route = useSubRoute();
  const tab = route.path[0] === 'history' ? 'history' : 'today';
  useEffect(() => startChecklistUpdates(), []);
  useEffect(() => {
    if (tab === 'history') void loadHistory(14);
    else void loadToday();
  }, [tab]);
  return (
    <div className="page ops" data-testid="checklists-page">
      <div className="row">
        <nav className="tabs">
          <a href="#/checklists" className={tab === 'today' ? 'active' : ''} data-testid="tab-today">
            {t('tab.today')}
          </a>
          <a
            href="#/checklists/history"
            className={tab === 'history' ? 'active' : ''}
            data-testid="tab-history"
          >
            {t('tab.history')}
          </a>
        </nav>
        <span className="spacer" />
        <OperatorName />
      </div>
      {tab === 'today' ? <TodayView /> : <HistoryView />}
    </div>
  );
}

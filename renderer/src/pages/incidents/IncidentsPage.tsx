import { type ReactNode, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  type Incident,
  type IncidentSummary,
  incidentCategories,
  postIncidentSteps,
} from '../../../../shared/api/incidents.js';
import { highlightRanges } from '../../../../shared/search/index.js';
import { api } from '../../api/client.js';
import { formatDateTime } from '../../i18n/index.js';
import { rememberedOperator } from '../../stores/alerts.js';
import { loadRunbooks, searchIncidents, startIncidentUpdates, useIncidents } from '../../stores/incidents.js';
import { bi } from '../checklists/text.js';
import { RunbookView } from '../runbooks/RunbookView.js';
import { links, useSubRoute } from './route.js';
import '../checklists/opsday.css';

function Highlight({ text, terms }: { text: string; terms: readonly string[] }) {
  const ranges = highlightRanges(text, terms);
  if (ranges.length === 0) return <>{text}</>;
  const out: ReactNode[] = [];
  let at = 0;
  for (const [from, to] of ranges) {
    if (from > at) out.push(text.slice(at, from));
    out.push(<mark key={from}>{text.slice(from, to)}</mark>);
    at = to;
  }
  out.push(text.slice(at));
  return <>{out}</>;
}

function categoryLabel(id: string): string {
  const c = incidentCategories.find((x) => x.id === id);
  return c ? bi(c) : id;
}

function SearchView() {
  const { t } = useTranslation('incidents');
  const query = useIncidents((s) => s.query);
  const results = useIncidents((s) => s.results);
  const terms = useIncidents((s) => s.terms);
  const [text, setText] = useState(query);
  return (
    <section className="panel">
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          void searchIncidents(text);
        }}
      >
        <input
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder={t('search.placeholder')}
          aria-label={t('search.placeholder')}
          data-testid="incident-search"
          style={{ flex: 1 }}
        />
        <button type="submit" className="primary" data-testid="incident-search-button">
          {t('search.button')}
        </button>
        <a href={links.runbooks()}>{t('runbooks')}</a>
      </form>
      <p className="muted">{t('search.help')}</p>
      {results.length === 0 ? (
        <p className="muted" data-testid="incident-none">
          {t('search.none')}
        </p>
      ) : (
        <table className="history-table" data-testid="incident-results">
          <thead>
            <tr>
              <th>incident_id</th>
              <th>{t('field.title')}</th>
              <th>{t('field.category')}</th>
              <th>{t('field.status')}</th>
              <th>{t('field.openedAt')}</th>
            </tr>
          </thead>
          <tbody>
            {results.map((i: IncidentSummary) => (
              <tr key={i.id} data-testid="incident-row" data-id={i.id}>
                <td>
                  <a href={links.incident(i.id)}>{i.id}</a>
                </td>
                <td>
                  <Highlight text={i.title} terms={terms} />
                  <div className="muted">
                    <Highlight text={i.symptoms.slice(0, 160)} terms={terms} />
                  </div>
                </td>
                <td>{categoryLabel(i.category)}</td>
                <td>
                  {t(`status.${i.status}`)} ·{' '}
                  {t('stepsDone', { done: i.stepsDone, total: postIncidentSteps.length })}
                </td>
                <td>{formatDateTime(i.openedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function NewIncident({ alertId, stopId }: { alertId: string | null; stopId: string | null }) {
  const { t } = useTranslation('incidents');
  const [title, setTitle] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function create() {
    setBusy(true);
    const r = await api.call('incidents.create', {
      by: rememberedOperator() || 'operator',
      ...(alertId ? { alertId } : {}),
      ...(stopId ? { stopId } : {}),
      fields: title.trim() ? { title: title.trim() } : {},
    });
    setBusy(false);
    if (r.ok) window.location.hash = links.incident(r.value.id);
    else setError(r.error.message);
  }
  return (
    <section className="panel" data-testid="incident-new">
      <h3>{t('new.title')}</h3>
      <p>
        {alertId
          ? t('new.fromAlert', { id: alertId })
          : stopId
            ? t('new.fromStop', { id: stopId })
            : t('new.manual')}
      </p>
      <p className="muted">{t('new.context')}</p>
      <label className="field">
        {t('field.title')}
        <input
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          placeholder={t('new.titlePlaceholder')}
        />
      </label>
      <div className="row">
        <button
          type="button"
          className="primary"
          disabled={busy}
          onClick={() => void create()}
          data-testid="incident-create"
        >
          {t('new.create')}
        </button>
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

const TEXT_FIELDS = ['symptoms', 'impact', 'root_cause', 'solution', 'prevention'] as const;

function IncidentDetail({ id }: { id: string }) {
  const { t } = useTranslation('incidents');
  const changeSeq = useIncidents((s) => s.changeSeq);
  const [incident, setIncident] = useState<Incident | null>(null);
  const [draft, setDraft] = useState<Partial<Incident>>({});
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    void changeSeq;
    void api.call('incidents.get', { id }).then((r) => {
      if (r.ok) setIncident(r.value);
      else setError(r.error.message);
    });
  }, [id, changeSeq]);
  if (error && !incident) return <p className="form-error">{error}</p>;
  if (!incident) return <p className="muted">{t('loading')}</p>;
  const value = <K extends keyof Incident>(k: K): Incident[K] => (draft[k] ?? incident[k]) as Incident[K];
  const by = rememberedOperator() || 'operator';

  async function save() {
    const fields = Object.fromEntries(
      Object.entries(draft).filter(([k]) =>
        ['title', 'category', 'severity', 'status', ...TEXT_FIELDS].includes(k),
      ),
    );
    const r = await api.call('incidents.update', { id, by, fields });
    if (r.ok) {
      setIncident(r.value);
      setDraft({});
      setError(null);
    } else setError(r.error.message);
  }

  return (
    <div className="grid2" data-testid="incident-detail" data-id={incident.id}>
      <section className="panel">
        <header className="panel-head">
          <h3>
            {incident.id} · {incident.title}
          </h3>
          <span className={`pill ${incident.severity}`}>{incident.severity}</span>
        </header>
        <div className="muted">
          {t(`source.${incident.source}`)} · {formatDateTime(incident.openedAt)} ·{' '}
          {t('createdBy', { by: incident.createdBy })}
          {incident.ruleId && ` · rule ${incident.ruleId}`}
        </div>
        <label className="field">
          {t('field.title')}
          <input value={value('title')} onChange={(e) => setDraft({ ...draft, title: e.target.value })} />
        </label>
        <div className="row">
          <label className="field">
            {t('field.category')}
            <select
              value={value('category')}
              onChange={(e) => setDraft({ ...draft, category: e.target.value as Incident['category'] })}
            >
              {incidentCategories.map((c) => (
                <option key={c.id} value={c.id}>
                  Level {c.level}: {bi(c)}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            {t('field.status')}
            <select
              value={value('status')}
              onChange={(e) => setDraft({ ...draft, status: e.target.value as Incident['status'] })}
            >
              <option value="open">{t('status.open')}</option>
              <option value="resolved">{t('status.resolved')}</option>
            </select>
          </label>
        </div>
        {TEXT_FIELDS.map((f) => (
          <label className="field" key={f}>
            {t(`field.${f}`)}
            <textarea
              value={String(value(f) ?? '')}
              onChange={(e) => setDraft({ ...draft, [f]: e.target.value })}
              data-testid={`incident-${f}`}
            />
          </label>
        ))}
        <div className="row">
          <button
            type="button"
            className="primary"
            onClick={() => void save()}
            disabled={Object.keys(draft).length === 0}
            data-testid="incident-save"
          >
            {t('save')}
          </button>
          {error && <span className="form-error">{error}</span>}
        </div>
      </section>
      <div className="page">
        <section className="panel" data-testid="incident-steps">
          <h3>{t('steps.title')}</h3>
          {incident.steps.map((s) => (
            <label key={s.step} className="row">
              <input
                type="checkbox"
                checked={s.done}
                data-testid={`incident-step-${s.step}`}
                onChange={(e) =>
                  void api
                    .call('incidents.step', { id, step: s.step, done: e.target.checked, by })
                    .then((r) => r.ok && setIncident(r.value))
                }
              />
              {t(`steps.${s.step}`)}
              {s.done && s.by && (
                <span className="muted">
                  ({s.by}, {s.at ? formatDateTime(s.at) : ''})
                </span>
              )}
            </label>
          ))}
        </section>
        <section className="panel" data-testid="incident-timeline">
          <h3>{t('timeline.title')}</h3>
          {incident.timeline.length === 0 && <p className="muted">{t('timeline.empty')}</p>}
          <ul className="timeline">
            {incident.timeline.map((e) => (
              <li key={`${e.source}:${e.ref ?? ''}:${e.at}`} data-kind={e.kind}>
                <span className="muted">{formatDateTime(e.at)}</span>
                <span
                  className={`state ${e.severity === 'critical' ? 'missed' : e.severity === 'warning' ? 'open' : 'upcoming'}`}
                >
                  {t(`timeline.kind.${e.kind}`, { defaultValue: e.kind })}
                </span>
                <span>{e.text}</span>
              </li>
            ))}
          </ul>
          {incident.contextSources
            .filter((s) => s.error)
            .map((s) => (
              <p key={s.source} className="muted" data-testid="context-missing">
                {s.source}: {s.error}
              </p>
            ))}
        </section>
        {incident.runbook && !/^https?:/.test(incident.runbook) && (
          <RunbookView id={incident.runbook} subject={`incident:${incident.id}`} />
        )}
        {incident.runbook && /^https?:/.test(incident.runbook) && (
          <a href={incident.runbook} target="_blank" rel="noopener noreferrer">
            {t('alert.runbook')}
          </a>
        )}
      </div>
    </div>
  );
}

function RunbookLibrary() {
  const { t } = useTranslation('incidents');
  const runbooks = useIncidents((s) => s.runbooks);
  return (
    <section className="panel" data-testid="runbook-library">
      <h3>{t('runbooks')}</h3>
      <ul>
        {(runbooks?.runbooks ?? []).map((r) => (
          <li key={r.id}>
            <a href={links.runbook(r.id)}>{bi(r.title)}</a>{' '}
            <span className="muted">
              {t('runbookSteps', { count: r.steps })}
              {r.rules.length > 0 && ` · ${t('runbookRules', { rules: r.rules.join(', ') })}`}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function IncidentsPage() {
  const { t } = useTranslation('incidents');
  const route = useSubRoute();
  useEffect(() => {
    startIncidentUpdates();
    void loadRunbooks();
  }, []);
  const [first, second] = route.path;
  let view: ReactNode;
  if (first === 'new')
    view = <NewIncident alertId={route.query.get('alert')} stopId={route.query.get('stop')} />;
  else if (first === 'runbooks') view = <RunbookLibrary />;
  else if (first === 'runbook' && second)
    view = <RunbookView id={second} subject={route.query.get('subject')} />;
  else if (first) view = <IncidentDetail id={first} />;
  else view = <SearchView />;
  return (
    <div className="page ops" data-testid="incidents-page">
      <nav className="tabs">
        <a href="#/incidents" className={!first || first.startsWith('INC') ? 'active' : ''}>
          {t('tab.incidents')}
        </a>
        <a
          href="#/incidents/runbooks"
          className={first === 'runbooks' || first === 'runbook' ? 'active' : ''}
        >
          {t('tab.runbooks')}
        </a>
        <a href="#/incidents/new" className={first === 'new' ? 'active' : ''} data-testid="incident-new-tab">
          {t('tab.new')}
        </a>
      </nav>
      {view}
    </div>
  );
}

import { type FormEvent, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type LogLevel, logLevels } from '../../../../shared/config/logs.js';
import {
  applyFilter,
  closeContext,
  emptyFilter,
  filterFromHash,
  type LogsFilter,
  loadOlder,
  loadSources,
  openContext,
  setFollowing,
  startLogsUpdates,
  useLogs,
} from '../../stores/logs.js';
import { ContextPanel } from './ContextPanel.js';
import { fromLocalInput, toLocalInput } from './format.js';
import { LogRow } from './LogRow.js';
import { SourcesPanel } from './SourcesPanel.js';
import './logs.css';

/** How close to the bottom counts as "at the bottom" (the live tail follows from there). */
const BOTTOM_SLACK_PX = 24;

function FilterBar() {
  const { t } = useTranslation('logs');
  const filter = useLogs((s) => s.filter);
  const sources = useLogs((s) => s.sources);
  const [draft, setDraft] = useState<LogsFilter>(filter);
  useEffect(() => setDraft(filter), [filter]);
  const bots = [...new Set([...(sources?.sources.map((s) => s.botId) ?? []), ...filter.bots])];

  function submit(e: FormEvent) {
    e.preventDefault();
    void applyFilter(draft);
  }
  function toggleLevel(level: LogLevel) {
    const levels = draft.levels.includes(level)
      ? draft.levels.filter((l) => l !== level)
      : [...draft.levels, level];
    const next = { ...draft, levels };
    setDraft(next);
    void applyFilter(next);
  }

  return (
    <form className="panel log-filters" onSubmit={submit} data-testid="log-filters">
      <div className="log-filter-row">
        <input
          type="search"
          className="log-query"
          placeholder={t('filter.queryPlaceholder')}
          aria-label={t('filter.query')}
          value={draft.query}
          onChange={(e) => setDraft({ ...draft, query: e.target.value })}
          data-testid="log-query"
        />
        <button type="submit" className="primary" data-testid="log-search">
          {t('filter.search')}
        </button>
        <button
          type="button"
          onClick={() => {
            setDraft(emptyFilter);
            void applyFilter(emptyFilter);
          }}
        >
          {t('filter.clear')}
        </button>
      </div>
      <div className="log-filter-row">
        <label>
          {t('filter.bot')}
          <select
            value={draft.bots[0] ?? ''}
            onChange={(e) => {
              const next = { ...draft, bots: e.target.value ? [e.target.value] : [] };
              setDraft(next);
              void applyFilter(next);
            }}
            data-testid="log-bot"
          >
            <option value="">{t('filter.allBots')}</option>
            {bots.map((b) => (
              <option key={b} value={b}>
                {b}
              </option>
            ))}
          </select>
        </label>
        <fieldset className="log-levels" aria-label={t('filter.levels')}>
          {logLevels.map((level) => (
            <label key={level} className={`level-${level}`}>
              <input
                type="checkbox"
                checked={draft.levels.includes(level)}
                onChange={() => toggleLevel(level)}
                data-testid={`log-level-${level}`}
              />
              {t(`level.${level}`)}
            </label>
          ))}
        </fieldset>
        <label>
          {t('filter.account')}
          <input
            value={draft.account}
            onChange={(e) => setDraft({ ...draft, account: e.target.value })}
            size={10}
            data-testid="log-account"
          />
        </label>
        <label>
          {t('filter.trace')}
          <input
            value={draft.traceId}
            onChange={(e) => setDraft({ ...draft, traceId: e.target.value })}
            size={16}
            data-testid="log-trace-filter"
          />
        </label>
        <label>
          {t('filter.from')}
          <input
            type="datetime-local"
            value={toLocalInput(draft.from)}
            onChange={(e) => setDraft({ ...draft, from: fromLocalInput(e.target.value) })}
          />
        </label>
        <label>
          {t('filter.to')}
          <input
            type="datetime-local"
            value={toLocalInput(draft.to)}
            onChange={(e) => setDraft({ ...draft, to: fromLocalInput(e.target.value) })}
          />
        </label>
      </div>
    </form>
  );
}

function LogList() {
  const { t } = useTranslation('logs');
  const hits = useLogs((s) => s.hits);
  const hasOlder = useLogs((s) => s.hasOlder);
  const loading = useLogs((s) => s.loading);
  const following = useLogs((s) => s.following);
  const waiting = useLogs((s) => s.waiting.length);
  const isRange = useLogs((s) => s.filter.to !== null);
  const error = useLogs((s) => s.error);
  const contextId = useLogs((s) => s.context?.record.id ?? null);
  const box = useRef<HTMLDivElement>(null);
  const prependHeight = useRef<number | null>(null);

  // Following: stay at the bottom as records arrive. After loading older records: keep the view still.
  // biome-ignore lint/correctness/useExhaustiveDependencies: it must run after each change of the list.
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    if (prependHeight.current !== null) {
      el.scrollTop += el.scrollHeight - prependHeight.current;
      prependHeight.current = null;
    } else if (following) el.scrollTop = el.scrollHeight;
  }, [hits, following]);

  function onScroll() {
    const el = box.current;
    if (!el) return;
    setFollowing(el.scrollHeight - el.scrollTop - el.clientHeight <= BOTTOM_SLACK_PX);
  }

  return (
    <section className="panel log-list-panel">
      <header className="panel-head">
        <h3>{isRange ? t('list.range') : t('list.title')}</h3>
        <div className="log-list-state">
          {!isRange &&
            (following ? (
              <span className="pill ok" data-testid="log-live">
                {t('list.live')}
              </span>
            ) : (
              <button
                type="button"
                className="pill warning"
                data-testid="log-paused"
                onClick={() => {
                  setFollowing(true);
                  const el = box.current;
                  if (el) el.scrollTop = el.scrollHeight;
                }}
              >
                {t('list.paused', { count: waiting })}
              </button>
            ))}
          <span className="muted small" data-testid="log-count">
            {t('list.count', { count: hits.length })}
          </span>
        </div>
      </header>
      {error && (
        <p className="form-error" role="alert">
          {error.message}
        </p>
      )}
      <div className="log-list" ref={box} onScroll={onScroll} data-testid="log-list">
        {hasOlder && (
          <button
            type="button"
            className="log-older"
            disabled={loading}
            onClick={() => {
              prependHeight.current = box.current?.scrollHeight ?? null;
              void loadOlder();
            }}
            data-testid="log-older"
          >
            {t('list.older')}
          </button>
        )}
        {!loading && hits.length === 0 && <p className="muted log-empty">{t('list.empty')}</p>}
        {hits.map((h) => (
          <LogRow
            key={h.id}
            record={h}
            highlights={h.highlights}
            onOpen={(id) => void openContext(id)}
            current={h.id === contextId}
          />
        ))}
      </div>
    </section>
  );
}

export function LogsPage() {
  const { t } = useTranslation('logs');
  const origin = useLogs((s) => s.origin);
  const context = useLogs((s) => s.context);

  useEffect(() => {
    startLogsUpdates();
    void loadSources();
    const load = () => {
      if (!window.location.hash.startsWith('#/logs')) return;
      closeContext();
      void filterFromHash(window.location.hash).then(applyFilter);
    };
    load();
    window.addEventListener('hashchange', load);
    return () => window.removeEventListener('hashchange', load);
  }, []);

  return (
    <div className={`page logs-page${context ? ' with-context' : ''}`} data-testid="logs-page">
      {origin?.kind === 'alert' && (
        <div className="banner warning" data-testid="log-origin">
          {t('origin.alert', { name: origin.name })}
        </div>
      )}
      <FilterBar />
      <div className="log-columns">
        <LogList />
        <ContextPanel />
      </div>
      <SourcesPanel />
    </div>
  );
}

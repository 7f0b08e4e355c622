import { create } from 'zustand';
import type { ApiError } from '../../../shared/api/index.js';
import type { LogCursor, LogHit, LogRecord, LogsContext, LogsSources } from '../../../shared/api/logs.js';
import type { LogLevel } from '../../../shared/config/logs.js';
import { highlightRanges, planSearch } from '../../../shared/search/index.js';
import { api } from '../api/client.js';

export interface LogsFilter {
  query: string;
  bots: string[];
  levels: LogLevel[];
  account: string;
  traceId: string;
  /** Epoch ms; a `to` in the past shows a time range (no live tail). */
  from: number | null;
  to: number | null;
}

export const emptyFilter: LogsFilter = {
  query: '',
  bots: [],
  levels: [],
  account: '',
  traceId: '',
  from: null,
  to: null,
};

/** Records kept on the page; older ones leave the top as new ones arrive at the bottom. */
const MAX_SHOWN = 2000;
const PAGE = 200;

interface LogsState {
  filter: LogsFilter;
  /** Oldest first, as a log file reads. */
  hits: LogHit[];
  terms: string[];
  hasOlder: boolean;
  cursor: LogCursor | null;
  loading: boolean;
  error: ApiError | null;
  /** The view is at its bottom: new records are shown as they arrive. */
  following: boolean;
  /** Arrived while the operator scrolled up: shown when the view is back at the bottom. */
  waiting: LogHit[];
  context: LogsContext | null;
  contextError: ApiError | null;
  sources: LogsSources | null;
  /** Where the filter came from: a link from an alert names it. */
  origin: { kind: 'alert'; alertId: string; name: string } | null;
}

export const useLogs = create<LogsState>(() => ({
  filter: emptyFilter,
  hits: [],
  terms: [],
  hasOlder: false,
  cursor: null,
  loading: false,
  error: null,
  following: true,
  waiting: [],
  context: null,
  contextError: null,
  sources: null,
  origin: null,
}));

function searchInput(f: LogsFilter, before: LogCursor | null) {
  return {
    query: f.query,
    bots: f.bots.length > 0 ? f.bots : undefined,
    levels: f.levels.length > 0 ? f.levels : undefined,
    accounts: f.account.trim() ? [f.account.trim()] : undefined,
    traceId: f.traceId.trim() || undefined,
    from: f.from ?? undefined,
    to: f.to ?? undefined,
    limit: PAGE,
    before: before ?? undefined,
  };
}

let generation = 0;

/** Loads the newest page for the filter (the live tail's start, or a search's first page). */
export async function applyFilter(filter: LogsFilter): Promise<void> {
  const mine = ++generation;
  useLogs.setState({ filter, loading: true, error: null, waiting: [], following: true });
  const r = await api.call('logs.search', searchInput(filter, null));
  if (mine !== generation) return;
  if (!r.ok) {
    useLogs.setState({ loading: false, error: r.error, hits: [], hasOlder: false, cursor: null });
    return;
  }
  useLogs.setState({
    loading: false,
    hits: [...r.value.hits].reverse(),
    terms: r.value.terms,
    hasOlder: r.value.hasMore,
    cursor: r.value.nextCursor,
  });
}

export async function loadOlder(): Promise<void> {
  const s = useLogs.getState();
  if (!s.cursor || s.loading) return;
  const mine = generation;
  useLogs.setState({ loading: true });
  const r = await api.call('logs.search', searchInput(s.filter, s.cursor));
  if (mine !== generation) return;
  if (!r.ok) {
    useLogs.setState({ loading: false, error: r.error });
    return;
  }
  useLogs.setState((st) => ({
    loading: false,
    hits: [...[...r.value.hits].reverse(), ...st.hits],
    hasOlder: r.value.hasMore,
    cursor: r.value.nextCursor,
  }));
}

export function setFollowing(following: boolean): void {
  const s = useLogs.getState();
  if (following === s.following) return;
  if (following && s.waiting.length > 0) {
    useLogs.setState({ following, hits: [...s.hits, ...s.waiting].slice(-MAX_SHOWN), waiting: [] });
  } else useLogs.setState({ following });
}

export async function openContext(id: number): Promise<void> {
  useLogs.setState({ contextError: null });
  const r = await api.call('logs.context', { id, around: 15 });
  if (r.ok) useLogs.setState({ context: r.value });
  else useLogs.setState({ context: null, contextError: r.error });
}

export function closeContext(): void {
  useLogs.setState({ context: null, contextError: null });
}

export async function loadSources(): Promise<void> {
  const r = await api.call('logs.sources', {});
  if (r.ok) useLogs.setState({ sources: r.value });
}

/** Does a pushed record belong in the current view? The same rules as the server's search. */
export function matches(f: LogsFilter, terms: readonly string[], r: LogRecord): boolean {
  if (f.to !== null) return false; // a past range does not grow
  if (f.from !== null && r.ts < f.from) return false;
  if (f.bots.length > 0 && !f.bots.includes(r.botId)) return false;
  if (f.levels.length > 0 && !f.levels.includes(r.level)) return false;
  if (f.account.trim() && r.account !== f.account.trim()) return false;
  if (f.traceId.trim() && r.traceId !== f.traceId.trim()) return false;
  if (terms.length > 0) {
    const text = asciiLower(r.message);
    if (!terms.every((t) => text.includes(asciiLower(t)))) return false;
  }
  return true;
}

function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

function onRecords(records: readonly LogRecord[]): void {
  const s = useLogs.getState();
  const terms = s.filter.query ? planSearch(s.filter.query).terms : [];
  const fresh: LogHit[] = [];
  for (const r of records) {
    if (matches(s.filter, terms, r)) fresh.push({ ...r, highlights: highlightRanges(r.message, terms) });
  }
  if (fresh.length === 0) return;
  if (s.following) useLogs.setState({ hits: [...s.hits, ...fresh].slice(-MAX_SHOWN) });
  else useLogs.setState({ waiting: [...s.waiting, ...fresh].slice(-MAX_SHOWN) });
}

let started = false;

/** One subscription for the page's lifetime: `logs.records` pushes feed the live tail. */
export function startLogsUpdates(): void {
  if (started) return;
  started = true;
  api.subscribe(
    (event) => {
      if (event.type === 'logs.records') onRecords(event.records);
    },
    (up) => {
      // Reconnected: what was pushed meanwhile is missing, so load the view again.
      if (up && useLogs.getState().hits.length > 0) void applyFilter(useLogs.getState().filter);
    },
  );
}

/** Reads `#/logs?bot=…&alert=…&from=…&to=…&q=…&trace=…` into a filter; an alert sets its time range. */
export async function filterFromHash(hash: string): Promise<LogsFilter> {
  const query = hash.includes('?') ? hash.slice(hash.indexOf('?') + 1) : '';
  const p = new URLSearchParams(query);
  const num = (k: string) => {
    const v = p.get(k);
    if (v === null) return null;
    const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
    return Number.isFinite(n) ? n : null;
  };
  const filter: LogsFilter = {
    ...emptyFilter,
    query: p.get('q') ?? '',
    bots: p.getAll('bot').filter(Boolean),
    traceId: p.get('trace') ?? '',
    account: p.get('account') ?? '',
    from: num('from'),
    to: num('to'),
  };
  const alertId = p.get('alert');
  useLogs.setState({ origin: null });
  if (alertId) {
    const r = await api.call('alerts.events', { alertId });
    if (r.ok) {
      const a = r.value.alert;
      // The alert's time, with ten minutes before it (what led to it) and five after it ended.
      filter.from ??= a.startedAt - 10 * 60_000;
      filter.to ??= a.resolvedAt !== null ? a.resolvedAt + 5 * 60_000 : null;
      if (filter.bots.length === 0 && a.labels.bot) filter.bots = [a.labels.bot];
      useLogs.setState({ origin: { kind: 'alert', alertId, name: a.ruleName } });
    }
  }
  return filter;
}

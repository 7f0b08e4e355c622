import { create } from 'zustand';
import type { IncidentSummary, MethodOutput } from '../../../shared/api/index.js';
import { api } from '../api/client.js';

type Runbooks = MethodOutput<'runbooks.list'>;

interface IncidentsState {
  query: string;
  results: IncidentSummary[];
  terms: string[];
  searching: boolean;
  runbooks: Runbooks | null;
  /** Bumped by every incident.changed push: open views refetch what they show. */
  changeSeq: number;
}

export const useIncidents = create<IncidentsState>(() => ({
  query: '',
  results: [],
  terms: [],
  searching: false,
  runbooks: null,
  changeSeq: 0,
}));

let searchSeq = 0;

export async function searchIncidents(q: string): Promise<void> {
  const seq = ++searchSeq;
  useIncidents.setState({ query: q, searching: true });
  const r = await api.call('incidents.search', { q, limit: 100 });
  if (seq !== searchSeq) return;
  if (r.ok) useIncidents.setState({ results: r.value.incidents, terms: r.value.terms, searching: false });
  else useIncidents.setState({ searching: false });
}

export async function loadRunbooks(): Promise<void> {
  const r = await api.call('runbooks.list', {});
  if (r.ok) useIncidents.setState({ runbooks: r.value });
}

let started = false;

export function startIncidentUpdates(): void {
  if (started) return;
  started = true;
  api.subscribe(
    (event) => {
      if (event.type === 'incident.changed') {
        useIncidents.setState((s) => ({ changeSeq: s.changeSeq + 1 }));
        void searchIncidents(useIncidents.getState().query);
      }
      if (event.type === 'alert.rules') void loadRunbooks();
    },
    (up) => {
      if (up) {
        void loadRunbooks();
        void searchIncidents(useIncidents.getState().query);
      }
    },
  );
}

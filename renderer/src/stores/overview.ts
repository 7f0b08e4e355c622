import { create } from 'zustand';
import type { EvidenceResult } from '../../../shared/api/checklists.js';
import { isMethodName, type MethodName, type StopStatus } from '../../../shared/api/index.js';
import { api } from '../api/client.js';

/** One bot as the Overview shows it, read loosely from `bots.list` (that capability lands later). */
export interface BotLine {
  id: string;
  name: string;
  state: string;
}

interface OverviewState {
  stop: StopStatus | null;
  /** null: the bots capability is not installed (no `bots.list` in the contract). */
  bots: BotLine[] | null;
  cost: EvidenceResult | null;
  backup: EvidenceResult | null;
}

export const useOverview = create<OverviewState>(() => ({
  stop: null,
  bots: null,
  cost: null,
  backup: null,
}));

const BOTS_METHOD = 'bots.list';

function botLines(value: unknown): BotLine[] {
  const list = Array.isArray(value) ? value : ((value as { bots?: unknown[] } | null)?.bots ?? []);
  return list.map((b, i) => {
    const o = (b ?? {}) as Record<string, unknown>;
    const text = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
    const id = text('id') ?? String(i);
    return { id, name: text('name') ?? id, state: text('state') ?? text('status') ?? '' };
  });
}

async function loadBots(): Promise<void> {
  if (!isMethodName(BOTS_METHOD)) return;
  // The method exists in the contract once the bots capability lands; its shape is read loosely.
  const r = await api.call(BOTS_METHOD as MethodName, {} as never);
  if (r.ok) useOverview.setState({ bots: botLines(r.value) });
}

async function loadReadings(): Promise<void> {
  const [cost, backup] = await Promise.all([
    api.call('evidence.read', { source: 'api.cost', since: '00:00' }),
    api.call('evidence.read', { source: 'backup.last', since: '7d' }),
  ]);
  useOverview.setState({ cost: cost.ok ? cost.value : null, backup: backup.ok ? backup.value : null });
}

async function loadStop(): Promise<void> {
  const r = await api.call('stop.status', {});
  if (r.ok) useOverview.setState({ stop: r.value });
}

let started = false;
let lastReadings = 0;

/** Loads once and follows pushes: stop state, and the readings again at most once a minute of samples. */
export function startOverviewUpdates(): void {
  if (started) return;
  started = true;
  api.subscribe(
    (event) => {
      if (event.type === 'stop.state') useOverview.setState({ stop: event.status });
      if (event.type === 'samples' && event.ts - lastReadings > 60_000) {
        lastReadings = event.ts;
        void loadReadings();
        void loadBots();
      }
    },
    (up) => {
      if (!up) return;
      void loadStop();
      void loadReadings();
      void loadBots();
    },
  );
}

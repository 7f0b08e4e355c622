import { useMemo } from 'react';
import { create } from 'zustand';
import type { BotStatus } from '../../../shared/api/bots.js';
import type { EvidenceResult } from '../../../shared/api/checklists.js';
import type { StopStatus } from '../../../shared/api/index.js';
import type { DmsStateView } from '../../../shared/api/telemetry.js';
import { api } from '../api/client.js';
import { startBotUpdates, useBots } from './bots.js';
import { startTelemetryUpdates, useTelemetry } from './telemetry.js';

/**
 * What the Overview shows beyond the other pages' stores: the stop state and the cost / backup
 * readings. The bots and their dead-man's switches come from the stores the Bots and Bot metrics pages
 * use (`bots.list` + `bots.state` pushes, `telemetry.overview` + `telemetry.deadman` pushes), so the
 * Overview and those pages never disagree.
 */
interface OverviewState {
  stop: StopStatus | null;
  cost: EvidenceResult | null;
  backup: EvidenceResult | null;
}

export const useOverview = create<OverviewState>(() => ({
  stop: null,
  cost: null,
  backup: null,
}));

/** One bot as the Overview shows it: its status and, when it has one, its dead-man's switch. */
export interface BotLine {
  bot: BotStatus;
  deadMan: DmsStateView | null;
}

export interface BotLines {
  loaded: boolean;
  error: string | null;
  lines: BotLine[];
}

/** Every bot in config order with its dead-man's switch (telemetry.bots[].deadMan), live. */
export function useBotLines(): BotLines {
  const loaded = useBots((s) => s.loaded);
  const error = useBots((s) => s.error);
  const order = useBots((s) => s.order);
  const bots = useBots((s) => s.bots);
  const deadMan = useTelemetry((s) => s.deadMan);
  return useMemo(() => {
    const dms = new Map(deadMan.map((d) => [d.bot, d]));
    const lines = order.flatMap((id) => {
      const bot = bots[id];
      return bot ? [{ bot, deadMan: dms.get(id) ?? null }] : [];
    });
    return { loaded, error, lines };
  }, [loaded, error, order, bots, deadMan]);
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

/**
 * Loads once and follows pushes: stop state, and the readings again at most once a minute of samples;
 * the bots and dead-man's switches through their own stores.
 */
export function startOverviewUpdates(): void {
  startBotUpdates();
  startTelemetryUpdates();
  if (started) return;
  started = true;
  api.subscribe(
    (event) => {
      if (event.type === 'stop.state') useOverview.setState({ stop: event.status });
      if (event.type === 'samples' && event.ts - lastReadings > 60_000) {
        lastReadings = event.ts;
        void loadReadings();
      }
    },
    (up) => {
      if (!up) return;
      void loadStop();
      void loadReadings();
    },
  );
}

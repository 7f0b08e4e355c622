import { create } from 'zustand';
import type { BotKpi, CostView, DmsStateView } from '../../../shared/api/telemetry.js';
import { api } from '../api/client.js';

/**
 * Bot telemetry as the UI sees it: KPIs per bot, the cost against the budgets, each bot's dead-man's
 * switch. Loaded once; core pushes `telemetry.kpis`, `telemetry.cost` and `telemetry.deadman` after
 * that (components never poll), and `telemetry.budget` when a budget threshold is crossed.
 */
interface TelemetryState {
  loaded: boolean;
  error: string | null;
  at: number | null;
  bots: BotKpi[];
  cost: CostView | null;
  deadMan: DmsStateView[];
  /** The thresholds crossed since the page opened, newest first. */
  crossings: { period: string; pct: number; spentUsd: number; budgetUsd: number; at: number }[];
}

export const useTelemetry = create<TelemetryState>(() => ({
  loaded: false,
  error: null,
  at: null,
  bots: [],
  cost: null,
  deadMan: [],
  crossings: [],
}));

export async function loadTelemetry(): Promise<void> {
  const reply = await api.call('telemetry.overview', {});
  if (reply.ok)
    useTelemetry.setState({
      loaded: true,
      error: null,
      at: reply.value.at,
      bots: reply.value.bots,
      cost: reply.value.cost,
      deadMan: reply.value.deadMan,
    });
  else useTelemetry.setState({ loaded: true, error: `${reply.error.code}: ${reply.error.message}` });
}

let started = false;

/** Loads once and follows the pushes (and reloads after a reconnect). */
export function startTelemetryUpdates(): void {
  if (started) return;
  started = true;
  void loadTelemetry();
  api.subscribe(
    (event) => {
      if (event.type === 'telemetry.kpis') useTelemetry.setState({ at: event.at, bots: event.bots });
      else if (event.type === 'telemetry.cost') useTelemetry.setState({ cost: event.cost });
      else if (event.type === 'telemetry.deadman') useTelemetry.setState({ deadMan: event.states });
      else if (event.type === 'telemetry.budget') {
        const { type: _type, ...crossing } = event;
        useTelemetry.setState((s) => ({ crossings: [crossing, ...s.crossings].slice(0, 20) }));
      }
    },
    (up) => {
      if (up) void loadTelemetry();
    },
  );
}

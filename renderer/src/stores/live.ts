import { create } from 'zustand';
import type { AppStatus, SystemSnapshot } from '../../../shared/api/index.js';
import { api } from '../api/client.js';

/** Newest points per series key, for charts that move live. Bounded to the last hour. */
const LIVE_WINDOW_MS = 60 * 60 * 1000;

interface LiveState {
  connected: boolean;
  status: AppStatus | null;
  snapshot: SystemSnapshot | null;
  points: Record<string, { ts: number; value: number }[]>;
  /** Replaces a series' buffer with history fetched from the store. */
  seed(key: string, points: { ts: number; value: number }[]): void;
}

export const useLive = create<LiveState>((set) => ({
  connected: false,
  status: null,
  snapshot: null,
  points: {},
  seed: (key, points) =>
    set((s) => {
      const live = s.points[key] ?? [];
      const lastSeeded = points.at(-1)?.ts ?? 0;
      return { points: { ...s.points, [key]: [...points, ...live.filter((p) => p.ts > lastSeeded)] } };
    }),
}));

let started = false;

/** Opens the push channel once for the whole app; stores update from pushes, components never poll. */
export function startLiveUpdates(): void {
  if (started) return;
  started = true;
  void api.call('app.status', {}).then((r) => r.ok && useLive.setState({ status: r.value }));
  void api
    .call('system.snapshot', {})
    .then((r) => r.ok && r.value && useLive.setState({ snapshot: r.value }));
  api.subscribe(
    (event) => {
      if (event.type === 'status') useLive.setState({ status: event.status });
      if (event.type === 'samples') {
        useLive.setState((s) => {
          const cutoff = event.ts - LIVE_WINDOW_MS;
          const points = { ...s.points };
          for (const sample of event.samples) {
            const list = points[sample.key];
            if (!list) continue; // only series a chart asked for are kept
            const next = list.filter((p) => p.ts >= cutoff);
            next.push({ ts: event.ts, value: sample.value });
            points[sample.key] = next;
          }
          return { snapshot: event.snapshot, points };
        });
      }
    },
    (up) => {
      useLive.setState({ connected: up });
      // Core pushes the status only when it changes: after a reconnect, what changed meanwhile is read.
      if (up) void api.call('app.status', {}).then((r) => r.ok && useLive.setState({ status: r.value }));
    },
  );
}

import type { Alert } from '../../../shared/api/alerts.js';
import type { BotStatus } from '../../../shared/api/bots.js';
import type { LogRecord } from '../../../shared/api/logs.js';
import type { LiveSample } from '../../../shared/series.js';

/**
 * What capabilities announce to one another inside core (the UI hears ApiEvents instead). A hook has
 * a fixed name and payload; a failing listener is logged and never stops the one that announced.
 */
export interface HookMap {
  /** Samples a producer computed this cycle (the monitor, later bot telemetry): alert rules evaluate them. */
  samples: { ts: number; samples: readonly LiveSample[] };
  /** An alert changed state (pending, firing, acknowledged, resolved) or was suppressed / unsuppressed. */
  'alerts.changed': { alert: Alert };
  /** The emergency stop's state changed (stopped, or resumed). */
  'stop.changed': { stopped: boolean };
  /** A deliberate resume finished: rule actions wait their cooldown from here. */
  'stop.resumed': { at: number };
  /** A bot's state changed (started, stopped, crashed, errored, held): the bots capability. */
  'bots.state': { bot: BotStatus };
  /** Log records just stored (masked), oldest first: metrics are extracted from them (KPIs). */
  'logs.records': { records: readonly LogRecord[] };
  /** Something an operator sees in app.status changed (health, a config problem, the write path). */
  'status.changed': Record<string, never>;
}

export interface Hooks {
  emit<K extends keyof HookMap>(name: K, payload: HookMap[K]): void;
  on<K extends keyof HookMap>(name: K, listener: (payload: HookMap[K]) => void): () => void;
}

export function createHooks(onListenerError: (name: string, err: unknown) => void): Hooks {
  const listeners = new Map<keyof HookMap, Set<(payload: never) => void>>();
  return {
    emit(name, payload) {
      const set = listeners.get(name);
      if (!set) return;
      for (const l of set) {
        try {
          (l as (p: typeof payload) => void)(payload);
        } catch (err) {
          onListenerError(name, err);
        }
      }
    },
    on(name, listener) {
      let set = listeners.get(name);
      if (!set) {
        set = new Set();
        listeners.set(name, set);
      }
      set.add(listener as (payload: never) => void);
      return () => set.delete(listener as (payload: never) => void);
    },
  };
}

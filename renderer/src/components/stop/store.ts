import { create } from 'zustand';
import type { StopProgressEvent, StopRun, StopSource, StopStatus } from '../../../../shared/api/stop.js';
import { api } from '../../api/client.js';

/**
 * The emergency stop as the UI sees it: the stopped state (banner), the run in progress (live panel)
 * and its result. Core pushes `stop.progress`, `stop.result` and `stop.state`; components never poll.
 */
interface StopUiState {
  status: StopStatus | null;
  /** Latest progress event of the run shown in the panel. */
  progress: StopProgressEvent | null;
  /** The finished run shown in the panel. */
  result: StopRun | null;
  panelOpen: boolean;
  triggering: boolean;
  error: string | null;
  resuming: boolean;
  resumeError: string | null;
  /** Newest first; loaded by the history page, kept current by the pushes. */
  history: StopRun[];
  historyError: string | null;
}

export const useStop = create<StopUiState>(() => ({
  status: null,
  progress: null,
  result: null,
  panelOpen: false,
  triggering: false,
  error: null,
  resuming: false,
  resumeError: null,
  history: [],
  historyError: null,
}));

function upsert(history: StopRun[], run: StopRun | null): StopRun[] {
  if (!run) return history;
  const rest = history.filter((r) => r.id !== run.id);
  return [run, ...rest].sort((a, b) => b.requestedAt - a.requestedAt);
}

export async function loadHistory(): Promise<void> {
  const reply = await api.call('stop.history', { limit: 200 });
  if (reply.ok) useStop.setState({ history: reply.value.runs, historyError: null });
  else useStop.setState({ historyError: `${reply.error.code}: ${reply.error.message}` });
}

/** One click: acts at once, no dialog. The panel opens immediately and fills from the pushes. */
export async function triggerStop(source: StopSource = 'button'): Promise<void> {
  useStop.setState({ panelOpen: true, triggering: true, error: null, progress: null, result: null });
  const reply = await api.call('stop.trigger', { source });
  if (reply.ok) useStop.setState({ triggering: false, result: reply.value });
  else useStop.setState({ triggering: false, error: `${reply.error.code}: ${reply.error.message}` });
  void refreshStatus();
}

export async function resumeStop(reason: string, actor: string): Promise<boolean> {
  useStop.setState({ resuming: true, resumeError: null });
  const reply = await api.call('stop.resume', { reason, actor: actor.trim() || 'operator' });
  if (reply.ok) {
    useStop.setState({ resuming: false, status: reply.value });
    void loadHistory(); // every resumed run changed
    return true;
  }
  useStop.setState({ resuming: false, resumeError: `${reply.error.code}: ${reply.error.message}` });
  return false;
}

export function closeStopPanel(): void {
  useStop.setState({ panelOpen: false });
}

export async function refreshStatus(): Promise<void> {
  const reply = await api.call('stop.status', {});
  if (reply.ok) useStop.setState({ status: reply.value });
}

let started = false;

/** Opens the stop's push subscription once for the whole app. */
export function startStopUpdates(): void {
  if (started) return;
  started = true;
  void refreshStatus();
  api.subscribe(
    (event) => {
      if (event.type === 'stop.progress') {
        useStop.setState((s) => {
          // A run started elsewhere (tray, CLI, a rule) opens the panel too.
          const newRun = s.progress?.runId !== event.runId;
          return {
            progress: event,
            panelOpen: s.panelOpen || newRun,
            result: newRun && s.result?.id !== event.runId ? null : s.result,
          };
        });
      } else if (event.type === 'stop.result') {
        useStop.setState((s) => ({ result: event.run, history: upsert(s.history, event.run) }));
      } else if (event.type === 'stop.state') {
        useStop.setState((s) => ({ status: event.status, history: upsert(s.history, event.status.latest) }));
      }
    },
    (up) => {
      if (up) void refreshStatus();
    },
  );
}

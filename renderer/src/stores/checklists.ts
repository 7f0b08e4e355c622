import { create } from 'zustand';
import type { ChecklistInstance, MethodOutput } from '../../../shared/api/index.js';
import { api } from '../api/client.js';
import { rememberedOperator } from './alerts.js';
import { createPushOrder, mergeArray } from './push-order.js';

type Today = MethodOutput<'checklists.today'>;
type History = MethodOutput<'checklists.history'>;

interface ChecklistsState {
  today: Today | null;
  history: History | null;
  loadError: string | null;
  /** Per instance id: the last refusal (an ended period, a later day). */
  actionError: Record<string, string>;
  busy: Record<string, boolean>;
}

export const useChecklists = create<ChecklistsState>(() => ({
  today: null,
  history: null,
  loadError: null,
  actionError: {},
  busy: {},
}));

/**
 * Instances pushed (`checklist.changed`, a tick's own answer): the reply of a `checklists.today` asked
 * before one of them must not undo it (a tick would show unticked until the next push).
 */
const pushes = createPushOrder();
/** Instances pushed before the first list arrived, to merge into it. */
const early = new Map<string, ChecklistInstance>();

export async function loadToday(): Promise<void> {
  const asked = pushes.ask();
  const r = await api.call('checklists.today', {});
  if (!r.ok) {
    useChecklists.setState({ loadError: r.error.message });
    return;
  }
  const current = useChecklists.getState().today?.instances ?? [...early.values()];
  early.clear();
  // Which instances there are is the list's to say (a day rolled over); what they hold, the newest push's.
  const listed = new Set(r.value.instances.map((i) => i.id));
  const instances = mergeArray(r.value.instances, (i) => i.id, current, asked).filter((i) =>
    listed.has(i.id),
  );
  useChecklists.setState({ today: { ...r.value, instances }, loadError: null });
}

export async function loadHistory(days = 7): Promise<void> {
  const r = await api.call('checklists.history', { days });
  if (r.ok) useChecklists.setState({ history: r.value });
}

function replaceInstance(instance: ChecklistInstance): void {
  const today = useChecklists.getState().today;
  if (!today) {
    pushes.pushed(instance.id);
    early.set(instance.id, instance);
    return;
  }
  if (!today.instances.some((i) => i.id === instance.id)) return;
  pushes.pushed(instance.id);
  useChecklists.setState({
    today: { ...today, instances: today.instances.map((i) => (i.id === instance.id ? instance : i)) },
  });
}

async function act<T extends { id: string } | { instance: ChecklistInstance }>(
  instanceId: string,
  run: () => Promise<{ ok: true; value: T } | { ok: false; error: { message: string } }>,
): Promise<void> {
  useChecklists.setState((s) => ({ busy: { ...s.busy, [instanceId]: true } }));
  const r = await run();
  useChecklists.setState((s) => {
    const actionError = { ...s.actionError };
    if (r.ok) delete actionError[instanceId];
    else actionError[instanceId] = r.error.message;
    return { busy: { ...s.busy, [instanceId]: false }, actionError };
  });
  if (r.ok)
    replaceInstance('instance' in r.value ? r.value.instance : (r.value as unknown as ChecklistInstance));
}

function operator(): string {
  return rememberedOperator() || 'operator';
}

export function tickItem(instanceId: string, itemId: string, note: string): Promise<void> {
  return act(instanceId, () =>
    api.call('checklists.tick', {
      instanceId,
      itemId,
      by: operator(),
      ...(note.trim() ? { note: note.trim() } : {}),
    }),
  );
}

export function untickItem(instanceId: string, itemId: string, note: string): Promise<void> {
  return act(instanceId, () =>
    api.call('checklists.untick', {
      instanceId,
      itemId,
      by: operator(),
      ...(note.trim() ? { note: note.trim() } : {}),
    }),
  );
}

export function confirmPassing(instanceId: string): Promise<void> {
  return act(instanceId, () => api.call('checklists.confirmPassing', { instanceId, by: operator() }));
}

let started = false;

/** Today's checklists, kept current by `checklist.changed` pushes (ticks, reminders, the minute's evidence). */
export function startChecklistUpdates(): void {
  if (started) return;
  started = true;
  api.subscribe(
    (event) => {
      if (event.type !== 'checklist.changed') return;
      const today = useChecklists.getState().today;
      if (today && !today.instances.some((i) => i.id === event.instance.id)) void loadToday();
      else replaceInstance(event.instance);
    },
    (up) => {
      if (up) void loadToday();
    },
  );
  // The day rolls over at local midnight with no push: one timer for the next slot or midnight.
  const tick = () => {
    const today = useChecklists.getState().today;
    const next = today?.next?.at ?? Date.now() + 3_600_000;
    const wait = Math.max(5_000, Math.min(next - Date.now() + 1_000, 3_600_000));
    setTimeout(() => {
      void loadToday().finally(tick);
    }, wait);
  };
  tick();
}

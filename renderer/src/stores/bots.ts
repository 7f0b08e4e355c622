import { create } from 'zustand';
import type { BotOutputLine, BotStatus } from '../../../shared/api/bots.js';
import { api } from '../api/client.js';
import { createPushOrder, mergeList } from './push-order.js';

/**
 * The bots as the UI sees them. Core pushes `bots.state` for every change and `bots.output` when a
 * capture file grows; the tail of a bot's output is fetched while its panel is open (on open and on
 * each `bots.output` push for it). Components never poll.
 */
export type BotAction = 'start' | 'stop' | 'restart';

interface OutputView {
  lines: BotOutputLine[];
  file: string | null;
  error: string | null;
}

interface BotsState {
  loaded: boolean;
  error: string | null;
  bots: Record<string, BotStatus>;
  /** Config order. */
  order: string[];
  held: boolean;
  heldSince: number | null;
  outputs: Record<string, OutputView>;
  /** The action in progress per bot. */
  busy: Record<string, BotAction | undefined>;
  actionError: Record<string, string | undefined>;
}

export const useBots = create<BotsState>(() => ({
  loaded: false,
  error: null,
  bots: {},
  order: [],
  held: false,
  heldSince: null,
  outputs: {},
  busy: {},
  actionError: {},
}));

const OUTPUT_LINES = 200;
const statePushes = createPushOrder();
const watched = new Map<string, number>();
const inFlight = new Set<string>();
const again = new Set<string>();

async function loadBots(): Promise<void> {
  const asked = statePushes.ask();
  const r = await api.call('bots.list', {});
  if (!r.ok) {
    useBots.setState({ error: `${r.error.code}: ${r.error.message}` });
    return;
  }
  useBots.setState((s) => ({
    loaded: true,
    error: null,
    bots: mergeList(r.value.bots, (b) => b.id, s.bots, asked),
    order: r.value.bots.map((b) => b.id),
    ...(asked.any() ? {} : { held: r.value.held, heldSince: r.value.heldSince }),
  }));
  for (const id of watched.keys()) void loadOutput(id);
}

function upsert(bot: BotStatus): void {
  statePushes.pushed(bot.id);
  useBots.setState((s) => ({
    bots: { ...s.bots, [bot.id]: bot },
    order: s.order.includes(bot.id) ? s.order : [...s.order, bot.id],
    held: bot.held,
    heldSince: bot.held ? (s.heldSince ?? Date.now()) : null,
  }));
}

/** One request per bot at a time; a push meanwhile asks for one more afterwards. */
async function loadOutput(id: string): Promise<void> {
  if (inFlight.has(id)) {
    again.add(id);
    return;
  }
  inFlight.add(id);
  try {
    const r = await api.call('bots.output', { id, lines: OUTPUT_LINES });
    const view: OutputView = r.ok
      ? { lines: r.value.lines, file: r.value.file, error: null }
      : { lines: useBots.getState().outputs[id]?.lines ?? [], file: null, error: r.error.message };
    useBots.setState((s) => ({ outputs: { ...s.outputs, [id]: view } }));
  } finally {
    inFlight.delete(id);
    if (again.delete(id) && watched.has(id)) void loadOutput(id);
  }
}

/** While a bot's output panel is open, its tail follows the pushes. Returns the cleanup. */
export function watchOutput(id: string): () => void {
  watched.set(id, (watched.get(id) ?? 0) + 1);
  void loadOutput(id);
  return () => {
    const n = (watched.get(id) ?? 1) - 1;
    if (n <= 0) watched.delete(id);
    else watched.set(id, n);
  };
}

let started = false;

export function startBotUpdates(): void {
  if (started) return;
  started = true;
  api.subscribe(
    (event) => {
      if (event.type === 'bots.state') upsert(event.bot);
      else if (event.type === 'bots.output' && watched.has(event.id)) void loadOutput(event.id);
    },
    (up) => {
      if (up) void loadBots();
    },
  );
}

const ACTION_METHODS = { start: 'bots.start', stop: 'bots.stop', restart: 'bots.restart' } as const;

export async function runBotAction(
  id: string,
  action: BotAction,
  actor: string,
  reason: string,
): Promise<boolean> {
  useBots.setState((s) => ({
    busy: { ...s.busy, [id]: action },
    actionError: { ...s.actionError, [id]: undefined },
  }));
  const input = {
    id,
    ...(actor.trim() ? { actor: actor.trim() } : {}),
    ...(reason.trim() ? { reason: reason.trim() } : {}),
  };
  const r = await api.call(ACTION_METHODS[action], input);
  useBots.setState((s) => ({
    busy: { ...s.busy, [id]: undefined },
    actionError: { ...s.actionError, [id]: r.ok ? undefined : r.error.message },
  }));
  if (r.ok) upsert(r.value);
  return r.ok;
}

/**
 * The Bots page's store against the order pushes and replies really arrive in: a `bots.state` push can
 * overtake the `bots.list` reply that was asked for before it. The transport is replaced by one whose
 * replies the test releases by hand; the store is the real one.
 */
import { describe, expect, it, vi } from 'vitest';
import type { BotStatus } from '../../shared/api/bots.js';

const pending: { method: string; reply: (value: unknown) => void }[] = [];
const push: { event: (e: unknown) => void; connection: (up: boolean) => void } = {
  event: () => {},
  connection: () => {},
};

vi.mock('../../renderer/src/api/client.js', () => ({
  api: {
    call: (method: string) => new Promise((reply) => pending.push({ method, reply })),
    subscribe(listener: (e: unknown) => void, onConnection: (up: boolean) => void) {
      push.event = listener;
      push.connection = onConnection;
      return () => {};
    },
  },
}));

const { startBotUpdates, useBots } = await import('../../renderer/src/stores/bots.js');
const { createPushOrder, mergeList } = await import('../../renderer/src/stores/push-order.js');

function bot(id: string, state: BotStatus['state']): BotStatus {
  return {
    id,
    name: id,
    root: `C:\\bots\\${id}`,
    mode: 'supervised',
    enabled: true,
    start: 'always',
    command: 'python bot.py',
    state,
    held: false,
    operatorStopped: false,
    pid: null,
    startedAt: null,
    processes: 0,
    restarts: { count: 0, since: null },
    unstable: { count: 0, max: 5, since: null, last: null, minUptimeSeconds: 1 },
    erroredAt: null,
    nextRestartAt: null,
    backoffMs: 0,
    schedule: null,
    timeoutMinutes: null,
    stopGraceSeconds: null,
    lastExit: null,
    problem: null,
    outputFile: null,
    orphaned: false,
  };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

function replyToList(bots: BotStatus[]): void {
  const call = pending.shift();
  expect(call?.method).toBe('bots.list');
  call!.reply({ ok: true, value: { bots, held: false, heldSince: null } });
}

describe('bots store', () => {
  startBotUpdates();

  it('keeps a push that overtook the list reply asked for before it', async () => {
    push.connection(true);
    // The crash-looping bot turns errored while the list (taken when it was still starting) is on its way.
    push.event({ type: 'bots.state', bot: bot('loop', 'errored') });
    replyToList([bot('loop', 'starting'), bot('tax', 'running')]);
    await settle();
    expect(useBots.getState().bots.loop?.state).toBe('errored');
    expect(useBots.getState().bots.tax?.state).toBe('running');
    expect(useBots.getState().order).toEqual(['loop', 'tax']);
  });

  it('takes the list over pushes that came before it was asked for', async () => {
    push.event({ type: 'bots.state', bot: bot('tax', 'backoff') });
    push.connection(true); // reconnected: the list is asked again
    replyToList([bot('loop', 'errored'), bot('tax', 'running')]);
    await settle();
    expect(useBots.getState().bots.tax?.state).toBe('running');
  });
});

describe('a list reply merged with the pushes that overtook it (the alerts store does the same)', () => {
  interface Item {
    id: string;
    state: string;
  }
  const idOf = (i: Item) => i.id;

  it('keeps an item removed by a push gone, and one added by a push, while the rest come from the list', () => {
    const order = createPushOrder();
    order.pushed('old'); // before the list was asked: the list wins for it
    const asked = order.ask();
    // While the list is on its way: one alert resolves (the push removes it), another starts firing.
    order.pushed('resolved');
    order.pushed('new');
    const current: Record<string, Item> = {
      old: { id: 'old', state: 'pending' },
      new: { id: 'new', state: 'firing' },
    };
    const list: Item[] = [
      { id: 'old', state: 'firing' },
      { id: 'resolved', state: 'firing' },
      { id: 'other', state: 'acknowledged' },
    ];
    expect(mergeList(list, idOf, current, asked)).toEqual({
      old: { id: 'old', state: 'firing' },
      new: { id: 'new', state: 'firing' },
      other: { id: 'other', state: 'acknowledged' },
    });
    expect(asked.any()).toBe(true);
    expect(order.ask().any()).toBe(false);
  });
});

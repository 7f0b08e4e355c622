/**
 * The Maintenance and Checklists pages' stores against the order pushes and replies really arrive in:
 * a push sent after a list was taken can overtake the list's reply. The transport is replaced by one
 * whose replies the test releases by hand; the stores are the real ones.
 */
import { describe, expect, it, vi } from 'vitest';
import type { ChecklistInstance } from '../../shared/api/checklists.js';
import type { BackupView, JobView } from '../../shared/api/maintenance.js';

const pending: { method: string; reply: (value: unknown) => void }[] = [];
const listeners: { event: (e: unknown) => void; connection: (up: boolean) => void }[] = [];

vi.mock('../../renderer/src/api/client.js', () => ({
  api: {
    call: (method: string) => new Promise((reply) => pending.push({ method, reply })),
    subscribe(listener: (e: unknown) => void, onConnection: (up: boolean) => void) {
      listeners.push({ event: listener, connection: onConnection });
      return () => {};
    },
  },
}));

const maintenance = await import('../../renderer/src/stores/maintenance.js');
const checklists = await import('../../renderer/src/stores/checklists.js');
const { createPushOrder, mergeArray } = await import('../../renderer/src/stores/push-order.js');

const settle = () => new Promise((r) => setTimeout(r, 0));
const push = (e: unknown) => {
  for (const l of listeners) l.event(e);
};

function reply(method: string, value: unknown): void {
  const i = pending.findIndex((p) => p.method === method);
  expect(i, `a ${method} call is waiting`).toBeGreaterThanOrEqual(0);
  const [call] = pending.splice(i, 1);
  call?.reply({ ok: true, value });
}

// Only what the stores read; the rest of a view does not matter to them.
function job(id: string, running: boolean): JobView {
  return { id, name: id, running, lastRun: null } as unknown as JobView;
}
function backup(id: string, createdAt: number): BackupView {
  return { id, createdAt } as unknown as BackupView;
}
function instance(id: string, ticked: string[]): ChecklistInstance {
  return { id, items: ticked.map((itemId) => ({ id: itemId, done: true })) } as unknown as ChecklistInstance;
}

describe('maintenance store', () => {
  it('keeps a job’s end and a new backup that overtook the lists asked for before them', async () => {
    maintenance.startMaintenanceUpdates();
    // The nightly backup ends while the lists (taken when it was running) are on their way.
    push({ type: 'maintenance.job', job: job('backup', false) });
    push({ type: 'maintenance.backup', backup: backup('b-new', 2_000) });
    reply('maintenance.jobs', { timezone: 'Asia/Tokyo', jobs: [job('backup', true), job('vacuum', false)] });
    reply('maintenance.backups', { dir: 'C:\\backups', backups: [backup('b-old', 1_000)] });
    reply('maintenance.checks', { checks: [] });
    reply('maintenance.reports', { dir: 'C:\\reports', reports: [] });
    await settle();
    reply('maintenance.history', { runs: [] });
    await settle();
    const s = maintenance.useMaintenance.getState();
    expect(s.jobs.map((j) => [j.id, j.running])).toEqual([
      ['backup', false],
      ['vacuum', false],
    ]);
    expect(s.backups.map((b) => b.id)).toEqual(['b-new', 'b-old']);
  });

  it('takes the list over pushes that came before it was asked for', async () => {
    push({ type: 'maintenance.job', job: job('vacuum', true) });
    void maintenance.loadMaintenance();
    reply('maintenance.jobs', { timezone: 'Asia/Tokyo', jobs: [job('backup', false), job('vacuum', false)] });
    reply('maintenance.backups', { dir: 'C:\\backups', backups: [] });
    reply('maintenance.checks', { checks: [] });
    reply('maintenance.reports', { dir: 'C:\\reports', reports: [] });
    await settle();
    reply('maintenance.history', { runs: [] });
    await settle();
    expect(maintenance.useMaintenance.getState().jobs.find((j) => j.id === 'vacuum')?.running).toBe(false);
  });
});

describe('checklists store', () => {
  const today = (instances: ChecklistInstance[]) => ({
    date: '2026-12-02',
    timezone: 'Asia/Tokyo',
    now: 0,
    instances,
    next: null,
  });

  it('keeps a tick pushed before the first list arrived, and one pushed while a reload was on its way', async () => {
    checklists.startChecklistUpdates();
    void checklists.loadToday();
    push({ type: 'checklist.changed', instance: instance('morning', ['chrome']) });
    reply('checklists.today', today([instance('morning', []), instance('evening', [])]));
    await settle();
    expect(checklists.useChecklists.getState().today?.instances).toEqual([
      instance('morning', ['chrome']),
      instance('evening', []),
    ]);

    void checklists.loadToday();
    push({ type: 'checklist.changed', instance: instance('evening', ['budget']) });
    reply('checklists.today', today([instance('morning', ['chrome']), instance('evening', [])]));
    await settle();
    expect(checklists.useChecklists.getState().today?.instances[1]).toEqual(instance('evening', ['budget']));
  });

  it('lets the list say which instances there are (a day rolled over)', async () => {
    void checklists.loadToday();
    push({ type: 'checklist.changed', instance: instance('evening', ['budget', 'logs']) });
    reply('checklists.today', today([instance('next-morning', [])]));
    await settle();
    expect(checklists.useChecklists.getState().today?.instances.map((i) => i.id)).toEqual(['next-morning']);
  });
});

describe('mergeArray', () => {
  const idOf = (i: { id: string }) => i.id;

  it('keeps the list’s order, puts pushed items in their place, drops removed ones and adds new ones after', () => {
    const order = createPushOrder();
    order.pushed('a'); // before the list was asked: the list wins for it
    const asked = order.ask();
    order.pushed('b');
    order.pushed('gone');
    order.pushed('new');
    const current = [
      { id: 'a', v: 'pushed-before' },
      { id: 'b', v: 'pushed-after' },
      { id: 'new', v: 'added' },
    ];
    const list = [
      { id: 'a', v: 'list' },
      { id: 'gone', v: 'list' },
      { id: 'b', v: 'list' },
      { id: 'c', v: 'list' },
    ];
    expect(mergeArray(list, idOf, current, asked)).toEqual([
      { id: 'a', v: 'list' },
      { id: 'b', v: 'pushed-after' },
      { id: 'c', v: 'list' },
      { id: 'new', v: 'added' },
    ]);
  });
});

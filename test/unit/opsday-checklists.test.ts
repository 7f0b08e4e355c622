import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { dayStart, localDate } from '../../electron/core/checklists/index.js';
import { ManualClock } from '../../electron/core/clock/index.js';
import { type Core, createCore } from '../../electron/core/index.js';
import type { MethodName, MethodOutput } from '../../shared/api/index.js';

const resourcesDir = resolve(import.meta.dirname, '..', '..', 'resources');
const quiet = { info() {}, warn() {}, error() {} };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const HOUR = 3_600_000;
const MINUTE = 60_000;

function config(tz: string, extra = ''): string {
  return `checklists:
  timezone: ${tz}
notify:
  channels:
    - { id: desktop, type: desktop }
alerts:
  rules:
    - { id: checklist-overdue, name: チェックリスト期限超過, expr: app.checklist_overdue > 0, for: "0", severity: warning }
  escalation:
    - { afterMinutes: 0, channels: [desktop] }
${extra}`;
}

interface Harness {
  core: Core;
  clock: ManualClock;
  notes: { title: string; body: string; severity: string }[];
  dir: string;
  call<M extends MethodName>(method: M, input: unknown): Promise<MethodOutput<M>>;
}

function harness(at: string, tz = 'Asia/Tokyo'): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-opsday-checklists-'));
  writeFileSync(join(dir, 'config.yaml'), config(tz));
  const clock = new ManualClock(Date.parse(at));
  const notes: Harness['notes'] = [];
  const core = createCore({
    dataDir: dir,
    resourcesDir,
    mode: 'headless',
    version: 'test',
    logger: quiet,
    clock,
    desktop: { notify: (n) => notes.push(n), setHealth() {} },
  });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
  cleanups.push(() => core.close());
  return {
    core,
    clock,
    notes,
    dir,
    async call(method, input) {
      const r = await core.dispatcher.call(method, input);
      if (!r.ok) throw new Error(`${method}: ${r.error.code}: ${r.error.message}`);
      return r.value as never;
    },
  };
}

describe('checklist days in the operator zone', () => {
  it('rolls over at local midnight in Tokyo: yesterday’s unticked slots become missed, today’s morning is upcoming', async () => {
    const h = harness('2026-01-05T23:59:00+09:00');
    const before = await h.call('checklists.today', {});
    expect(before.date).toBe('2026-01-05');
    const ids = before.instances.map((i) => i.id);
    expect(ids).toEqual(expect.arrayContaining(['morning@2026-01-05T09:00', 'evening@2026-01-05T18:00']));
    // 2026-01-05 is a Monday: the weekly check's slot is that morning too.
    expect(ids).toContain('weekly@2026-01-05T09:00');
    expect(before.instances.find((i) => i.templateId === 'morning')?.state).toBe('overdue');
    expect(before.next?.instanceId).toBe('morning@2026-01-06T09:00');

    h.clock.advance(MINUTE);
    const after = await h.call('checklists.today', {});
    expect(after.date).toBe('2026-01-06');
    const morning = after.instances.find((i) => i.templateId === 'morning');
    expect(morning?.id).toBe('morning@2026-01-06T09:00');
    expect(morning?.state).toBe('upcoming');
    expect(morning?.slotAt).toBe(Date.parse('2026-01-06T09:00:00+09:00'));
    // The weekly instance lasts until next Monday: still shown, still open.
    expect(after.instances.find((i) => i.templateId === 'weekly')?.id).toBe('weekly@2026-01-05T09:00');

    const history = await h.call('checklists.history', { days: 2 });
    const monday = history.days.find((d) => d.date === '2026-01-05');
    const missedMorning = monday?.slots.find((s) => s.templateId === 'morning');
    expect(missedMorning?.state).toBe('missed');
    // Before checklists ever ran here nothing counts as missed.
    const before2 = await h.call('checklists.history', { days: 3 });
    expect(before2.days.find((d) => d.date === '2026-01-04')?.slots).toEqual([]);
    expect(missedMorning?.missed.map((m) => m.text.ja)).toEqual([
      '夜間の実行状況確認',
      'エラーログ確認',
      'API使用量確認',
      'コスト状況確認',
    ]);
  });

  it('keeps 09:00 at 09:00 local across New York’s DST changes, with 23- and 25-hour days', async () => {
    const h = harness('2026-03-08T12:00:00-04:00', 'America/New_York');
    const today = await h.call('checklists.today', {});
    expect(today.date).toBe('2026-03-08');
    expect(today.instances.find((i) => i.templateId === 'morning')?.slotAt).toBe(
      Date.parse('2026-03-08T13:00:00Z'),
    );
    const saturday = await h.call('checklists.instance', { instanceId: 'morning@2026-03-07T09:00' });
    expect(saturday.slotAt).toBe(Date.parse('2026-03-07T14:00:00Z'));
    expect(saturday.state).toBe('missed');

    const tz = 'America/New_York';
    expect(dayStart('2026-03-09', tz) - dayStart('2026-03-08', tz)).toBe(23 * HOUR);
    expect(dayStart('2026-11-02', tz) - dayStart('2026-11-01', tz)).toBe(25 * HOUR);
    // The day ends at local midnight, which is 04:00 UTC after the change (05:00 before).
    h.clock.set(Date.parse('2026-03-09T03:59:59Z'));
    expect((await h.call('checklists.today', {})).date).toBe('2026-03-08');
    h.clock.set(Date.parse('2026-03-09T04:00:00Z'));
    const next = await h.call('checklists.today', {});
    expect(next.date).toBe('2026-03-09');
    expect(next.instances.find((i) => i.templateId === 'evening')?.slotAt).toBe(
      Date.parse('2026-03-09T22:00:00Z'),
    );
    expect(localDate(Date.parse('2026-11-01T04:30:00Z'), tz)).toBe('2026-11-01');
  });
});

describe('ticking with evidence', () => {
  it('stores who, when, the note and the evidence of that moment; later data leaves the snapshot alone', async () => {
    const h = harness('2026-01-05T09:10:00+09:00');
    const at = h.clock.now();
    h.core.store.writeSamples([
      { name: 'proc.count', labels: { family: 'bot-runner' }, ts: at - MINUTE, value: 2 },
    ]);

    const ticked = await h.call('checklists.tick', {
      instanceId: 'morning@2026-01-05T09:00',
      itemId: 'overnight-runs',
      by: '山田 太郎',
      note: '夜間は問題なし',
    });
    const item = ticked.items.find((i) => i.id === 'overnight-runs');
    expect(item?.done).toBe(true);
    expect(item?.last).toMatchObject({ action: 'tick', by: '山田 太郎', at, note: '夜間は問題なし' });
    const runner = item?.last?.evidence.find((e) => e.source === 'metric.latest');
    expect(runner).toMatchObject({ value: 2, verdict: 'pass', condition: '>= 1' });
    expect(item?.last?.evidence.find((e) => e.source === 'alerts.fired')).toMatchObject({
      value: 0,
      verdict: 'pass',
    });
    // Offered by the bots capability: no supervised run started overnight on this test PC.
    expect(item?.last?.evidence.find((e) => e.source === 'bots.runs')).toMatchObject({
      value: 0,
      verdict: 'pass',
    });

    // In the database, as it was returned.
    const db = new Database(join(h.dir, 'nexus-ops.db'), { readonly: true });
    const row = db.prepare('SELECT actor, at, note, evidence FROM checklist_ticks').get() as {
      actor: string;
      at: number;
      note: string;
      evidence: string;
    };
    db.close();
    expect(row).toMatchObject({ actor: '山田 太郎', at, note: '夜間は問題なし' });
    expect(JSON.parse(row.evidence)).toEqual(item?.last?.evidence);

    // The runner dies later: live evidence of other items would see it, the tick keeps its 2.
    h.clock.advance(5 * MINUTE);
    h.core.store.writeSamples([
      { name: 'proc.count', labels: { family: 'bot-runner' }, ts: h.clock.now(), value: 0 },
    ]);
    const later = await h.call('checklists.instance', { instanceId: 'morning@2026-01-05T09:00' });
    const snapshot = later.items
      .find((i) => i.id === 'overnight-runs')
      ?.evidence.find((e) => e.source === 'metric.latest');
    expect(snapshot?.value).toBe(2);

    // Unticking is recorded too, with its own evidence, and the history lists both.
    await h.call('checklists.untick', {
      instanceId: 'morning@2026-01-05T09:00',
      itemId: 'overnight-runs',
      by: '鈴木',
      note: '見直す',
    });
    const history = await h.call('checklists.history', { days: 1 });
    const slot = history.days[0]?.slots.find((s) => s.templateId === 'morning');
    expect(slot?.ticks.map((t) => [t.action, t.by])).toEqual([
      ['tick', '山田 太郎'],
      ['untick', '鈴木'],
    ]);
    expect(slot?.ticks[1]?.evidence.find((e) => e.source === 'metric.latest')?.value).toBe(0);
    expect(slot?.done).toBe(0);
  });

  it('confirms in one click only the items whose evidence all passes, and a provider offered later counts', async () => {
    const h = harness('2026-01-05T09:05:00+09:00');
    // A reading offered by a capability after checklists exist is usable at once (here: one nobody ships).
    h.core.evidence.provide('test.later', {
      label: { ja: 'あとから', en: 'Later' },
      read: () => ({ value: 1, text: { ja: '1', en: '1' }, verdict: 'pass' }),
    });
    expect(h.core.evidence.has('test.later')).toBe(true);
    const r = await h.call('checklists.confirmPassing', {
      instanceId: 'morning@2026-01-05T09:00',
      by: 'operator',
    });
    // error logs (no error record, no failed job) and cost ($0.00 < 24, read from the telemetry
    // capability) pass; overnight runs does not (no bot-runner process on this test PC), and API usage
    // has no pass condition, so a person judges it.
    expect(r.ticked).toEqual(['error-logs', 'cost']);
    const cost = r.instance.items.find((i) => i.id === 'cost');
    expect(cost?.last?.evidence[0]).toMatchObject({ source: 'api.cost', value: 0, verdict: 'pass' });
    expect(r.instance.items.filter((i) => i.done).map((i) => i.id)).toEqual(['error-logs', 'cost']);
  });

  it('refuses a tick on a later day and on a period that has ended, saying why', async () => {
    const h = harness('2026-01-05T10:00:00+09:00');
    const r1 = await h.core.dispatcher.call('checklists.tick', {
      instanceId: 'morning@2026-01-06T09:00',
      itemId: 'cost',
      by: 'x',
    });
    expect(r1.ok || r1.error.message).toMatch(/later day/);
    h.clock.set(Date.parse('2026-01-06T10:00:00+09:00'));
    const r2 = await h.core.dispatcher.call('checklists.tick', {
      instanceId: 'morning@2026-01-05T09:00',
      itemId: 'cost',
      by: 'x',
    });
    expect(r2.ok || r2.error.message).toMatch(/ended/);
    const r3 = await h.core.dispatcher.call('checklists.tick', {
      instanceId: 'morning@2026-01-06T09:30',
      itemId: 'cost',
      by: 'x',
    });
    expect(r3.ok || r3.error.code).toBe('not_found');
  });
});

describe('overdue slots', () => {
  it('reminds once at +30 min through the notifier, publishes the gauge, and the shipped rule escalates it', async () => {
    const h = harness('2026-01-05T08:59:00+09:00');
    h.clock.set(Date.parse('2026-01-05T09:29:00+09:00'));
    await h.core.jobs.runDue();
    expect(h.notes.filter((n) => n.title.includes('朝の確認'))).toEqual([]);

    h.clock.set(Date.parse('2026-01-05T09:30:00+09:00'));
    await h.core.jobs.runDue();
    await expect.poll(() => h.notes.filter((n) => n.title.includes('朝の確認')).length).toBe(1);
    const note = h.notes.find((n) => n.title.includes('朝の確認'));
    expect(note?.body).toMatch(/30 分過ぎても完了していません（完了 0\/4 項目）/);
    const morning = (await h.call('checklists.today', {})).instances.find((i) => i.templateId === 'morning');
    expect(morning?.remindedAt).toBe(h.clock.now());
    expect(morning?.state).toBe('overdue');

    // The gauge went to the alert rules: the shipped rule fires for the morning slot.
    const alerts = await h.call('alerts.list', {});
    const overdue = alerts.alerts.find(
      (a) => a.ruleId === 'checklist-overdue' && a.labels.slot === 'morning',
    );
    expect(overdue?.state).toBe('firing');
    expect(overdue?.value).toBe(4);

    // Not again for the same slot.
    h.clock.set(Date.parse('2026-01-05T09:45:00+09:00'));
    await h.core.jobs.runDue();
    await new Promise((r) => setTimeout(r, 50));
    expect(h.notes.filter((n) => n.title.includes('チェックリスト未完了: 朝の確認')).length).toBe(1);

    // Ticking everything clears the gauge, and with it the alert.
    for (const itemId of ['overnight-runs', 'error-logs', 'api-usage', 'cost']) {
      await h.call('checklists.tick', { instanceId: 'morning@2026-01-05T09:00', itemId, by: 'x' });
    }
    h.clock.set(Date.parse('2026-01-05T09:50:00+09:00'));
    await h.core.jobs.runDue();
    const gauge = h.core.store.readRaw('app.checklist_overdue{slot=morning}', 0, h.clock.now());
    expect(gauge.at(-1)?.value).toBe(0);
  });
});

import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { z } from 'zod';
import type {
  ChecklistInstance,
  ChecklistItemView,
  checklistsMethods,
  EvidenceResult,
  InstanceState,
} from '../../../shared/api/checklists.js';
import { ApiFailure } from '../../../shared/api/contract.js';
import type { EvidenceRegistry } from '../capability/index.js';
import { addDays, dayStart, localDate, localParts, Schedule, weekStart } from './calendar.js';
import { itemVerdict, readEvidence } from './evaluate.js';
import type { ChecklistRepo, InstanceRow, TemplateSnapshot, TickRow } from './repo.js';
import type { ChecklistTemplate, TemplateItem } from './templates.js';

type HistoryOutput = z.output<(typeof checklistsMethods)['checklists.history']['output']>;
type TodayOutput = z.output<(typeof checklistsMethods)['checklists.today']['output']>;

export interface ReminderSettings {
  enabled: boolean;
  afterMinutes: number;
  channels: string[];
  severity: 'critical' | 'warning' | 'info';
}

export interface ChecklistSettings {
  tz: string;
  reminders: ReminderSettings;
  templates: readonly ChecklistTemplate[];
  /** Schedule overrides by template id (checklists.schedules). */
  schedules: Readonly<Record<string, string>>;
  disabled: readonly string[];
}

export interface ChecklistsDeps {
  repo: ChecklistRepo;
  evidence: EvidenceRegistry;
  /** A reminder through the notifier (desktop: tray notification, or a toast in headless mode). */
  remind(message: {
    severity: ReminderSettings['severity'];
    title: string;
    body: string;
    channels: string[];
    dedupeKey: string;
  }): void;
  /** Every change of an instance, for the open pages. */
  changed(instance: ChecklistInstance): void;
  audit(entry: { actor: string; action: string; details: Record<string, unknown> }): void;
  locale(): 'ja' | 'en';
}

interface Compiled {
  template: ChecklistTemplate;
  schedule: Schedule;
}

/** One slot of one template: the key of an instance. */
interface Slot {
  id: string;
  templateId: string;
  slotAt: number;
  localDate: string;
  localTime: string;
  dueAt: number;
  endsAt: number | null;
  snapshot: TemplateSnapshot;
  period: TemplateSnapshot['period'];
}

const MINUTE = 60_000;

export function instanceIdOf(templateId: string, slotAt: number, tz: string): string {
  const p = localParts(slotAt, tz);
  return `${templateId}@${p.date}T${p.time}`;
}

function snapshotOf(t: ChecklistTemplate): TemplateSnapshot {
  return { name: t.name, source: t.source, period: t.period, items: t.items };
}

export function stateOf(
  slot: Pick<Slot, 'slotAt' | 'dueAt' | 'endsAt'>,
  done: number,
  total: number,
  now: number,
): InstanceState {
  if (now < slot.slotAt) return 'upcoming';
  if (total > 0 && done >= total) return 'done';
  if (slot.endsAt !== null && now >= slot.endsAt) return 'missed';
  if (now >= slot.dueAt) return 'overdue';
  return 'open';
}

/** The current state of each item: its last tick or untick. */
function lastByItem(ticks: readonly TickRow[]): Map<string, TickRow> {
  const last = new Map<string, TickRow>();
  for (const t of ticks) last.set(t.itemId, t);
  return last;
}

/**
 * Checklists: an instance per template and slot in the operator's zone, items ticked by a person with
 * the evidence of that moment, reminders when a slot is late, and the history of what was done and missed.
 */
export class Checklists {
  private settings: ChecklistSettings;
  private compiled: Compiled[] = [];
  private readonly repo: ChecklistRepo;

  constructor(
    private readonly deps: ChecklistsDeps,
    settings: ChecklistSettings,
  ) {
    this.repo = deps.repo;
    this.settings = settings;
    this.configure(settings);
  }

  /** Applies templates and settings; returns the templates whose schedule is bad (they are skipped). */
  configure(settings: ChecklistSettings): { file: string; message: string }[] {
    const errors: { file: string; message: string }[] = [];
    const compiled: Compiled[] = [];
    for (const template of settings.templates) {
      if (settings.disabled.includes(template.id)) continue;
      const cron = settings.schedules[template.id] ?? template.schedule;
      try {
        compiled.push({ template, schedule: new Schedule(cron, settings.tz) });
      } catch (err) {
        errors.push({ file: template.file, message: `${template.id}: ${(err as Error).message}` });
      }
    }
    this.settings = settings;
    this.compiled = compiled;
    return errors;
  }

  get timezone(): string {
    return this.settings.tz;
  }

  templates(): readonly Compiled[] {
    return this.compiled;
  }

  // ------------------------------------------------------------------ slots

  private slotOf(c: Compiled, slotAt: number): Slot {
    const tz = this.settings.tz;
    const p = localParts(slotAt, tz);
    const period = c.template.period;
    return {
      id: `${c.template.id}@${p.date}T${p.time}`,
      templateId: c.template.id,
      slotAt,
      localDate: p.date,
      localTime: p.time,
      dueAt: slotAt + this.settings.reminders.afterMinutes * MINUTE,
      // A daily instance belongs to its day; the others last until the next slot.
      endsAt: period === 'daily' ? dayStart(addDays(p.date, 1), tz) : c.schedule.next(slotAt),
      snapshot: snapshotOf(c.template),
      period,
    };
  }

  private slotFromRow(row: InstanceRow): Slot {
    const c = this.compiled.find((x) => x.template.id === row.templateId);
    const p = localParts(row.slotAt, row.timezone);
    const base = c ? this.slotOf(c, row.slotAt) : undefined;
    return {
      id: row.id,
      templateId: row.templateId,
      slotAt: row.slotAt,
      localDate: row.localDate,
      localTime: p.time,
      dueAt: row.slotAt + this.settings.reminders.afterMinutes * MINUTE,
      endsAt:
        base?.endsAt ??
        (row.template.period === 'daily' ? dayStart(addDays(row.localDate, 1), row.timezone) : null),
      snapshot: row.template,
      period: row.template.period,
    };
  }

  /** The slots of one local day: every slot that starts that day, and the weekly/monthly ones in force. */
  private slotsOfDay(date: string, now: number, carryOver: boolean): Slot[] {
    const tz = this.settings.tz;
    const from = dayStart(date, tz);
    const to = dayStart(addDays(date, 1), tz);
    const out: Slot[] = [];
    for (const c of this.compiled) {
      if (carryOver && c.template.period !== 'daily') {
        const latest = c.schedule.latest(Math.min(now, to - 1));
        if (latest !== null && latest < from && (c.schedule.next(latest) ?? Number.POSITIVE_INFINITY) > now) {
          out.push(this.slotOf(c, latest));
        }
      }
      for (const at of c.schedule.between(from, to)) out.push(this.slotOf(c, at));
    }
    return out.sort((a, b) => a.slotAt - b.slotAt || a.templateId.localeCompare(b.templateId));
  }

  /** The slot an instance id names: a stored instance, or a real slot of a current template. */
  private resolve(instanceId: string): Slot {
    const row = this.repo.instance(instanceId);
    if (row) return this.slotFromRow(row);
    const m = /^([a-z0-9][a-z0-9-]*)@(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})$/.exec(instanceId);
    const c = m ? this.compiled.find((x) => x.template.id === m[1]) : undefined;
    if (!m || !c) throw new ApiFailure('not_found', `no checklist "${instanceId}"`);
    const tz = this.settings.tz;
    const date = m[2] as string;
    const at = c.schedule
      .between(dayStart(date, tz), dayStart(addDays(date, 1), tz))
      .find((t) => localParts(t, tz).time === m[3]);
    if (at === undefined) {
      throw new ApiFailure(
        'not_found',
        `"${c.template.id}" has no slot at ${date} ${m[3]} (${c.schedule.cron}, ${tz})`,
      );
    }
    return this.slotOf(c, at);
  }

  // ------------------------------------------------------------------ views

  private async liveEvidence(slot: Slot, item: TemplateItem, now: number): Promise<EvidenceResult[]> {
    return Promise.all(
      item.evidence.map((spec) =>
        readEvidence(this.deps.evidence, spec, { slotAt: slot.slotAt, now, tz: this.settings.tz }),
      ),
    );
  }

  async view(slot: Slot, now: number, opts: { evidence?: boolean } = {}): Promise<ChecklistInstance> {
    const row = this.repo.instance(slot.id);
    const snapshot = row?.template ?? slot.snapshot;
    const last = lastByItem(row ? this.repo.ticks(slot.id) : []);
    const total = snapshot.items.length;
    const done = snapshot.items.filter((i) => last.get(i.id)?.action === 'tick').length;
    const state = stateOf(slot, done, total, now);
    const live = opts.evidence !== false && state !== 'missed' && state !== 'done';
    const t0 = performance.now();
    const items: ChecklistItemView[] = await Promise.all(
      snapshot.items.map(async (item): Promise<ChecklistItemView> => {
        const tick = last.get(item.id);
        const isDone = tick?.action === 'tick';
        const evidence = isDone
          ? (tick?.evidence ?? [])
          : live
            ? await this.liveEvidence(slot, item, now)
            : [];
        return {
          id: item.id,
          group: item.group ?? null,
          text: item.text,
          evidence,
          verdict: itemVerdict(evidence),
          done: isDone,
          last: tick
            ? { action: tick.action, by: tick.actor, at: tick.at, note: tick.note, evidence: tick.evidence }
            : null,
        };
      }),
    );
    return {
      id: slot.id,
      templateId: slot.templateId,
      name: snapshot.name,
      source: snapshot.source,
      period: snapshot.period,
      slotAt: slot.slotAt,
      localDate: slot.localDate,
      localTime: slot.localTime,
      dueAt: slot.dueAt,
      endsAt: slot.endsAt,
      state,
      done,
      total,
      remindedAt: row?.remindedAt ?? null,
      items,
      evidenceMs: live ? Math.round((performance.now() - t0) * 100) / 100 : null,
    };
  }

  async today(now: number): Promise<TodayOutput> {
    const date = localDate(now, this.settings.tz);
    const slots = this.slotsOfDay(date, now, true);
    // A slot that has started has its instance (the job makes them too; this covers a page opened first).
    for (const s of slots) if (s.slotAt <= now && (s.endsAt === null || now < s.endsAt)) this.ensure(s, now);
    const instances = await Promise.all(slots.map((s) => this.view(s, now)));
    let next: TodayOutput['next'] = null;
    for (const c of this.compiled) {
      const at = c.schedule.next(now);
      if (at !== null && (next === null || at < next.at)) {
        next = {
          instanceId: instanceIdOf(c.template.id, at, this.settings.tz),
          templateId: c.template.id,
          name: c.template.name,
          at,
        };
      }
    }
    return { date, timezone: this.settings.tz, now, instances, next };
  }

  async instance(instanceId: string, now: number): Promise<ChecklistInstance> {
    return this.view(this.resolve(instanceId), now);
  }

  // ------------------------------------------------------------------ ticking

  private ensure(slot: Slot, now: number): InstanceRow {
    const existing = this.repo.instance(slot.id);
    if (existing) return existing;
    const row: InstanceRow = {
      id: slot.id,
      templateId: slot.templateId,
      slotAt: slot.slotAt,
      localDate: slot.localDate,
      timezone: this.settings.tz,
      template: slot.snapshot,
      createdAt: now,
      completedAt: null,
      remindedAt: null,
    };
    this.repo.ensureInstance(row);
    return row;
  }

  private tickable(slot: Slot, now: number): void {
    const today = localDate(now, this.settings.tz);
    if (slot.localDate > today) {
      throw new ApiFailure(
        'conflict',
        `${slot.id} is on a later day: it can be ticked from ${slot.localDate}`,
      );
    }
    if (slot.endsAt !== null && now >= slot.endsAt) {
      throw new ApiFailure(
        'conflict',
        `${slot.id} ended at ${new Date(slot.endsAt).toISOString()}: it stays as it was in the history`,
      );
    }
  }

  private record(
    slot: Slot,
    itemId: string,
    action: 'tick' | 'untick',
    by: string,
    note: string | undefined,
    evidence: EvidenceResult[],
    now: number,
  ): void {
    const tick: TickRow = {
      id: randomUUID(),
      instanceId: slot.id,
      itemId,
      action,
      actor: by,
      at: now,
      note: note?.trim() ? note.trim() : null,
      evidence,
    };
    this.repo.addTick(tick);
    this.deps.audit({
      actor: by,
      action: `checklist.${action}`,
      details: {
        instance: slot.id,
        item: itemId,
        note: tick.note,
        evidence: evidence.map((e) => [e.source, e.verdict, e.value]),
      },
    });
  }

  private async finish(slot: Slot, now: number): Promise<ChecklistInstance> {
    const view = await this.view(slot, now);
    const row = this.repo.instance(slot.id);
    const complete = view.done === view.total;
    if (row && complete !== (row.completedAt !== null))
      this.repo.setCompleted(slot.id, complete ? now : null);
    this.deps.changed(view);
    return view;
  }

  async tick(
    instanceId: string,
    itemId: string,
    by: string,
    note: string | undefined,
    now: number,
  ): Promise<ChecklistInstance> {
    const slot = this.resolve(instanceId);
    this.tickable(slot, now);
    const row = this.ensure(slot, now);
    const item = row.template.items.find((i) => i.id === itemId);
    if (!item) throw new ApiFailure('not_found', `${instanceId} has no item "${itemId}"`);
    const current = lastByItem(this.repo.ticks(slot.id)).get(itemId);
    if (current?.action !== 'tick') {
      this.record(slot, itemId, 'tick', by, note, await this.liveEvidence(slot, item, now), now);
    }
    return this.finish(slot, now);
  }

  async untick(
    instanceId: string,
    itemId: string,
    by: string,
    note: string | undefined,
    now: number,
  ): Promise<ChecklistInstance> {
    const slot = this.resolve(instanceId);
    this.tickable(slot, now);
    const row = this.ensure(slot, now);
    const item = row.template.items.find((i) => i.id === itemId);
    if (!item) throw new ApiFailure('not_found', `${instanceId} has no item "${itemId}"`);
    const current = lastByItem(this.repo.ticks(slot.id)).get(itemId);
    if (current?.action !== 'tick') throw new ApiFailure('conflict', `"${itemId}" is not ticked`);
    this.record(slot, itemId, 'untick', by, note, await this.liveEvidence(slot, item, now), now);
    return this.finish(slot, now);
  }

  /** A person confirms, in one click, every unticked item whose evidence all passes. */
  async confirmPassing(instanceId: string, by: string, note: string | undefined, now: number) {
    const slot = this.resolve(instanceId);
    this.tickable(slot, now);
    const row = this.ensure(slot, now);
    const last = lastByItem(this.repo.ticks(slot.id));
    const ticked: string[] = [];
    for (const item of row.template.items) {
      if (last.get(item.id)?.action === 'tick' || item.evidence.length === 0) continue;
      const evidence = await this.liveEvidence(slot, item, now);
      if (itemVerdict(evidence) !== 'pass') continue;
      this.record(slot, item.id, 'tick', by, note, evidence, now);
      ticked.push(item.id);
    }
    return { instance: await this.finish(slot, now), ticked };
  }

  // ------------------------------------------------------------------ schedule

  /** The next slot start or reminder time after `after` (the job runner's calendar). */
  nextEvent(after: number): number | null {
    const afterMs = this.settings.reminders.afterMinutes * MINUTE;
    let next: number | null = null;
    for (const c of this.compiled) {
      for (const t of [
        c.schedule.next(after),
        this.settings.reminders.enabled ? c.schedule.next(after - afterMs) : null,
      ]) {
        if (t === null) continue;
        const at = t <= after ? t + afterMs : t;
        if (at > after && (next === null || at < next)) next = at;
      }
    }
    return next;
  }

  /** Slots of today (and weekly/monthly ones in force) that have started and not ended. */
  private currentSlots(now: number): Slot[] {
    return this.slotsOfDay(localDate(now, this.settings.tz), now, true).filter(
      (s) => s.slotAt <= now && (s.endsAt === null || now < s.endsAt),
    );
  }

  /** Creates the instances whose slot has come and sends the reminders that are due. */
  async runSchedule(now: number): Promise<void> {
    for (const slot of this.currentSlots(now)) {
      const row = this.ensure(slot, now);
      if (!this.settings.reminders.enabled || now < slot.dueAt || row.remindedAt !== null) continue;
      const last = lastByItem(this.repo.ticks(slot.id));
      const done = row.template.items.filter((i) => last.get(i.id)?.action === 'tick').length;
      const total = row.template.items.length;
      if (done >= total) continue;
      this.sendReminder(slot, row.template, done, total, now);
      this.repo.setReminded(slot.id, now);
      this.deps.changed(await this.view(slot, now, { evidence: false }));
    }
  }

  private sendReminder(slot: Slot, t: TemplateSnapshot, done: number, total: number, now: number): void {
    const r = this.settings.reminders;
    const late = Math.round((now - slot.slotAt) / MINUTE);
    const ja = this.deps.locale() === 'ja';
    this.deps.remind({
      severity: r.severity,
      channels: [...r.channels],
      dedupeKey: `checklist:${slot.id}:reminder`,
      title: ja ? `チェックリスト未完了: ${t.name.ja}` : `Checklist overdue: ${t.name.en}`,
      body: ja
        ? `${slot.localDate} ${slot.localTime} の「${t.name.ja}」が ${late} 分過ぎても完了していません（完了 ${done}/${total} 項目）。`
        : `"${t.name.en}" of ${slot.localDate} ${slot.localTime} is still not complete ${late} minutes later (${done} of ${total} items done).`,
    });
  }

  /** Unticked items of overdue slots, per template: the `app.checklist_overdue{slot}` gauge. */
  overdue(now: number): { templateId: string; value: number }[] {
    const byTemplate = new Map(this.compiled.map((c) => [c.template.id, 0]));
    for (const slot of this.currentSlots(now)) {
      if (now < slot.dueAt) continue;
      const row = this.repo.instance(slot.id);
      const items = row?.template.items ?? slot.snapshot.items;
      const last = lastByItem(row ? this.repo.ticks(slot.id) : []);
      const open = items.filter((i) => last.get(i.id)?.action !== 'tick').length;
      byTemplate.set(slot.templateId, (byTemplate.get(slot.templateId) ?? 0) + open);
    }
    return [...byTemplate.entries()].map(([templateId, value]) => ({ templateId, value }));
  }

  /** Open instances of today, with live evidence: pushed to the pages every minute. */
  async openInstances(now: number): Promise<ChecklistInstance[]> {
    const views = await Promise.all(this.currentSlots(now).map((s) => this.view(s, now)));
    return views.filter((v) => v.state === 'open' || v.state === 'overdue');
  }

  // ------------------------------------------------------------------ history

  history(to: string | undefined, days: number, now: number): HistoryOutput {
    const tz = this.settings.tz;
    const last = to ?? localDate(now, tz);
    const first = addDays(last, -(days - 1));
    const rows = this.repo.instancesBetween(first, last);
    // Days before checklists started here are not "missed": only what was recorded is shown for them.
    const since = localDate(this.repo.firstCreatedAt() ?? now, tz);
    const out: HistoryOutput['days'] = [];
    for (let d = first; d <= last; d = addDays(d, 1)) {
      const expected = d < since ? [] : this.slotsOfDay(d, now, false);
      const slots = new Map(expected.map((s) => [s.id, s]));
      for (const row of rows)
        if (row.localDate === d && !slots.has(row.id)) slots.set(row.id, this.slotFromRow(row));
      const daySlots = [...slots.values()]
        .sort((a, b) => a.slotAt - b.slotAt)
        .map((slot) => {
          const row = rows.find((r) => r.id === slot.id);
          const snapshot = row?.template ?? slot.snapshot;
          const ticks = row ? this.repo.ticks(slot.id) : [];
          const lastTick = lastByItem(ticks);
          const doneItems = snapshot.items.filter((i) => lastTick.get(i.id)?.action === 'tick');
          const state = stateOf(slot, doneItems.length, snapshot.items.length, now);
          return {
            instanceId: slot.id,
            templateId: slot.templateId,
            name: snapshot.name,
            slotAt: slot.slotAt,
            state,
            done: doneItems.length,
            total: snapshot.items.length,
            missed: snapshot.items
              .filter((i) => lastTick.get(i.id)?.action !== 'tick')
              .map((i) => ({ itemId: i.id, text: i.text })),
            ticks: ticks.map((t) => ({
              itemId: t.itemId,
              action: t.action,
              by: t.actor,
              at: t.at,
              note: t.note,
              evidence: t.evidence,
            })),
          };
        });
      const due = daySlots.filter((s) => s.state !== 'upcoming');
      out.push({
        date: d,
        slots: daySlots,
        done: due.reduce((n, s) => n + s.done, 0),
        total: due.reduce((n, s) => n + s.total, 0),
      });
    }
    const weeks = new Map<string, HistoryOutput['weeks'][number]>();
    for (const day of out) {
      const key = weekStart(day.date);
      const w = weeks.get(key) ?? { weekStart: key, done: 0, total: 0, slotsComplete: 0, slots: 0 };
      for (const s of day.slots) {
        if (s.state === 'upcoming') continue;
        w.done += s.done;
        w.total += s.total;
        w.slots += 1;
        if (s.state === 'done') w.slotsComplete += 1;
      }
      weeks.set(key, w);
    }
    return { timezone: tz, days: out, weeks: [...weeks.values()] };
  }
}

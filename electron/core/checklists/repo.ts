import type BetterSqlite3 from 'better-sqlite3';
import type { EvidenceResult } from '../../../shared/api/checklists.js';
import type { Store } from '../store/index.js';
import type { TemplateItem } from './templates.js';

/** The template as an instance keeps it. */
export interface TemplateSnapshot {
  name: { ja: string; en: string };
  source: string;
  period: 'daily' | 'weekly' | 'monthly' | 'other';
  items: TemplateItem[];
}

export interface InstanceRow {
  id: string;
  templateId: string;
  slotAt: number;
  localDate: string;
  timezone: string;
  template: TemplateSnapshot;
  createdAt: number;
  completedAt: number | null;
  remindedAt: number | null;
}

export interface TickRow {
  id: string;
  instanceId: string;
  itemId: string;
  action: 'tick' | 'untick';
  actor: string;
  at: number;
  note: string | null;
  evidence: EvidenceResult[];
}

interface InstanceDb {
  id: string;
  template_id: string;
  slot_at: number;
  local_date: string;
  timezone: string;
  template: string;
  created_at: number;
  completed_at: number | null;
  reminded_at: number | null;
}

interface TickDb {
  id: string;
  instance_id: string;
  item_id: string;
  action: 'tick' | 'untick';
  actor: string;
  at: number;
  note: string | null;
  evidence: string;
}

const OWNER = 'checklists';

/**
 * Reads from the database, writes through the store's one write path. While the database refuses
 * writes they wait there, and this repo keeps them in memory too, so the page shows a tick at once.
 */
export class ChecklistRepo {
  private readonly db: BetterSqlite3.Database;
  private readonly pendingInstances = new Map<string, InstanceRow>();
  private pendingTicks: TickRow[] = [];
  private readonly selectInstance;
  private readonly selectTicks;
  private readonly selectByDates;

  constructor(private readonly store: Store) {
    this.db = store.db;
    this.selectInstance = this.db.prepare<[string], InstanceDb>(
      'SELECT * FROM checklist_instances WHERE id = ?',
    );
    this.selectTicks = this.db.prepare<[string], TickDb>(
      'SELECT * FROM checklist_ticks WHERE instance_id = ? ORDER BY seq',
    );
    this.selectByDates = this.db.prepare<[string, string], InstanceDb>(
      'SELECT * FROM checklist_instances WHERE local_date BETWEEN ? AND ? ORDER BY slot_at',
    );
  }

  instance(id: string): InstanceRow | undefined {
    this.settle();
    const row = this.selectInstance.get(id);
    return row ? fromDb(row) : this.pendingInstances.get(id);
  }

  /** Instances whose local date is in [from, to]. */
  instancesBetween(from: string, to: string): InstanceRow[] {
    this.settle();
    const rows = this.selectByDates.all(from, to).map(fromDb);
    const ids = new Set(rows.map((r) => r.id));
    for (const p of this.pendingInstances.values()) {
      if (!ids.has(p.id) && p.localDate >= from && p.localDate <= to) rows.push(p);
    }
    return rows.sort((a, b) => a.slotAt - b.slotAt);
  }

  /** When the first instance was recorded (checklists started here), epoch ms, or null. */
  firstCreatedAt(): number | null {
    this.settle();
    const row = this.db
      .prepare<[], { t: number | null }>('SELECT min(created_at) AS t FROM checklist_instances')
      .get();
    let first = row?.t ?? null;
    for (const p of this.pendingInstances.values())
      if (first === null || p.createdAt < first) first = p.createdAt;
    return first;
  }

  ticks(instanceId: string): TickRow[] {
    this.settle();
    const rows = this.selectTicks.all(instanceId).map(tickFromDb);
    const ids = new Set(rows.map((r) => r.id));
    for (const p of this.pendingTicks) if (p.instanceId === instanceId && !ids.has(p.id)) rows.push(p);
    return rows;
  }

  ensureInstance(row: InstanceRow): void {
    if (this.instance(row.id)) return;
    const outcome = this.store.writes.write(
      OWNER,
      (db) => {
        db.prepare(
          `INSERT OR IGNORE INTO checklist_instances
             (id, template_id, slot_at, local_date, timezone, template, created_at, completed_at, reminded_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          row.id,
          row.templateId,
          row.slotAt,
          row.localDate,
          row.timezone,
          JSON.stringify(row.template),
          row.createdAt,
          row.completedAt,
          row.remindedAt,
        );
      },
      { key: `checklist-instance:${row.id}` },
    );
    if (outcome === 'waiting') this.pendingInstances.set(row.id, { ...row });
  }

  setReminded(id: string, at: number): void {
    const pending = this.pendingInstances.get(id);
    if (pending) pending.remindedAt = at;
    const outcome = this.store.writes.write(OWNER, (db) => {
      db.prepare('UPDATE checklist_instances SET reminded_at = ? WHERE id = ?').run(at, id);
    });
    if (outcome === 'waiting' && !pending) {
      const row = this.instance(id);
      if (row) this.pendingInstances.set(id, { ...row, remindedAt: at });
    }
  }

  setCompleted(id: string, at: number | null): void {
    const pending = this.pendingInstances.get(id);
    if (pending) pending.completedAt = at;
    this.store.writes.write(OWNER, (db) => {
      db.prepare('UPDATE checklist_instances SET completed_at = ? WHERE id = ?').run(at, id);
    });
  }

  addTick(tick: TickRow): void {
    const outcome = this.store.writes.write(OWNER, (db) => {
      db.prepare(
        `INSERT OR IGNORE INTO checklist_ticks (id, instance_id, item_id, action, actor, at, note, evidence)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        tick.id,
        tick.instanceId,
        tick.itemId,
        tick.action,
        tick.actor,
        tick.at,
        tick.note,
        JSON.stringify(tick.evidence),
      );
    });
    if (outcome === 'waiting') this.pendingTicks.push(tick);
  }

  /** Forgets what waited once the write path has written (or given up) everything of ours. */
  private settle(): void {
    if (this.pendingTicks.length === 0 && this.pendingInstances.size === 0) return;
    if (this.store.writes.waitingFor(OWNER) > 0) return;
    this.pendingTicks = [];
    this.pendingInstances.clear();
  }
}

function fromDb(r: InstanceDb): InstanceRow {
  return {
    id: r.id,
    templateId: r.template_id,
    slotAt: r.slot_at,
    localDate: r.local_date,
    timezone: r.timezone,
    template: JSON.parse(r.template) as TemplateSnapshot,
    createdAt: r.created_at,
    completedAt: r.completed_at,
    remindedAt: r.reminded_at,
  };
}

function tickFromDb(r: TickDb): TickRow {
  return {
    id: r.id,
    instanceId: r.instance_id,
    itemId: r.item_id,
    action: r.action,
    actor: r.actor,
    at: r.at,
    note: r.note,
    evidence: JSON.parse(r.evidence) as EvidenceResult[],
  };
}

import type BetterSqlite3 from 'better-sqlite3';
import type { Alert, AlertState, AlertTransition } from '../../../shared/api/alerts.js';
import type { AlertSeverity } from '../../../shared/config/alerts.js';
import type { SilenceRecord } from './maintenance.js';

/** An alert as the engine holds it: the API shape plus what only the engine needs. */
export interface AlertRow extends Alert {
  /** When notification started for this alert (the escalation clock); null until first sent. */
  firstNotifiedAt: number | null;
}

interface DbAlert {
  id: string;
  rule_id: string;
  rule_name: string;
  series_key: string;
  metric: string;
  labels: string;
  state: AlertState;
  severity: AlertSeverity;
  op: string;
  threshold: number;
  value: number | null;
  message: string;
  suppressed: number;
  suppressed_by: string | null;
  started_at: number;
  fired_at: number | null;
  acked_at: number | null;
  ack_by: string | null;
  ack_note: string | null;
  resolved_at: number | null;
  first_notified_at: number | null;
  last_notified_at: number | null;
  escalation_level: number;
  action: string | null;
  action_state: Alert['actionState'];
  updated_at: number;
}

interface DbEvent {
  seq: number;
  alert_id: string;
  ts: number;
  type: string;
  from_state: AlertState | null;
  to_state: AlertState | null;
  value: number | null;
  actor: string | null;
  detail: string | null;
}

interface DbSilence {
  id: string;
  rule_id: string | null;
  matchers: string;
  starts_at: number;
  ends_at: number;
  reason: string;
  created_by: string;
  created_at: number;
  expired_at: number | null;
}

export interface NewEvent {
  alertId: string;
  ts: number;
  type: string;
  fromState?: AlertState | null;
  toState?: AlertState | null;
  value?: number | null;
  actor?: string | null;
  detail?: string | null;
}

export interface HistoryFilter {
  from?: number;
  to?: number;
  ruleId?: string;
  severity?: AlertSeverity;
  states?: AlertState[];
  includeInactive: boolean;
  limit: number;
  before?: number;
  beforeId?: string;
}

function toRow(r: DbAlert): AlertRow {
  return {
    id: r.id,
    ruleId: r.rule_id,
    ruleName: r.rule_name,
    seriesKey: r.series_key,
    metric: r.metric,
    labels: JSON.parse(r.labels) as Record<string, string>,
    state: r.state,
    severity: r.severity,
    op: r.op,
    threshold: r.threshold,
    value: r.value,
    message: r.message,
    suppressed: r.suppressed === 1,
    suppressedBy: r.suppressed_by,
    startedAt: r.started_at,
    firedAt: r.fired_at,
    ackedAt: r.acked_at,
    ackBy: r.ack_by,
    ackNote: r.ack_note,
    resolvedAt: r.resolved_at,
    firstNotifiedAt: r.first_notified_at,
    lastNotifiedAt: r.last_notified_at,
    escalationLevel: r.escalation_level,
    action: r.action,
    actionState: r.action_state,
  };
}

function toSilence(r: DbSilence): SilenceRecord {
  return {
    id: r.id,
    ruleId: r.rule_id,
    matchers: JSON.parse(r.matchers) as SilenceRecord['matchers'],
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    reason: r.reason,
    createdBy: r.created_by,
    createdAt: r.created_at,
    source: 'api',
    expiredAt: r.expired_at,
  };
}

const OPEN = "('pending', 'firing', 'acknowledged')";

/** All SQL of the alert engine, prepared once. */
export class AlertsRepo {
  private readonly upsert: BetterSqlite3.Statement;
  private readonly insertEvent: BetterSqlite3.Statement;
  private readonly selectOpen: BetterSqlite3.Statement<[], DbAlert>;
  private readonly selectOne: BetterSqlite3.Statement<[string], DbAlert>;
  private readonly selectEvents: BetterSqlite3.Statement<[string], DbEvent>;
  private readonly insertSilence: BetterSqlite3.Statement;
  private readonly expireSilence: BetterSqlite3.Statement;
  private readonly selectSilences: BetterSqlite3.Statement<[number], DbSilence>;
  private readonly selectState: BetterSqlite3.Statement<[string], { value: string }>;
  private readonly upsertState: BetterSqlite3.Statement;

  constructor(readonly db: BetterSqlite3.Database) {
    this.upsert = db.prepare(`
      INSERT INTO alerts (id, rule_id, rule_name, series_key, metric, labels, state, severity, op, threshold,
        value, message, suppressed, suppressed_by, started_at, fired_at, acked_at, ack_by, ack_note, resolved_at,
        first_notified_at, last_notified_at, escalation_level, action, action_state, updated_at)
      VALUES (@id, @ruleId, @ruleName, @seriesKey, @metric, @labels, @state, @severity, @op, @threshold,
        @value, @message, @suppressed, @suppressedBy, @startedAt, @firedAt, @ackedAt, @ackBy, @ackNote, @resolvedAt,
        @firstNotifiedAt, @lastNotifiedAt, @escalationLevel, @action, @actionState, @updatedAt)
      ON CONFLICT(id) DO UPDATE SET rule_name = excluded.rule_name, state = excluded.state,
        severity = excluded.severity, op = excluded.op, threshold = excluded.threshold, value = excluded.value,
        message = excluded.message, suppressed = excluded.suppressed, suppressed_by = excluded.suppressed_by,
        fired_at = excluded.fired_at, acked_at = excluded.acked_at, ack_by = excluded.ack_by,
        ack_note = excluded.ack_note, resolved_at = excluded.resolved_at,
        first_notified_at = excluded.first_notified_at, last_notified_at = excluded.last_notified_at,
        escalation_level = excluded.escalation_level, action = excluded.action,
        action_state = excluded.action_state, updated_at = excluded.updated_at`);
    this.insertEvent = db.prepare(
      `INSERT INTO alert_events (alert_id, ts, type, from_state, to_state, value, actor, detail)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.selectOpen = db.prepare(`SELECT * FROM alerts WHERE state IN ${OPEN} ORDER BY started_at`);
    this.selectOne = db.prepare('SELECT * FROM alerts WHERE id = ?');
    this.selectEvents = db.prepare('SELECT * FROM alert_events WHERE alert_id = ? ORDER BY seq');
    this.insertSilence = db.prepare(
      `INSERT INTO silences (id, rule_id, matchers, starts_at, ends_at, reason, created_by, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.expireSilence = db.prepare('UPDATE silences SET expired_at = ?, expired_by = ? WHERE id = ?');
    this.selectSilences = db.prepare(
      'SELECT * FROM silences WHERE ends_at > ? ORDER BY created_at DESC LIMIT 1000',
    );
    this.selectState = db.prepare('SELECT value FROM alert_engine_state WHERE key = ?');
    this.upsertState = db.prepare(
      'INSERT INTO alert_engine_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
    );
  }

  saveAlert(a: AlertRow, now: number): void {
    this.saveParams(this.alertParams(a, now));
  }

  /** The row's values as they are now: taken when a batch commits, written when the database accepts it. */
  alertParams(a: AlertRow, now: number): Record<string, unknown> {
    return {
      id: a.id,
      ruleId: a.ruleId,
      ruleName: a.ruleName,
      seriesKey: a.seriesKey,
      metric: a.metric,
      labels: JSON.stringify(a.labels),
      state: a.state,
      severity: a.severity,
      op: a.op,
      threshold: a.threshold,
      value: a.value,
      message: a.message,
      suppressed: a.suppressed ? 1 : 0,
      suppressedBy: a.suppressedBy,
      startedAt: a.startedAt,
      firedAt: a.firedAt,
      ackedAt: a.ackedAt,
      ackBy: a.ackBy,
      ackNote: a.ackNote,
      resolvedAt: a.resolvedAt,
      firstNotifiedAt: a.firstNotifiedAt,
      lastNotifiedAt: a.lastNotifiedAt,
      escalationLevel: a.escalationLevel,
      action: a.action,
      // The table predates 'running' (its CHECK allows done/deferred/failed/skipped): a running action is
      // stored as not settled yet, and its outcome is written when it settles.
      actionState: a.actionState === 'running' ? null : a.actionState,
      updatedAt: now,
    };
  }

  saveParams(params: Record<string, unknown>): void {
    this.upsert.run(params);
  }

  /**
   * Retention: deletes ended alerts (resolved or never fired) that ended before `before`, with their
   * events, at most `limit` per call. Open alerts are never touched.
   */
  prune(before: number, limit = 5_000): number {
    const ids = this.db
      .prepare<[number, number], { id: string }>(
        "SELECT id FROM alerts WHERE state IN ('resolved', 'inactive') AND resolved_at < ? LIMIT ?",
      )
      .all(before, limit)
      .map((r) => r.id);
    if (ids.length === 0) return 0;
    const delEvents = this.db.prepare('DELETE FROM alert_events WHERE alert_id = ?');
    const delAlert = this.db.prepare('DELETE FROM alerts WHERE id = ?');
    for (const id of ids) {
      delEvents.run(id);
      delAlert.run(id);
    }
    return ids.length;
  }

  addEvent(e: NewEvent): void {
    this.insertEvent.run(
      e.alertId,
      e.ts,
      e.type,
      e.fromState ?? null,
      e.toState ?? null,
      e.value ?? null,
      e.actor ?? null,
      e.detail ?? null,
    );
  }

  openAlerts(): AlertRow[] {
    return this.selectOpen.all().map(toRow);
  }

  alert(id: string): AlertRow | undefined {
    const r = this.selectOne.get(id);
    return r ? toRow(r) : undefined;
  }

  events(alertId: string): AlertTransition[] {
    return this.selectEvents.all(alertId).map((r) => ({
      seq: r.seq,
      alertId: r.alert_id,
      ts: r.ts,
      type: r.type,
      fromState: r.from_state,
      toState: r.to_state,
      value: r.value,
      actor: r.actor,
      detail: r.detail,
    }));
  }

  history(f: HistoryFilter): AlertRow[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (f.from !== undefined) {
      // Anything that overlaps [from, to]: still open, or ended after from.
      where.push('(resolved_at IS NULL OR resolved_at >= ?)');
      args.push(f.from);
    }
    if (f.to !== undefined) {
      where.push('started_at <= ?');
      args.push(f.to);
    }
    if (f.before !== undefined && f.beforeId !== undefined) {
      where.push('(started_at < ? OR (started_at = ? AND id < ?))');
      args.push(f.before, f.before, f.beforeId);
    } else if (f.before !== undefined) {
      where.push('started_at < ?');
      args.push(f.before);
    }
    if (f.ruleId !== undefined) {
      where.push('rule_id = ?');
      args.push(f.ruleId);
    }
    if (f.severity !== undefined) {
      where.push('severity = ?');
      args.push(f.severity);
    }
    const states = f.states ?? [];
    if (states.length > 0) {
      where.push(`state IN (${states.map(() => '?').join(', ')})`);
      args.push(...states);
    } else if (!f.includeInactive) {
      where.push("state <> 'inactive'");
    }
    const sql = `SELECT * FROM alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY started_at DESC, id DESC LIMIT ?`;
    return this.db
      .prepare<(string | number)[], DbAlert>(sql)
      .all(...args, f.limit)
      .map(toRow);
  }

  addSilence(s: SilenceRecord): void {
    this.insertSilence.run(
      s.id,
      s.ruleId,
      JSON.stringify(s.matchers),
      s.startsAt,
      s.endsAt,
      s.reason,
      s.createdBy,
      s.createdAt,
    );
  }

  endSilence(id: string, at: number, by: string): void {
    this.expireSilence.run(at, by, id);
  }

  /** Silences that have not ended by `after` (expired early ones included, for the list). */
  silences(after: number): SilenceRecord[] {
    return this.selectSilences.all(after).map(toSilence);
  }

  getState(key: string): string | undefined {
    return this.selectState.get(key)?.value;
  }

  setState(key: string, value: string): void {
    this.upsertState.run(key, value);
  }
}

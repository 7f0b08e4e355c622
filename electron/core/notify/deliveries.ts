import type BetterSqlite3 from 'better-sqlite3';
import type { NotifySeverity } from '../../../shared/config/notify.js';
import type { DeliveryFilter, DeliveryRecord, DeliveryStatus, MessageKind, NotifyContext } from './types.js';

interface Row {
  id: number;
  message_id: string;
  channel_id: string;
  channel_type: string;
  kind: MessageKind;
  severity: NotifySeverity;
  alert_id: string | null;
  title: string;
  body: string;
  status: DeliveryStatus;
  attempts: number;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  sent_at: number | null;
  next_attempt_at: number | null;
  pending_to: string | null;
  dedupe_key: string | null;
  context: string | null;
}

export interface DeliveryUpdate {
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  updatedAt: number;
  sentAt: number | null;
  nextAttemptAt: number | null;
  pendingTo: string[] | null;
}

/** A delivery as the notifier holds it: the API's record plus what only sending needs. */
export interface StoredDelivery extends DeliveryRecord {
  dedupeKey: string | null;
  /** SMS recipients still to reach (a partial failure retries only those). */
  pendingTo: string[] | null;
  context: NotifyContext | null;
}

const COLUMNS = `id, message_id, channel_id, channel_type, kind, severity, alert_id, title, body, status,
  attempts, last_error, created_at, updated_at, sent_at, next_attempt_at, pending_to, dedupe_key, context`;

function toRecord(r: Row): DeliveryRecord {
  return {
    id: r.id,
    messageId: r.message_id,
    channelId: r.channel_id,
    channelType: r.channel_type,
    kind: r.kind,
    severity: r.severity,
    alertId: r.alert_id,
    title: r.title,
    body: r.body,
    status: r.status,
    attempts: r.attempts,
    lastError: r.last_error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    sentAt: r.sent_at,
    nextAttemptAt: r.next_attempt_at,
  };
}

/** SQL for the notify_deliveries table (migration 004). */
export class DeliveryRepo {
  private readonly upsertStmt;
  private readonly getStmt;
  private readonly lastAcceptedStmt;
  private readonly duplicateStmt;
  private readonly openStmt;
  private readonly pruneStmt;

  constructor(private readonly db: BetterSqlite3.Database) {
    this.upsertStmt = db.prepare(
      `INSERT INTO notify_deliveries (id, message_id, channel_id, channel_type, kind, severity, alert_id, dedupe_key,
         title, body, status, attempts, last_error, created_at, updated_at, sent_at, next_attempt_at, pending_to,
         context)
       VALUES (@id, @messageId, @channelId, @channelType, @kind, @severity, @alertId, @dedupeKey,
         @title, @body, @status, @attempts, @lastError, @createdAt, @updatedAt, @sentAt, @nextAttemptAt, @pendingTo,
         @context)
       ON CONFLICT(id) DO UPDATE SET status = excluded.status, attempts = excluded.attempts,
         last_error = excluded.last_error, updated_at = excluded.updated_at, sent_at = excluded.sent_at,
         next_attempt_at = excluded.next_attempt_at, pending_to = excluded.pending_to`,
    );
    this.getStmt = db.prepare<[number], Row>(`SELECT ${COLUMNS} FROM notify_deliveries WHERE id = ?`);
    // A message that finally failed does not hold the rate-limit window: nothing reached anyone.
    this.lastAcceptedStmt = db.prepare<[string], { at: number | null }>(
      `SELECT max(created_at) AS at FROM notify_deliveries
       WHERE channel_id = ? AND status IN ('queued', 'retrying', 'sent') AND kind <> 'test'`,
    );
    this.duplicateStmt = db.prepare<[string, string], { id: number }>(
      `SELECT id FROM notify_deliveries WHERE channel_id = ? AND dedupe_key = ? AND status <> 'failed' LIMIT 1`,
    );
    this.openStmt = db.prepare<[], Row>(
      `SELECT ${COLUMNS} FROM notify_deliveries WHERE status IN ('queued', 'retrying') ORDER BY id`,
    );
    this.pruneStmt = db.prepare(
      `DELETE FROM notify_deliveries WHERE created_at < ? AND status NOT IN ('queued', 'retrying')`,
    );
  }

  upsert(d: StoredDelivery): void {
    this.upsertStmt.run({
      ...d,
      pendingTo: d.pendingTo ? JSON.stringify(d.pendingTo) : null,
      context: d.context ? JSON.stringify(d.context) : null,
    });
  }

  maxId(): number {
    return (
      (this.db.prepare('SELECT max(id) AS id FROM notify_deliveries').get() as { id: number | null }).id ?? 0
    );
  }

  get(id: number): DeliveryRecord | undefined {
    const row = this.getStmt.get(id);
    return row ? toRecord(row) : undefined;
  }

  lastAcceptedAt(channelId: string): number | null {
    return this.lastAcceptedStmt.get(channelId)?.at ?? null;
  }

  hasDuplicate(channelId: string, dedupeKey: string): boolean {
    return this.duplicateStmt.get(channelId, dedupeKey) !== undefined;
  }

  /** Deliveries still to be attempted (queued or retrying), e.g. left over from before a restart. */
  open(): StoredDelivery[] {
    return this.openStmt.all().map((r) => ({
      ...toRecord(r),
      dedupeKey: r.dedupe_key,
      pendingTo: r.pending_to ? (JSON.parse(r.pending_to) as string[]) : null,
      context: r.context ? (JSON.parse(r.context) as NotifyContext) : null,
    }));
  }

  list(filter: DeliveryFilter = {}): DeliveryRecord[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (filter.since !== undefined) {
      where.push('created_at >= ?');
      params.push(filter.since);
    }
    if (filter.until !== undefined) {
      where.push('created_at <= ?');
      params.push(filter.until);
    }
    if (filter.channelId !== undefined) {
      where.push('channel_id = ?');
      params.push(filter.channelId);
    }
    if (filter.alertId !== undefined) {
      where.push('alert_id = ?');
      params.push(filter.alertId);
    }
    if (filter.status && filter.status.length > 0) {
      where.push(`status IN (${filter.status.map(() => '?').join(', ')})`);
      params.push(...filter.status);
    }
    if (filter.beforeId !== undefined) {
      where.push('id < ?');
      params.push(filter.beforeId);
    }
    const limit = Math.min(Math.max(Math.trunc(filter.limit ?? 100), 1), 1000);
    const sql = `SELECT ${COLUMNS} FROM notify_deliveries ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY id DESC LIMIT ${limit}`;
    return this.db
      .prepare<(string | number)[], Row>(sql)
      .all(...params)
      .map(toRecord);
  }

  /** Deletes finished deliveries created before `before`; returns how many. */
  prune(before: number): number {
    return this.pruneStmt.run(before).changes;
  }
}

import { randomUUID } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import { ApiFailure } from '../../../shared/api/contract.js';
import {
  type ChannelConfig,
  type NotifyConfig,
  parseDurationMs,
  severityRank,
} from '../../../shared/config/notify.js';
import type { Clock } from '../clock/index.js';
import { MissingEnvError, maskKnown, maskSecrets, resolveEnvRefsDeep } from '../secrets/index.js';
import { createWritePath, type WritePath } from '../store/index.js';
import { DeliveryError, deliver, secretValues } from './channels.js';
import { DeliveryRepo, type DeliveryUpdate, type StoredDelivery } from './deliveries.js';
import type { Outgoing } from './format.js';
import type {
  DeliveryFilter,
  DeliveryRecord,
  DeliveryStatus,
  DesktopNotifyPort,
  NotifyDeliveryEvent,
  NotifyMessage,
} from './types.js';

/** Waits after the 1st, 2nd, 3rd and 4th failed attempt; later ones reuse the last. */
export const BACKOFF_MS: readonly number[] = [5_000, 30_000, 120_000, 600_000];

/** The wait before the next attempt, after `failedAttempts` (1-based) attempts have failed. */
export function backoffDelayMs(failedAttempts: number): number {
  const i = Math.min(Math.max(failedAttempts, 1), BACKOFF_MS.length) - 1;
  return BACKOFF_MS[i]!;
}

export interface NotifierDeps {
  db: BetterSqlite3.Database;
  clock: Clock;
  desktop: DesktopNotifyPort;
  config: NotifyConfig;
  onEvent?(e: NotifyDeliveryEvent): void;
  fetchImpl?: typeof fetch;
  env?: Record<string, string | undefined>;
  /** Attempts running at once over all channels (default 8); the rest wait for a free slot. */
  maxConcurrent?: number;
  /** Where internal errors go (already masked); default console.error. */
  log?(message: string): void;
  /** The store's write path; default one of its own over `db`. */
  writes?: WritePath;
  /** The dashboard's address (ends with '/'): alert messages link to `<it>#/alerts?alert=<id>`. */
  dashboardUrl?: () => string | undefined;
}

export interface Notifier {
  /**
   * Records one delivery per channel and returns at once; sending happens asynchronously. Never
   * throws: a broken database or channel is logged, not propagated to the alert engine.
   */
  send(msg: NotifyMessage): void;
  setConfig(config: NotifyConfig): void;
  /** Starts the retries that are due. Core calls it every second. */
  tick(): void;
  deliveries(filter?: DeliveryFilter): DeliveryRecord[];
  /**
   * Sends a test message to one channel (even a disabled one, ignoring its rate limit) with a single
   * attempt; resolves with the recorded outcome. Throws ApiFailure not_found for an unknown channel.
   */
  test(channelId: string): Promise<DeliveryRecord>;
  /** Resolves when no attempt is running (tests and benchmarks). */
  idle(): Promise<void>;
  /** Deletes finished deliveries created before `before` (epoch ms); returns the count. */
  prune(before: number): number;
  /** Stops starting attempts and waits for running ones, at most timeoutMs. Open ones resume next start. */
  close(timeoutMs?: number): Promise<void>;
}

interface Job {
  record: StoredDelivery;
  outgoing: Outgoing;
  maxAttempts: number;
  nextAttemptAt: number;
  running: boolean;
  /** test() waits on this; called with the final record. */
  settle?: (record: DeliveryRecord) => void;
}

type Admission = { status: DeliveryStatus; reason: string | null };

function indexChannels(config: NotifyConfig): Map<string, ChannelConfig> {
  return new Map(config.channels.map((c) => [c.id, c]));
}

/**
 * A rule's runbook as a link: a shipped runbook's id becomes its page in the dashboard (opened about the
 * alert, when one is named); a URL stays as it is. The Alertmanager forwarder and the Prometheus rule
 * file build their `runbook_url` with it too.
 */
export function runbookLink(
  runbook: string | null | undefined,
  dashboard: string | undefined,
  alertId?: string | null,
): string | undefined {
  if (!runbook) return undefined;
  if (/^https?:\/\//.test(runbook) || !dashboard) return runbook;
  const subject = alertId ? `?subject=alert:${encodeURIComponent(alertId)}` : '';
  return `${dashboard}#/incidents/runbook/${encodeURIComponent(runbook)}${subject}`;
}

function toOutgoing(msg: NotifyMessage, now: number, dashboard: string | undefined): Outgoing {
  const url =
    msg.alertId && dashboard ? `${dashboard}#/alerts?alert=${encodeURIComponent(msg.alertId)}` : undefined;
  const runbookUrl = runbookLink(msg.context?.runbook, dashboard, msg.alertId);
  return {
    kind: msg.kind,
    severity: msg.severity,
    title: msg.title,
    body: msg.body,
    alertId: msg.alertId ?? null,
    createdAt: now,
    ...(msg.context || url
      ? {
          context: {
            ...msg.context,
            ...(url ? { url } : {}),
            ...(runbookUrl ? { runbook: runbookUrl } : {}),
          },
        }
      : {}),
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function publicRecord(r: StoredDelivery): DeliveryRecord {
  const { dedupeKey: _d, pendingTo: _p, context: _c, ...rest } = r;
  return { ...rest };
}

function matches(r: DeliveryRecord, f: DeliveryFilter): boolean {
  return (
    (f.since === undefined || r.createdAt >= f.since) &&
    (f.until === undefined || r.createdAt <= f.until) &&
    (f.channelId === undefined || r.channelId === f.channelId) &&
    (f.alertId === undefined || r.alertId === f.alertId) &&
    (!f.status || f.status.length === 0 || f.status.includes(r.status)) &&
    (f.beforeId === undefined || r.id < f.beforeId)
  );
}

/**
 * Deliveries are held in memory while they are attempted and written through the store's write path
 * at every change: a database that refuses writes never stops an alert or an emergency stop from
 * reaching people, and the records go in once it accepts writes again.
 */
export function createNotifier(deps: NotifierDeps): Notifier {
  const { db, clock } = deps;
  const repo = new DeliveryRepo(db);
  const env = deps.env ?? process.env;
  const fetchImpl = deps.fetchImpl ?? fetch;
  const maxConcurrent = deps.maxConcurrent ?? 8;
  const log = deps.log ?? ((m: string) => console.error(`[notify] ${m}`));
  const writes =
    deps.writes ??
    createWritePath({ db, file: db.name, now: () => clock.now(), log: (m) => log(maskSecrets(m)) });

  let config = deps.config;
  let channels = indexChannels(config);
  const jobs = new Map<number, Job>();
  /** Records whose newest state may still wait for the database: reads merge them in. */
  const unwritten = new Map<number, StoredDelivery>();
  const inflight = new Set<Promise<void>>();
  let closed = false;
  let pumpQueued = false;
  let nextId = 1;
  try {
    nextId = repo.maxId() + 1;
    // Deliveries left queued or retrying by a previous run go on where they stopped (their stored
    // title and body are the masked ones).
    for (const d of repo.open()) {
      jobs.set(d.id, {
        record: d,
        outgoing: {
          kind: d.kind,
          severity: d.severity,
          title: d.title,
          body: d.body,
          alertId: d.alertId,
          createdAt: d.createdAt,
          ...(d.context ? { context: d.context } : {}),
        },
        maxAttempts: d.kind === 'test' ? 1 : config.maxAttempts,
        nextAttemptAt: d.nextAttemptAt ?? d.createdAt,
        running: false,
      });
    }
  } catch (err) {
    // An unreadable database: ids continue from the clock, so they never collide with stored ones.
    nextId = clock.now();
    log(`cannot read earlier deliveries: ${maskSecrets(errorText(err))}`);
  }

  function publish(record: StoredDelivery): DeliveryRecord {
    const out = publicRecord(record);
    if (deps.onEvent) {
      try {
        deps.onEvent({ type: 'notify.delivery', delivery: out });
      } catch (err) {
        log(`event listener failed: ${maskSecrets(errorText(err))}`);
      }
    }
    return out;
  }

  /** Writes the record's current state (upsert by id) and announces it. */
  function save(record: StoredDelivery): DeliveryRecord {
    const copy: StoredDelivery = { ...record, pendingTo: record.pendingTo ? [...record.pendingTo] : null };
    unwritten.set(copy.id, copy);
    if (!closed || db.open) {
      try {
        writes.write('notify', () => repo.upsert(copy), { key: `delivery:${copy.id}` });
      } catch (err) {
        log(`could not record delivery ${copy.id}: ${maskSecrets(errorText(err))}`);
      }
    }
    if (writes.status().waitingWrites === 0) unwritten.clear();
    return publish(copy);
  }

  function safe<T>(read: () => T, fallback: T): T {
    try {
      return db.open ? read() : fallback;
    } catch {
      return fallback;
    }
  }

  function lastAcceptedAt(channelId: string): number | null {
    // A message that finally failed does not hold the rate-limit window: nothing reached anyone.
    let last = safe(() => repo.lastAcceptedAt(channelId), null);
    for (const r of unwritten.values()) {
      if (r.channelId !== channelId || r.kind === 'test') continue;
      if (r.status !== 'queued' && r.status !== 'retrying' && r.status !== 'sent') continue;
      if (last === null || r.createdAt > last) last = r.createdAt;
    }
    return last;
  }

  function hasDuplicate(channelId: string, dedupeKey: string): boolean {
    for (const r of unwritten.values()) {
      if (r.channelId === channelId && r.dedupeKey === dedupeKey && r.status !== 'failed') return true;
    }
    return safe(() => repo.hasDuplicate(channelId, dedupeKey), false);
  }

  function admit(
    ch: ChannelConfig | undefined,
    msg: NotifyMessage,
    channelId: string,
    now: number,
  ): Admission {
    if (!ch) return { status: 'failed', reason: `unknown channel "${channelId}"` };
    if (!ch.enabled) return { status: 'suppressed', reason: 'channel disabled' };
    if (severityRank[msg.severity] < severityRank[ch.minSeverity]) {
      return { status: 'suppressed', reason: `below the channel's minimum severity (${ch.minSeverity})` };
    }
    // The window applies to every kind except tests, critical escalations included: the documents
    // limit SMS to one per 30 minutes, and an escalation level's other channels still deliver.
    if (ch.rateLimit && msg.kind !== 'test') {
      const windowMs = parseDurationMs(ch.rateLimit);
      const last = lastAcceptedAt(ch.id);
      if (windowMs > 0 && last !== null && now - last < windowMs) {
        return {
          status: 'rate_limited',
          reason: `rate limit ${ch.rateLimit}: last message at ${new Date(last).toISOString()}, next allowed from ${new Date(last + windowMs).toISOString()}`,
        };
      }
    }
    return { status: 'queued', reason: null };
  }

  function schedulePump(): void {
    if (pumpQueued) return;
    pumpQueued = true;
    queueMicrotask(() => {
      pumpQueued = false;
      pump();
    });
  }

  /**
   * Starts due attempts, oldest delivery first, up to maxConcurrent at once. Jobs are kept in id order
   * (a Map keeps insertion order) and finished ones leave it, so a pump looks at few of them even when
   * thousands wait.
   */
  function pump(): void {
    if (closed) return;
    const now = clock.now();
    for (const job of jobs.values()) {
      if (inflight.size >= maxConcurrent) break;
      if (!job.running && job.nextAttemptAt <= now) start(job);
    }
  }

  function start(job: Job): void {
    job.running = true;
    const running: Promise<void> = attempt(job)
      .catch((err) => log(`delivery ${job.record.id} crashed: ${maskSecrets(errorText(err))}`))
      .finally(() => {
        inflight.delete(running);
        job.running = false;
        schedulePump();
      });
    inflight.add(running);
  }

  function update(job: Job, u: DeliveryUpdate): DeliveryRecord {
    Object.assign(job.record, u);
    return save(job.record);
  }

  function finish(job: Job, status: DeliveryStatus, error: string | null): void {
    jobs.delete(job.record.id);
    const now = clock.now();
    let out: DeliveryRecord;
    try {
      out = update(job, {
        status,
        attempts: job.record.attempts,
        lastError: error,
        updatedAt: now,
        sentAt: status === 'sent' ? now : null,
        nextAttemptAt: null,
        pendingTo: status === 'sent' ? null : job.record.pendingTo,
      });
    } catch {
      out = publicRecord(job.record);
    }
    job.settle?.(out);
  }

  async function attempt(job: Job): Promise<void> {
    const ch = channels.get(job.record.channelId);
    if (!ch) return finish(job, 'failed', `channel "${job.record.channelId}" is no longer configured`);
    if (!ch.enabled && job.outgoing.kind !== 'test') return finish(job, 'suppressed', 'channel disabled');
    job.record.attempts += 1;
    let secrets: string[] = [];
    let failure: DeliveryError | undefined;
    try {
      const resolved = resolveEnvRefsDeep(ch, env);
      secrets = secretValues(resolved);
      await deliver(resolved, {
        outgoing: job.outgoing,
        timeoutMs: parseDurationMs(config.timeout),
        fetchImpl,
        desktop: deps.desktop,
        pendingTo: job.record.pendingTo,
      });
    } catch (err) {
      failure =
        err instanceof DeliveryError
          ? err
          : new DeliveryError(errorText(err), err instanceof MissingEnvError);
    }
    // Outside the try: a problem while recording success must not turn into a resend.
    if (!failure) return finish(job, 'sent', null);
    if (failure.pendingTo) job.record.pendingTo = failure.pendingTo;
    const message = maskKnown(failure.message, secrets);
    log(
      `delivery to ${job.record.channelId} failed (attempt ${job.record.attempts}): ${maskSecrets(message)}`,
    );
    if (failure.permanent) return finish(job, 'failed', message);
    if (job.record.attempts >= job.maxAttempts) {
      return finish(job, 'failed', `${message} (gave up after ${job.record.attempts} attempts)`);
    }
    const now = clock.now();
    job.nextAttemptAt = now + Math.max(backoffDelayMs(job.record.attempts), failure.retryAfterMs ?? 0);
    update(job, {
      status: 'retrying',
      attempts: job.record.attempts,
      lastError: message,
      updatedAt: now,
      sentAt: null,
      nextAttemptAt: job.nextAttemptAt,
      pendingTo: job.record.pendingTo,
    });
  }

  function newRecord(
    msg: Pick<NotifyMessage, 'kind' | 'severity' | 'alertId' | 'dedupeKey'> & { title: string; body: string },
    messageId: string,
    channelId: string,
    admission: Admission,
    now: number,
  ): StoredDelivery {
    return {
      id: nextId++,
      messageId,
      channelId,
      channelType: channels.get(channelId)?.type ?? 'unknown',
      kind: msg.kind,
      severity: msg.severity,
      alertId: msg.alertId ?? null,
      dedupeKey: msg.dedupeKey ?? null,
      title: maskSecrets(msg.title),
      body: maskSecrets(msg.body),
      status: admission.status,
      attempts: 0,
      lastError: admission.reason,
      createdAt: now,
      updatedAt: now,
      sentAt: null,
      nextAttemptAt: null,
      pendingTo: null,
      context: null,
    };
  }

  return {
    send(msg) {
      if (closed) return;
      try {
        const now = clock.now();
        const messageId = randomUUID();
        const outgoing = toOutgoing(msg, now, deps.dashboardUrl?.());
        for (const channelId of new Set(msg.channels)) {
          const ch = channels.get(channelId);
          if (ch && msg.dedupeKey && hasDuplicate(channelId, msg.dedupeKey)) continue;
          const admission = admit(ch, msg, channelId, now);
          const record = newRecord(msg, messageId, channelId, admission, now);
          record.context = outgoing.context ?? null;
          save(record);
          if (admission.status === 'queued') {
            jobs.set(record.id, {
              record,
              outgoing,
              maxAttempts: config.maxAttempts,
              nextAttemptAt: now,
              running: false,
            });
          }
        }
        schedulePump();
      } catch (err) {
        log(`could not send "${maskSecrets(msg.title)}": ${maskSecrets(errorText(err))}`);
      }
    },

    setConfig(next) {
      config = next;
      channels = indexChannels(next);
    },

    tick() {
      writes.flush();
      pump();
    },

    deliveries(filter = {}) {
      const limit = Math.min(Math.max(Math.trunc(filter.limit ?? 100), 1), 1000);
      const stored = safe(() => repo.list(filter), []);
      if (unwritten.size === 0) return stored;
      const byId = new Map(stored.map((r) => [r.id, r]));
      for (const r of unwritten.values()) if (matches(r, filter)) byId.set(r.id, publicRecord(r));
      return [...byId.values()].sort((a, b) => b.id - a.id).slice(0, limit);
    },

    test(channelId) {
      const ch = channels.get(channelId);
      if (!ch)
        return Promise.reject(new ApiFailure('not_found', `unknown notification channel "${channelId}"`));
      if (closed) return Promise.reject(new ApiFailure('unavailable', 'notifications are shutting down'));
      const now = clock.now();
      const outgoing: Outgoing = {
        kind: 'test',
        severity: 'info',
        title: 'Nexus Ops test notification',
        body: `Test message for channel "${ch.id}" (${ch.type}). If you can read this, the channel works.`,
        alertId: null,
        createdAt: now,
      };
      const record = newRecord(
        { kind: 'test', severity: 'info', title: outgoing.title, body: outgoing.body },
        randomUUID(),
        channelId,
        { status: 'queued', reason: null },
        now,
      );
      const job: Job = { record, outgoing, maxAttempts: 1, nextAttemptAt: now, running: false };
      const settled = new Promise<DeliveryRecord>((resolve) => {
        job.settle = resolve;
      });
      jobs.set(record.id, job);
      save(record);
      schedulePump();
      return settled;
    },

    async idle() {
      for (;;) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (inflight.size === 0) return;
        await Promise.allSettled([...inflight]);
      }
    },

    prune(before) {
      let deleted = 0;
      writes.write('notify', () => {
        deleted = repo.prune(before);
      });
      return deleted;
    },

    async close(timeoutMs = 5_000) {
      closed = true;
      if (inflight.size === 0) return;
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
        timer.unref();
      });
      await Promise.race([Promise.allSettled([...inflight]), bound]);
      clearTimeout(timer);
    },
  };
}

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
import { DeliveryError, deliver, secretValues } from './channels.js';
import { DeliveryRepo, type DeliveryUpdate } from './deliveries.js';
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
  id: number;
  channelId: string;
  outgoing: Outgoing;
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: number;
  pendingTo: string[] | null;
  running: boolean;
  /** Set when the database refused the delivery: it is sent anyway and tracked in memory only. */
  unrecorded?: DeliveryRecord;
  /** test() waits on this; called with the stored record, or undefined when it could not be stored. */
  settle?: (update: DeliveryUpdate, stored: DeliveryRecord | undefined) => void;
}

type Admission = { status: DeliveryStatus; reason: string | null };

function indexChannels(config: NotifyConfig): Map<string, ChannelConfig> {
  return new Map(config.channels.map((c) => [c.id, c]));
}

function toOutgoing(msg: NotifyMessage, now: number): Outgoing {
  return {
    kind: msg.kind,
    severity: msg.severity,
    title: msg.title,
    body: msg.body,
    alertId: msg.alertId ?? null,
    createdAt: now,
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function createNotifier(deps: NotifierDeps): Notifier {
  const { db, clock } = deps;
  const repo = new DeliveryRepo(db);
  const env = deps.env ?? process.env;
  const fetchImpl = deps.fetchImpl ?? fetch;
  const maxConcurrent = deps.maxConcurrent ?? 8;
  const log = deps.log ?? ((m: string) => console.error(`[notify] ${m}`));

  let config = deps.config;
  let channels = indexChannels(config);
  const jobs = new Map<number, Job>();
  const inflight = new Set<Promise<void>>();
  let closed = false;
  let pumpQueued = false;
  let nextUnrecordedId = -1;

  // Deliveries left queued or retrying by a previous run go on where they stopped (their stored
  // title and body are the masked ones).
  for (const d of repo.open()) {
    jobs.set(d.id, {
      id: d.id,
      channelId: d.channelId,
      outgoing: {
        kind: d.kind,
        severity: d.severity,
        title: d.title,
        body: d.body,
        alertId: d.alertId,
        createdAt: d.createdAt,
      },
      attempts: d.attempts,
      maxAttempts: d.kind === 'test' ? 1 : config.maxAttempts,
      nextAttemptAt: d.nextAttemptAt ?? d.createdAt,
      pendingTo: d.pendingTo,
      running: false,
    });
  }

  function publish(record: DeliveryRecord | undefined): DeliveryRecord | undefined {
    if (record && deps.onEvent) {
      try {
        deps.onEvent({ type: 'notify.delivery', delivery: record });
      } catch (err) {
        log(`event listener failed: ${maskSecrets(errorText(err))}`);
      }
    }
    return record;
  }

  function emit(id: number): DeliveryRecord | undefined {
    return publish(repo.get(id));
  }

  /** Records a state change (in the table, or in memory for unrecorded jobs) and emits it. */
  function record(job: Job, update: DeliveryUpdate): DeliveryRecord | undefined {
    if (job.unrecorded) {
      const { pendingTo: _pendingTo, ...fields } = update;
      Object.assign(job.unrecorded, fields);
      return publish({ ...job.unrecorded });
    }
    if (!db.open) return undefined;
    repo.update(job.id, update);
    return emit(job.id);
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
      const last = repo.lastAcceptedAt(ch.id);
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

  function pump(): void {
    if (closed) return;
    const now = clock.now();
    const due = [...jobs.values()]
      .filter((j) => !j.running && j.nextAttemptAt <= now)
      .sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.id - b.id);
    for (const job of due) {
      if (inflight.size >= maxConcurrent) break;
      start(job);
    }
  }

  function start(job: Job): void {
    job.running = true;
    const running: Promise<void> = attempt(job)
      .catch((err) => log(`delivery ${job.id} crashed: ${maskSecrets(errorText(err))}`))
      .finally(() => {
        inflight.delete(running);
        job.running = false;
        schedulePump();
      });
    inflight.add(running);
  }

  function finish(job: Job, status: DeliveryStatus, error: string | null): void {
    jobs.delete(job.id);
    const now = clock.now();
    const update: DeliveryUpdate = {
      status,
      attempts: job.attempts,
      lastError: error,
      updatedAt: now,
      sentAt: status === 'sent' ? now : null,
      nextAttemptAt: null,
      pendingTo: status === 'sent' ? null : job.pendingTo,
    };
    let stored: DeliveryRecord | undefined;
    try {
      stored = record(job, update);
    } finally {
      // A database that refuses the update must not leave test() waiting forever.
      job.settle?.(update, stored);
    }
  }

  async function attempt(job: Job): Promise<void> {
    const ch = channels.get(job.channelId);
    if (!ch) return finish(job, 'failed', `channel "${job.channelId}" is no longer configured`);
    if (!ch.enabled && job.outgoing.kind !== 'test') return finish(job, 'suppressed', 'channel disabled');
    job.attempts += 1;
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
        pendingTo: job.pendingTo,
      });
    } catch (err) {
      failure =
        err instanceof DeliveryError
          ? err
          : new DeliveryError(errorText(err), err instanceof MissingEnvError);
    }
    // Outside the try: a database error while recording success must not turn into a resend.
    if (!failure) return finish(job, 'sent', null);
    if (failure.pendingTo) job.pendingTo = failure.pendingTo;
    const message = maskKnown(failure.message, secrets);
    if (failure.permanent) return finish(job, 'failed', message);
    if (job.attempts >= job.maxAttempts) {
      return finish(job, 'failed', `${message} (gave up after ${job.attempts} attempts)`);
    }
    const now = clock.now();
    job.nextAttemptAt = now + Math.max(backoffDelayMs(job.attempts), failure.retryAfterMs ?? 0);
    record(job, {
      status: 'retrying',
      attempts: job.attempts,
      lastError: message,
      updatedAt: now,
      sentAt: null,
      nextAttemptAt: job.nextAttemptAt,
      pendingTo: job.pendingTo,
    });
  }

  function newJob(id: number, channelId: string, outgoing: Outgoing, maxAttempts: number): Job {
    const job: Job = {
      id,
      channelId,
      outgoing,
      attempts: 0,
      maxAttempts,
      nextAttemptAt: outgoing.createdAt,
      pendingTo: null,
      running: false,
    };
    jobs.set(id, job);
    return job;
  }

  /**
   * The database refused the deliveries (locked, read-only, full, closed). An alert or an emergency
   * stop must still reach people, so the message is sent from memory: same channel rules, no rate-limit
   * history beyond what can still be read, events still emitted, nothing resumed after a restart.
   */
  function sendUnrecorded(msg: NotifyMessage): void {
    const now = clock.now();
    const messageId = randomUUID();
    const outgoing = toOutgoing(msg, now);
    for (const channelId of new Set(msg.channels)) {
      const ch = channels.get(channelId);
      let admission: Admission;
      try {
        admission = admit(ch, msg, channelId, now);
      } catch {
        admission = { status: 'queued', reason: null };
      }
      const delivery: DeliveryRecord = {
        id: nextUnrecordedId--,
        messageId,
        channelId,
        channelType: ch?.type ?? 'unknown',
        kind: msg.kind,
        severity: msg.severity,
        alertId: msg.alertId ?? null,
        title: maskSecrets(msg.title),
        body: maskSecrets(msg.body),
        status: admission.status,
        attempts: 0,
        lastError: admission.reason,
        createdAt: now,
        updatedAt: now,
        sentAt: null,
        nextAttemptAt: null,
      };
      publish({ ...delivery });
      if (admission.status === 'queued')
        newJob(delivery.id, channelId, outgoing, config.maxAttempts).unrecorded = delivery;
    }
    schedulePump();
  }

  return {
    send(msg) {
      if (closed) return;
      try {
        const now = clock.now();
        const messageId = randomUUID();
        const outgoing = toOutgoing(msg, now);
        const title = maskSecrets(msg.title);
        const body = maskSecrets(msg.body);
        const created: number[] = [];
        db.transaction(() => {
          for (const channelId of new Set(msg.channels)) {
            const ch = channels.get(channelId);
            if (ch && msg.dedupeKey && repo.hasDuplicate(channelId, msg.dedupeKey)) continue;
            const { status, reason } = admit(ch, msg, channelId, now);
            const id = repo.insert({
              messageId,
              channelId,
              channelType: ch?.type ?? 'unknown',
              kind: msg.kind,
              severity: msg.severity,
              alertId: msg.alertId ?? null,
              dedupeKey: msg.dedupeKey ?? null,
              title,
              body,
              status,
              lastError: reason,
              createdAt: now,
            });
            created.push(id);
            if (status === 'queued') newJob(id, channelId, outgoing, config.maxAttempts);
          }
        })();
        for (const id of created) emit(id);
        schedulePump();
      } catch (err) {
        log(
          `could not record "${maskSecrets(msg.title)}": ${maskSecrets(errorText(err))}; sending unrecorded`,
        );
        try {
          sendUnrecorded(msg);
        } catch (err2) {
          log(`could not send "${maskSecrets(msg.title)}": ${maskSecrets(errorText(err2))}`);
        }
      }
    },

    setConfig(next) {
      config = next;
      channels = indexChannels(next);
    },

    tick() {
      pump();
    },

    deliveries(filter) {
      return repo.list(filter);
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
      const queued: DeliveryRecord = {
        id: 0,
        messageId: randomUUID(),
        channelId,
        channelType: ch.type,
        kind: 'test',
        severity: 'info',
        alertId: null,
        title: outgoing.title,
        body: outgoing.body,
        status: 'queued',
        attempts: 0,
        lastError: null,
        createdAt: now,
        updatedAt: now,
        sentAt: null,
        nextAttemptAt: null,
      };
      let recorded = true;
      try {
        const { id: _id, attempts: _a, updatedAt: _u, sentAt: _s, nextAttemptAt: _n, ...fields } = queued;
        queued.id = repo.insert({ ...fields, dedupeKey: null });
      } catch (err) {
        // The channel is still worth testing when the database refuses writes: tracked in memory.
        log(`could not record the test message: ${maskSecrets(errorText(err))}; sending unrecorded`);
        queued.id = nextUnrecordedId--;
        recorded = false;
      }
      const job = newJob(queued.id, channelId, outgoing, 1);
      if (!recorded) job.unrecorded = { ...queued };
      const settled = new Promise<DeliveryRecord>((resolve) => {
        job.settle = (update, stored) => {
          const { pendingTo: _pendingTo, ...fields } = update;
          resolve(stored ?? { ...queued, ...fields });
        };
      });
      try {
        if (recorded) emit(queued.id);
        else publish({ ...queued });
      } catch (err) {
        log(`could not read back the test message: ${maskSecrets(errorText(err))}`);
      }
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
      return repo.prune(before);
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

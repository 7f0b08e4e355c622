import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/core/clock/index.js';
import {
  BACKOFF_MS,
  backoffDelayMs,
  createNotifier,
  type DesktopNotifyPort,
  type Notifier,
  type NotifierDeps,
  type NotifyDeliveryEvent,
  type NotifyMessage,
} from '../../electron/core/notify/index.js';
import { notifyMigration } from '../../electron/core/notify/migrations/004-notify.js';
import { deliveryContextMigration } from '../../electron/core/notify/migrations/006-delivery-context.js';
import { type NotifyConfigInput, notifyConfigSchema } from '../../shared/config/notify.js';

type Shown = { title: string; body: string; severity: string };

/** A desktop that records what it shows and fails the first `failures` calls. */
class RecordingDesktop implements DesktopNotifyPort {
  shown: Shown[] = [];
  calls = 0;
  constructor(public failures = 0) {}
  notify(n: Shown): void {
    this.calls += 1;
    if (this.calls <= this.failures) throw new Error(`display unavailable (call ${this.calls})`);
    this.shown.push(n);
  }
}

let dir: string;
let db: Database.Database;
let clock: ManualClock;
let events: NotifyDeliveryEvent[];
let logs: string[];
const notifiers: Notifier[] = [];

function config(input: NotifyConfigInput) {
  return notifyConfigSchema.parse(input);
}

function make(
  desktop: DesktopNotifyPort,
  cfg: NotifyConfigInput,
  over: Partial<NotifierDeps> = {},
): Notifier {
  const n = createNotifier({
    db,
    clock,
    desktop,
    config: config(cfg),
    onEvent: (e) => events.push(e),
    env: {},
    log: (m) => logs.push(m),
    ...over,
  });
  notifiers.push(n);
  return n;
}

const firing = (over: Partial<NotifyMessage> = {}): NotifyMessage => ({
  kind: 'firing',
  severity: 'critical',
  title: 'CPU usage high',
  body: 'cpu.total 93% for 15 min',
  channels: ['desk'],
  alertId: 'a-1',
  ...over,
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'notify-unit-'));
  db = new Database(join(dir, 'nexus.db'));
  db.transaction(() => {
    notifyMigration.up(db);
    deliveryContextMigration.up(db);
  })();
  clock = new ManualClock();
  events = [];
  logs = [];
});

afterEach(async () => {
  for (const n of notifiers.splice(0)) await n.close(1000);
  if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

describe('desktop delivery', () => {
  it('shows the notification and records queued → sent with events', async () => {
    const desktop = new RecordingDesktop();
    const n = make(desktop, { channels: [{ id: 'desk', type: 'desktop' }] });
    n.send(firing());
    expect(desktop.shown).toHaveLength(0); // send returned before anything was delivered
    await n.idle();
    expect(desktop.shown).toEqual([
      { title: 'CRITICAL: CPU usage high', body: 'cpu.total 93% for 15 min', severity: 'critical' },
    ]);
    const [d] = n.deliveries();
    expect(d).toMatchObject({
      channelId: 'desk',
      status: 'sent',
      attempts: 1,
      alertId: 'a-1',
      sentAt: clock.now(),
    });
    expect(events.map((e) => e.delivery.status)).toEqual(['queued', 'sent']);
    expect(events.every((e) => e.type === 'notify.delivery')).toBe(true);
  });

  it('records unknown, disabled and below-minimum channels without sending', async () => {
    const desktop = new RecordingDesktop();
    const n = make(desktop, {
      channels: [
        { id: 'desk', type: 'desktop', minSeverity: 'critical' },
        { id: 'off', type: 'desktop', enabled: false },
      ],
    });
    n.send(firing({ severity: 'warning', channels: ['desk', 'off', 'nope'] }));
    await n.idle();
    expect(desktop.calls).toBe(0);
    const byChannel = Object.fromEntries(n.deliveries().map((d) => [d.channelId, d]));
    expect(byChannel.desk).toMatchObject({
      status: 'suppressed',
      lastError: expect.stringContaining('critical'),
    });
    expect(byChannel.off).toMatchObject({ status: 'suppressed', lastError: 'channel disabled' });
    expect(byChannel.nope).toMatchObject({ status: 'failed', channelType: 'unknown' });
  });

  it('stores title and body masked while the receiver gets them as written', async () => {
    const desktop = new RecordingDesktop();
    const n = make(desktop, { channels: [{ id: 'desk', type: 'desktop' }] });
    n.send(
      firing({ title: 'bot crashed', body: 'cmd: python3 bot.py --api-key=sk-abcdefghijklmnopqrstuvwxyz' }),
    );
    await n.idle();
    expect(desktop.shown[0]?.body).toContain('sk-abcdefghijklmnopqrstuvwxyz');
    expect(n.deliveries()[0]?.body).toBe('cmd: python3 bot.py --api-key=[masked]');
  });
});

describe('rate limit', () => {
  const cfg: NotifyConfigInput = { channels: [{ id: 'desk', type: 'desktop', rateLimit: '30m' }] };

  it('sends one message per window; the rest are rate_limited, critical escalations included', async () => {
    const desktop = new RecordingDesktop();
    const n = make(desktop, cfg);
    const t0 = clock.now();
    n.send(firing());
    await n.idle();
    clock.advance(15 * 60_000);
    n.send(firing({ kind: 'escalation' }));
    clock.advance(15 * 60_000 - 1);
    n.send(firing({ kind: 'repeat' }));
    await n.idle();
    expect(desktop.shown).toHaveLength(1);
    const [repeat, escalation] = n.deliveries();
    expect(escalation).toMatchObject({ kind: 'escalation', status: 'rate_limited', attempts: 0 });
    expect(escalation?.lastError).toContain(new Date(t0 + 30 * 60_000).toISOString());
    expect(repeat).toMatchObject({ status: 'rate_limited' });

    clock.set(t0 + 30 * 60_000);
    n.send(firing({ kind: 'escalation' }));
    await n.idle();
    expect(desktop.shown).toHaveLength(2);
    expect(n.deliveries()[0]).toMatchObject({ kind: 'escalation', status: 'sent' });
  });

  it('does not count test messages, nor let them be limited', async () => {
    const desktop = new RecordingDesktop();
    const n = make(desktop, cfg);
    const test1 = await n.test('desk');
    const test2 = await n.test('desk');
    n.send(firing());
    await n.idle();
    expect([test1.status, test2.status]).toEqual(['sent', 'sent']);
    expect(n.deliveries()[0]).toMatchObject({ kind: 'firing', status: 'sent' });
  });

  it('survives a restart: the window is read from the deliveries table', async () => {
    const first = make(new RecordingDesktop(), cfg);
    first.send(firing());
    await first.idle();
    await first.close();
    clock.advance(60_000);
    const desktop = new RecordingDesktop();
    const second = make(desktop, cfg);
    second.send(firing({ kind: 'repeat' }));
    await second.idle();
    expect(desktop.calls).toBe(0);
    expect(second.deliveries()[0]).toMatchObject({ kind: 'repeat', status: 'rate_limited' });
  });

  it('a message that finally failed does not hold the window', async () => {
    const n = make(new RecordingDesktop(99), { ...cfg, maxAttempts: 1 });
    n.send(firing());
    await n.idle();
    expect(n.deliveries()[0]).toMatchObject({ status: 'failed' });
    clock.advance(1000);
    n.send(firing({ kind: 'repeat' }));
    await n.idle();
    expect(n.deliveries()[0]).toMatchObject({ kind: 'repeat', status: 'failed', attempts: 1 });
  });
});

describe('retries with backoff', () => {
  it('follows 5 s, 30 s, 2 min, 10 min and gives up after maxAttempts', async () => {
    expect(BACKOFF_MS).toEqual([5_000, 30_000, 120_000, 600_000]);
    expect([1, 2, 3, 4, 5, 9].map(backoffDelayMs)).toEqual([
      5_000, 30_000, 120_000, 600_000, 600_000, 600_000,
    ]);

    const desktop = new RecordingDesktop(99);
    const n = make(desktop, { channels: [{ id: 'desk', type: 'desktop' }], maxAttempts: 5 });
    n.send(firing());
    await n.idle();
    const attemptTimes = [clock.now()];
    for (const wait of BACKOFF_MS) {
      const d = n.deliveries()[0]!;
      expect(d.status).toBe('retrying');
      expect(d.nextAttemptAt).toBe(clock.now() + wait);
      clock.advance(wait - 1);
      n.tick();
      await n.idle();
      expect(desktop.calls).toBe(attemptTimes.length); // not due yet
      clock.advance(1);
      n.tick();
      await n.idle();
      attemptTimes.push(clock.now());
      expect(desktop.calls).toBe(attemptTimes.length);
    }
    const d = n.deliveries()[0]!;
    expect(d).toMatchObject({ status: 'failed', attempts: 5, nextAttemptAt: null });
    expect(d.lastError).toContain('display unavailable (call 5)');
    expect(d.lastError).toContain('gave up after 5 attempts');
    clock.advance(3_600_000);
    n.tick();
    await n.idle();
    expect(desktop.calls).toBe(5);
    expect(events.map((e) => e.delivery.status)).toEqual([
      'queued',
      'retrying',
      'retrying',
      'retrying',
      'retrying',
      'failed',
    ]);
  });

  it('delivers when the receiver comes back', async () => {
    const desktop = new RecordingDesktop(2);
    const n = make(desktop, { channels: [{ id: 'desk', type: 'desktop' }] });
    n.send(firing());
    await n.idle();
    clock.advance(5_000);
    n.tick();
    await n.idle();
    clock.advance(30_000);
    n.tick();
    await n.idle();
    expect(n.deliveries()[0]).toMatchObject({ status: 'sent', attempts: 3, lastError: null });
    expect(desktop.shown).toHaveLength(1);
  });

  it('resumes open retries after a restart, without repeating delivered ones', async () => {
    const cfg: NotifyConfigInput = { channels: [{ id: 'desk', type: 'desktop' }] };
    const first = make(new RecordingDesktop(99), cfg);
    first.send(firing());
    await first.idle();
    await first.close();
    const desktop = new RecordingDesktop();
    const second = make(desktop, cfg);
    second.tick();
    await second.idle();
    expect(desktop.calls).toBe(0); // still waiting for its backoff
    clock.advance(5_000);
    second.tick();
    await second.idle();
    expect(desktop.shown).toEqual([
      { title: 'CRITICAL: CPU usage high', body: 'cpu.total 93% for 15 min', severity: 'critical' },
    ]);
    expect(second.deliveries()).toHaveLength(1);
    expect(second.deliveries()[0]).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('a missing ${env:...} secret fails at once, naming the variable', async () => {
    const n = make(new RecordingDesktop(), {
      channels: [{ id: 'hook', type: 'webhook', url: '${env:NEXUS_TEST_MISSING_URL}' }],
    });
    n.send(firing({ channels: ['hook'] }));
    await n.idle();
    expect(n.deliveries()[0]).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastError: 'environment variable NEXUS_TEST_MISSING_URL is not set',
    });
  });
});

describe('dedupe, tests and robustness', () => {
  it('drops a repeated dedupeKey on a channel unless the earlier delivery failed', async () => {
    const desktop = new RecordingDesktop(1);
    const n = make(desktop, { channels: [{ id: 'desk', type: 'desktop' }], maxAttempts: 1 });
    n.send(firing({ dedupeKey: 'a-1:firing' }));
    await n.idle();
    n.send(firing({ dedupeKey: 'a-1:firing' }));
    await n.idle();
    n.send(firing({ dedupeKey: 'a-1:firing' }));
    await n.idle();
    expect(n.deliveries().map((d) => d.status)).toEqual(['sent', 'failed']);
  });

  it('test() works on a disabled channel with one attempt, and rejects an unknown one', async () => {
    const n = make(new RecordingDesktop(1), { channels: [{ id: 'desk', type: 'desktop', enabled: false }] });
    const failed = await n.test('desk');
    expect(failed).toMatchObject({ kind: 'test', status: 'failed', attempts: 1 });
    const sent = await n.test('desk');
    expect(sent).toMatchObject({ kind: 'test', status: 'sent' });
    await expect(n.test('nope')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('still delivers when the database refuses writes, retries from memory, and records it all once it accepts writes', async () => {
    const desktop = new RecordingDesktop(1);
    const n = make(desktop, { channels: [{ id: 'desk', type: 'desktop' }] });
    db.pragma('query_only = ON');
    expect(() => n.send(firing({ kind: 'stop', title: 'Emergency stop' }))).not.toThrow();
    await n.idle();
    clock.advance(5_000);
    n.tick();
    await n.idle();
    expect(desktop.shown.map((s) => s.title)).toEqual(['CRITICAL: Emergency stop']);
    expect(logs.join('\n')).toContain('refused a write');
    const id = events[0]!.delivery.id;
    expect(events.map((e) => [e.delivery.id, e.delivery.status])).toEqual([
      [id, 'queued'],
      [id, 'retrying'],
      [id, 'sent'],
    ]);
    // The UI sees the delivery meanwhile, from memory.
    expect(n.deliveries().map((d) => d.status)).toEqual(['sent']);
    db.pragma('query_only = OFF');
    clock.advance(5_000);
    n.tick();
    expect(db.prepare('SELECT id, status, attempts FROM notify_deliveries').all()).toEqual([
      { id, status: 'sent', attempts: 2 },
    ]);
  });

  it('test() settles with the outcome when the database refuses to record it', async () => {
    const desktop = new RecordingDesktop();
    const n = make(desktop, { channels: [{ id: 'desk', type: 'desktop' }] });
    const pending = n.test('desk');
    // The queued row is written; recording the result will fail.
    db.pragma('query_only = ON');
    const outcome = await Promise.race([
      pending,
      new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 2_000)),
    ]);
    expect(outcome).toMatchObject({ kind: 'test', channelId: 'desk', status: 'sent', attempts: 1 });
    expect(desktop.shown).toHaveLength(1);
  });

  it('test() settles when the database is closed before the result is recorded', async () => {
    const n = make(new RecordingDesktop(1), { channels: [{ id: 'desk', type: 'desktop' }] });
    const pending = n.test('desk');
    db.close();
    const outcome = await Promise.race([
      pending,
      new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 2_000)),
    ]);
    expect(outcome).toMatchObject({ kind: 'test', status: 'failed', attempts: 1 });
  });

  it('test() still tries the channel when the database refuses the queued row', async () => {
    const desktop = new RecordingDesktop();
    const n = make(desktop, { channels: [{ id: 'desk', type: 'desktop' }] });
    db.pragma('query_only = ON');
    const outcome = await n.test('desk');
    expect(outcome).toMatchObject({ kind: 'test', status: 'sent', attempts: 1 });
    expect(desktop.shown).toHaveLength(1);
    expect(n.deliveries().map((d) => [d.id, d.status])).toEqual([[outcome.id, 'sent']]);
  });

  it('send never throws, even when the database is closed', async () => {
    const desktop = new RecordingDesktop();
    const n = make(desktop, { channels: [{ id: 'desk', type: 'desktop' }] });
    db.close();
    expect(() => n.send(firing())).not.toThrow();
    await n.idle();
    expect(desktop.shown).toHaveLength(1);
  });

  it('filters deliveries for the UI', async () => {
    const n = make(new RecordingDesktop(), {
      channels: [
        { id: 'desk', type: 'desktop' },
        { id: 'desk2', type: 'desktop', minSeverity: 'critical' },
      ],
    });
    n.send(firing({ channels: ['desk', 'desk2'], alertId: 'a-1' }));
    clock.advance(1000);
    n.send(firing({ severity: 'info', channels: ['desk', 'desk2'], alertId: 'a-2' }));
    await n.idle();
    expect(n.deliveries({ alertId: 'a-2' })).toHaveLength(2);
    expect(n.deliveries({ status: ['suppressed'] }).map((d) => d.alertId)).toEqual(['a-2']);
    expect(n.deliveries({ channelId: 'desk', since: clock.now() })).toHaveLength(1);
    expect(n.deliveries({ limit: 1 })).toHaveLength(1);
    expect(n.prune(clock.now())).toBe(2);
    expect(n.deliveries()).toHaveLength(2);
  });
});

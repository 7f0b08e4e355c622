import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Alerts, createAlerts, type LatestSample } from '../../electron/core/alerts/index.js';
import { alertsMigration } from '../../electron/core/alerts/migrations/003-alerts.js';
import { type Clock, ManualClock } from '../../electron/core/clock/index.js';
import { createNotifier, type Notifier } from '../../electron/core/notify/index.js';
import { notifyMigration } from '../../electron/core/notify/migrations/004-notify.js';
import { deliveryContextMigration } from '../../electron/core/notify/migrations/006-delivery-context.js';
import { notifyConfigSchema } from '../../shared/config/notify.js';

/** The alert engine driving the real notifier, which posts to an HTTP receiver on 127.0.0.1. */

interface Hit {
  path: string;
  body: Record<string, unknown>;
  at: number;
}
let server: Server;
let base: string;
const hits: Hit[] = [];
const waiters: (() => void)[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => {
      text += c.toString('utf8');
    });
    req.on('end', () => {
      hits.push({
        path: req.url ?? '',
        body: JSON.parse(text || '{}') as Record<string, unknown>,
        at: performance.now(),
      });
      for (const w of waiters.splice(0)) w();
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

let dir: string;
let file: string;
const open: { db: Database.Database; notifier: Notifier }[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'alerts-int-'));
  file = join(dir, 'nexus.db');
  const db = new Database(file);
  db.transaction(() => {
    alertsMigration.up(db);
    notifyMigration.up(db);
    deliveryContextMigration.up(db);
  })();
  db.close();
  hits.length = 0;
});
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.notifier.close(2000);
    o.db.close();
  }
  rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

const rule = { id: 'cpu-test', name: 'CPU テスト', expr: 'cpu.total > 50', severity: 'critical' };
const alertsConfig = {
  rules: [rule],
  maintenanceWindows: [],
  escalation: [
    { afterMinutes: 0, channels: ['desktop', 'slack', 'hook'] },
    { afterMinutes: 15, name: 'マネージャー', channels: ['manager'] },
  ],
};

function boot(clock: Clock) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  const desktop: { title: string; body: string }[] = [];
  const notifier = createNotifier({
    db,
    clock,
    desktop: { notify: (n) => desktop.push(n) },
    config: notifyConfigSchema.parse({
      channels: [
        { id: 'desktop', type: 'desktop' },
        { id: 'slack', type: 'slack', webhookUrl: `${base}/slack`, mention: '' },
        { id: 'hook', type: 'webhook', url: `${base}/hook` },
        { id: 'manager', type: 'webhook', url: `${base}/manager` },
      ],
    }),
    log: () => {},
    dashboardUrl: () => 'http://127.0.0.1:17380/',
  });
  const alerts: Alerts = createAlerts({
    db,
    clock,
    notifier,
    config: alertsConfig,
    configFile: 'config.yaml',
  });
  open.push({ db, notifier });
  return { alerts, notifier, desktop };
}

function cpu(clock: Clock, value: number): LatestSample[] {
  return [{ key: 'cpu.total', name: 'cpu.total', labels: {}, ts: clock.now(), value }];
}

describe('alerts → notify → HTTP receivers', () => {
  it('delivers the firing alert once, keeps it across a restart without re-sending, then escalates once', async () => {
    const clock = new ManualClock(Date.parse('2026-11-25T10:00:00+09:00'));
    const first = boot(clock);
    first.alerts.evaluate(cpu(clock, 80));
    await first.notifier.idle();
    const firing = first.alerts.active()[0]!;
    expect(firing.state).toBe('firing');
    expect(hits.map((h) => h.path).sort()).toEqual(['/hook', '/slack']);
    const hook = hits.find((h) => h.path === '/hook')!;
    expect(hook.body).toMatchObject({
      kind: 'firing',
      severity: 'critical',
      title: 'CPU テスト',
      alertId: firing.id,
      // What a receiver routes on.
      rule: { id: firing.ruleId, name: 'CPU テスト' },
      labels: {},
      value: 80,
      threshold: firing.threshold,
      state: 'firing',
      url: `http://127.0.0.1:17380/#/alerts?alert=${firing.id}`,
    });
    expect(JSON.stringify(hits.find((h) => h.path === '/slack')!.body)).toContain('CPU テスト');
    expect(first.desktop).toHaveLength(1);

    // Restart: new engine and notifier on the same database file.
    await first.notifier.close(2000);
    const second = boot(clock);
    expect(second.alerts.active()).toMatchObject([{ id: firing.id, state: 'firing' }]);
    for (let i = 0; i < 60; i++) {
      clock.advance(10_000);
      second.alerts.evaluate(cpu(clock, 80));
      second.alerts.tick();
      second.notifier.tick();
    }
    await second.notifier.idle();
    expect(hits).toHaveLength(2);
    expect(second.desktop).toHaveLength(0);

    // 15 minutes after the first notice: the manager level, exactly once.
    for (let i = 0; i < 60; i++) {
      clock.advance(10_000);
      second.alerts.evaluate(cpu(clock, 80));
      second.alerts.tick();
      second.notifier.tick();
    }
    await second.notifier.idle();
    const manager = hits.filter((h) => h.path === '/manager');
    expect(manager).toHaveLength(1);
    expect(manager[0]!.body).toMatchObject({ kind: 'escalation', alertId: firing.id });
    expect(hits).toHaveLength(3);

    second.alerts.api['alerts.ack']({ id: firing.id, by: 'op' });
    for (let i = 0; i < 30; i++) {
      clock.advance(10_000);
      second.alerts.evaluate(cpu(clock, 10));
      second.alerts.tick();
    }
    await second.notifier.idle();
    expect(second.alerts.active()).toEqual([]);
    const resolved = hits.slice(3);
    expect(resolved.map((h) => h.path).sort()).toEqual(['/hook', '/slack']);
    expect(resolved.find((h) => h.path === '/hook')!.body.kind).toBe('resolved');
    expect(JSON.stringify(resolved.find((h) => h.path === '/slack')!.body)).toContain('RESOLVED');
  });
});

/**
 * TASK-003 緊急停止システム「TwitterAPI.io障害検知」: the shipped provider check (default.yaml,
 * maintenance.healthChecks twitterapi-io) pointed at a real HTTP server on 127.0.0.1 that answers 503.
 * Three failing cycles → the shipped rule stop-provider-check fires in the real alert engine → the
 * real emergency stop stops a real (fake) bot; the server answers again → the rule resolves.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { createAlertsCapability } from '../../electron/core/alerts/index.js';
import { ManualClock } from '../../electron/core/clock/index.js';
import { schemaMigrations } from '../../electron/core/index.js';
import { createMaintenanceCapability } from '../../electron/core/maintenance/index.js';
import { createPlatform } from '../../electron/core/platform/index.js';
import { createTestStop, ensureStopSchema } from '../fixtures/fake-bot/harness.js';
import { isAlive, startFakeBot, waitUntil } from '../fixtures/fake-bot/index.js';
import { maintenanceHarness, removeDir } from '../helpers/maintenance-harness.js';

const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** The provider as seen from here: answers 401 without a key while up (as TwitterAPI.io does), 503 while down. */
async function provider(): Promise<{ url: string; setDown(v: boolean): void; hits(): number }> {
  let down = false;
  let hits = 0;
  const server: Server = createServer((_req, res) => {
    hits++;
    res.writeHead(down ? 503 : 401, { 'content-type': 'application/json' });
    res.end(down ? '{"error":"service unavailable"}' : '{"error":"Unauthorized"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/twitter/user/info`, setDown: (v) => (down = v), hits: () => hits };
}

/** The check exactly as default.yaml ships it. */
function shippedProviderCheck(): Record<string, unknown> {
  const file = join(import.meta.dirname, '../../resources/config/default.yaml');
  const raw = parseDocument(readFileSync(file, 'utf8')).toJS() as {
    maintenance: { healthChecks: { checks: Record<string, unknown>[] } };
  };
  const check = raw.maintenance.healthChecks.checks.find((c) => c.id === 'twitterapi-io');
  if (!check) throw new Error('default.yaml: maintenance.healthChecks.checks has no twitterapi-io');
  return check;
}

describe('provider outage check feeding the emergency stop', () => {
  it('ships disabled, needs no key (401/403 count as up), and 3 failures stop the bots; recovery resolves', async () => {
    const shipped = shippedProviderCheck();
    expect(shipped).toMatchObject({ kind: 'http', enabled: false });
    expect(shipped.url).toMatch(/^https:\/\/api\.twitterapi\.io\//);
    expect(shipped.status).toEqual(expect.arrayContaining([401, 403]));
    expect((shipped.status as number[]).some((s) => s >= 500)).toBe(false);

    const server = await provider();
    const bot = await startFakeBot({ browsers: 0, sleeperChild: true });
    cleanup.push(() => bot.cleanup());
    const clock = new ManualClock(Date.parse('2026-03-02T10:00:00+09:00'));
    const h = maintenanceHarness(clock, {
      bots: [{ id: 'tax', root: bot.folder }],
      maintenance: {
        jobs: [],
        healthChecks: { checks: [{ ...shipped, url: server.url, enabled: true } as never] },
      },
    });
    cleanup.push(() => {
      h.close();
      removeDir(h.dir);
    });
    ensureStopSchema(h.store);
    const maintenance = createMaintenanceCapability(h.ctx, {
      platform: createPlatform(),
      jobs: h.runner,
      notifier: { send() {} },
      migrations: schemaMigrations,
    });
    for (const job of maintenance.jobs ?? []) h.runner.add(job);
    // The emergency stop as core wires it (createStopCapability offers ruleAction as emergency-stop),
    // scoped to this test's bot folder.
    const t = createTestStop({
      store: h.store,
      folders: [bot.folder],
      stop: { graceSeconds: 2 },
      schedules: maintenance.schedules,
    });
    h.ctx.actions.provide('emergency-stop', (a) => t.stop.ruleAction(a));
    const alerts = createAlertsCapability(h.ctx, { notifier: { send() {} } as never, lastResumeAt: null });
    const cycle = async () => {
      clock.advance(5 * 60_000);
      await h.runner.runDue();
    };
    const alert = () => alerts.alerts.active().find((a) => a.ruleId === 'stop-provider-check');

    // Up (401 without a key): no failure, nothing fires.
    await cycle();
    const view = () =>
      maintenance.handlers['maintenance.checks']!({}) as {
        checks: { id: string; up: boolean; consecutiveFailures: number; message: string }[];
      };
    expect(view().checks[0]).toMatchObject({ id: 'twitterapi-io', up: true, consecutiveFailures: 0 });

    // The provider answers 503: two failures are not yet an outage, the third stops the bots.
    server.setDown(true);
    await cycle();
    await cycle();
    expect(alert()).toBeUndefined();
    expect(t.stop.status().latest).toBeNull();
    await cycle();
    expect(view().checks[0]).toMatchObject({ up: false, consecutiveFailures: 3, message: 'HTTP 503' });
    expect(alert()).toMatchObject({ state: 'firing', severity: 'critical' });
    await waitUntil(() => t.stop.status().latest?.status === 'done', 'the rule-triggered stop', 30_000);
    expect(t.stop.status().latest).toMatchObject({
      source: 'rule',
      ruleId: 'stop-provider-check',
      alertId: alert()!.id,
    });
    expect(isAlive(bot.runnerPid)).toBe(false);
    expect(alert()!.actionState).toBe('done');

    // The provider answers again: the check passes and the alert resolves (the stop stays until resumed).
    server.setDown(false);
    await cycle();
    expect(view().checks[0]).toMatchObject({ up: true, consecutiveFailures: 0 });
    // The engine resolves once the condition has stayed clear for its clear duration: the next cycle.
    await cycle();
    expect(alert()).toBeUndefined();
    const stored = h.store.db
      .prepare("SELECT state FROM alerts WHERE rule_id = 'stop-provider-check'")
      .all() as { state: string }[];
    expect(stored).toEqual([{ state: 'resolved' }]);
    expect(t.stop.isStopped()).toBe(true);
    expect(server.hits()).toBe(6);
  }, 90_000);
});

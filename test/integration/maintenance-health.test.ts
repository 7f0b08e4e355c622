import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAlertsCapability } from '../../electron/core/alerts/index.js';
import { ManualClock } from '../../electron/core/clock/index.js';
import { schemaMigrations } from '../../electron/core/index.js';
import {
  createMaintenanceCapability,
  HEALTH_JOB,
  type MaintenanceCapability,
} from '../../electron/core/maintenance/index.js';
import { createPlatform } from '../../electron/core/platform/index.js';
import type { LiveSample } from '../../shared/series.js';
import {
  type Harness,
  maintenanceHarness,
  removeDir,
  type TestConfig,
} from '../helpers/maintenance-harness.js';

const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** A local HTTP endpoint that answers 200 "pong" while healthy, 503 otherwise. */
async function endpoint(): Promise<{ url: string; setHealthy(v: boolean): void; hits(): number }> {
  let healthy = true;
  let hits = 0;
  const server: Server = createServer((_req, res) => {
    hits++;
    res.writeHead(healthy ? 200 : 503, { 'content-type': 'text/plain' });
    res.end(healthy ? 'pong' : 'down');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/health`, setHealthy: (v) => (healthy = v), hits: () => hits };
}

function setup(clock: ManualClock, config: TestConfig, dir?: string) {
  const h = maintenanceHarness(clock, config, dir);
  const samples: LiveSample[] = [];
  h.ctx.hooks.on('samples', (p) => samples.push(...p.samples));
  const sent: { title: string; severity: string }[] = [];
  const cap = createMaintenanceCapability(h.ctx, {
    platform: createPlatform(),
    jobs: h.runner,
    notifier: { send() {} },
    migrations: schemaMigrations,
  });
  const alerts = createAlertsCapability(h.ctx, {
    notifier: { send: (m: { title: string; severity: string }) => sent.push(m) } as never,
    lastResumeAt: null,
  });
  for (const job of cap.jobs ?? []) h.runner.add(job);
  return { h, cap, alerts, samples, sent };
}

async function cycle(h: Harness, clock: ManualClock): Promise<void> {
  clock.advance(5 * 60_000);
  await h.runner.runDue();
}

function state(cap: MaintenanceCapability) {
  return (
    cap.handlers['maintenance.checks']!({}) as {
      checks: {
        id: string;
        up: boolean | null;
        consecutiveFailures: number;
        heals: number;
        guardTripped: boolean;
        message: string;
      }[];
    }
  ).checks[0]!;
}

describe('health checks against a real local HTTP server', () => {
  it('heals through restart-bot after 3 failures, then stops healing once the guard trips (2 heals in 3 cycles) and alerts', async () => {
    const clock = new ManualClock(Date.parse('2026-03-02T10:00:00+09:00'));
    const server = await endpoint();
    const root = mkdtempSync(join(tmpdir(), 'nexus-bot-'));
    cleanup.push(() => rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
    const config: TestConfig = {
      bots: [{ id: 'tax', root }],
      maintenance: {
        jobs: [],
        healthChecks: {
          checks: [
            {
              id: 'tax-api',
              kind: 'http',
              bot: 'tax',
              url: server.url,
              bodyContains: 'pong',
              heal: { action: 'restart-bot' },
            },
          ],
        },
      },
    };
    const { h, cap, alerts, samples } = setup(clock, config);
    cleanup.push(() => {
      h.close();
      removeDir(h.dir);
    });
    const restarts: { target?: string; reason: string }[] = [];
    let restartFixes = true;
    h.ctx.actions.provide('restart-bot', (a) => {
      restarts.push({ target: a.target, reason: a.reason });
      if (restartFixes) server.setHealthy(true);
    });
    expect(HEALTH_JOB).toBe('maintenance.health-checks');

    await cycle(h, clock);
    expect(state(cap)).toMatchObject({ up: true, consecutiveFailures: 0 });

    // The endpoint starts failing; the third failure in a row heals (restart-bot on the check's bot).
    server.setHealthy(false);
    await cycle(h, clock);
    await cycle(h, clock);
    expect(restarts).toHaveLength(0);
    await cycle(h, clock);
    expect(restarts).toEqual([{ target: 'tax', reason: expect.stringMatching(/tax-api failed 3 times/) }]);
    await cycle(h, clock);
    expect(state(cap)).toMatchObject({ up: true, consecutiveFailures: 0, heals: 1 });

    // Now a restart does not help: two more heals, then the guard stops trying and an alert fires.
    restartFixes = false;
    server.setHealthy(false);
    for (let i = 0; i < 7; i++) await cycle(h, clock);
    expect(restarts).toHaveLength(3);
    expect(state(cap)).toMatchObject({ up: false, consecutiveFailures: 7, guardTripped: true, heals: 3 });
    expect(state(cap).message).toMatch(/self-healing stopped after 2 heals in 3 cycles/);
    const last = (name: string) => samples.filter((s) => s.name === name).at(-1)?.value;
    expect(last('check.heal_guard')).toBe(1);
    expect(last('check.consecutive_failures')).toBe(7);
    const firing = alerts.alerts
      .active()
      .filter((a) => a.state === 'firing')
      .map((a) => a.ruleId)
      .sort();
    expect(firing).toEqual(['check-failing', 'check-heal-stopped']);

    // A restart of Nexus Ops keeps the guard: still no heal.
    const again = setup(clock, config, h.dir);
    h.close();
    cleanup.push(() => again.h.close());
    again.h.ctx.actions.provide('restart-bot', (a) => {
      restarts.push({ target: a.target, reason: a.reason });
    });
    await cycle(again.h, clock);
    expect(restarts).toHaveLength(3);
    expect(state(again.cap)).toMatchObject({ guardTripped: true, consecutiveFailures: 8 });

    // The endpoint recovers: the check passes, the guard resets and the alerts resolve.
    server.setHealthy(true);
    await cycle(again.h, clock);
    expect(state(again.cap)).toMatchObject({ up: true, consecutiveFailures: 0, guardTripped: false });
    expect(server.hits()).toBeGreaterThanOrEqual(14);
  }, 60_000);

  it('checks a process, a fresh file and a command, and reports a missing bot clearly', async () => {
    const root = mkdtempSync(join(tmpdir(), 'nexus-bot-'));
    cleanup.push(() => rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
    const { h, cap } = setup(new ManualClock(Date.now()), {
      bots: [{ id: 'tax', root }],
      maintenance: {
        jobs: [],
        healthChecks: {
          checks: [
            { id: 'self', kind: 'process', cmdline: 'vitest|node', min: 1 },
            { id: 'nobody', kind: 'process', cmdline: 'no-such-program-xyz' },
            { id: 'log', kind: 'file-fresh', bot: 'tax', path: 'log/*.log', maxAgeMinutes: 10 },
            { id: 'ok-cmd', kind: 'command', command: process.execPath, args: ['-e', 'process.exit(0)'] },
            { id: 'bad-cmd', kind: 'command', command: process.execPath, args: ['-e', 'process.exit(2)'] },
          ],
        },
      },
    });
    cleanup.push(() => {
      h.close();
      removeDir(h.dir);
    });
    expect((await cap.handlers['maintenance.checks']!({})).checks).toHaveLength(5);
    const job = cap.jobs!.find((j) => j.name === HEALTH_JOB)!;
    await job.run({ slot: 0, now: 0, signal: new AbortController().signal });
    const byId = Object.fromEntries(
      (
        cap.handlers['maintenance.checks']!({}) as {
          checks: { id: string; up: boolean | null; message: string }[];
        }
      ).checks.map((c) => [c.id, c]),
    );
    expect(byId.self).toMatchObject({ up: true });
    expect(byId.nobody).toMatchObject({ up: false, message: expect.stringMatching(/0 process/) });
    expect(byId.log).toMatchObject({ up: false, message: expect.stringMatching(/no file matches/) });
    expect(byId['ok-cmd']).toMatchObject({ up: true });
    expect(byId['bad-cmd']).toMatchObject({ up: false, message: expect.stringMatching(/exit 2/) });
  }, 60_000);
});

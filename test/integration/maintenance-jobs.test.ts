import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../electron/core/clock/index.js';
import { schemaMigrations } from '../../electron/core/index.js';
import { createJobRunner } from '../../electron/core/jobs/index.js';
import {
  createMaintenanceCapability,
  type MaintenanceCapability,
} from '../../electron/core/maintenance/index.js';
import { createPlatform } from '../../electron/core/platform/index.js';
import type { RunView } from '../../shared/api/maintenance.js';
import { type Harness, maintenanceHarness, removeDir } from '../helpers/maintenance-harness.js';

const harnesses: Harness[] = [];
const platform = createPlatform();
afterEach(async () => {
  for (const h of harnesses.splice(0)) {
    h.close();
    removeDir(h.dir);
  }
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor<T>(fn: () => T | undefined, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

// A parent that starts a child; both print their pid and sleep for a minute.
const TREE = `
const { spawn } = require('node:child_process');
const child = spawn(process.execPath, ['-e', 'console.log("child " + process.pid); setTimeout(() => {}, 60000)'], { stdio: ['ignore', 'inherit', 'inherit'] });
console.log('parent ' + process.pid);
setTimeout(() => {}, 60000);
`;

function setup(jobs: unknown[]): { h: Harness; cap: MaintenanceCapability; runs: () => RunView[] } {
  const h = maintenanceHarness(systemClock, { maintenance: { jobs: jobs as never } });
  harnesses.push(h);
  const runner = createJobRunner({ clock: systemClock, log: (m) => h.logs.push(m) });
  const cap = createMaintenanceCapability(h.ctx, {
    platform,
    jobs: runner,
    notifier: { send() {} },
    migrations: schemaMigrations,
  });
  return {
    h,
    cap,
    runs: () => h.events.flatMap((e) => (e.type === 'maintenance.run' ? [e.run] : [])),
  };
}

describe('command jobs with real processes', () => {
  it('stops a run past its timeout as a whole process tree and marks it timed out', async () => {
    const { cap, runs } = setup([
      {
        id: 'hang',
        kind: 'command',
        command: process.execPath,
        args: ['-e', TREE],
        schedule: '0 0 1 1 *',
        // Long enough for node to start its child on a loaded machine; the tree is stopped at the timeout.
        timeoutMinutes: 5 / 60,
      },
    ]);
    const { runId } = await cap.handlers['maintenance.run']!({ jobId: 'hang' });
    const done = await waitFor(() => runs().find((r) => r.id === runId && r.status !== 'running'));
    expect(done.status).toBe('timed-out');
    const parent = Number(/parent (\d+)/.exec(done.output)?.[1]);
    const child = Number(/child (\d+)/.exec(done.output)?.[1]);
    expect(parent).toBeGreaterThan(0);
    expect(child).toBeGreaterThan(0);
    expect(done.changes.killed).toBeGreaterThanOrEqual(2);
    await waitFor(() => (!alive(parent) && !alive(child) ? true : undefined), 5000);
    expect(done.summary).toMatch(/stopped as a tree/);
  });

  it('records exit code and the masked output tail of a command that fails', async () => {
    process.env.NEXUS_TEST_SECRET = 'hunter2-very-secret';
    const { cap, runs, h } = setup([
      {
        id: 'fails',
        kind: 'command',
        command: process.execPath,
        args: ['-e', 'console.log("token=" + process.env.TOKEN); console.error("boom"); process.exit(3)'],
        env: { TOKEN: '${env:NEXUS_TEST_SECRET}' },
        schedule: '0 0 1 1 *',
      },
    ]);
    const { runId } = await cap.handlers['maintenance.run']!({ jobId: 'fails' });
    const done = await waitFor(() => runs().find((r) => r.id === runId && r.status !== 'running'));
    expect(done).toMatchObject({ status: 'failed', exitCode: 3 });
    expect(done.output).toMatch(/boom/);
    expect(done.output).not.toMatch(/hunter2/);
    const stored = h.store.db
      .prepare<[string], { output: string }>('SELECT output FROM maintenance_runs WHERE id = ?')
      .get(runId);
    expect(stored?.output).not.toMatch(/hunter2/);
    delete process.env.NEXUS_TEST_SECRET;
  });

  it('refuses a second start while the job runs (the API answers conflict)', async () => {
    const { cap, runs } = setup([
      {
        id: 'sleepy',
        kind: 'command',
        command: process.execPath,
        args: ['-e', 'setTimeout(() => {}, 800)'],
        schedule: '0 0 1 1 *',
      },
    ]);
    const { runId } = await cap.handlers['maintenance.run']!({ jobId: 'sleepy' });
    await expect(
      Promise.resolve().then(() => cap.handlers['maintenance.run']!({ jobId: 'sleepy' })),
    ).rejects.toMatchObject({
      code: 'conflict',
    });
    const done = await waitFor(() => runs().find((r) => r.id === runId && r.status !== 'running'));
    expect(done.status).toBe('ok');
  });
});

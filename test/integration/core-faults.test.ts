import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../electron/core/clock/index.js';
import { type Core, createCore, schemaMigrations } from '../../electron/core/index.js';
import type { Monitor, MonitorCapability } from '../../electron/core/monitor/index.js';
import { openStore } from '../../electron/core/store/index.js';

const resourcesDir = resolve(import.meta.dirname, '..', '..', 'resources');
const quiet = { info() {}, warn() {}, error() {} };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function dataDir(config: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-core-faults-'));
  writeFileSync(join(dir, 'config.yaml'), config);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
  return dir;
}

async function until(cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  expect(cond()).toBe(true);
}

function start(dir: string): Core {
  const core = createCore({ dataDir: dir, resourcesDir, mode: 'headless', version: 'test', logger: quiet });
  cleanups.push(() => core.close());
  core.start();
  return core;
}

describe('the data directory', () => {
  it.skipIf(process.platform === 'win32')('is made owner-only at start, and so is the database', async () => {
    const dir = dataDir('monitor:\n  liveIntervalSeconds: 1\n');
    chmodSync(dir, 0o755);
    const core = start(dir);
    await until(() => existsSync(join(dir, 'nexus-ops.db')));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'nexus-ops.db')).mode & 0o777).toBe(0o600);
    expect(core.status().dataDir).toBe(dir);
  });
});

describe('core under faults', () => {
  it('keeps monitoring while another program locks the database, says so, and catches up afterwards', async () => {
    const dir = dataDir('monitor:\n  liveIntervalSeconds: 1\n  storeIntervalSeconds: 1\n');
    // An existing database (schema in place) that another program then holds a write lock on.
    openStore({ file: join(dir, 'nexus-ops.db'), clock: systemClock, migrations: schemaMigrations }).close();
    const other = new Database(join(dir, 'nexus-ops.db'));
    other.exec('BEGIN EXCLUSIVE');
    cleanups.push(() => {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
    });

    const core = start(dir);
    await until(() => (core.status().storeError ?? '').includes('locked'));
    expect(monitorOf(core).latest()?.snapshot.cpuPct).toBeGreaterThanOrEqual(0);
    const snapshot = await core.dispatcher.call('system.snapshot', {});
    expect(snapshot.ok).toBe(true);
    expect(core.store.health().waitingRows).toBeGreaterThan(0);

    other.exec('COMMIT');
    await until(() => core.status().storeError === null && core.store.health().waitingRows === 0);
    expect(core.store.readRaw('cpu.total', 0, Date.now() + 1000).length).toBeGreaterThan(1);
  });

  it('starts with a broken section on the valid ones, and reports the broken one with its line', async () => {
    const dir = dataDir(
      'ui:\n  locale: fr\nbots:\n  folders: [/srv/bots/nexus]\nmonitor:\n  liveIntervalSeconds: 1\n',
    );
    const core = start(dir);
    expect(core.config.current().bots.map((b) => b.root)).toEqual(['/srv/bots/nexus']);
    expect(core.config.current().monitor.liveIntervalSeconds).toBe(1);
    expect(core.status().configIssues[0]).toMatchObject({ line: 2, path: 'ui.locale' });
    await until(() => monitorOf(core).latest() !== undefined);
  });
});

function monitorOf(core: Core): Monitor {
  return (core.capabilities.get('monitor') as MonitorCapability).monitor;
}

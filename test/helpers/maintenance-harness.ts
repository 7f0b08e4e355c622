import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CoreContext,
  createActionRegistry,
  createEvidenceRegistry,
  createHooks,
} from '../../electron/core/capability/index.js';
import type { Clock } from '../../electron/core/clock/index.js';
import { schemaMigrations } from '../../electron/core/index.js';
import { createJobRunner, type JobRunner } from '../../electron/core/jobs/index.js';
import { openStore, type Store } from '../../electron/core/store/index.js';
import type { ApiEvent } from '../../shared/api/index.js';
import { type Config, type ConfigInput, configSchema } from '../../shared/config/schema.js';
import { removeTempDir } from './temp-dir.js';

/** The config as a test writes it: every section optional. */
export type TestConfig = Omit<ConfigInput, 'bots'> & { bots?: unknown };

export const noTimer = () => ({ cancel() {} });

export interface Harness {
  dir: string;
  store: Store;
  ctx: CoreContext;
  runner: JobRunner;
  events: ApiEvent[];
  logs: string[];
  setConfig(input: TestConfig): void;
  /** Reopens the database (a restart of Nexus Ops): a new store, runner and context. */
  restart(): Harness;
  close(): void;
}

/**
 * A CoreContext on a real SQLite file in a temporary folder (the whole schema), a static config, real
 * hooks and actions, and a job runner driven by hand (runDue) on the given clock.
 */
export function maintenanceHarness(clock: Clock, input: TestConfig = {}, dir?: string): Harness {
  const folder = dir ?? mkdtempSync(join(tmpdir(), 'nexus-maint-'));
  const store = openStore({ file: join(folder, 'nexus-ops.db'), clock, migrations: schemaMigrations });
  let current: TestConfig = input;
  let config: Config = configSchema.parse({ bots: [], ...input });
  const events: ApiEvent[] = [];
  const logs: string[] = [];
  const configFile = join(folder, 'config.yaml');
  writeFileSync(configFile, '# test\n');
  const ctx: CoreContext = {
    clock,
    log: { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) },
    config: { file: configFile, current: () => config, locate: () => () => undefined },
    store,
    emit: (e) => events.push(e),
    hooks: createHooks((name, err) => logs.push(`${name}: ${String(err)}`)),
    actions: createActionRegistry(),
    evidence: createEvidenceRegistry(),
    dataDir: folder,
    resourcesDir: join(folder, 'resources'),
    mode: 'headless',
    version: 'test',
  };
  const runner = createJobRunner({ clock, log: (m) => logs.push(m), setTimer: noTimer });
  let closed = false;
  const h: Harness = {
    dir: folder,
    store,
    ctx,
    runner,
    events,
    logs,
    setConfig(next) {
      current = next;
      config = configSchema.parse({ bots: [], ...next });
    },
    restart() {
      h.close();
      return maintenanceHarness(clock, current, folder);
    },
    close() {
      if (closed) return;
      closed = true;
      store.close();
    },
  };
  return h;
}

export function removeDir(dir: string): void {
  removeTempDir(dir);
}

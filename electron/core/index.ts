import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AppStatus, HealthState } from '../../shared/api/system.js';
import { type Config, configSchema, formatConfigIssue } from '../../shared/config/schema.js';
import { seriesKey } from '../../shared/series.js';
import {
  createDispatcher,
  createEventBus,
  type Dispatcher,
  type EventBus,
  type Handlers,
} from './api/index.js';
import { type Clock, systemClock } from './clock/index.js';
import { type LiveConfig, openLiveConfig, resolveConfigFile } from './config/index.js';
import { type DesktopPort, noDesktop } from './desktop/index.js';
import { createMonitor, type Monitor } from './monitor/index.js';
import { openStore, type Store, StoreOpenError } from './store/index.js';
import { downsample } from './store/query.js';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const consoleLogger: Logger = {
  info: (m) => console.log(`[nexus-ops] ${m}`),
  warn: (m) => console.warn(`[nexus-ops] WARN ${m}`),
  error: (m) => console.error(`[nexus-ops] ERROR ${m}`),
};

export interface CoreOptions {
  dataDir: string;
  /** Explicit config file (NEXUS_OPS_CONFIG); default `<dataDir>/config.yaml`. */
  configFile?: string;
  /** Folder with the shipped default config, icons, checklists. */
  resourcesDir: string;
  mode: 'desktop' | 'headless';
  version: string;
  clock?: Clock;
  desktop?: DesktopPort;
  logger?: Logger;
  /** better-sqlite3 binary for Electron's ABI. */
  nativeBinding?: string;
}

export interface Core {
  readonly dispatcher: Dispatcher;
  readonly events: EventBus;
  readonly config: LiveConfig;
  readonly store: Store;
  readonly monitor: Monitor;
  status(): AppStatus;
  start(): void;
  close(): Promise<void>;
}

/** The composition root: builds every capability, wires them, starts nothing until start(). */
export function createCore(options: CoreOptions): Core {
  const clock = options.clock ?? systemClock;
  const log = options.logger ?? consoleLogger;
  mkdirSync(options.dataDir, { recursive: true });

  const events = createEventBus();
  // Headless mode has no tray: notifications go to the open pages as toasts.
  const desktop: DesktopPort = options.desktop ?? {
    ...noDesktop,
    notify: (n) => events.emit({ type: 'notify', ...n }),
  };
  const defaults: Config = configSchema.parse({});
  const configFile = resolveConfigFile({
    explicit: options.configFile,
    dataDir: options.dataDir,
    defaultFile: join(options.resourcesDir, 'config', 'default.yaml'),
  });

  let monitor: Monitor | undefined;
  const config = openLiveConfig({
    file: configFile,
    fallback: defaults,
    onIssues(issues) {
      for (const issue of issues)
        log.warn(`config: ${formatConfigIssue(issue)} (keeping the last good config)`);
      if (monitor) publishStatus();
    },
    onChange() {
      monitor?.reschedule();
      if (monitor) publishStatus();
    },
  });

  let storeError: string | null = null;
  let store: Store;
  try {
    store = openStore({
      file: join(options.dataDir, 'nexus-ops.db'),
      clock,
      nativeBinding: options.nativeBinding,
    });
  } catch (err) {
    storeError = err instanceof StoreOpenError ? err.message : String(err);
    log.error(`${storeError}. Running with an in-memory database: history is not kept until this is fixed.`);
    store = openStore({ file: ':memory:', clock, nativeBinding: options.nativeBinding });
  }

  let health: HealthState = 'ok';
  let lastStatusJson = '';

  monitor = createMonitor({
    clock,
    intervalMs: () => config.current().monitor.liveIntervalSeconds * 1000,
    disks: () => config.current().monitor.disks,
    onCycle(cycle) {
      store.writeSamples(cycle.samples);
      events.emit({
        type: 'samples',
        ts: cycle.ts,
        samples: cycle.samples.map((s) => ({ key: seriesKey(s.name, s.labels), value: s.value })),
        snapshot: cycle.snapshot,
      });
      publishStatus();
    },
    onError(err) {
      log.error(`sampler: ${err instanceof Error ? err.message : String(err)}`);
    },
  });

  function status(): AppStatus {
    const stats = monitor!.stats();
    return {
      version: options.version,
      mode: options.mode,
      dataDir: options.dataDir,
      configFile,
      configIssues: config.issues(),
      storeError: storeError ?? store.health().error,
      health,
      sampler: { intervalMs: stats.intervalMs, lagMs: stats.lagMs, skipped: stats.skipped },
      locale: config.current().ui.locale,
    };
  }

  /** Pushes the status only when something an operator sees has changed. */
  function publishStatus(): void {
    const s = status();
    const { sampler: _sampler, ...visible } = s;
    const json = JSON.stringify(visible);
    if (json === lastStatusJson) return;
    lastStatusJson = json;
    health = s.health;
    desktop.setHealth(health, `Nexus Ops: ${health}`);
    events.emit({ type: 'status', status: s });
  }

  const handlers: Handlers = {
    'app.status': () => status(),
    'system.snapshot': () => monitor!.latest()?.snapshot ?? null,
    'series.list': ({ prefix }) => store.listSeries(prefix),
    'series.query': ({ keys, from, to, maxPoints }) => ({
      series: keys.map((key) => ({
        key,
        tier: 'raw' as const,
        points: downsample(store.readRaw(key, from, to), from, to, maxPoints),
      })),
    }),
  };

  const dispatcher = createDispatcher(handlers, (err) =>
    log.error(`api: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
  );

  return {
    dispatcher,
    events,
    config,
    store,
    monitor,
    status,
    start() {
      monitor!.start();
      void monitor!.sampleOnce().then((cycle) => {
        store.writeSamples(cycle.samples);
        publishStatus();
      });
    },
    async close() {
      monitor!.stop();
      config.close();
      store.close();
    },
  };
}

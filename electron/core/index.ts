import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AppStatus, HealthState } from '../../shared/api/system.js';
import { NOTIFY_PUBLIC_VALUES, NOTIFY_SECRET_KEYS } from '../../shared/config/notify.js';
import { type Config, configSchema, formatConfigIssue } from '../../shared/config/schema.js';
import { seriesKey } from '../../shared/series.js';
import { type Alerts, createAlerts } from './alerts/index.js';
import {
  createDispatcher,
  createEventBus,
  type Dispatcher,
  type EventBus,
  type Handlers,
} from './api/index.js';
import { type Clock, systemClock } from './clock/index.js';
import { type LiveConfig, lastGoodConfigFile, openLiveConfig, resolveConfigFile } from './config/index.js';
import { type DesktopPort, noDesktop } from './desktop/index.js';
import { classifyProcesses, createMonitor, createMonitorHandlers, type Monitor } from './monitor/index.js';
import { createNotifier, type Notifier } from './notify/index.js';
import { createPlatform } from './platform/index.js';
import { redactConfig } from './secrets/index.js';
import { createStop, type Stop } from './stop/index.js';
import { openStore, type Store, StoreOpenError } from './store/index.js';
import { queryChart } from './store/tiers.js';

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
  readonly alerts: Alerts;
  readonly notifier: Notifier;
  readonly stop: Stop;
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

  /** Timers and watchers call into every capability: one failure is logged, never the end of the monitor. */
  const guard = (what: string, work: () => void) => {
    try {
      work();
    } catch (err) {
      log.error(`${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  let monitor: Monitor | undefined;
  let notifier: Notifier | undefined;
  let alerts: Alerts | undefined;
  let stop: Stop | undefined;
  const config = openLiveConfig({
    file: configFile,
    fallback: defaults,
    lastGoodFile: lastGoodConfigFile(options.dataDir),
    onIssues(issues) {
      // Each list ends with a notice saying what runs instead.
      for (const issue of issues) log.warn(`config: ${formatConfigIssue(issue)}`);
      if (monitor) publishStatus();
    },
    onChange(next) {
      guard('config reload', () => {
        monitor?.reschedule();
        notifier?.setConfig(next.notify);
        alerts?.setConfig(next.alerts, config.locate());
        if (monitor) publishStatus();
      });
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

  /** The audit trail is best effort: a locked or read-only database must not stop an operator action. */
  const audit = (entry: { actor: string; action: string; details?: Record<string, unknown> }) => {
    try {
      store.appendAudit(entry);
    } catch (err) {
      log.error(`audit not recorded (${entry.action}): ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  const platform = createPlatform({ clock });

  notifier = createNotifier({
    db: store.db,
    clock,
    desktop,
    config: config.current().notify,
    onEvent: (e) => events.emit(e),
    env: process.env,
    log: (m: string) => log.warn(`notify: ${m}`),
  });

  alerts = createAlerts({
    db: store.db,
    clock,
    notifier,
    onEvent: (e) => {
      events.emit(e);
      if (e.type === 'alert.health') publishStatus();
    },
    readSeries: (key, from, to) => store.readRaw(key, from, to),
    config: config.current().alerts,
    configFile,
    audit,
    // Automatic triggers are ordinary rules with this action.
    actions: { 'emergency-stop': (ctx) => stop!.ruleAction(ctx) },
    log: (m) => log.warn(`alerts: ${m}`),
  });

  stop = createStop({
    platform,
    store,
    clock,
    config: () => config.current(),
    classify: (processes) =>
      classifyProcesses(processes, config.current().monitor.families, {
        botFolders: config.current().bots.folders,
      }),
    notifier,
    onEvent: (e) => events.emit(e),
    onResume: (at) => alerts!.noteResume(at),
    onStateChange: () => publishStatus(),
    log: (m) => log.warn(`stop: ${m}`),
  });
  // A resume done by the CLI while the app was closed still starts the rule cooldown.
  const resumedAt = stop.lastResumeAt();
  if (resumedAt !== null) guard('alerts', () => alerts!.noteResume(resumedAt));
  guard('alerts', () => {
    for (const e of alerts!.setConfig(config.current().alerts, config.locate())) {
      log.warn(
        `alerts: ${e.file}:${e.line ?? '?'}:${e.col ?? '?'}: rule ${e.ruleId ?? e.ruleIndex}: ${e.reason}`,
      );
    }
  });

  let health: HealthState = 'ok';
  let lastStatusJson = '';

  monitor = createMonitor({
    clock,
    platform,
    db: store.db,
    rollupHorizon: () => store.oldestPendingTs(),
    config: () => config.current().monitor,
    botFolders: () => config.current().bots.folders,
    onCycle(cycle) {
      store.writeSamples(cycle.toStore);
      guard('alerts', () =>
        alerts!.evaluate(
          cycle.samples.map((s) => ({
            key: seriesKey(s.name, s.labels),
            name: s.name,
            labels: s.labels,
            ts: s.ts,
            value: s.value,
          })),
        ),
      );
      events.emit({
        type: 'samples',
        ts: cycle.ts,
        samples: cycle.samples.map((s) => ({ key: seriesKey(s.name, s.labels), value: s.value })),
        snapshot: cycle.snapshot,
      });
      events.emit({ type: 'metrics', metrics: cycle.metrics });
      if (cycle.processes) {
        const { ts, total, families } = cycle.processes;
        events.emit({ type: 'processes', ts, totalProcesses: total, families });
      }
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
      health: stop!.isStopped() ? 'stopped' : alerts!.health(),
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
    ...alerts.api,
    'notify.deliveries': (filter) => ({ deliveries: notifier!.deliveries(filter) }),
    'notify.test': ({ channelId }) => notifier!.test(channelId),
    'notify.channels': () => ({
      channels: config.current().notify.channels.map((c) => {
        const { id, type, enabled, minSeverity, ...settings } = redactConfig(
          c,
          NOTIFY_SECRET_KEYS,
          NOTIFY_PUBLIC_VALUES,
        );
        return { id, type, enabled, minSeverity, settings };
      }),
    }),
    'series.query': (query) => queryChart(store.db, query),
    ...createMonitorHandlers(monitor),
    ...stop.handlers,
  };

  const timers: NodeJS.Timeout[] = [];
  const dispatcher = createDispatcher(handlers, (err) =>
    log.error(`api: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
  );

  return {
    dispatcher,
    events,
    config,
    store,
    monitor,
    alerts,
    notifier,
    stop,
    status,
    start() {
      monitor!.start();
      timers.push(
        setInterval(() => guard('notify', () => notifier!.tick()), 1000),
        setInterval(() => guard('alerts', () => alerts!.tick()), 5000),
        // Stop records that waited for a locked or read-only database.
        setInterval(() => guard('stop', () => stop!.flush()), 5000),
      );
      for (const t of timers) t.unref();
      monitor!
        .sampleOnce()
        .then((cycle) => {
          store.writeSamples(cycle.toStore);
          publishStatus();
        })
        .catch((err: unknown) =>
          log.error(`first sample: ${err instanceof Error ? err.message : String(err)}`),
        );
    },
    async close() {
      await monitor!.close();
      await platform.close();
      for (const t of timers) clearInterval(t);
      config.close();
      await notifier!.close();
      store.close();
    },
  };
}

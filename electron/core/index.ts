/**
 * The composition root. It builds the shared infrastructure (clock, config, store with its write path,
 * platform, job runner, hooks, actions), then each capability in order, passing the ports a capability
 * needs from those before it, and combines what they describe: API handlers, jobs, config sections,
 * migrations, health. It holds no logic of its own. Adding a capability is one folder and one line in
 * `createCapabilities` (and its migrations in `schemaMigrations`).
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { apiMethods, isMethodName } from '../../shared/api/index.js';
import type { AppStatus } from '../../shared/api/system.js';
import { type Config, configSchema, formatConfigIssue } from '../../shared/config/schema.js';
import { alertsMigration, createAlertsCapability } from './alerts/index.js';
import {
  createDispatcher,
  createEventBus,
  type Dispatcher,
  type EventBus,
  type Handlers,
} from './api/index.js';
import { createAppCapability } from './app/index.js';
import { botsMigration, createBotsCapability } from './bots/index.js';
import {
  type Capability,
  type CoreContext,
  createActionRegistry,
  createEvidenceRegistry,
  createHooks,
  type EvidenceRegistry,
  type Logger,
} from './capability/index.js';
import { checklistsMigration, createChecklistsCapability } from './checklists/index.js';
import { type Clock, systemClock } from './clock/index.js';
import { type LiveConfig, lastGoodConfigFile, openLiveConfig, resolveConfigFile } from './config/index.js';
import { type DesktopPort, noDesktop } from './desktop/index.js';
import { createExportCapability } from './export/index.js';
import { createIncidentsCapability, incidentsMigration } from './incidents/index.js';
import { createJobRunner, type JobRunner } from './jobs/index.js';
import { createLogsCapability, logsFtsAutomergeMigration, logsMigration } from './logs/index.js';
import { createMaintenanceCapability, maintenanceMigration } from './maintenance/index.js';
import { createMonitorCapability, SAMPLE_JOB } from './monitor/index.js';
import { createNotifyCapability, deliveryContextMigration, notifyMigration } from './notify/index.js';
import { createPlatform } from './platform/index.js';
import { createRunbooksCapability, runbooksMigration } from './runbooks/index.js';
import { createSettingsCapability } from './settings/index.js';
import { createStopCapability, stopEvidenceMigration, stopMigration } from './stop/index.js';
import {
  createStoreCapability,
  type Migration,
  openStore,
  type Store,
  StoreOpenError,
  storeMigrations,
} from './store/index.js';
import { createTelemetryCapability, telemetryMigration } from './telemetry/index.js';

export type { Logger } from './capability/index.js';

export const consoleLogger: Logger = {
  info: (m) => console.log(`[nexus-ops] ${m}`),
  warn: (m) => console.warn(`[nexus-ops] WARN ${m}`),
  error: (m) => console.error(`[nexus-ops] ERROR ${m}`),
};

/** The whole schema: every capability's migrations, in version order (checked to run 1..N at open). */
export const schemaMigrations: readonly Migration[] = [
  ...storeMigrations,
  alertsMigration,
  notifyMigration,
  stopMigration,
  deliveryContextMigration,
  checklistsMigration,
  incidentsMigration,
  runbooksMigration,
  botsMigration,
  maintenanceMigration,
  logsMigration,
  telemetryMigration,
  stopEvidenceMigration,
  logsFtsAutomergeMigration,
];

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
  readonly jobs: JobRunner;
  /** Evidence providers (checklists, Overview, incident timelines); tests and later hosts offer more here. */
  readonly evidence: EvidenceRegistry;
  /** Every capability by name (tests and the desktop host reach one through its door). */
  readonly capabilities: ReadonlyMap<string, Capability>;
  status(): AppStatus;
  start(): void;
  close(): Promise<void>;
}

export function createCore(options: CoreOptions): Core {
  const clock = options.clock ?? systemClock;
  const log = options.logger ?? consoleLogger;
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  restrictToOwner(options.dataDir, log);

  const events = createEventBus();
  // Headless mode has no tray: notifications go to the open pages as toasts.
  const desktop: DesktopPort = options.desktop ?? {
    ...noDesktop,
    notify: (n) => events.emit({ type: 'notify', ...n }),
  };
  const configFile = resolveConfigFile({
    explicit: options.configFile,
    dataDir: options.dataDir,
    defaultFile: join(options.resourcesDir, 'config', 'default.yaml'),
  });

  let capabilities: Capability[] = [];
  const hooks = createHooks((name, err) => log.error(`${name}: ${errorText(err)}`));
  const config = openLiveConfig({
    file: configFile,
    fallback: configSchema.parse({}),
    lastGoodFile: lastGoodConfigFile(options.dataDir),
    onIssues(issues) {
      // Each list ends with a notice saying what runs instead.
      for (const issue of issues) log.warn(`config: ${formatConfigIssue(issue)}`);
      hooks.emit('status.changed', {});
    },
    onChange(next: Config) {
      for (const c of capabilities) guard(`${c.name}: config`, () => c.onConfig?.(next));
      hooks.emit('status.changed', {});
    },
  });

  let storeOpenError: string | null = null;
  const openDb = (file: string) =>
    openStore({
      file,
      clock,
      migrations: schemaMigrations,
      nativeBinding: options.nativeBinding,
      log: (m) => log.warn(m),
    });
  let store: Store;
  try {
    store = openDb(join(options.dataDir, 'nexus-ops.db'));
  } catch (err) {
    storeOpenError = err instanceof StoreOpenError ? err.message : errorText(err);
    log.error(
      `${storeOpenError}. Running with an in-memory database: history is not kept until this is fixed.`,
    );
    store = openDb(':memory:');
  }

  const jobs = createJobRunner({ clock, log: (m) => log.error(m) });
  const platform = createPlatform({ clock });
  const ctx: CoreContext = {
    clock,
    log,
    config,
    store,
    emit: (e) => events.emit(e),
    uiConnected: () => events.hasSubscribers(),
    hooks,
    actions: createActionRegistry(),
    evidence: createEvidenceRegistry(),
    dataDir: options.dataDir,
    resourcesDir: options.resourcesDir,
    mode: options.mode,
    version: options.version,
  };

  // The order is the dependency order: each gets the ports of those before it.
  const storeCap = createStoreCapability(ctx);
  const monitor = createMonitorCapability(ctx, { platform, jobStatus: (n) => jobs.status(n) });
  const notify = createNotifyCapability(ctx, { desktop });
  const bots = createBotsCapability(ctx, { platform, jobs, recentProcesses: monitor.recentProcesses });
  const maintenance = createMaintenanceCapability(ctx, {
    platform,
    jobs,
    notifier: notify.notifier,
    migrations: schemaMigrations,
    nativeBinding: options.nativeBinding,
  });
  const stop = createStopCapability(ctx, {
    platform,
    notifier: notify.notifier,
    classify: monitor.classify,
    schedules: [bots.pauser, maintenance.schedules],
  });
  // Telemetry extracts metrics from the log records; the alert rules evaluate them, and an automatic
  // stop records the values and records that made its rule fire.
  const telemetry = createTelemetryCapability(ctx, { isStopped: () => stop.stop.isStopped() });
  const alerts = createAlertsCapability(ctx, {
    notifier: notify.notifier,
    lastResumeAt: stop.stop.lastResumeAt(),
    evidenceFor: telemetry.evidenceFor,
  });
  const logs = createLogsCapability(ctx);
  const checklists = createChecklistsCapability(ctx, {
    alerts: alerts.alerts,
    stop: stop.stop,
    jobs,
    notifier: notify.notifier,
  });
  const runbooks = createRunbooksCapability(ctx);
  const incidents = createIncidentsCapability(ctx, {
    alerts: alerts.alerts,
    stop: stop.stop,
    ruleRunbooks: runbooks.ruleLinks,
  });
  capabilities = [
    storeCap,
    monitor,
    notify,
    bots,
    maintenance,
    stop,
    alerts,
    logs,
    telemetry,
    checklists,
    runbooks,
    incidents,
    createSettingsCapability(ctx),
  ];
  const app = createAppCapability(ctx, {
    capabilities,
    jobs,
    desktop,
    configIssues: () => config.issues(),
    storeOpenError,
    samplerJob: SAMPLE_JOB,
  });
  capabilities.push(app);
  capabilities.push(
    createExportCapability(ctx, {
      alerts: alerts.alerts,
      stop: stop.stop,
      jobs,
      appStatus: () => app.status(),
      samplerJob: SAMPLE_JOB,
    }),
  );

  const handlers = combineHandlers(capabilities);
  for (const c of capabilities) for (const job of c.jobs ?? []) jobs.add(job);
  const dispatcher = createDispatcher(handlers, (err) =>
    log.error(`api: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
  );

  function guard(what: string, work: () => void): void {
    try {
      work();
    } catch (err) {
      log.error(`${what}: ${errorText(err)}`);
    }
  }

  return {
    dispatcher,
    events,
    config,
    store,
    jobs,
    evidence: ctx.evidence,
    capabilities: new Map(capabilities.map((c) => [c.name, c])),
    status: () => app.status(),
    start() {
      for (const c of capabilities) guard(`${c.name}: start`, () => c.start?.());
      jobs.start();
    },
    async close() {
      await jobs.close();
      for (const c of [...capabilities].reverse()) {
        try {
          await c.close?.();
        } catch (err) {
          log.error(`${c.name}: close: ${errorText(err)}`);
        }
      }
      await platform.close();
      config.close();
      store.close();
    },
  };
}

/** Every method of the contract, implemented by exactly one capability: checked when the app starts. */
export function combineHandlers(capabilities: readonly Capability[]): Handlers {
  const combined: Record<string, unknown> = {};
  const owner = new Map<string, string>();
  for (const c of capabilities) {
    for (const [method, handler] of Object.entries(c.handlers)) {
      if (!isMethodName(method))
        throw new Error(`${c.name} implements "${method}", which the contract lacks`);
      const other = owner.get(method);
      if (other) throw new Error(`"${method}" is implemented by both ${other} and ${c.name}`);
      owner.set(method, c.name);
      combined[method] = handler;
    }
  }
  const missing = Object.keys(apiMethods).filter((m) => !owner.has(m));
  if (missing.length > 0) throw new Error(`no capability implements ${missing.join(', ')}`);
  return combined as Handlers;
}

/**
 * The data directory holds the history, the audit trail, the token and the config: its owner only
 * (POSIX modes; on Windows the per-user AppData folder is already private).
 */
function restrictToOwner(dir: string, log: Logger): void {
  if (process.platform === 'win32') return;
  try {
    if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700);
  } catch (err) {
    log.warn(`cannot make ${dir} owner-only (${errorText(err)}): check who owns it`);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Alert, AlertRuleInfo } from '../../../shared/api/alerts.js';
import type { ExportStatus } from '../../../shared/api/export.js';
import type { StopStatus } from '../../../shared/api/stop.js';
import type { AppStatus, HealthState } from '../../../shared/api/system.js';
import type { ExportConfig } from '../../../shared/config/export.js';
import type { ConfigIssue } from '../../../shared/config/schema.js';
import type { Capability, CoreContext, HandlersOf } from '../capability/index.js';
import type { JobRunner, JobSpec } from '../jobs/index.js';
import { dashboardUrlOf } from '../notify/index.js';
import { MissingEnvError, resolveEnvRefs } from '../secrets/index.js';
import { createForwarder, type Forwarder } from './alertmanager.js';
import { createExposition, type Exposition } from './exposition.js';
import { createLatestTable, type LatestTable } from './latest.js';
import {
  answerScrape,
  isLoopback,
  type MetricsListener,
  MIN_TOKEN_LENGTH,
  type ScrapeAnswer,
  type ScrapeGate,
  startMetricsListener,
} from './scrape.js';

/** The ports the export reads; each comes from a capability created before it (electron/core/index.ts). */
export interface ExportDeps {
  /** The alert engine (createAlertsCapability's `alerts`). */
  alerts: { active(): Alert[]; ruleInfo(): { rules: AlertRuleInfo[] } };
  /** The emergency stop (createStopCapability's `stop`). */
  stop: { status(): StopStatus };
  jobs: Pick<JobRunner, 'list' | 'status'>;
  /** The app's status: health, config problems, the write path. */
  appStatus(): AppStatus;
  /** The sampler's job (its lag is app.sampler_lag_ms). */
  samplerJob: string;
  fetchImpl?: typeof fetch;
  env?: Record<string, string | undefined>;
  /** Default `instance` label (tests); the OS host name otherwise. */
  hostname?: string;
}

export interface ExportCapability extends Capability {
  /** `GET /metrics`: the answer for a request with this Authorization header. */
  scrape(authorization: string): Promise<ScrapeAnswer>;
  status(): ExportStatus;
  readonly forwarder: Forwarder;
  readonly latest: LatestTable;
  readonly exposition: Exposition;
}

/** The latest-value table's bound: far above any real PC (a few hundred series), far below trouble. */
const MAX_SERIES = 20_000;
export const FORWARD_JOB = 'export.alertmanager';
export const PRUNE_JOB = 'export.prune';

/**
 * The export as a capability: `GET /metrics` for Prometheus (on the app's port, and on a separate
 * listener when `export.metrics.listen` asks for one) and the Alertmanager forwarder.
 */
export function createExportCapability(ctx: CoreContext, deps: ExportDeps): ExportCapability {
  const env = deps.env ?? process.env;
  const cfg = (): ExportConfig => ctx.config.current().export;
  const instance = () => cfg().instance ?? deps.hostname ?? hostname();
  const latest = createLatestTable(MAX_SERIES);

  const forwarder = createForwarder({
    clock: ctx.clock,
    config: cfg,
    instance,
    dashboardUrl: () => dashboardUrlOf(ctx.config.current()),
    active: () => deps.alerts.active(),
    rules: () => deps.alerts.ruleInfo().rules,
    env,
    fetchImpl: deps.fetchImpl ?? fetch,
    log: ctx.log,
  });

  const processStart = performance.timeOrigin / 1000;
  const exposition = createExposition({
    latest,
    live: {
      'app.sampler_lag_ms': () => deps.jobs.status(deps.samplerJob)?.lagMs,
      'app.write_queue': () => ctx.store.writes.status().waitingWrites,
    },
    alerts: () => deps.alerts.active(),
    stop: () => deps.stop.status(),
    jobs: () => deps.jobs.list(),
    app: () => deps.appStatus(),
    forwarder: () => forwarder.figures(),
    processFigures: () => {
      const cpu = process.cpuUsage();
      return {
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        residentBytes: process.memoryUsage.rss(),
        startTimeSeconds: processStart,
      };
    },
  });
  for (const p of exposition.problems()) ctx.log.warn(`export: ${p}`);

  let gate: ScrapeGate = { state: 'off' };
  let issues: ConfigIssue[] = [];
  let listener: MetricsListener | null = null;
  let listenerWanted: string | null = null;
  let listenerProblem: string | null = null;
  let listenerChange: Promise<void> = Promise.resolve();
  let started = false;
  let lastScrapeAt: number | null = null;
  let lastHealth: HealthState = 'ok';

  function issue(path: string, message: string): ConfigIssue {
    const pos = ctx.config.locate()(
      path.split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : part)),
    );
    return {
      file: ctx.config.file,
      ...(pos ? { line: pos.line, col: pos.col } : {}),
      path,
      message,
    };
  }

  function gateOf(c: ExportConfig): ScrapeGate {
    if (!c.metrics.enabled) return { state: 'off' };
    const raw = c.metrics.scrapeToken;
    if (raw === undefined) {
      return {
        state: 'misconfigured',
        problem:
          'export.metrics.scrapeToken is required when export.metrics.enabled is true: set it to ${env:NEXUS_OPS_SCRAPE_TOKEN} and that variable to a random value (e.g. openssl rand -hex 24)',
      };
    }
    let token: string;
    try {
      token = resolveEnvRefs(raw, env).trim();
    } catch (err) {
      if (err instanceof MissingEnvError) {
        return {
          state: 'misconfigured',
          problem: `export.metrics.scrapeToken: environment variable ${err.variable} is not set: set it before starting Nexus Ops`,
        };
      }
      throw err;
    }
    if (token.length < MIN_TOKEN_LENGTH) {
      return {
        state: 'misconfigured',
        problem: `export.metrics.scrapeToken is shorter than ${MIN_TOKEN_LENGTH} characters: use a random value (e.g. openssl rand -hex 24)`,
      };
    }
    return { state: 'ready', token };
  }

  function apply(): ConfigIssue[] {
    const c = cfg();
    gate = gateOf(c);
    const found: ConfigIssue[] = [];
    if (gate.state === 'misconfigured') found.push(issue('export.metrics.scrapeToken', gate.problem));
    const am = c.alertmanager;
    if (am.enabled && am.urls.length === 0) {
      found.push(
        issue(
          'export.alertmanager.urls',
          'export.alertmanager is enabled but has no urls: add your Alertmanager, e.g. http://alertmanager.example:9093',
        ),
      );
    }
    if (am.enabled) {
      for (const [path, value] of [
        ['export.alertmanager.bearerToken', am.bearerToken],
        ['export.alertmanager.basicAuth.password', am.basicAuth?.password],
        ...am.urls.map((u, i) => [`export.alertmanager.urls.${i}`, u] as const),
      ] as const) {
        if (value === undefined) continue;
        try {
          resolveEnvRefs(value, env);
        } catch (err) {
          if (err instanceof MissingEnvError)
            found.push(
              issue(
                path,
                `environment variable ${err.variable} is not set: set it before starting Nexus Ops`,
              ),
            );
        }
      }
    }
    if (listenerProblem) found.push(issue('export.metrics.listen', listenerProblem));
    issues = found;
    if (started) syncListener();
    return issues;
  }

  /** Starts, moves or closes the separate listener to match the config; one change at a time. */
  function syncListener(): void {
    const c = cfg();
    const listen = c.metrics.enabled && gate.state === 'ready' ? c.metrics.listen : undefined;
    const wanted = listen ? `${listen.host}:${listen.port}` : null;
    if (wanted === listenerWanted) return;
    listenerWanted = wanted;
    listenerChange = listenerChange.then(async () => {
      if (listener) {
        await listener.close();
        ctx.log.info(`export: stopped the /metrics listener on ${listener.url}`);
        listener = null;
      }
      const hadProblem = listenerProblem !== null;
      listenerProblem = null;
      if (listen && wanted === listenerWanted) {
        try {
          listener = await startMetricsListener(listen.host, listen.port, (auth) => scrape(auth));
          if (isLoopback(listen.host)) ctx.log.info(`export: /metrics also listens on ${listener.url}`);
          else
            ctx.log.warn(
              `export: /metrics listens on ${listener.url}, reachable from other machines on that network: anyone with the scrape token can read this PC's metrics; allow only your Prometheus server in the firewall`,
            );
        } catch (err) {
          listenerProblem = err instanceof Error ? err.message : String(err);
          ctx.log.error(`export: ${listenerProblem}`);
        }
      }
      if (hadProblem || listenerProblem !== null) {
        apply();
        ctx.hooks.emit('status.changed', {});
      }
    });
  }

  async function scrape(authorization: string): Promise<ScrapeAnswer> {
    const answer = await answerScrape(gate, authorization, async () => ({
      contentType: exposition.contentType,
      body: await exposition.render(),
    }));
    if (answer.status === 200) lastScrapeAt = ctx.clock.now();
    return answer;
  }

  function staleAfterMs(): number {
    const m = ctx.config.current().monitor;
    const longest = Math.max(m.liveIntervalSeconds, m.processIntervalSeconds, m.diskSpaceIntervalSeconds);
    return Math.max(5 * 60_000, 3 * longest * 1000);
  }

  function health(): HealthState {
    const am = cfg().alertmanager;
    if (!forwarder.figures().enabled) return 'ok';
    // Alerts are not reaching the team's on-call: worth the tray's attention.
    const failing = forwarder.status().targets.some((t) => t.consecutiveFailures >= am.maxAttempts);
    return failing ? 'warning' : 'ok';
  }

  function status(): ExportStatus {
    const f = forwarder.status();
    return {
      metrics: {
        enabled: cfg().metrics.enabled,
        state: gate.state,
        problem: gate.state === 'misconfigured' ? gate.problem : listenerProblem,
        listener: listener ? { host: listener.host, port: listener.port, url: listener.url } : null,
        series: latest.size(),
        droppedSeries: latest.dropped(),
        lastScrapeAt,
      },
      alertmanager: {
        enabled: f.enabled,
        instance: instance(),
        forwarded: f.forwarded,
        ending: f.ending,
        sent: f.sent,
        failed: f.failed,
        lastSuccessAt: f.lastSuccessAt,
        targets: f.targets,
      },
    };
  }

  apply();
  ctx.hooks.on('samples', ({ samples }) => latest.update(samples, ctx.clock.now()));
  ctx.hooks.on('alerts.changed', ({ alert }) => forwarder.alertChanged(alert));

  const jobs: JobSpec[] = [
    {
      name: FORWARD_JOB,
      // Due sends and retries are checked every second while forwarding is on.
      schedule: { every: () => (forwarder.figures().enabled ? 1_000 : 15_000) },
      async run() {
        await forwarder.sendDue();
        const h = health();
        if (h !== lastHealth) {
          lastHealth = h;
          ctx.hooks.emit('status.changed', {});
        }
      },
    },
    {
      name: PRUNE_JOB,
      schedule: { every: 60_000 },
      run: () => latest.prune(ctx.clock.now() - staleAfterMs()),
    },
  ];

  const handlers: HandlersOf<'export'> = {
    'export.scrape': ({ authorization }) => scrape(authorization),
    'export.status': () => status(),
  };

  return {
    name: 'export',
    handlers,
    jobs,
    scrape,
    status,
    forwarder,
    latest,
    exposition,
    onConfig: () => apply(),
    configIssues: () => issues,
    health,
    start() {
      started = true;
      syncListener();
    },
    async close() {
      started = false;
      listenerWanted = null;
      await listenerChange;
      await listener?.close();
      listener = null;
      await forwarder.settle();
    },
  };
}

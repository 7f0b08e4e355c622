import { Registry } from 'prom-client';
import type { Alert } from '../../../shared/api/alerts.js';
import type { StopStatus } from '../../../shared/api/stop.js';
import { type AppStatus, healthStateSchema } from '../../../shared/api/system.js';
import { allMetrics, findMetric, type MetricDef } from '../../../shared/metrics/catalog.js';
import type { JobStatus } from '../jobs/index.js';
import type { LatestTable } from './latest.js';
import { alertName, customExportedName, exportedName } from './names.js';
import { type Point, type ReadPoints, SnapshotCounter, SnapshotGauge } from './snapshot-metric.js';

/** What the exposition reads at scrape time; every part is a port of another capability or core. */
export interface ExpositionSources {
  latest: LatestTable;
  /** Catalog metrics read live at scrape time instead of from the latest samples (the app's own health). */
  live: Readonly<Record<string, () => number | undefined>>;
  alerts(): readonly Alert[];
  stop(): StopStatus;
  jobs(): readonly JobStatus[];
  app(): AppStatus;
  forwarder(): ForwarderFigures;
  /** Process CPU seconds and resident bytes of Nexus Ops itself. */
  processFigures(): { cpuSeconds: number; residentBytes: number; startTimeSeconds: number };
}

export interface ForwarderFigures {
  enabled: boolean;
  forwarded: number;
  ending: number;
  sent: number;
  failed: number;
  lastSuccessAt: number | null;
}

export interface Exposition {
  /** The text format (0.0.4) of every series now. */
  render(): Promise<string>;
  readonly contentType: string;
  /** Prometheus names of the catalog metrics, for the status and tests. */
  catalogNames(): ReadonlyMap<string, string>;
  /** Catalog metrics that could not be exported (a clash of derived names), with the reason. */
  problems(): readonly string[];
}

interface Frame {
  alerts: readonly Alert[];
  stop: StopStatus;
  jobs: readonly JobStatus[];
  app: AppStatus;
  forwarder: ForwarderFigures;
  processFigures: ReturnType<ExpositionSources['processFigures']>;
}

/** At most this many operator (`custom.*`) metrics are exported. */
const MAX_CUSTOM_METRICS = 200;

const seconds = (ms: number | null | undefined): number | undefined =>
  ms === null || ms === undefined ? undefined : Number((ms / 1000).toPrecision(15));

function pick(labels: Readonly<Record<string, string>>, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = labels[n];
    // Label values are bounded by the catalog's contract; a runaway value is cut, never exported whole.
    if (v !== undefined) out[n] = v.length > 200 ? v.slice(0, 200) : v;
  }
  return out;
}

/** A converted value without floating-point noise (57.3 × 0.01 → 0.573, not 0.5730000000000001). */
function tidy(value: number): number {
  return Number(value.toPrecision(12));
}

function one(value: number | undefined, labels: Record<string, string> = {}): Point[] {
  return value === undefined || !Number.isFinite(value) ? [] : [{ labels, value }];
}

/**
 * The Prometheus exposition: every catalog metric (named by names.ts, from the latest samples), the
 * operator's `custom.*` metrics, open alerts (`nexus_alerts`, ALERTS-style), the emergency stop, the
 * job runner, the app's health and the Alertmanager forwarder. Labels come only from closed sets: the
 * catalog's label names, rule ids, job names, states.
 */
export function createExposition(sources: ExpositionSources): Exposition {
  const registry = new Registry();
  // Each scrape reads every source once (the stop status looks at the kill-switch files): prom-client
  // calls every metric's get() synchronously at the start of registry.metrics(), so a frame taken just
  // before is what all of them see.
  let frame: Frame | null = null;
  const src = {
    latest: sources.latest,
    live: sources.live,
    alerts: () => current().alerts,
    stop: () => current().stop,
    jobs: () => current().jobs,
    app: () => current().app,
    forwarder: () => current().forwarder,
    processFigures: () => current().processFigures,
  };
  function current(): Frame {
    frame ??= {
      alerts: sources.alerts(),
      stop: sources.stop(),
      jobs: sources.jobs(),
      app: sources.app(),
      forwarder: sources.forwarder(),
      processFigures: sources.processFigures(),
    };
    return frame;
  }
  const names = new Map<string, string>();
  const problems: string[] = [];
  const taken = new Set<string>();

  const gauge = (name: string, help: string, labelNames: readonly string[], read: ReadPoints) => {
    taken.add(name);
    return new SnapshotGauge({ name, help, labelNames, registry, read });
  };
  const counter = (name: string, help: string, labelNames: readonly string[], read: ReadPoints) => {
    taken.add(name);
    return new SnapshotCounter({ name, help, labelNames, registry, read });
  };

  // ---------------------------------------------------------------- the catalog
  for (const def of allMetrics()) {
    const exported = exportedName(def);
    if (taken.has(exported.name)) {
      problems.push(
        `${def.name}: its Prometheus name ${exported.name} is already taken; give it an exportName`,
      );
      continue;
    }
    names.set(def.name, exported.name);
    const liveRead = src.live[def.name];
    const read: ReadPoints = () => {
      const live = liveRead?.();
      if (live !== undefined) return one(tidy(live * exported.scale));
      return src.latest.of(def.name).map((v) => ({
        labels: pick(v.labels, def.labels),
        value: exported.scale === 1 ? v.value : tidy(v.value * exported.scale),
      }));
    };
    if (exported.type === 'counter') counter(exported.name, exported.help, def.labels, read);
    else gauge(exported.name, exported.help, def.labels, read);
  }

  let customCount = 0;
  function registerCustomMetrics(): void {
    for (const metric of src.latest.metrics()) {
      if (names.has(metric) || customCount >= MAX_CUSTOM_METRICS) continue;
      const exported = customExportedName(metric);
      if (!exported || taken.has(exported.name)) continue;
      names.set(metric, exported.name);
      customCount++;
      // Labels of operator metrics are not in the catalog: their newest value only, unlabelled.
      gauge(exported.name, exported.help, [], () => {
        const values = src.latest.of(metric);
        let newest = values[0];
        for (const v of values) if (newest && v.ts > newest.ts) newest = v;
        return one(newest?.value);
      });
    }
  }

  // ---------------------------------------------------------------- alerts (ALERTS-style)
  const seriesLabelNames = [...new Set(allMetrics().flatMap((d) => d.labels))].sort();
  const alertLabelNames = [
    'alertname',
    'alertstate',
    'severity',
    'rule_id',
    'suppressed',
    ...seriesLabelNames,
  ];
  gauge(
    'nexus_alerts',
    'Open Nexus Ops alerts, one series per alert (1), like Prometheus ALERTS: alertstate pending, firing or acknowledged; suppressed true while a Nexus Ops silence or maintenance window covers it',
    alertLabelNames,
    () =>
      src.alerts().map((a) => {
        const def: MetricDef | undefined = findMetric(a.metric);
        return {
          labels: {
            ...pick(a.labels, def?.labels ?? []),
            alertname: alertName(a.ruleId),
            alertstate: a.state,
            severity: a.severity,
            rule_id: a.ruleId,
            suppressed: String(a.suppressed),
          },
          value: 1,
        };
      }),
  );

  // ---------------------------------------------------------------- emergency stop
  gauge('nexus_emergency_stop_active', 'Emergency stop in force (1) until a deliberate resume', [], () =>
    one(src.stop().stopped ? 1 : 0),
  );
  gauge('nexus_emergency_stop_running', 'An emergency stop or resume is running now (1)', [], () =>
    one(src.stop().running ? 1 : 0),
  );
  gauge(
    'nexus_emergency_stop_since_timestamp_seconds',
    'When the emergency stop in force began (Unix time); absent when not stopped',
    [],
    () => one(seconds(src.stop().since)),
  );
  gauge('nexus_emergency_stop_kill_switch_files', 'Kill-switch files present in the bot folders', [], () =>
    one(src.stop().killSwitch.present.length),
  );

  // ---------------------------------------------------------------- job runner
  const perJob =
    (value: (j: JobStatus) => number | null | undefined): ReadPoints =>
    () =>
      src.jobs().flatMap((j) => one(value(j) ?? undefined, { job: j.name }));
  counter(
    'nexus_runner_job_runs_total',
    'Runs of a core job since start',
    ['job'],
    perJob((j) => j.runs),
  );
  counter(
    'nexus_runner_job_failures_total',
    'Runs of a core job that failed, since start',
    ['job'],
    perJob((j) => j.failures),
  );
  counter(
    'nexus_runner_job_timeouts_total',
    'Runs of a core job aborted by its time-out',
    ['job'],
    perJob((j) => j.timeouts),
  );
  counter(
    'nexus_runner_job_skipped_total',
    'Slots of a core job skipped because the previous run was still going',
    ['job'],
    perJob((j) => j.skipped),
  );
  gauge(
    'nexus_runner_job_last_run_success',
    'Whether the last run of a core job succeeded (1) or failed (0)',
    ['job'],
    perJob((j) =>
      j.lastStartedAt === null
        ? undefined
        : j.lastErrorAt !== null && j.lastErrorAt >= j.lastStartedAt
          ? 0
          : 1,
    ),
  );
  gauge(
    'nexus_runner_job_last_start_timestamp_seconds',
    'When the last run of a core job started (Unix time)',
    ['job'],
    perJob((j) => seconds(j.lastStartedAt)),
  );
  gauge(
    'nexus_runner_job_last_duration_seconds',
    'How long the last run of a core job took',
    ['job'],
    perJob((j) => seconds(j.lastDurationMs)),
  );
  gauge(
    'nexus_runner_job_lag_seconds',
    'How late the last run of a core job started after its slot',
    ['job'],
    perJob((j) => seconds(j.lagMs)),
  );
  gauge(
    'nexus_runner_job_paused',
    'A core job is paused (1)',
    ['job'],
    perJob((j) => (j.paused ? 1 : 0)),
  );

  // ---------------------------------------------------------------- the app itself
  gauge('nexus_build_info', 'Nexus Ops version and mode (always 1)', ['version', 'mode'], () => {
    const s = src.app();
    return one(1, { version: s.version, mode: s.mode });
  });
  gauge(
    'nexus_health',
    'Health of this PC as the tray shows it: 1 for the current state (ok, warning, critical, stopped), 0 for the others',
    ['state'],
    () => {
      const current = src.app().health;
      return healthStateSchema.options.map((state) => ({
        labels: { state },
        value: state === current ? 1 : 0,
      }));
    },
  );
  gauge('nexus_config_issues', 'Problems in the config file (shown in the app status)', [], () =>
    one(src.app().configIssues.length),
  );
  gauge(
    'nexus_store_write_blocked',
    'The database refuses writes (1): history waits in memory, see the app status for the reason',
    [],
    () => one(src.app().writes.error === null ? 0 : 1),
  );
  gauge('nexus_store_waiting_rows', 'Rows waiting in memory for the database to accept writes', [], () =>
    one(src.app().writes.waitingRows),
  );
  counter(
    'nexus_store_dropped_rows_total',
    'Rows given up by the database write path (queue bound, refused for good), since start',
    [],
    () => one(src.app().writes.droppedRows),
  );
  gauge(
    'nexus_last_sample_timestamp_seconds',
    'When the newest samples were taken (Unix time): a stalled sampler shows as an old value',
    [],
    () => {
      const ts = src.latest.newestTs();
      return one(ts === null ? undefined : ts / 1000);
    },
  );
  gauge('nexus_export_series', 'Series in the latest-value table the exposition reads', [], () =>
    one(src.latest.size()),
  );
  counter(
    'nexus_export_dropped_series_total',
    'Series not exported because the latest-value table was full (a producer emitting unbounded labels)',
    [],
    () => one(src.latest.dropped()),
  );

  // ---------------------------------------------------------------- Alertmanager forwarder
  gauge('nexus_alertmanager_enabled', 'Forwarding to Alertmanager is configured on (1)', [], () =>
    one(src.forwarder().enabled ? 1 : 0),
  );
  gauge('nexus_alertmanager_alerts', 'Alerts currently forwarded as firing to Alertmanager', [], () =>
    one(src.forwarder().forwarded),
  );
  gauge('nexus_alertmanager_ending_alerts', 'Resolved alerts whose end is still being delivered', [], () =>
    one(src.forwarder().ending),
  );
  counter('nexus_alertmanager_sends_total', 'Requests to Alertmanager that succeeded, since start', [], () =>
    one(src.forwarder().sent),
  );
  counter(
    'nexus_alertmanager_send_failures_total',
    'Requests to Alertmanager that failed, since start',
    [],
    () => one(src.forwarder().failed),
  );
  gauge(
    'nexus_alertmanager_last_success_timestamp_seconds',
    'When Alertmanager last accepted alerts (Unix time)',
    [],
    () => one(seconds(src.forwarder().lastSuccessAt)),
  );

  // ---------------------------------------------------------------- the process (standard names)
  counter('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds', [], () =>
    one(src.processFigures().cpuSeconds),
  );
  gauge('process_resident_memory_bytes', 'Resident memory size in bytes', [], () =>
    one(src.processFigures().residentBytes),
  );
  gauge('process_start_time_seconds', 'Start time of the process since unix epoch in seconds', [], () =>
    one(src.processFigures().startTimeSeconds),
  );

  return {
    contentType: registry.contentType,
    async render() {
      registerCustomMetrics();
      frame = null;
      const text = registry.metrics();
      frame = null;
      return text;
    },
    catalogNames: () => names,
    problems: () => problems,
  };
}

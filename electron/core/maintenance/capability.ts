import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ApiFailure } from '../../../shared/api/contract.js';
import type { BackupView, CheckView, JobView } from '../../../shared/api/maintenance.js';
import type { BotConfig } from '../../../shared/config/bots.js';
import { isValidTimeZone } from '../../../shared/config/checklists.js';
import type { JobConfig, MaintenanceConfig } from '../../../shared/config/maintenance.js';
import type { Config, ConfigIssue } from '../../../shared/config/schema.js';
import { type LiveSample, seriesKey } from '../../../shared/series.js';
import type { Capability, CoreContext, HandlersOf } from '../capability/index.js';
import type { JobRunner, JobSpec } from '../jobs/index.js';
import type { Platform } from '../platform/index.js';
import { maskSecrets, resolveEnvRefs } from '../secrets/index.js';
import type { BotSchedulePauser } from '../stop/index.js';
import type { Migration } from '../store/index.js';
import {
  backupsDir,
  createBackup,
  listBackups,
  NotFoundError,
  pruneBackups,
  verifyBackup,
} from './backup.js';
import { cleanCaches } from './cleanup.js';
import { runCommand } from './command.js';
import { maintainDatabase } from './database.js';
import { formatMiB, underDataDir } from './files.js';
import { createHealthChecks } from './health.js';
import { createMaintenanceRepo } from './repo.js';
import {
  gatherReport,
  listReports,
  pruneReports,
  readReport,
  renderReport,
  reportId,
  writeReport,
} from './report.js';
import { RestoreRefused, restoreBackup } from './restore.js';
import { rotateLogs, rotationTargets } from './rotation.js';
import { cronSchedule, resolveTimeZone } from './schedule.js';
import {
  ConflictError,
  createScheduler,
  type ResolvedJob,
  type Task,
  type TaskContext,
} from './scheduler.js';

/** The notifier's send (electron/core/notify), for the weekly report's summary. */
export interface ReportMailer {
  send(msg: {
    kind: 'firing';
    severity: 'info';
    title: string;
    body: string;
    channels: string[];
    dedupeKey?: string;
  }): void;
}

export interface MaintenanceCapabilityDeps {
  platform: Pick<Platform, 'processes' | 'killer'>;
  /** The core job runner: every maintenance job is one of its calendar jobs. */
  jobs: JobRunner;
  notifier: ReportMailer;
  /** The whole schema (the composition root's list): a restored older backup is migrated to it. */
  migrations: readonly Migration[];
  /** better-sqlite3 binary for Electron's ABI (worker threads load it too). */
  nativeBinding?: string;
}

export interface MaintenanceCapability extends Capability {
  /** For the emergency stop (createStopCapability's `schedules`): pauses every `bot` job. */
  readonly schedules: BotSchedulePauser;
  /** Resolves once the catch-up runs planned at start have finished (tests). */
  catchUp(): Promise<void>;
}

type CommandJob = Extract<JobConfig, { kind: 'command' }>;

export const HEALTH_JOB = 'maintenance.health-checks';
export const METRICS_JOB = 'maintenance.metrics';
export const CATCH_UP_JOB = 'maintenance.catch-up';
const CATCH_UP_DELAY_MS = 2_000;

/**
 * The maintenance capability: scheduled jobs from the `maintenance:` section on the core job runner
 * (catch-up, history, pause), the built-in jobs, health checks with self-healing, backups with
 * verification and restore, the weekly report, and the stop's pause of bot jobs.
 */
export function createMaintenanceCapability(
  ctx: CoreContext,
  deps: MaintenanceCapabilityDeps,
): MaintenanceCapability {
  const repo = createMaintenanceRepo(ctx.store, () => ctx.clock.now());
  let issues: ConfigIssue[] = [];
  let restoring = false;
  let catchUpDone: Promise<void> = Promise.resolve();
  let catchUpSlot: number | null = null;
  let backupState: { latest: BackupView | null } = { latest: null };

  const cfg = (): MaintenanceConfig => ctx.config.current().maintenance;
  const bots = (): readonly BotConfig[] => ctx.config.current().bots;

  function publish(samples: LiveSample[]): void {
    if (samples.length === 0) return;
    ctx.store.writeSamples(samples);
    ctx.hooks.emit('samples', { ts: ctx.clock.now(), samples });
  }

  function sample(name: string, labels: Record<string, string>, value: number): LiveSample {
    return { name, labels, ts: ctx.clock.now(), value, key: seriesKey(name, labels) };
  }

  /** A kill-switch file in any bot folder: the emergency stop holds (also one done by the CLI). */
  function botsStopped(): boolean {
    const c = ctx.config.current();
    return c.bots.some((b) => existsSync(join(b.root, b.killSwitch ?? c.stop.killSwitchFile)));
  }

  const health = createHealthChecks({
    clock: ctx.clock,
    repo,
    platform: deps.platform,
    actions: ctx.actions,
    dataDir: ctx.dataDir,
    config: () => ({ checks: cfg().healthChecks, bots: bots() }),
    onCheck: (check: CheckView) => ctx.emit({ type: 'maintenance.check', check }),
    publish,
    log: (m) => ctx.log.warn(`maintenance: ${m}`),
  });

  const scheduler = createScheduler({
    clock: ctx.clock,
    runner: deps.jobs,
    repo,
    emit: (e) => ctx.emit(e),
    log: (m) => ctx.log.warn(`maintenance: ${m}`),
    botsStopped: () => restoring || botsStopped(),
    onRunFinished: (job) => publish(jobSamples(job.config.id)),
  });

  // ---- the built-in jobs ----

  const builtins: Record<string, Task> = {
    async 'log-rotation'(t) {
      const r = await rotateLogs({
        targets: rotationTargets(cfg().logRotation, bots(), ctx.dataDir),
        cfg: cfg().logRotation,
        now: ctx.clock.now(),
        signal: t.signal,
        progress: (done, total) => t.progress('files', done, total),
      });
      for (const l of r.lines) t.output(l);
      const saved = r.bytesBefore - r.bytesAfter;
      return {
        summary: `compressed ${r.compressed} file(s) (${formatMiB(r.bytesBefore)} → ${formatMiB(r.bytesAfter)}), deleted ${r.deleted} (${formatMiB(r.bytesDeleted)}), ${r.active} still being written`,
        changes: {
          files: r.compressed + r.deleted,
          compressed: r.compressed,
          deleted: r.deleted,
          bytesFreed: saved + r.bytesDeleted,
        },
      };
    },
    async 'cache-cleanup'(t) {
      const r = await cleanCaches({
        cfg: cfg().cacheCleanup,
        dataDir: ctx.dataDir,
        now: ctx.clock.now(),
        signal: t.signal,
      });
      for (const l of r.lines) t.output(l);
      return {
        summary: `deleted ${r.files} file(s), freed ${formatMiB(r.bytesFreed)}${r.kept ? `, ${r.kept} in use kept` : ''}`,
        changes: { files: r.files, bytesFreed: r.bytesFreed },
      };
    },
    async backup(t) {
      const c = cfg().backup;
      const { manifest, dir } = await createBackup({
        db: ctx.store.db,
        dataDir: ctx.dataDir,
        cfg: c,
        bots: bots(),
        version: ctx.version,
        now: ctx.clock.now(),
        signal: t.signal,
        progress: t.progress,
        output: t.output,
        nativeBinding: deps.nativeBinding,
      });
      let view: BackupView | null = null;
      let status: 'ok' | 'failed' = 'ok';
      let error: string | undefined;
      if (c.verify) {
        view = await verifyBackup({
          dir,
          id: manifest.id,
          dataDir: ctx.dataDir,
          now: ctx.clock.now(),
          signal: t.signal,
          progress: t.progress,
          nativeBinding: deps.nativeBinding,
        });
        t.output(
          `verification: ${view.verification.status}${view.verification.problems.length ? `: ${view.verification.problems.join('; ')}` : ''}`,
        );
        if (view.verification.status !== 'ok') {
          status = 'failed';
          error = `verification failed: ${view.verification.problems.slice(0, 3).join('; ')}`;
        }
      }
      const removed = await pruneBackups(dir, c.retentionDays, ctx.clock.now());
      if (removed.length) t.output(`removed (older than ${c.retentionDays} days): ${removed.join(', ')}`);
      await refreshBackups();
      if (view) ctx.emit({ type: 'maintenance.backup', backup: view });
      const rows = Object.values(manifest.database?.rowCounts ?? {}).reduce((s, n) => s + n, 0);
      return {
        summary: `${manifest.id}: ${formatMiB(manifest.archive.sizeBytes)}, ${manifest.files.length} bot file(s), ${manifest.excludedSecrets.length} secret file(s) left out, verification ${view?.verification.status ?? 'off'}`,
        changes: {
          bytes: manifest.archive.sizeBytes,
          files: manifest.files.length,
          rows,
          removed: removed.length,
        },
        status,
        error,
      };
    },
    async 'health-report'(t) {
      const checks = await health.runCycle(t.signal);
      for (const c of checks) {
        t.output(
          `${c.up ? 'OK  ' : 'FAIL'} ${c.id}: ${c.message} (failures in a row ${c.consecutiveFailures}, heals ${c.heals}${c.guardTripped ? ', self-healing stopped' : ''})`,
        );
      }
      const since = ctx.clock.now() - 86_400_000;
      const runs = repo.runsBetween(since, ctx.clock.now() + 1).filter((r) => r.status !== 'running');
      const bad = runs.filter((r) => r.status === 'failed' || r.status === 'timed-out');
      for (const r of bad)
        t.output(
          `job ${r.jobId} ${r.status} at ${new Date(r.startedAt).toISOString()}: ${r.error ?? r.summary}`,
        );
      const writes = ctx.store.writes.status();
      t.output(
        `database: ${writes.error ?? 'accepting writes'}; ${writes.droppedRows} row(s) given up since start`,
      );
      const failing = checks.filter((c) => c.up === false).length;
      return {
        summary: `${checks.length - failing}/${checks.length} health check(s) pass; ${runs.length} job run(s) in 24 h, ${bad.length} failed`,
        changes: { checks: checks.length, failing, jobFailures: bad.length },
      };
    },
    async database(t) {
      const r = await maintainDatabase({
        file: ctx.store.db.name,
        cfg: cfg().database,
        bots: bots(),
        platform: deps.platform,
        signal: t.signal,
        progress: t.progress,
        nativeBinding: deps.nativeBinding,
      });
      for (const l of r.lines) t.output(l);
      publish([
        ...r.audits.map((a) => sample('audit.findings', { audit: a.id }, a.findings)),
        ...r.browsers.map((b) => sample('browser.version_mismatch', { browser: b.id }, b.matches ? 0 : 1)),
      ]);
      const integrity = r.optimize.integrity.join('; ');
      const findings = r.audits.reduce((s, a) => s + a.findings, 0);
      return {
        summary: `integrity ${integrity}; ${r.optimize.pagesVacuumed} page(s) vacuumed; ${findings} audit finding(s); ${r.browsers.filter((b) => !b.matches).length} browser version mismatch(es)`,
        changes: { pagesFreed: r.optimize.pagesVacuumed, findings },
        status: integrity === 'ok' ? 'ok' : 'failed',
        error: integrity === 'ok' ? undefined : `integrity_check: ${integrity}`,
      };
    },
    async 'weekly-report'(t) {
      const c = cfg().report;
      const locale = ctx.config.current().ui.locale;
      const to = t.slot;
      const data = gatherReport(ctx.store.db, to, locale);
      const dir = underDataDir(ctx.dataDir, c.dir);
      const id = reportId(to);
      const file = await writeReport(dir, id, renderReport(data, ctx.clock.now()));
      t.output(`written ${file}`);
      const pruned = await pruneReports(dir, c.keepWeeks);
      const report = (await listReports(dir)).find((r) => r.id === id);
      if (report) ctx.emit({ type: 'maintenance.report', report });
      if (c.mailChannels.length > 0) {
        const alerts = data.alerts.reduce((s, a) => s + a.count, 0);
        const failed = data.jobs.reduce((s, j) => s + j.failed, 0);
        deps.notifier.send({
          kind: 'firing',
          severity: 'info',
          title: locale === 'ja' ? `週次運用レポート ${id}` : `Weekly operations report ${id}`,
          body: [
            `${new Date(data.from).toLocaleDateString()} – ${new Date(data.to).toLocaleDateString()}`,
            `alerts: ${alerts}, emergency stops: ${data.stops.length}, failed job runs: ${failed}`,
            ...data.disks.map(
              (d) =>
                `disk ${d.mount}: ${d.daysToFull === null ? 'not filling' : `full in ${d.daysToFull.toFixed(1)} days`}`,
            ),
            `report: ${file}`,
          ].join('\n'),
          channels: c.mailChannels,
          dedupeKey: `report:${id}`,
        });
        t.output(`summary sent to ${c.mailChannels.join(', ')}`);
      }
      return { summary: `report ${id} written`, changes: { files: 1, removed: pruned } };
    },
  };

  function commandTask(job: CommandJob, cwd: string | undefined): Task {
    return async (t: TaskContext) => {
      const secrets: string[] = [];
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(job.env)) {
        const resolved = resolveEnvRefs(v, process.env);
        if (resolved !== v) secrets.push(resolved);
        env[k] = resolved;
      }
      t.output(`$ ${commandText(job)}`);
      const r = await runCommand(
        { command: job.command, args: job.args, cwd, env, secrets },
        t.signal,
        deps.platform,
      );
      return {
        summary: r.aborted
          ? `stopped as a tree (${r.killed} process(es))`
          : `exit ${r.exitCode ?? `signal ${r.signal ?? '?'}`}`,
        exitCode: r.aborted ? undefined : (r.exitCode ?? -1),
        output: `$ ${commandText(job)}\n${r.output}`,
        changes: r.killed ? { killed: r.killed } : ({} as Record<string, number>),
      };
    };
  }

  function commandText(job: CommandJob): string {
    return maskSecrets([job.command, ...job.args].map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' '));
  }

  // ---- config ----

  function resolve(config: Config): { jobs: ResolvedJob[]; issues: ConfigIssue[] } {
    const m = config.maintenance;
    const locate = ctx.config.locate();
    const out: ResolvedJob[] = [];
    const found: ConfigIssue[] = [];
    // An unknown alerts.timezone is reported once by the alerts section; here it is passed over (the
    // OS zone), as the alert engine does, instead of failing every job that follows it.
    const alertsZone = validZone(config.alerts.timezone);
    const defaultZone = resolveTimeZone(m.timezone, alertsZone);
    // The alert engine runs its windows in UTC when alerts.timezone is unknown: so do window jobs.
    const windowZone =
      config.alerts.timezone === undefined || alertsZone ? resolveTimeZone(alertsZone) : 'UTC';
    m.jobs.forEach((job, i) => {
      const timezone = job.timezone ?? defaultZone;
      let catchUp = job.catchUp ?? m.catchUp;
      let problem: string | null = null;
      let schedule: ResolvedJob['schedule'] = null;
      let timeoutMs = job.timeoutMinutes * 60_000;
      try {
        if (job.window) {
          const w = config.alerts.maintenanceWindows.find((x) => x.id === job.window);
          if (!w)
            throw new Error(
              `no maintenance window "${job.window}" in alerts.maintenanceWindows: add one with that id, or give the job a schedule instead of a window`,
            );
          // One definition: the alert engine's window, in the alert engine's zone.
          schedule = cronSchedule(w.cron, windowZone, job.offsetMinutes);
          const leftMs = (w.durationMinutes - job.offsetMinutes) * 60_000;
          if (leftMs <= 0)
            throw new Error(`offsetMinutes ${job.offsetMinutes} is past the end of window "${w.id}"`);
          timeoutMs = Math.min(timeoutMs, leftMs);
          catchUp = { ...catchUp, windowHours: Math.min(catchUp.windowHours, leftMs / 3_600_000) };
        } else if (job.schedule) {
          schedule = cronSchedule(job.schedule, timezone);
        }
      } catch (err) {
        problem = err instanceof Error ? err.message : String(err);
      }
      let task: Task;
      let shown: string | null = null;
      if (job.kind === 'builtin') {
        task = builtins[job.task] as Task;
      } else {
        const bot = job.bot ? config.bots.find((b) => b.id === job.bot) : undefined;
        if (job.bot && !bot) problem ??= `unknown bot "${job.bot}"`;
        const cwd = job.cwd ?? bot?.root;
        if (job.enabled && cwd && !existsSync(cwd)) problem ??= `working folder ${cwd} does not exist`;
        task = commandTask(job, cwd);
        shown = commandText(job);
      }
      if (problem && job.enabled) {
        const at = locate([...(['maintenance', 'jobs', i] as const)]);
        found.push({
          file: ctx.config.file,
          line: at?.line,
          col: at?.col,
          path: `maintenance.jobs[${i}] (${job.id})`,
          message: problem,
        });
      }
      out.push({
        config: job,
        name: job.name ?? job.id,
        timezone: job.window ? windowZone : timezone,
        catchUp,
        schedule,
        timeoutMs,
        problem,
        task,
        commandText: shown,
      });
    });
    m.healthChecks.checks.forEach((c, i) => {
      if (c.bot && !config.bots.some((b) => b.id === c.bot)) {
        const at = locate(['maintenance', 'healthChecks', 'checks', i]);
        found.push({
          file: ctx.config.file,
          line: at?.line,
          col: at?.col,
          path: `maintenance.healthChecks.checks[${i}] (${c.id})`,
          message: `unknown bot "${c.bot}"`,
        });
      }
    });
    return { jobs: out, issues: found };
  }

  function apply(config: Config): ConfigIssue[] {
    const r = resolve(config);
    scheduler.apply(r.jobs);
    issues = r.issues;
    for (const issue of issues) ctx.log.warn(`maintenance: ${issue.path}: ${issue.message}`);
    return issues;
  }

  // ---- metrics ----

  function jobSamples(only?: string): LiveSample[] {
    const now = ctx.clock.now();
    const out: LiveSample[] = [];
    for (const job of scheduler.list()) {
      if (only && job.id !== only) continue;
      if (!job.enabled) continue;
      const labels = { job: job.id };
      const last = job.lastRun;
      const failed = last !== null && (last.status === 'failed' || last.status === 'timed-out');
      out.push(sample('job.failed', { job: job.id, severity: job.onFailure }, failed ? 1 : 0));
      out.push(sample('job.running', labels, job.running ? 1 : 0));
      if (last?.durationMs != null) out.push(sample('job.last_duration_s', labels, last.durationMs / 1000));
      if (job.lastSuccessAt !== null)
        out.push(sample('job.last_success_age_s', labels, Math.max(0, (now - job.lastSuccessAt) / 1000)));
    }
    if (!only) out.push(...backupSamples());
    return out;
  }

  function backupSamples(): LiveSample[] {
    const b = backupState.latest;
    if (!b) return [];
    const out = [
      sample('backup.size_bytes', {}, b.sizeBytes),
      sample('backup.verify_failed', {}, b.verification.status === 'failed' ? 1 : 0),
    ];
    const verifiedAt = b.verification.status === 'ok' ? b.verification.at : null;
    if (verifiedAt !== null)
      out.push(sample('backup.last_verified_age_s', {}, Math.max(0, (ctx.clock.now() - verifiedAt) / 1000)));
    return out;
  }

  async function refreshBackups(): Promise<BackupView[]> {
    const list = await listBackups(backupsDir(ctx.dataDir, cfg().backup));
    backupState = { latest: list[0] ?? null };
    return list;
  }

  // Evidence for the checklists and the Overview: the newest backup and whether its restore was proven.
  ctx.evidence.provide('backup.last', {
    label: { ja: '直近のバックアップ', en: 'Last backup' },
    async read() {
      const b = (await refreshBackups())[0];
      if (!b)
        return { value: null, text: { ja: 'バックアップなし', en: 'no backup yet' }, verdict: 'attention' };
      const at = b.verification.status === 'ok' ? b.verification.at : null;
      const when = new Date(at ?? b.createdAt);
      const hhmm = `${String(when.getHours()).padStart(2, '0')}:${String(when.getMinutes()).padStart(2, '0')}`;
      const ok = b.verification.status === 'ok';
      return {
        value: Math.round((ctx.clock.now() - (at ?? b.createdAt)) / 1000),
        text: ok
          ? { ja: `検証済み ${hhmm}`, en: `verified ${hhmm}` }
          : { ja: `未検証・${b.verification.status} ${hhmm}`, en: `${b.verification.status} ${hhmm}` },
        verdict: ok ? 'pass' : 'attention',
        at: at ?? b.createdAt,
      };
    },
  });

  // ---- API ----

  function failure(err: unknown): never {
    if (err instanceof ApiFailure) throw err;
    if (err instanceof ConflictError || err instanceof RestoreRefused)
      throw new ApiFailure('conflict', err.message);
    if (err instanceof NotFoundError) throw new ApiFailure('not_found', err.message);
    if (err instanceof Error && /^no maintenance job/.test(err.message))
      throw new ApiFailure('not_found', err.message);
    throw err;
  }

  const handlers: HandlersOf<'maintenance'> = {
    'maintenance.jobs': () => ({
      timezone: resolveTimeZone(cfg().timezone, validZone(ctx.config.current().alerts.timezone)),
      jobs: scheduler.list(),
    }),
    'maintenance.history': ({ jobId, limit, before }) => ({ runs: repo.history({ jobId, limit, before }) }),
    'maintenance.run': ({ jobId }) => {
      try {
        return { runId: scheduler.runNow(jobId) };
      } catch (err) {
        return failure(err);
      }
    },
    'maintenance.pause': ({ jobId }): JobView => {
      try {
        return scheduler.pause(jobId);
      } catch (err) {
        return failure(err);
      }
    },
    'maintenance.resume': ({ jobId }): JobView => {
      try {
        return scheduler.resume(jobId);
      } catch (err) {
        return failure(err);
      }
    },
    'maintenance.backups': async () => ({
      dir: backupsDir(ctx.dataDir, cfg().backup),
      backups: await refreshBackups(),
    }),
    'maintenance.verify': async ({ backupId }) => {
      try {
        const view = await verifyBackup({
          dir: backupsDir(ctx.dataDir, cfg().backup),
          id: backupId,
          dataDir: ctx.dataDir,
          now: ctx.clock.now(),
          nativeBinding: deps.nativeBinding,
        });
        await refreshBackups();
        ctx.emit({ type: 'maintenance.backup', backup: view });
        return view;
      } catch (err) {
        return failure(err);
      }
    },
    'maintenance.restore': async ({ backupId, scope, actor, confirm }) => {
      if (confirm !== backupId) {
        throw new ApiFailure('invalid_input', `confirm must repeat the backup id "${backupId}"`);
      }
      if (restoring) throw new ApiFailure('conflict', 'a restore is already running');
      const running = scheduler.list().filter((j) => j.running);
      if (running.length > 0) {
        throw new ApiFailure(
          'conflict',
          `wait for ${running.map((j) => j.id).join(', ')} to finish before a restore`,
        );
      }
      restoring = true;
      try {
        const config = ctx.config.current();
        const result = await restoreBackup({
          dir: backupsDir(ctx.dataDir, config.maintenance.backup),
          id: backupId,
          scope,
          dataDir: ctx.dataDir,
          db: ctx.store.db,
          migrations: deps.migrations,
          cfg: config.maintenance.backup,
          bots: config.bots,
          killSwitchFile: config.stop.killSwitchFile,
          now: ctx.clock.now(),
          nativeBinding: deps.nativeBinding,
        });
        scheduler.afterRestore();
        ctx.store.appendAudit({ actor, action: 'maintenance.restored', details: { ...result } });
        ctx.emit({ type: 'maintenance.restored', result });
        ctx.hooks.emit('status.changed', {});
        return result;
      } catch (err) {
        ctx.store.appendAudit({
          actor,
          action: 'maintenance.restore-refused',
          details: { backupId, scope, reason: err instanceof Error ? err.message : String(err) },
        });
        return failure(err);
      } finally {
        restoring = false;
      }
    },
    'maintenance.checks': () => ({ checks: health.list() }),
    'maintenance.reports': async () => {
      const dir = underDataDir(ctx.dataDir, cfg().report.dir);
      return { dir, reports: await listReports(dir) };
    },
    'maintenance.report': async ({ id }) => {
      const html = await readReport(underDataDir(ctx.dataDir, cfg().report.dir), id);
      if (html === null) throw new ApiFailure('not_found', `no report "${id}"`);
      return { id, html };
    },
  };

  issues = apply(ctx.config.current());

  const jobs: JobSpec[] = [
    {
      name: HEALTH_JOB,
      schedule: { every: () => cfg().healthChecks.intervalMinutes * 60_000, startAfter: 30_000 },
      timeoutMs: 5 * 60_000,
      run: async ({ signal }) => {
        if (cfg().healthChecks.checks.some((c) => c.enabled)) await health.runCycle(signal);
      },
    },
    { name: METRICS_JOB, schedule: { every: 60_000, startAfter: 5_000 }, run: () => publish(jobSamples()) },
    {
      // Once, 2 s after start (the monitor's first sample comes first): the slots missed while closed.
      name: CATCH_UP_JOB,
      schedule: {
        next: (after) => {
          if (catchUpSlot !== null) return null;
          catchUpSlot = after + CATCH_UP_DELAY_MS;
          return catchUpSlot;
        },
        describe: 'once at start',
      },
      run: () => {
        catchUpDone = scheduler.start().catch((err: unknown) => {
          ctx.log.error(`maintenance: catch-up: ${err instanceof Error ? err.message : String(err)}`);
        });
        return catchUpDone;
      },
    },
  ];

  return {
    name: 'maintenance',
    handlers,
    jobs,
    schedules: {
      pauseBotSchedules: () => scheduler.pauseBotSchedules(),
      resumeBotSchedules: (ids) => scheduler.resumeBotSchedules(ids),
    },
    catchUp: () => catchUpDone,
    onConfig: (config) => apply(config),
    configIssues: () => issues,
    start() {
      void refreshBackups().catch(() => {});
    },
    close: () => scheduler.close(),
  };
}

function validZone(zone: string | undefined): string | undefined {
  return zone !== undefined && isValidTimeZone(zone) ? zone : undefined;
}

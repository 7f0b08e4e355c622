/**
 * The maintenance scheduler on the core job runner. Each enabled job is one runner job
 * (`maintenance.<id>`, a calendar schedule in the operator's zone); this layer adds what a maintenance
 * job needs on top:
 * - catch-up after downtime (planCatchUp: skip / run-once / run-all within a look-back window), tagged
 *   `catch-up` with the slot it stands for; a watermark (the last slot dispatched, persisted at dispatch)
 *   means no slot ever runs twice, also across a crash or a clock that went back;
 * - never two runs of one job at once (also while a timed-out run is still being killed);
 * - every run recorded (running → ok / failed / timed-out / skipped / interrupted) with output and changes;
 * - pause / resume per job (persisted), and the emergency stop's pause of every `bot` job.
 * Manual and catch-up runs go through runner.runNow, so the runner's timeout applies to every run.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type {
  JobProgress,
  JobView,
  MaintenanceApiEvent,
  RunTrigger,
  RunView,
} from '../../../shared/api/maintenance.js';
import type { CatchUpConfig, JobConfig } from '../../../shared/config/maintenance.js';
import type { Clock } from '../clock/index.js';
import type { JobContext, JobRunner } from '../jobs/index.js';
import { maskSecrets } from '../secrets/index.js';
import type { JobState, MaintenanceRepo } from './repo.js';
import { type CronSchedule, planCatchUp } from './schedule.js';

export interface TaskContext {
  slot: number;
  trigger: RunTrigger;
  runId: string;
  signal: AbortSignal;
  progress(phase: string, done: number, total: number): void;
  /** A line for the run's output (kept as a tail, masked). */
  output(line: string): void;
}

export interface TaskResult {
  summary: string;
  changes?: Record<string, number>;
  /** Command jobs: their exit code; a non-zero one fails the run. */
  exitCode?: number | null;
  /** Replaces the collected output lines (command jobs bring their own tail). */
  output?: string;
  /** Default ok; a task may report failed without throwing (e.g. verification found problems). */
  status?: 'ok' | 'failed';
  error?: string;
}

export type Task = (ctx: TaskContext) => Promise<TaskResult>;

/** A job from the config, resolved: its schedule parsed and its task bound. */
export interface ResolvedJob {
  config: JobConfig;
  name: string;
  timezone: string;
  catchUp: CatchUpConfig;
  schedule: CronSchedule | null;
  /** Timeout in ms (window jobs: cut to what is left of the window). */
  timeoutMs: number;
  /** Why it cannot run (bad cron, unknown window, missing folder), or null. */
  problem: string | null;
  task: Task;
  /** Command line shown in the UI (masked), for command jobs. */
  commandText: string | null;
}

export interface SchedulerDeps {
  clock: Clock;
  runner: JobRunner;
  repo: MaintenanceRepo;
  emit(event: MaintenanceApiEvent): void;
  log(message: string): void;
  /** True while an emergency stop holds (a kill-switch file in a bot folder): bot jobs do not start. */
  botsStopped(): boolean;
  /** Called after every finished run (metrics, alerts). */
  onRunFinished?(job: ResolvedJob, run: RunView): void;
  monotonic?: () => number;
}

/** A scheduled slot that fires this much after its time was slept through (suspend): catch-up rules apply. */
const LATE_MS = 2 * 60_000;
const OUTPUT_LINES_LIMIT = 16 * 1024;
const STOP_PREFIX = 'maintenance:';

export function runnerJobName(id: string): string {
  return `maintenance.${id}`;
}

interface Dispatch {
  runId: string;
  slot: number;
  trigger: RunTrigger;
}

interface InFlight {
  run: RunView;
  abort: AbortController;
  done: Promise<void>;
}

export type Scheduler = ReturnType<typeof createScheduler>;

export function createScheduler(deps: SchedulerDeps) {
  const { clock, runner, repo } = deps;
  const monotonic = deps.monotonic ?? (() => performance.now());
  let jobs = new Map<string, ResolvedJob>();
  /** Registered in the runner, with the signature they were registered with. */
  const registered = new Map<string, string>();
  let states = new Map<string, JobState>();
  const pending = new Map<string, Dispatch>();
  const inFlight = new Map<string, InFlight>();
  const progress = new Map<string, JobProgress>();
  const lastRuns = new Map<string, { last: RunView | null; lastSuccessAt: number | null }>();
  /** Catch-up runs waiting their turn, oldest slot first; drained one at a time. */
  const queue: { id: string; slot: number }[] = [];
  let draining: Promise<void> | null = null;
  let closed = false;
  let latest: readonly ResolvedJob[] = [];
  let reapply = false;

  try {
    states = repo.jobStates();
  } catch (err) {
    deps.log(`cannot read job states: ${errorText(err)}`);
  }

  function state(id: string): JobState {
    let s = states.get(id);
    if (!s) {
      s = { id, watermark: null, paused: false, pausedBy: null, pausedAt: null };
      states.set(id, s);
    }
    return s;
  }

  function saveState(s: JobState): void {
    repo.saveJobState(s);
  }

  function last(id: string) {
    let l = lastRuns.get(id);
    if (!l) {
      try {
        l = repo.lastRuns(id);
      } catch {
        l = { last: null, lastSuccessAt: null };
      }
      lastRuns.set(id, l);
    }
    return l;
  }

  function view(job: ResolvedJob): JobView {
    const id = job.config.id;
    const s = state(id);
    const l = last(id);
    const status = runner.status(runnerJobName(id));
    return {
      id,
      name: job.name,
      kind: job.config.kind,
      task: job.config.kind === 'builtin' ? job.config.task : null,
      command: job.commandText,
      cron: job.schedule?.cron ?? job.config.schedule ?? '',
      window: job.config.window ?? null,
      timezone: job.timezone,
      tags: [...job.config.tags],
      enabled: job.config.enabled,
      paused: s.paused,
      pausedBy: s.pausedBy,
      running: inFlight.has(id),
      nextRunAt: job.config.enabled && !s.paused && !job.problem ? (status?.nextRunAt ?? null) : null,
      lastRun: inFlight.get(id)?.run ?? l.last,
      lastSuccessAt: l.lastSuccessAt,
      onFailure: job.config.onFailure,
      timeoutMinutes: job.config.timeoutMinutes,
      catchUp: job.catchUp,
      progress: inFlight.has(id) ? (progress.get(id) ?? null) : null,
      problem: job.problem,
    };
  }

  function announce(id: string): void {
    const job = jobs.get(id);
    if (job) deps.emit({ type: 'maintenance.job', job: view(job) });
  }

  function signature(job: ResolvedJob): string {
    return JSON.stringify([
      runnable(job),
      job.schedule?.cron,
      job.schedule?.offsetMs,
      job.timezone,
      job.timeoutMs,
    ]);
  }

  /** Applies a (new) set of jobs: runner jobs are added, replaced or removed to match. */
  function apply(next: readonly ResolvedJob[]): void {
    latest = next;
    jobs = new Map(next.map((j) => [j.config.id, j]));
    for (const [id, sig] of registered) {
      const job = jobs.get(id);
      if (!job || signature(job) !== sig) {
        // Removing a runner job aborts its run: a config edit waits for the run to end instead.
        if (inFlight.has(id)) {
          reapply = true;
          continue;
        }
        runner.remove(runnerJobName(id));
        registered.delete(id);
      }
    }
    // Every job is in the runner (manual runs get its timeout too); one that cannot run on its own
    // (disabled, a config problem) has a schedule without slots.
    for (const job of jobs.values()) {
      const id = job.config.id;
      if (registered.has(id)) continue;
      const schedule = runnable(job) ? job.schedule : null;
      runner.add({
        name: runnerJobName(id),
        schedule: schedule
          ? { next: (after) => schedule.next(after), describe: schedule.describe }
          : {
              next: () => null,
              describe: job.config.enabled ? 'not scheduled (config problem)' : 'disabled',
            },
        timeoutMs: job.timeoutMs,
        run: (ctx) => onRunnerRun(id, ctx),
      });
      registered.set(id, signature(job));
    }
  }

  function runnable(job: ResolvedJob): boolean {
    return job.config.enabled && job.problem === null && job.schedule !== null;
  }

  function newRunId(id: string): string {
    return `${id}-${clock.now().toString(36)}-${randomUUID().slice(0, 6)}`;
  }

  /** Records a run that did not execute (skipped or missed). */
  function recordNotRun(
    id: string,
    slot: number,
    trigger: RunTrigger,
    status: 'skipped' | 'missed',
    summary: string,
  ) {
    const at = clock.now();
    const run: RunView = {
      id: newRunId(id),
      jobId: id,
      trigger,
      slot,
      startedAt: at,
      finishedAt: at,
      status,
      exitCode: null,
      durationMs: 0,
      output: '',
      summary,
      changes: {},
      error: null,
    };
    repo.saveRun(run);
    deps.emit({ type: 'maintenance.run', run });
    if (status === 'skipped') {
      lastRuns.set(id, { ...last(id), last: run });
      announce(id);
    }
  }

  function advanceWatermark(id: string, slot: number): void {
    const s = state(id);
    if (s.watermark === null || slot > s.watermark) {
      s.watermark = slot;
      saveState(s);
    }
  }

  /** The runner fired `maintenance.<id>` (its slot, or a runNow we asked for). */
  async function onRunnerRun(id: string, ctx: JobContext): Promise<void> {
    const job = jobs.get(id);
    if (!job) return;
    const asked = pending.get(id);
    pending.delete(id);
    let slot = asked?.slot ?? ctx.slot;
    let trigger: RunTrigger = asked?.trigger ?? 'schedule';
    if (!asked) {
      const s = state(id);
      if (s.watermark !== null && slot <= s.watermark) return; // dispatched before (the clock went back)
      if (s.paused) {
        // The runner keeps firing a paused job so that each slot it passes is in the history.
        const by = s.pausedBy === 'stop' ? 'the emergency stop' : 'the operator';
        const since = s.pausedAt === null ? '' : ` since ${new Date(s.pausedAt).toISOString()}`;
        recordNotRun(id, slot, 'schedule', 'skipped', `not started: paused by ${by}${since}`);
        advanceWatermark(id, slot);
        return;
      }
      if (ctx.now - slot > LATE_MS && job.schedule) {
        // The PC slept through this slot: the catch-up policy decides, as after a restart.
        const plan = planCatchUp(job.schedule, s.watermark ?? slot - 1, ctx.now, job.catchUp);
        noteMissed(id, plan.missed);
        const [first, ...rest] = plan.run;
        if (first === undefined) {
          advanceWatermark(id, Math.max(slot, ...plan.missed));
          return;
        }
        slot = first;
        trigger = 'catch-up';
        for (const r of rest) queue.push({ id, slot: r });
      }
    }
    await execute(job, { runId: asked?.runId ?? newRunId(id), slot, trigger }, ctx.signal);
    if (queue.length > 0) void drain();
  }

  function noteMissed(id: string, missed: readonly number[]): void {
    if (missed.length === 0) return;
    const first = missed[0] as number;
    const lastSlot = missed[missed.length - 1] as number;
    recordNotRun(
      id,
      lastSlot,
      'catch-up',
      'missed',
      missed.length === 1
        ? `slot ${new Date(first).toISOString()} missed while Nexus Ops was not running (not caught up: catch-up policy/window)`
        : `${missed.length} slots missed from ${new Date(first).toISOString()} to ${new Date(lastSlot).toISOString()} (not caught up: catch-up policy/window)`,
    );
  }

  async function execute(job: ResolvedJob, d: Dispatch, runnerSignal: AbortSignal): Promise<void> {
    const id = job.config.id;
    const s = state(id);
    const current = inFlight.get(id);
    if (current) {
      recordNotRun(
        id,
        d.slot,
        d.trigger,
        'skipped',
        `not started: the run of ${new Date(current.run.startedAt).toISOString()} is still going (a job never runs twice at once)`,
      );
      if (d.trigger !== 'manual') advanceWatermark(id, d.slot);
      return;
    }
    if (isBotJob(job) && (s.pausedBy === 'stop' || deps.botsStopped())) {
      recordNotRun(id, d.slot, d.trigger, 'skipped', 'not started: the emergency stop holds (bot job)');
      if (d.trigger !== 'manual') advanceWatermark(id, d.slot);
      return;
    }
    if (d.trigger !== 'manual') advanceWatermark(id, d.slot);

    const abort = new AbortController();
    const forward = () => abort.abort(runnerSignal.reason);
    if (runnerSignal.aborted) forward();
    else runnerSignal.addEventListener('abort', forward, { once: true });
    const run: RunView = {
      id: d.runId,
      jobId: id,
      trigger: d.trigger,
      slot: d.slot,
      startedAt: clock.now(),
      finishedAt: null,
      status: 'running',
      exitCode: null,
      durationMs: null,
      output: '',
      summary: '',
      changes: {},
      error: null,
    };
    const lines: string[] = [];
    let size = 0;
    let resolveDone: () => void = () => {};
    const done = new Promise<void>((r) => {
      resolveDone = r;
    });
    inFlight.set(id, { run, abort, done });
    progress.delete(id);
    repo.saveRun(run);
    deps.emit({ type: 'maintenance.run', run });
    announce(id);
    const t0 = monotonic();
    let lastProgressEmit = 0;
    const ctx: TaskContext = {
      slot: d.slot,
      trigger: d.trigger,
      runId: run.id,
      signal: abort.signal,
      progress(phase, doneCount, total) {
        const p = { phase, done: doneCount, total, at: clock.now() };
        progress.set(id, p);
        // At most ~10 pushes a second, plus the last one.
        const t = monotonic();
        if (t - lastProgressEmit < 100 && doneCount < total) return;
        lastProgressEmit = t;
        deps.emit({ type: 'maintenance.progress', jobId: id, runId: run.id, progress: p });
      },
      output(line) {
        lines.push(line);
        size += line.length + 1;
        while (size > OUTPUT_LINES_LIMIT && lines.length > 1) size -= lines.shift()!.length + 1;
      },
    };
    try {
      const result = await job.task(ctx);
      run.summary = result.summary;
      run.changes = result.changes ?? {};
      run.exitCode = result.exitCode ?? null;
      run.output = maskSecrets(result.output ?? lines.join('\n'));
      if (abort.signal.aborted) {
        run.status = abortStatus(abort.signal.reason);
        run.error = reasonText(abort.signal.reason);
      } else if (result.status === 'failed' || (result.exitCode !== undefined && result.exitCode !== 0)) {
        run.status = 'failed';
        run.error =
          result.error ?? (result.exitCode !== undefined ? `exit code ${result.exitCode}` : 'failed');
      } else {
        run.status = 'ok';
      }
    } catch (err) {
      run.output = maskSecrets(lines.join('\n'));
      run.status = abort.signal.aborted ? abortStatus(abort.signal.reason) : 'failed';
      run.error = maskSecrets(abort.signal.aborted ? reasonText(abort.signal.reason) : errorText(err));
      run.summary ||= run.error;
    } finally {
      runnerSignal.removeEventListener('abort', forward);
    }
    run.finishedAt = clock.now();
    run.durationMs = Math.round((monotonic() - t0) * 10) / 10;
    inFlight.delete(id);
    progress.delete(id);
    const l = last(id);
    lastRuns.set(id, {
      last: run,
      lastSuccessAt: run.status === 'ok' ? run.finishedAt : l.lastSuccessAt,
    });
    repo.saveRun(run);
    deps.emit({ type: 'maintenance.run', run });
    announce(id);
    if (run.status !== 'ok') deps.log(`job ${id} ${run.status}: ${run.error ?? run.summary}`);
    if (reapply && !closed) {
      reapply = false;
      apply(latest);
    }
    try {
      deps.onRunFinished?.(job, run);
    } catch (err) {
      deps.log(`after ${id}: ${errorText(err)}`);
    }
    resolveDone();
  }

  /** Runs a dispatch through the runner (its timeout applies); false when the runner says it runs. */
  async function dispatch(
    id: string,
    slot: number,
    trigger: RunTrigger,
    runId = newRunId(id),
  ): Promise<boolean> {
    const job = jobs.get(id);
    if (!job || closed) return false;
    const name = runnerJobName(id);
    pending.set(id, { runId, slot, trigger });
    const started = await runner.runNow(name);
    if (!started) {
      pending.delete(id);
      recordNotRun(id, slot, trigger, 'skipped', 'not started: the job is still running');
    }
    return started;
  }

  function drain(): Promise<void> {
    draining ??= (async () => {
      while (queue.length > 0 && !closed) {
        queue.sort((a, b) => a.slot - b.slot);
        const next = queue.shift()!;
        if (inFlight.has(next.id)) await inFlight.get(next.id)?.done;
        await dispatch(next.id, next.slot, 'catch-up');
      }
    })().finally(() => {
      draining = null;
    });
    return draining;
  }

  function isBotJob(job: ResolvedJob): boolean {
    return job.config.tags.includes('bot');
  }

  function pauseJob(id: string, by: 'operator' | 'stop'): JobView {
    const job = get(id);
    const s = state(id);
    s.paused = true;
    s.pausedBy = by;
    s.pausedAt = clock.now();
    saveState(s);
    announce(id);
    return view(job);
  }

  function resumeJob(id: string): JobView {
    const job = get(id);
    const s = state(id);
    s.paused = false;
    s.pausedBy = null;
    s.pausedAt = null;
    // Slots that passed while paused were deliberately not run: no catch-up for them.
    s.watermark = Math.max(s.watermark ?? 0, clock.now());
    saveState(s);
    announce(id);
    return view(job);
  }

  function get(id: string): ResolvedJob {
    const job = jobs.get(id);
    if (!job) throw new Error(`no maintenance job "${id}"`);
    return job;
  }

  return {
    apply,
    /**
     * At start: runs left `running` by a previous process become interrupted; each enabled job's missed
     * slots are planned (catch-up) and run one after another, oldest slot first.
     */
    start(): Promise<void> {
      try {
        for (const run of repo.runningRuns()) {
          run.status = 'interrupted';
          run.finishedAt = run.finishedAt ?? clock.now();
          run.error = 'Nexus Ops ended during this run';
          repo.saveRun(run);
        }
      } catch (err) {
        deps.log(`cannot read unfinished runs: ${errorText(err)}`);
      }
      const now = clock.now();
      for (const job of jobs.values()) {
        const id = job.config.id;
        const s = state(id);
        if (!runnable(job) || !job.schedule) continue;
        if (s.watermark === null) {
          // First sight of this job: nothing was missed yet.
          s.watermark = now;
          saveState(s);
          continue;
        }
        if (s.paused) continue;
        const plan = planCatchUp(job.schedule, s.watermark, now, job.catchUp);
        noteMissed(id, plan.missed);
        if (plan.run.length === 0 && plan.missed.length > 0) advanceWatermark(id, Math.max(...plan.missed));
        for (const slot of plan.run) queue.push({ id, slot });
      }
      return queue.length > 0 ? drain() : Promise.resolve();
    },
    /** Starts a run now; resolves with its id at once (the run goes on; events report it). */
    runNow(id: string): string {
      const job = get(id);
      if (inFlight.has(id)) throw new ConflictError(`${id} is running: a job never runs twice at once`);
      if (isBotJob(job) && (state(id).pausedBy === 'stop' || deps.botsStopped())) {
        throw new ConflictError(`${id} starts bots and the emergency stop holds: resume first`);
      }
      const runId = newRunId(id);
      void dispatch(id, clock.now(), 'manual', runId);
      return runId;
    },
    pause: (id: string) => pauseJob(id, 'operator'),
    resume(id: string): JobView {
      if (state(id).pausedBy === 'stop' && deps.botsStopped()) {
        throw new ConflictError(`${id} was paused by the emergency stop: resume the stop instead`);
      }
      return resumeJob(id);
    },
    list: (): JobView[] => [...jobs.values()].map(view),
    job: (id: string): JobView => view(get(id)),
    jobs: (): ResolvedJob[] => [...jobs.values()],
    isRunning: (id: string) => inFlight.has(id),
    /** The emergency stop: pauses every enabled bot job and aborts its running runs. */
    async pauseBotSchedules(): Promise<string[]> {
      const paused: string[] = [];
      for (const job of jobs.values()) {
        if (!isBotJob(job)) continue;
        const id = job.config.id;
        const running = inFlight.get(id);
        if (running) running.abort.abort(new StopAbort());
        if (!job.config.enabled || state(id).paused) continue;
        pauseJob(id, 'stop');
        paused.push(`${STOP_PREFIX}${id}`);
      }
      return paused;
    },
    async resumeBotSchedules(ids: readonly string[]): Promise<void> {
      for (const full of ids) {
        if (!full.startsWith(STOP_PREFIX)) continue; // another pauser's
        const id = full.slice(STOP_PREFIX.length);
        if (jobs.has(id) && state(id).pausedBy === 'stop') resumeJob(id);
      }
    },
    /**
     * After a restore the history is the backup's: its runs still marked running (the backup's own run,
     * at least) get the outcome known here, or interrupted.
     */
    afterRestore(): void {
      for (const run of repo.runningRuns()) {
        if (inFlight.get(run.jobId)?.run.id === run.id) continue;
        const known = lastRuns.get(run.jobId)?.last;
        if (known?.id === run.id) repo.saveRun(known);
        else
          repo.saveRun({
            ...run,
            status: 'interrupted',
            finishedAt: clock.now(),
            error: 'not finished in the restored backup',
          });
      }
      lastRuns.clear();
      for (const id of jobs.keys()) announce(id);
    },
    /** Waits for running jobs (after the runner aborted them) so their records are written. */
    async close(): Promise<void> {
      closed = true;
      for (const f of inFlight.values()) f.abort.abort(new Error('Nexus Ops is closing'));
      // The timer is cleared once the jobs are done: pending, it held the whole core for 5 s after close.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all([...inFlight.values()].map((f) => f.done)),
        new Promise((r) => {
          timer = setTimeout(r, 5000);
          timer.unref?.();
        }),
      ]);
      clearTimeout(timer);
    },
  };
}

export class ConflictError extends Error {}

class StopAbort extends Error {
  constructor() {
    super('stopped by the emergency stop');
  }
}

function abortStatus(reason: unknown): 'timed-out' | 'interrupted' {
  return reason instanceof Error && /timed out/.test(reason.message) ? 'timed-out' : 'interrupted';
}

function reasonText(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason ?? 'aborted');
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

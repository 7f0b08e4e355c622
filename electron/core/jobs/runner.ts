import type { Clock } from '../clock/index.js';

export interface JobContext {
  /** The slot this run stands for (its due time), epoch ms. */
  slot: number;
  /** When the run started, epoch ms. */
  now: number;
  /** Aborted when the job's timeout passes or the runner closes; long work checks it. */
  signal: AbortSignal;
}

/**
 * When a job runs. `every`: fixed slots every N ms (read again after each run, so a config edit takes
 * effect at the next slot); a run that overruns makes the slots it covered be skipped, never queued.
 * `next`: any calendar (the maintenance scheduler passes cron slots in the operator's time zone).
 */
export type JobSchedule =
  | { every: number | (() => number); startAfter?: number }
  | { next(after: number): number | null; describe: string };

export interface JobSpec {
  /** `<capability>.<what>`, e.g. `monitor.sample`, `store.rollup`, `notify.retention`. */
  name: string;
  schedule: JobSchedule;
  run(ctx: JobContext): unknown;
  /** The run is aborted (signal) after this long, and counted as timed out. */
  timeoutMs?: number;
}

export interface JobStatus {
  name: string;
  schedule: string;
  paused: boolean;
  running: boolean;
  runs: number;
  failures: number;
  timeouts: number;
  /** Slots not run because the previous run was still going (or the process was busy). */
  skipped: number;
  lastStartedAt: number | null;
  lastDurationMs: number | null;
  lastError: string | null;
  lastErrorAt: number | null;
  /** How late the last run started after its slot, ms. */
  lagMs: number;
  nextRunAt: number | null;
}

export interface JobRunner {
  add(spec: JobSpec): void;
  remove(name: string): void;
  has(name: string): boolean;
  /** Arms the timer: due jobs run by themselves from now on. */
  start(): void;
  /** Runs every job whose slot has come (tests drive a ManualClock with this). Resolves when they end. */
  runDue(): Promise<void>;
  /** Runs one job now, outside its schedule; refused (false) while it is running. */
  runNow(name: string): Promise<boolean>;
  pause(name: string): void;
  resume(name: string): void;
  list(): JobStatus[];
  status(name: string): JobStatus | undefined;
  /** Disarms the timer, aborts running jobs and waits for them to settle. */
  close(): Promise<void>;
}

export interface JobRunnerOptions {
  clock: Clock;
  log(message: string): void;
  /** Monotonic ms for durations; default performance.now. */
  monotonic?: () => number;
  /** Real timers; tests that drive runDue() by hand pass a no-op. */
  setTimer?: (fn: () => void, ms: number) => { cancel(): void };
}

interface Entry {
  spec: JobSpec;
  status: JobStatus;
  slot: number;
  running: Promise<void> | null;
  abort: AbortController | null;
}

const defaultTimer = (fn: () => void, ms: number) => {
  const t = setTimeout(fn, ms);
  t.unref?.();
  return { cancel: () => clearTimeout(t) };
};

/** The longest a timer sleeps: wakes re-read the clock, so a suspended PC catches up within this. */
const MAX_SLEEP_MS = 60_000;
const CLOSE_WAIT_MS = 5_000;

/**
 * The one job runner for every periodic and scheduled piece of work in core. A job never overlaps
 * itself; a failing job is logged and counted and the others go on; each has a name, its last run,
 * duration and error (`jobs.list`).
 */
export function createJobRunner(opts: JobRunnerOptions): JobRunner {
  const { clock } = opts;
  const monotonic = opts.monotonic ?? (() => performance.now());
  const setTimer = opts.setTimer ?? defaultTimer;
  const entries = new Map<string, Entry>();
  let timer: { cancel(): void } | null = null;
  /** The slot the armed timer was set for; null when it was capped at MAX_SLEEP_MS. */
  let armedFor: number | null = null;
  let started = false;
  let closed = false;

  function firstSlot(spec: JobSpec, now: number): number {
    const s = spec.schedule;
    if ('every' in s) return now + (s.startAfter ?? 0);
    return s.next(now) ?? Number.POSITIVE_INFINITY;
  }

  function everyMs(s: { every: number | (() => number) }): number {
    return Math.max(1, typeof s.every === 'function' ? s.every() : s.every);
  }

  function describe(spec: JobSpec): string {
    const s = spec.schedule;
    if ('every' in s) return `every ${formatMs(everyMs(s))}`;
    return s.describe;
  }

  /** The slot after `slot`, skipping (and counting) those already past `now`. */
  function advance(entry: Entry, now: number): void {
    const s = entry.spec.schedule;
    if ('every' in s) {
      const every = everyMs(s);
      let next = entry.slot + every;
      // Whole-second intervals run on whole seconds from their second run on: jobs registered a few ms
      // apart (or one that slowed down when idle) then share their wake-ups: the monitor, the bots'
      // scan and the 5 s ticks wake the process once, not each on its own. The first run is not delayed.
      // The second comes at least 3/4 of the interval after the first: consumers that allow half an
      // interval of jitter (the monitor's store window) must never see two runs closer than that.
      if (every % 1000 === 0 && next % 1000 !== 0) {
        next = Math.ceil((entry.slot + (every * 3) / 4) / 1000) * 1000;
      }
      if (next <= now) {
        const missed = Math.floor((now - next) / every) + 1;
        entry.status.skipped += missed;
        next += missed * every;
      }
      entry.slot = next;
    } else {
      entry.slot = s.next(Math.max(now, entry.slot)) ?? Number.POSITIVE_INFINITY;
    }
    entry.status.nextRunAt = Number.isFinite(entry.slot) ? entry.slot : null;
  }

  function execute(entry: Entry, slot: number): Promise<void> {
    const { spec, status } = entry;
    const now = clock.now();
    const abort = new AbortController();
    entry.abort = abort;
    status.running = true;
    status.runs++;
    status.lastStartedAt = now;
    status.lagMs = Math.max(0, now - slot);
    const t0 = monotonic();
    let timeout: { cancel(): void } | null = null;
    const fail = (err: unknown, kind: 'failed' | 'timed out') => {
      status.failures++;
      if (kind === 'timed out') status.timeouts++;
      status.lastError = err instanceof Error ? err.message : String(err);
      status.lastErrorAt = clock.now();
      opts.log(`job ${spec.name} ${kind}: ${status.lastError}`);
    };
    let timedOut = false;
    const run = (async () => {
      const timeoutPassed = new Promise<void>((resolve) => {
        if (spec.timeoutMs === undefined) return;
        timeout = setTimer(() => {
          timedOut = true;
          abort.abort(new Error(`timed out after ${formatMs(spec.timeoutMs ?? 0)}`));
          resolve();
        }, spec.timeoutMs);
      });
      try {
        // The signal is built only when a job reads it: most never do, and the per-second jobs would
        // otherwise make an AbortSignal (an EventTarget) every run.
        const context = {
          slot,
          now,
          get signal() {
            return abort.signal;
          },
        };
        await Promise.race([Promise.resolve(spec.run(context)), timeoutPassed]);
        if (timedOut) fail(abort.signal.reason, 'timed out');
      } catch (err) {
        if (timedOut) fail(abort.signal.reason, 'timed out');
        else fail(err, 'failed');
      } finally {
        (timeout as { cancel(): void } | null)?.cancel();
      }
    })().finally(() => {
      status.running = false;
      status.lastDurationMs = Math.round((monotonic() - t0) * 100) / 100;
      entry.running = null;
      entry.abort = null;
      arm();
    });
    entry.running = run;
    return run;
  }

  async function runDue(): Promise<void> {
    const now = clock.now();
    const runs: Promise<void>[] = [];
    for (const entry of entries.values()) {
      if (entry.slot > now) continue;
      const slot = entry.slot;
      advance(entry, now);
      if (entry.status.paused) continue;
      if (entry.running) {
        entry.status.skipped++;
        continue;
      }
      runs.push(execute(entry, slot));
    }
    arm();
    await Promise.all(runs);
  }

  function arm(): void {
    if (!started || closed) {
      timer?.cancel();
      timer = null;
      armedFor = null;
      return;
    }
    let earliest = Number.POSITIVE_INFINITY;
    for (const e of entries.values()) if (e.slot < earliest) earliest = e.slot;
    // Every job re-arms when it ends, and most leave the earliest slot where it was: the timer already
    // set for it stays (a new timer per job run is most of what the runner costs at a 1 s cadence).
    if (timer && armedFor === earliest) return;
    timer?.cancel();
    const now = clock.now();
    if (!Number.isFinite(earliest)) earliest = now + MAX_SLEEP_MS;
    const wait = Math.min(MAX_SLEEP_MS, Math.max(0, earliest - now));
    armedFor = wait < MAX_SLEEP_MS ? earliest : null;
    timer = setTimer(() => {
      timer = null;
      armedFor = null;
      runDue().catch((err: unknown) => opts.log(`jobs: ${err instanceof Error ? err.message : String(err)}`));
    }, wait);
  }

  function get(name: string): Entry {
    const e = entries.get(name);
    if (!e) throw new Error(`no job "${name}"`);
    return e;
  }

  return {
    add(spec) {
      if (entries.has(spec.name)) throw new Error(`job "${spec.name}" is already registered`);
      const slot = firstSlot(spec, clock.now());
      entries.set(spec.name, {
        spec,
        slot,
        running: null,
        abort: null,
        status: {
          name: spec.name,
          schedule: describe(spec),
          paused: false,
          running: false,
          runs: 0,
          failures: 0,
          timeouts: 0,
          skipped: 0,
          lastStartedAt: null,
          lastDurationMs: null,
          lastError: null,
          lastErrorAt: null,
          lagMs: 0,
          nextRunAt: Number.isFinite(slot) ? slot : null,
        },
      });
      arm();
    },
    remove(name) {
      const e = entries.get(name);
      e?.abort?.abort(new Error('job removed'));
      entries.delete(name);
      arm();
    },
    has: (name) => entries.has(name),
    start() {
      started = true;
      arm();
    },
    runDue,
    async runNow(name) {
      const e = get(name);
      if (e.running) return false;
      await execute(e, clock.now());
      return true;
    },
    pause(name) {
      get(name).status.paused = true;
    },
    resume(name) {
      get(name).status.paused = false;
    },
    list: () => [...entries.values()].map((e) => ({ ...e.status, schedule: describe(e.spec) })),
    status(name) {
      const e = entries.get(name);
      return e ? { ...e.status, schedule: describe(e.spec) } : undefined;
    },
    async close() {
      closed = true;
      timer?.cancel();
      timer = null;
      const running: Promise<void>[] = [];
      for (const e of entries.values()) {
        e.abort?.abort(new Error('Nexus Ops is closing'));
        if (e.running) running.push(e.running);
      }
      // A job that ignores its signal must not hold the app open; the wait is cancelled once the jobs
      // are done (pending, it held the whole core for 5 s after close).
      let wait: { cancel(): void } | undefined;
      await Promise.race([
        Promise.all(running),
        new Promise((r) => {
          wait = setTimer(() => r(undefined), CLOSE_WAIT_MS);
        }),
      ]);
      wait?.cancel();
    },
  };
}

function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}

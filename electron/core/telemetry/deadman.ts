/**
 * The dead-man's switch of one bot: runs inferred from what Nexus Ops sees (the bot's processes
 * appearing and leaving, a per-run log file, a workflow's first and last line, Task Scheduler's last
 * result), judged against the expected schedule. States up / late / down / running / paused, each
 * with its reason:
 *
 * - late: a slot passed its start grace with no start seen (Healthchecks #910: a start grace of its own);
 * - down: two slots in a row missed; started but not finished within maxRun; finished too fast (#236);
 *   finished with an error (or, with `failureRate`, too many of the last runs failed: #858); runs too
 *   often, or a second start while a run was going (#17);
 * - paused: the emergency stop holds the bots, or the switch is turned off (or its bot disabled).
 *
 * Slots before Nexus Ops started watching are not judged (it cannot know what happened then), nor those
 * while the emergency stop held the bots or the switch was off.
 */
import type { DeadManConfig } from '../../../shared/config/telemetry.js';
import type { Schedule } from './periods.js';
import type { RunSignal } from './types.js';

export type DmsStateName = 'up' | 'late' | 'down' | 'running' | 'paused';

export type DmsReasonCode =
  | 'waiting'
  | 'ok'
  | 'running'
  | 'no_start'
  | 'missed'
  | 'not_finished'
  | 'too_fast'
  | 'failed'
  | 'too_often'
  | 'double_start'
  | 'failure_rate'
  | 'last_failed'
  | 'disabled'
  | 'emergency_stop';

/** Numbers the reason text is made of (times are epoch ms, durations ms). */
export interface DmsReasonParams {
  slot?: number;
  since?: number;
  missed?: number;
  startedAt?: number;
  finishedAt?: number;
  durationMs?: number;
  limitMs?: number;
  previousAt?: number;
  failed?: number;
  runs?: number;
  pct?: number;
  maxPct?: number;
  exitCode?: number | null;
  next?: number | null;
}

export interface DmsState {
  bot: string;
  state: DmsStateName;
  reason: DmsReasonCode;
  params: DmsReasonParams;
  /** When this state began. */
  since: number;
  nextExpectedAt: number | null;
  lastRun: RunRecord | null;
  schedule: string;
}

/** Encoded for the bot.dms_state metric (a rule alerts on 3 = late and 4 = down). */
export const DMS_STATE_VALUE: Record<DmsStateName, number> = {
  up: 0,
  running: 1,
  paused: 2,
  late: 3,
  down: 4,
};

export interface RunRecord {
  id: string;
  bot: string;
  runId: string | null;
  from: RunSignal['from'];
  startedAt: number;
  finishedAt: number | null;
  /** null: outcome unknown (the processes left without an exit code). */
  ok: boolean | null;
  /** False when the run ended while Nexus Ops was not watching (its duration is unknown). */
  endSeen: boolean;
  exitCode: number | null;
  /** Started sooner than minGap after the previous start. */
  tooOften: boolean;
  /** Started while another run was still going. */
  doubleStart: boolean;
  previousStartAt: number | null;
  evidence: string | null;
}

const MINUTE = 60_000;
const KEEP_FINISHED = 50;

export interface DeadManDeps {
  newId(): string;
  /** A run started or changed: store it. */
  save(run: RunRecord): void;
}

export class DeadMan {
  private open: RunRecord[] = [];
  private finished: RunRecord[] = [];
  private lastStartAt: number | null = null;
  private current: DmsState | null = null;

  constructor(
    readonly bot: string,
    private config: DeadManConfig,
    private schedule: Schedule,
    /** Slots before this are not judged. */
    private watchingSince: number,
    private readonly deps: DeadManDeps,
    history: readonly RunRecord[] = [],
  ) {
    for (const r of [...history].sort((a, b) => a.startedAt - b.startedAt)) {
      if (r.finishedAt === null) this.open.push(r);
      else this.finished.push(r);
      if (this.lastStartAt === null || r.startedAt > this.lastStartAt) this.lastStartAt = r.startedAt;
    }
    this.finished = this.finished.slice(-KEEP_FINISHED);
  }

  /** A switch turned back on (or its bot enabled again) is watched from `now`, like a new one. */
  reconfigure(config: DeadManConfig, schedule: Schedule, now: number): void {
    if (!this.config.enabled && config.enabled) this.watchFrom(now);
    this.config = config;
    this.schedule = schedule;
  }

  /**
   * Slots before `at` are not judged from now on: the emergency stop held the bots until then (the runs
   * it prevented are not missed runs), or the switch was off.
   */
  watchFrom(at: number): void {
    if (at > this.watchingSince) this.watchingSince = at;
  }

  get watchingFrom(): number {
    return this.watchingSince;
  }

  private get minGapMs(): number {
    return this.config.minGapMinutes !== undefined
      ? this.config.minGapMinutes * MINUTE
      : Math.floor(this.schedule.minGapMs / 2);
  }

  /** Applies a start or finish; returns false when the switch ignores that kind of signal. */
  observe(signal: RunSignal): boolean {
    if (!this.config.runsFrom.includes(signal.from)) return false;
    if (signal.kind === 'start') this.onStart(signal);
    else this.onFinish(signal);
    return true;
  }

  private onStart(s: Extract<RunSignal, { kind: 'start' }>): void {
    const runId = s.runId ?? null;
    if (runId !== null && this.open.some((r) => r.runId === runId)) return; // the same start told twice
    const running = this.open.at(-1);
    if (running) {
      // While a run goes on, another start is the same run seen again (its process and its log file, the
      // next account's per-run file), unless both carry ids of the same kind that differ: two runs at once.
      const distinct =
        runId !== null && running.runId !== null && runId !== running.runId && s.from === running.from;
      if (!distinct) return;
    }
    const previous = this.lastStartAt;
    const run: RunRecord = {
      id: this.deps.newId(),
      bot: this.bot,
      runId,
      from: s.from,
      startedAt: s.at,
      finishedAt: null,
      ok: null,
      endSeen: false,
      exitCode: null,
      // A start older than the newest one seen arrived out of order (a log read late): not a run too soon.
      tooOften: previous !== null && s.at >= previous && s.at - previous < this.minGapMs && !running,
      doubleStart: running !== undefined,
      previousStartAt: previous,
      evidence: s.evidence ?? null,
    };
    this.open.push(run);
    this.lastStartAt = previous === null ? s.at : Math.max(previous, s.at);
    this.deps.save(run);
  }

  private onFinish(s: Extract<RunSignal, { kind: 'finish' }>): void {
    if (this.open.length === 0) return;
    let index = s.runId !== undefined ? this.open.findIndex((r) => r.runId === s.runId) : -1;
    if (index < 0) index = 0;
    const closing =
      s.from === 'process' && s.runId === undefined ? this.open.splice(0) : this.open.splice(index, 1);
    for (const run of closing) {
      run.finishedAt = Math.max(s.at, run.startedAt);
      run.ok = s.ok;
      run.endSeen = true;
      run.exitCode = s.exitCode ?? null;
      if (s.evidence && !run.evidence) run.evidence = s.evidence;
      this.finished.push(run);
      this.deps.save(run);
    }
    if (this.finished.length > KEEP_FINISHED) this.finished.splice(0, this.finished.length - KEEP_FINISHED);
  }

  /** Runs still open from before a restart whose end Nexus Ops did not see: closed as "outcome unknown". */
  closeUnseen(at: number): void {
    for (const run of this.open.splice(0)) {
      run.finishedAt = Math.max(at, run.startedAt);
      run.ok = null;
      run.endSeen = false;
      this.finished.push(run);
      this.deps.save(run);
    }
  }

  /**
   * A run that only a new per-run log file showed (no process, exit code or execution id says when it
   * ends) ends at the bot's last record, once the bot has written nothing for `quietMs`; its outcome is
   * unknown.
   */
  finishQuietLogRun(now: number, lastRecordAt: number | undefined, quietMs: number): void {
    const run = this.open.at(-1);
    if (run?.from !== 'log' || run.runId !== null || lastRecordAt === undefined) return;
    if (now - lastRecordAt < quietMs || lastRecordAt < run.startedAt) return;
    this.observe({ kind: 'finish', bot: this.bot, at: lastRecordAt, from: 'log', ok: null });
  }

  hasOpenRun(): boolean {
    return this.open.length > 0;
  }

  runs(): RunRecord[] {
    return [...this.finished, ...this.open];
  }

  /** The state now; `paused` when the emergency stop holds the bots. */
  evaluate(now: number, stopped: boolean): DmsState {
    const next = this.judge(now, stopped);
    if (this.current && this.current.state === next.state && this.current.reason === next.reason) {
      next.since = this.current.since;
    }
    this.current = next;
    return next;
  }

  state(): DmsState | null {
    return this.current;
  }

  private judge(now: number, stopped: boolean): DmsState {
    const c = this.config;
    const lastRun = this.open.at(-1) ?? this.finished.at(-1) ?? null;
    const base = {
      bot: this.bot,
      since: now,
      nextExpectedAt: this.schedule.next(now),
      lastRun,
      schedule: this.schedule.describe,
    };
    const make = (state: DmsStateName, reason: DmsReasonCode, params: DmsReasonParams = {}): DmsState => ({
      ...base,
      state,
      reason,
      params,
    });
    if (!c.enabled) return make('paused', 'disabled');
    if (stopped) return make('paused', 'emergency_stop');

    const maxRunMs = c.maxRunMinutes * MINUTE;
    const first = this.open[0];
    if (first) {
      const newest = this.open.at(-1) as RunRecord;
      if (now - first.startedAt > maxRunMs)
        return make('down', 'not_finished', {
          startedAt: first.startedAt,
          durationMs: now - first.startedAt,
          limitMs: maxRunMs,
        });
      if (newest.doubleStart)
        return make('down', 'double_start', { startedAt: newest.startedAt, previousAt: first.startedAt });
      if (newest.tooOften)
        return make('down', 'too_often', {
          startedAt: newest.startedAt,
          previousAt: newest.previousStartAt ?? undefined,
          limitMs: this.minGapMs,
        });
      return make('running', 'running', { startedAt: first.startedAt, durationMs: now - first.startedAt });
    }

    // Lateness: the newest slot whose start grace has passed.
    const graceMs = c.startGraceMinutes * MINUTE;
    const tolerance = Math.min(graceMs, Math.floor(this.schedule.minGapMs / 2));
    const slot = this.schedule.prev(now - graceMs);
    const startedFor = (s: number) => this.lastStartAt !== null && this.lastStartAt >= s - tolerance;
    let lateness: DmsState | null = null;
    if (slot !== null && slot >= this.watchingSince && !startedFor(slot)) {
      // How many slots in a row went by without a start.
      let missed = 1;
      let oldest = slot;
      for (let s = this.schedule.prev(slot - 1); s !== null && s >= this.watchingSince && !startedFor(s); ) {
        missed++;
        oldest = s;
        if (missed > 1000) break;
        s = this.schedule.prev(s - 1);
      }
      lateness =
        missed >= 2
          ? make('down', 'missed', { since: oldest, missed, slot })
          : make('late', 'no_start', { slot, limitMs: graceMs });
    }
    if (lateness?.state === 'down') return lateness;

    const last = this.finished.at(-1);
    if (last) {
      const rate = this.failureRate();
      const durationMs = (last.finishedAt as number) - last.startedAt;
      if (last.doubleStart)
        return make('down', 'double_start', {
          startedAt: last.startedAt,
          previousAt: last.previousStartAt ?? undefined,
        });
      if (last.tooOften)
        return make('down', 'too_often', {
          startedAt: last.startedAt,
          previousAt: last.previousStartAt ?? undefined,
          limitMs: this.minGapMs,
        });
      if (last.endSeen && c.minRunSeconds > 0 && durationMs < c.minRunSeconds * 1000)
        return make('down', 'too_fast', {
          startedAt: last.startedAt,
          finishedAt: last.finishedAt ?? undefined,
          durationMs,
          limitMs: c.minRunSeconds * 1000,
        });
      if (rate && rate.pct >= rate.maxPct) return make('down', 'failure_rate', rate);
      if (last.ok === false) {
        if (!rate)
          return make('down', 'failed', {
            finishedAt: last.finishedAt ?? undefined,
            exitCode: last.exitCode,
          });
        if (!lateness)
          return make('up', 'last_failed', { ...rate, finishedAt: last.finishedAt ?? undefined });
      }
      if (lateness) return lateness;
      return make('up', 'ok', { finishedAt: last.finishedAt ?? undefined, durationMs });
    }
    if (lateness) return lateness;
    return make('up', 'waiting', { next: this.schedule.next(now) });
  }

  private failureRate(): { failed: number; runs: number; pct: number; maxPct: number } | null {
    const fr = this.config.failureRate;
    if (!fr) return null;
    const judged = this.finished.filter((r) => r.ok !== null).slice(-fr.runs);
    if (judged.length === 0) return null;
    const failed = judged.filter((r) => r.ok === false).length;
    return {
      failed,
      runs: judged.length,
      pct: Math.round((failed / judged.length) * 1000) / 10,
      maxPct: fr.maxPct,
    };
  }
}

/**
 * The emergency stop (issue 5): one action with many doors (button, tray, shortcut, CLI, rule action).
 *
 * A stop, in order: records the request (a locked or read-only database does not hold it up: the
 * record waits in memory and is written afterwards); writes the kill-switch file into every bot
 * folder; pauses the bot schedules and disables the configured Task Scheduler tasks (remembering which
 * were enabled); takes ONE snapshot of the stop families' process trees and stops them family by
 * family, gracefully, then by force after the grace period; re-scans until none is left or lists the
 * survivors; records the result, notifies, and the state stays "stopped" (also across a restart) until
 * a deliberate resume.
 *
 * `trigger` awaits the whole run (the grace period plus verification: seconds) and returns its
 * result; `stop.progress` events report every phase meanwhile, so the button shows live progress
 * whatever the caller does. The run lives in core: a hung renderer cannot block it. A trigger while a
 * run is in progress joins that run. Stop and resume never overlap: a trigger during a resume waits
 * for the resume to finish and then stops (a resume must not re-enable what the new stop disabled),
 * and a resume during a stop, or during another resume, is refused.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { z } from 'zod';
import { ApiFailure } from '../../../shared/api/contract.js';
import type {
  StopApiEvent,
  StopCounts,
  StopPhase,
  StopRun,
  StopSource,
  StopStatus,
  stopMethods,
} from '../../../shared/api/stop.js';
import { botFolders } from '../../../shared/config/bots.js';
import { DEFAULT_STOP_FAMILIES, type StopConfig } from '../../../shared/config/stop.js';
import type { Clock } from '../clock/index.js';
import type { Platform } from '../platform/index.js';
import { type Classify, killTargets } from './kill.js';
import {
  type KillSwitchContent,
  presentKillSwitches,
  readKillSwitches,
  removeKillSwitches,
  writeKillSwitch,
} from './kill-switch.js';
import { createStopRepo, type StopStorePort } from './repo.js';

export { createStopCapability, type StopCapability, type StopCapabilityDeps } from './capability.js';
export {
  loadStopCliConfig,
  runStopCli,
  STOP_CLI_HELP,
  type StopCliCommand,
  type StopCliOptions,
} from './cli.js';
export type { Classify } from './kill.js';
export { stopMigration } from './migrations/005-stop.js';
export { stopEvidenceMigration } from './migrations/014-stop-evidence.js';
export type { StopStorePort } from './repo.js';
export { inKillOrder, protectedPids, type StopTarget, selectTargets } from './targets.js';

/** Implemented by the scheduler (a later issue): pauses every job tagged as starting bots. */
export interface BotSchedulePauser {
  /** Pauses them and returns the ids it paused (those that were running/enabled). */
  pauseBotSchedules(): Promise<string[]>;
  resumeBotSchedules(ids: readonly string[]): Promise<void>;
}

export const noBotSchedules: BotSchedulePauser = {
  async pauseBotSchedules() {
    return [];
  },
  async resumeBotSchedules() {},
};

/**
 * The parts of the config the stop reads. The whole app Config fits once it has a `stop` section;
 * `monitor.families` (with `stopOnEmergency`) gives the stop families and their order.
 */
export interface StopConfigView {
  stop: StopConfig;
  /** The bots (their root folders get the kill-switch; external bots' Task Scheduler tasks are disabled). */
  bots: readonly { root: string; run?: { mode: string; tasks?: readonly string[] } }[];
  monitor?: { families?: readonly { name: string; stopOnEmergency?: boolean }[] };
  notify?: { channels: readonly { id: string; enabled?: boolean }[] };
  ui?: { locale: 'ja' | 'en' };
  /**
   * The alert engine's cooldown for action rules after a resume. When present it is the stop's rule
   * cooldown too: the engine defers a rule action until its own cooldown ends and marks a refused one
   * failed for good, so the stop must never refuse longer than the engine defers.
   */
  alerts?: { actionCooldownMinutes?: number };
}

/** The notifier's send (electron/core/notify), which never blocks. */
export interface StopNotifier {
  send(msg: {
    kind: 'stop';
    severity: 'critical' | 'warning' | 'info';
    title: string;
    body: string;
    channels: string[];
    dedupeKey?: string;
  }): void;
}

export interface StopDeps {
  platform: Pick<Platform, 'processes' | 'killer' | 'taskScheduler' | 'canonicalFolder'>;
  store: StopStorePort;
  clock: Clock;
  config: () => StopConfigView;
  /** The monitor's classifier bound to the current families and bot folders. */
  classify: Classify;
  notifier?: StopNotifier;
  onEvent?: (event: StopApiEvent) => void;
  schedules?: BotSchedulePauser;
  /** Nexus Ops' own PID: it and its ancestors are never touched. Default process.pid. */
  selfPid?: number;
  /** Called after a resume with its time: wire alerts.noteResume for the rule cooldown. */
  onResume?: (at: number) => void;
  /** Called when isStopped() changes: wire the health state, tray and title. */
  onStateChange?: (stopped: boolean) => void;
  log?: (message: string) => void;
  /** Process-list polling while waiting for exits; default 100 ms. */
  pollMs?: number;
  /** Monotonic ms for deadlines and durations; default performance.now. */
  monotonic?: () => number;
}

export interface TriggerRequest {
  source: StopSource;
  actor?: string;
  reason?: string;
  ruleId?: string;
  alertId?: string;
  /** An automatic stop: the values that crossed and the log records behind them. */
  evidence?: readonly string[];
}

export interface ResumeRequest {
  actor: string;
  reason: string;
}

type Methods = typeof stopMethods;
export type StopHandlers = {
  [M in keyof Methods]: (input: z.output<Methods[M]['input']>) => Promise<z.output<Methods[M]['output']>>;
};

export interface Stop {
  trigger(request: TriggerRequest): Promise<StopRun>;
  /** Carries a stop that an end of Nexus Ops interrupted to its end (call once at start). */
  finishInterrupted(): Promise<StopRun | null>;
  resume(request: ResumeRequest): Promise<StopStatus>;
  status(): StopStatus;
  history(limit?: number, before?: number): StopRun[];
  isStopped(): boolean;
  /** Time of the last resume (also one done by the CLI while the app was closed): feed alerts.noteResume at start. */
  lastResumeAt(): number | null;
  /** For the alerts engine: `actions: { 'emergency-stop': stop.ruleAction }`. */
  ruleAction(ctx: {
    ruleId: string;
    alertId: string;
    reason: string;
    evidence?: readonly string[];
  }): Promise<void>;
  handlers: StopHandlers;
}

/** How long a trigger waits for a resume in progress before it stops anyway. */
const RESUME_WAIT_MS = 20_000;

const DEFAULT_REASONS: Record<StopSource, { ja: string; en: string }> = {
  button: { ja: '画面の緊急停止ボタン', en: 'Emergency stop button' },
  tray: { ja: 'トレイメニューの緊急停止', en: 'Tray menu emergency stop' },
  shortcut: { ja: 'キーボードショートカットの緊急停止', en: 'Emergency stop keyboard shortcut' },
  cli: { ja: 'コマンドラインの緊急停止', en: 'Emergency stop from the command line' },
  rule: { ja: 'アラートルールによる自動停止', en: 'Automatic stop by an alert rule' },
};

/** The Task Scheduler tasks a stop disables and ends: `stop.windowsTasks` and every external bot's tasks. */
export function stopTasksOf(config: StopConfigView): string[] {
  const fromBots = config.bots.flatMap((b) => (b.run?.mode === 'external' ? (b.run.tasks ?? []) : []));
  return [...new Set([...config.stop.windowsTasks, ...fromBots])];
}

export function stopFamiliesOf(config: StopConfigView): string[] {
  const families = config.monitor?.families;
  if (!families) return [...DEFAULT_STOP_FAMILIES];
  return families.filter((f) => f.stopOnEmergency).map((f) => f.name);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function createStop(deps: StopDeps): Stop {
  const monotonic = deps.monotonic ?? (() => performance.now());
  const repo = createStopRepo(deps.store);
  const selfPid = deps.selfPid ?? process.pid;
  const log = deps.log ?? (() => {});

  /** Unresumed runs, oldest first (the stopped state), and the latest run of any kind. */
  let unresumed: StopRun[] = [];
  let latest: StopRun | null = null;
  let lastResumeAt: number | null = null;
  /** Runs known here that the database may not have yet (history merges them). */
  const recent = new Map<string, StopRun>();
  let running: { run: StopRun; done: Promise<StopRun> } | null = null;
  let resuming: Promise<StopStatus> | null = null;
  let wasStopped = false;

  load();

  function load(): void {
    try {
      unresumed = repo.unresumed();
      latest = repo.latest();
      lastResumeAt = repo.lastResumeAt();
    } catch (err) {
      log(`stop: cannot read stop history: ${errorText(err)}`);
    }
    // A run still marked running: Nexus Ops ended during it.
    for (const run of unresumed) {
      if (run.status !== 'running') continue;
      run.status = 'interrupted';
      run.errors.push('Nexus Ops ended before this stop finished');
      if (latest?.id === run.id) latest = run;
      recent.set(run.id, run);
      repo.saveRun(run);
    }
    wasStopped = isStopped();
  }

  function cfg(): StopConfigView {
    return deps.config();
  }

  function locale(): 'ja' | 'en' {
    return cfg().ui?.locale ?? 'ja';
  }

  function killSwitchPresent(): string[] {
    const c = cfg();
    try {
      return presentKillSwitches(botFolders(c.bots), c.stop.killSwitchFile);
    } catch {
      return [];
    }
  }

  function isStopped(): boolean {
    return running !== null || unresumed.length > 0 || killSwitchPresent().length > 0;
  }

  /** Rule triggers are refused until then; the alert engine's setting wins (see StopConfigView.alerts). */
  function cooldownUntil(): number | null {
    if (lastResumeAt === null) return null;
    const c = cfg();
    const minutes = c.alerts?.actionCooldownMinutes ?? c.stop.resumeCooldownMinutes;
    const until = lastResumeAt + minutes * 60_000;
    return until > deps.clock.now() ? until : null;
  }

  function status(): StopStatus {
    const c = cfg();
    return {
      stopped: isStopped(),
      since: running?.run.requestedAt ?? unresumed[0]?.requestedAt ?? null,
      running: running !== null,
      latest: running?.run ?? latest,
      killSwitch: { file: c.stop.killSwitchFile, present: killSwitchPresent() },
      cooldownUntil: cooldownUntil(),
      unrecorded: repo.backlog(),
    };
  }

  function emit(event: StopApiEvent): void {
    try {
      deps.onEvent?.(event);
    } catch (err) {
      log(`stop: event listener failed: ${errorText(err)}`);
    }
  }

  function stateChanged(): void {
    const now = isStopped();
    emit({ type: 'stop.state', status: status() });
    if (now !== wasStopped) {
      wasStopped = now;
      try {
        deps.onStateChange?.(now);
      } catch (err) {
        log(`stop: state listener failed: ${errorText(err)}`);
      }
    }
  }

  function notify(severity: 'critical' | 'info', title: string, body: string, dedupeKey: string): void {
    if (!deps.notifier) return;
    const c = cfg();
    const channels =
      c.stop.notifyChannels.length > 0
        ? [...c.stop.notifyChannels]
        : (c.notify?.channels ?? []).filter((ch) => ch.enabled !== false).map((ch) => ch.id);
    if (channels.length === 0) return;
    try {
      deps.notifier.send({ kind: 'stop', severity, title, body, channels, dedupeKey });
    } catch (err) {
      log(`stop: notification failed: ${errorText(err)}`);
    }
  }

  function record(run: StopRun): void {
    recent.set(run.id, run);
    if (!repo.saveRun(run)) run.recordedLate = true;
  }

  function audit(actor: string, action: string, details: Record<string, unknown>, run?: StopRun): void {
    if (!repo.audit({ actor, action, details }) && run) run.recordedLate = true;
  }

  /** `continued`: a run that an end of Nexus Ops interrupted, carried to its end after the restart. */
  async function execute(run: StopRun, continued = false): Promise<StopRun> {
    const c = cfg();
    const t0 = monotonic();
    const stepStart = new Map<StopPhase, number>();
    const step = (phase: StopPhase, counts: StopCounts, remaining: number, message?: string) => {
      if (!stepStart.has(phase)) {
        stepStart.set(phase, monotonic());
        run.steps.push({ phase, at: deps.clock.now(), ms: Math.round(monotonic() - t0) });
      }
      run.counts = counts;
      emit({
        type: 'stop.progress',
        runId: run.id,
        phase,
        at: deps.clock.now(),
        counts,
        remaining,
        ...(message ? { message } : {}),
      });
    };
    const zero: StopCounts = { targets: 0, stopped: 0, forced: 0, survivors: 0 };

    // 1. The request, before anything else; a failing database only delays the record.
    audit(
      run.actor,
      continued ? 'stop.continued' : 'stop.requested',
      { runId: run.id, source: run.source, reason: run.reason, ruleId: run.ruleId, at: run.requestedAt },
      run,
    );
    record(run);
    step('requested', zero, 0, run.reason);

    // 2. Kill-switch files, so a bot that starts later stands down too.
    const content: KillSwitchContent = {
      stopped: true,
      reason: run.reason,
      source: run.source,
      actor: run.actor,
      runId: run.id,
      time: new Date(run.requestedAt).toISOString(),
      at: run.requestedAt,
      by: 'Nexus Ops',
    };
    run.killSwitch = writeKillSwitch(botFolders(c.bots), c.stop.killSwitchFile, content);
    for (const f of run.killSwitch.failed) run.errors.push(`kill-switch ${f.path}: ${f.error}`);
    step('kill-switch', zero, 0, `${run.killSwitch.written.length} file(s)`);

    // 3. Schedules. Our own scheduler is paused before the kill (in-process, quick). Task Scheduler
    // tasks run schtasks.exe (hundreds of ms each): they are disabled while the kill proceeds; the
    // kill awaits them and scans once more, so anything they launched meanwhile is stopped too.
    try {
      const paused = await withTimeout((deps.schedules ?? noBotSchedules).pauseBotSchedules(), 5000);
      run.pausedSchedules = [...new Set([...run.pausedSchedules, ...paused])];
    } catch (err) {
      run.errors.push(`bot schedules: ${errorText(err)}`);
    }
    const tasksDone = Promise.all(
      stopTasksOf(c).map(async (task) => {
        try {
          const { wasEnabled } = await deps.platform.taskScheduler.disable(task);
          if (wasEnabled && !run.disabledTasks.includes(task)) run.disabledTasks.push(task);
          // A running instance (cmd.exe at a hidden Y/N prompt) would make the task skip its triggers.
          await deps.platform.taskScheduler.end?.(task);
        } catch (err) {
          run.errors.push(`task ${task}: ${errorText(err)}`);
        }
      }),
    );
    step('schedules', zero, 0);

    // 4-5. Snapshot, graceful, force, verify.
    try {
      const result = await killTargets({
        processes: deps.platform.processes,
        killer: deps.platform.killer,
        classify: deps.classify,
        stopFamilies: stopFamiliesOf(c),
        botFolders: botFolders(c.bots).map((f) => deps.platform.canonicalFolder?.(f) ?? f),
        selfPid,
        // A continued run sent its Ctrl+C before the restart: only what is left of the grace period remains.
        graceMs: continued
          ? Math.max(0, run.requestedAt + c.stop.graceSeconds * 1000 - deps.clock.now())
          : c.stop.graceSeconds * 1000,
        verifyMs: c.stop.verifySeconds * 1000,
        pollMs: deps.pollMs ?? 100,
        monotonic,
        settle: tasksDone,
        onPhase: step,
      });
      run.counts = result.counts;
      run.survivors = result.survivors;
      run.families = result.byFamily;
      for (const e of result.errors) run.errors.push(e);
    } catch (err) {
      run.errors.push(`process stop failed: ${errorText(err)}`);
      run.survivors = [
        { pid: 0, name: '?', family: '?', reason: `process list or kill failed: ${errorText(err)}` },
      ];
      run.counts = { ...run.counts, survivors: Math.max(1, run.counts.survivors) };
    }
    await tasksDone;

    if (run.disabledTasks.length > 0 || run.pausedSchedules.length > 0) {
      // Resume must find what to re-enable even when the database lost this run.
      content.disabledTasks = run.disabledTasks;
      content.pausedSchedules = run.pausedSchedules;
      const again = writeKillSwitch(botFolders(c.bots), c.stop.killSwitchFile, content);
      for (const f of again.failed) run.errors.push(`kill-switch ${f.path}: ${f.error}`);
    }

    // 6. Result.
    run.finishedAt = deps.clock.now();
    run.durationMs = Math.round((monotonic() - t0) * 10) / 10;
    run.status = run.survivors.length === 0 ? 'done' : 'survivors';
    step('done', run.counts, run.survivors.length);
    audit(run.actor, 'stop.completed', {
      runId: run.id,
      status: run.status,
      durationMs: run.durationMs,
      counts: run.counts,
      survivors: run.survivors,
      disabledTasks: run.disabledTasks,
      pausedSchedules: run.pausedSchedules,
    });
    record(run);
    if (run.recordedLate) record(run); // carries the flag itself once the database is back
    notifyResult(run);
    return run;
  }

  function notifyResult(run: StopRun): void {
    const ja = locale() === 'ja';
    const ok = run.status === 'done';
    const c = run.counts;
    const title = ja
      ? ok
        ? '緊急停止を実行しました'
        : `緊急停止: ${c.survivors} 個のプロセスが残っています`
      : ok
        ? 'Emergency stop done'
        : `Emergency stop: ${c.survivors} process(es) survived`;
    const lines = ja
      ? [
          `理由: ${run.reason}（${run.source} / ${run.actor}）`,
          `停止 ${c.stopped} / 対象 ${c.targets}（強制終了 ${c.forced}）・${run.durationMs} ms`,
          ...run.survivors.map((s) => `残存: PID ${s.pid} ${s.name} (${s.family}): ${s.reason}`),
          ...(run.disabledTasks.length > 0 ? [`無効化したタスク: ${run.disabledTasks.join(', ')}`] : []),
          ...(run.evidence.length > 0 ? ['根拠:', ...run.evidence.slice(0, 8).map((e) => `  ${e}`)] : []),
          '再開は画面の「再開」または nexus-ops resume --reason "…" で行います。',
        ]
      : [
          `Reason: ${run.reason} (${run.source} / ${run.actor})`,
          `Stopped ${c.stopped} of ${c.targets} (forced ${c.forced}) in ${run.durationMs} ms`,
          ...run.survivors.map((s) => `Survivor: PID ${s.pid} ${s.name} (${s.family}): ${s.reason}`),
          ...(run.disabledTasks.length > 0 ? [`Disabled tasks: ${run.disabledTasks.join(', ')}`] : []),
          ...(run.evidence.length > 0 ? ['Because:', ...run.evidence.slice(0, 8).map((e) => `  ${e}`)] : []),
          'Resume with the Resume button or nexus-ops resume --reason "…".',
        ];
    notify('critical', title, lines.join('\n'), `stop:${run.id}`);
  }

  async function trigger(request: TriggerRequest): Promise<StopRun> {
    const actor = request.actor?.trim() || (request.ruleId ? `rule:${request.ruleId}` : 'operator');
    const reason = request.reason?.trim() || DEFAULT_REASONS[request.source][locale()];
    // After the resume, so it cannot re-enable the tasks or remove the kill-switch of this stop; but a
    // hung resume (schtasks, a scheduler) must not hold the stop up for long.
    let resumeStillRunning = false;
    if (resuming) {
      await withTimeout(resuming, RESUME_WAIT_MS).catch(() => undefined);
      resumeStillRunning = resuming !== null;
      if (resumeStillRunning) log('stop: a resume is still running; stopping anyway');
    }
    if (running) {
      audit(actor, 'stop.requested', { joined: running.run.id, source: request.source, reason });
      return running.done;
    }
    if (request.source === 'rule') {
      const until = cooldownUntil();
      if (until !== null) {
        audit(actor, 'stop.refused', {
          source: 'rule',
          ruleId: request.ruleId,
          reason,
          cooldownUntil: until,
        });
        throw new ApiFailure(
          'conflict',
          `automatic stop refused: cooldown after the last resume until ${new Date(until).toISOString()}`,
        );
      }
    }
    const run: StopRun = {
      id: `stop-${deps.clock.now().toString(36)}-${randomUUID().slice(0, 8)}`,
      source: request.source,
      actor,
      reason,
      ruleId: request.ruleId ?? null,
      alertId: request.alertId ?? null,
      requestedAt: deps.clock.now(),
      finishedAt: null,
      durationMs: null,
      status: 'running',
      counts: { targets: 0, stopped: 0, forced: 0, survivors: 0 },
      families: {},
      survivors: [],
      killSwitch: { written: [], failed: [] },
      pausedSchedules: [],
      disabledTasks: [],
      errors: [],
      evidence: [...(request.evidence ?? [])],
      steps: [],
      recordedLate: false,
      resumedAt: null,
      resumedBy: null,
      resumeReason: null,
    };
    if (resumeStillRunning) {
      run.errors.push(
        `a resume was still running after ${RESUME_WAIT_MS / 1000} s: check the tasks and the kill-switch`,
      );
    }
    return start(run);
  }

  /** Runs a stop in the background of the caller: joins, state and result the same for every door. */
  function start(run: StopRun, continued = false): Promise<StopRun> {
    const done = execute(run, continued).then(
      (finished) => {
        running = null;
        latest = finished;
        if (!unresumed.includes(finished)) unresumed.push(finished);
        emit({ type: 'stop.result', run: finished });
        stateChanged();
        return finished;
      },
      (err: unknown) => {
        // execute() catches what it expects; this is a bug, but the state must still say stopped.
        running = null;
        run.status = 'interrupted';
        run.finishedAt = deps.clock.now();
        run.errors.push(`stop failed: ${errorText(err)}`);
        latest = run;
        if (!unresumed.includes(run)) unresumed.push(run);
        record(run);
        emit({ type: 'stop.result', run });
        stateChanged();
        return run;
      },
    );
    running = { run, done };
    latest = run;
    stateChanged();
    return done;
  }

  /**
   * A stop that an end of Nexus Ops interrupted (a crash, a kill, a power cut) is carried to its end:
   * kill-switch, schedules and tasks again (idempotent), a fresh snapshot of whatever is left, graceful
   * then forced, verified, recorded. Called once at start; returns the finished run, or null.
   */
  async function finishInterrupted(): Promise<StopRun | null> {
    if (running || resuming) return null;
    const run = [...unresumed].reverse().find((r) => r.status === 'interrupted' && r.finishedAt === null);
    if (!run) return null;
    run.status = 'running';
    run.errors.push(
      locale() === 'ja'
        ? 'Nexus Ops の再起動後にこの停止を最後まで実行しました'
        : 'carried to its end after Nexus Ops restarted',
    );
    log(`stop: carrying the interrupted stop ${run.id} to its end`);
    const done = start(run, true);
    return done;
  }

  async function resume(request: ResumeRequest): Promise<StopStatus> {
    const reason = request.reason.trim();
    if (!reason) throw new ApiFailure('invalid_input', 'a resume needs a reason');
    if (running) throw new ApiFailure('conflict', 'a stop is in progress: resume after it has finished');
    if (resuming) throw new ApiFailure('conflict', 'a resume is already in progress');
    if (!isStopped()) throw new ApiFailure('conflict', 'not stopped: nothing to resume');
    const work = resumeNow(request.actor, reason).finally(() => {
      resuming = null;
    });
    resuming = work;
    return work;
  }

  async function resumeNow(actor: string, reason: string): Promise<StopStatus> {
    const c = cfg();
    const at = deps.clock.now();
    // The runs this resume ends; none can start meanwhile (triggers wait), but only these are marked.
    const runs = [...unresumed];
    const fromFiles = readKillSwitches(botFolders(c.bots), c.stop.killSwitchFile);
    const tasks = new Set<string>([
      ...runs.flatMap((r) => r.disabledTasks),
      ...fromFiles.flatMap((f) => f.disabledTasks ?? []),
    ]);
    const schedules = new Set<string>([
      ...runs.flatMap((r) => r.pausedSchedules),
      ...fromFiles.flatMap((f) => f.pausedSchedules ?? []),
    ]);
    const errors: string[] = [];

    const removal = removeKillSwitches(botFolders(c.bots), c.stop.killSwitchFile);
    for (const f of removal.failed) errors.push(`kill-switch ${f.path}: ${f.error}`);
    const enabledTasks: string[] = [];
    for (const task of tasks) {
      try {
        await deps.platform.taskScheduler.enable(task);
        enabledTasks.push(task);
      } catch (err) {
        errors.push(`task ${task}: ${errorText(err)}`);
      }
    }
    try {
      if (schedules.size > 0) await (deps.schedules ?? noBotSchedules).resumeBotSchedules([...schedules]);
    } catch (err) {
      errors.push(`bot schedules: ${errorText(err)}`);
    }

    const detail = {
      removedKillSwitches: removal.removed,
      enabledTasks,
      resumedSchedules: [...schedules],
      errors,
    };
    audit(actor, 'stop.resumed', { reason, runs: runs.map((r) => r.id), ...detail });
    for (const run of runs) {
      run.resumedAt = at;
      run.resumedBy = actor;
      run.resumeReason = reason;
      recent.set(run.id, run);
      repo.saveRun(run, detail);
    }
    unresumed = unresumed.filter((run) => !runs.includes(run));
    lastResumeAt = at;
    try {
      deps.onResume?.(at);
    } catch (err) {
      log(`stop: resume listener failed: ${errorText(err)}`);
    }
    const ja = locale() === 'ja';
    notify(
      'info',
      ja ? '緊急停止を解除しました' : 'Emergency stop resumed',
      ja
        ? `理由: ${reason}（${actor}）${enabledTasks.length ? `\n再有効化したタスク: ${enabledTasks.join(', ')}` : ''}`
        : `Reason: ${reason} (${actor})${enabledTasks.length ? `\nRe-enabled tasks: ${enabledTasks.join(', ')}` : ''}`,
      `resume:${at}`,
    );
    stateChanged();
    if (errors.length > 0) log(`stop: resume finished with problems: ${errors.join('; ')}`);
    return status();
  }

  function history(limit = 50, before?: number): StopRun[] {
    if (repo.backlog() === 0) {
      // Everything is written: the database is the source again; keep only what is unresumed or running.
      for (const [id, run] of recent) if (run.resumedAt !== null) recent.delete(id);
    }
    let stored: StopRun[] = [];
    try {
      stored = repo.history(limit, before);
    } catch (err) {
      log(`stop: cannot read stop history: ${errorText(err)}`);
    }
    const byId = new Map(stored.map((r) => [r.id, r]));
    // Runs held here are newer than (or missing from) the database while it refuses writes.
    for (const run of recent.values()) {
      if (before === undefined || run.requestedAt < before) byId.set(run.id, run);
    }
    if (running) byId.set(running.run.id, running.run);
    return [...byId.values()].sort((a, b) => b.requestedAt - a.requestedAt).slice(0, limit);
  }

  const stop: Stop = {
    trigger,
    finishInterrupted,
    resume,
    status,
    history,
    isStopped,
    lastResumeAt: () => lastResumeAt,
    async ruleAction(ctx) {
      await trigger({
        source: 'rule',
        ruleId: ctx.ruleId,
        alertId: ctx.alertId,
        reason: ctx.reason,
        ...(ctx.evidence ? { evidence: ctx.evidence } : {}),
      });
    },
    handlers: {
      'stop.trigger': (input) => trigger(input),
      'stop.resume': (input) => resume(input),
      'stop.status': async () => status(),
      'stop.history': async ({ limit, before }) => ({ runs: history(limit, before) }),
    },
  };
  return stop;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]);
}

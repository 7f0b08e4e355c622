/**
 * The supervisor: one runtime per configured bot (plus any bot still running from a config it has left),
 * driven by three things only — the relay's run.json (how a run is going and how it ended), the job
 * ticks (restarts when their delay is up, run timeouts, schedules, the process scan) and the operator
 * (start / stop / restart, the emergency stop's hold). Nothing here starts a timer of its own.
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { BotExit, BotState, BotStatus } from '../../../shared/api/bots.js';
import { ApiFailure } from '../../../shared/api/contract.js';
import type { BotConfig, SupervisedRunConfig } from '../../../shared/config/bots.js';
import type { Logger } from '../capability/index.js';
import type { Clock } from '../clock/index.js';
import { localTimeZone } from '../clock/index.js';
import type { ProcessInfo, ProcessKiller, ProcessSource } from '../platform/index.js';
import { maskKnown, maskSecrets, resolveEnvRefs } from '../secrets/index.js';
import { type CapturedLine, CURRENT_FILE } from './capture.js';
import type { RelaySpec } from './launch.js';
import { readOutputTail } from './output.js';
import {
  afterOperatorStart,
  type BotCounters,
  countRestart,
  decideAfterExit,
  type ExitOutcome,
  freshCounters,
} from './policy.js';
import type { LaunchedRelay, RelayLauncher } from './relay-launcher.js';
import { type BotsRepo, type HoldRecord, type RunTrigger, runExit } from './repo.js';
import { botDir, outputDir, type RunFile, readRunFile } from './run-file.js';
import { nextCronSlot } from './schedule.js';
import { runTree, sameStart, stopRunTree } from './stop-run.js';

export interface SupervisorDeps {
  clock: Clock;
  dataDir: string;
  log: Logger;
  bots: () => readonly BotConfig[];
  repo: BotsRepo;
  processes: ProcessSource;
  /** The table for the per-scan process counts (may be up to one scan old); default processes.list. */
  scanProcesses?: () => Promise<ProcessInfo[]>;
  killer: ProcessKiller;
  /** null when no relay can be found (a config issue says so); supervised bots then cannot start. */
  launcher: () => RelayLauncher | null;
  /** Environment for `${env:NAME}` in a bot's env. */
  env: NodeJS.ProcessEnv;
  selfPid: number;
  onState(status: BotStatus): void;
  onOutput(id: string, size: number): void;
  audit(actor: string, action: string, details: Record<string, unknown>): void;
  /** Polling while a stop waits for the bot to end; default 100 ms. */
  pollMs?: number;
  /** After the forced kill, how long to wait for the relay to record the end; default 5 s. */
  verifyMs?: number;
  /** How long the emergency stop's pause waits for supervised bots to end before it returns; default 4 s. */
  pauseWaitMs?: number;
  /**
   * Whether the emergency stop's kill-switch files are in the bots' folders now (null: cannot tell, no
   * folder exists). Read at start: a stop or a resume done while Nexus Ops was closed (the CLI) sets or
   * ends the hold.
   */
  killSwitchPresent?: () => boolean | null;
}

type StopReason = 'operator' | 'emergency' | 'timeout' | 'restart';

interface ActiveRun {
  runId: string;
  trigger: RunTrigger;
  /** Clock time of the launch (run timeout), or the bot's start for an adopted run. */
  startedAt: number;
  relayPid: number | null;
  relayStartedAt: number | null;
  botPid: number | null;
  botStartedAt: number | null;
  phase: 'starting' | 'running' | 'stopping';
  stopReason: StopReason | null;
  stopping: Promise<void> | null;
  /** Set once the end is handled (idempotent). */
  ended: boolean;
  /** The relay process ended (our own child): run.json is final. */
  relayExited: boolean;
  /** Adopted before its relay wrote run.json: the id is learnt from the relay's first write. */
  runIdPending: boolean;
}

interface Runtime {
  id: string;
  config: BotConfig | null;
  /** Name and root from the last config it had (an orphaned run keeps showing them). */
  name: string;
  root: string;
  counters: BotCounters;
  operatorStopped: boolean;
  run: ActiveRun | null;
  restartAt: number | null;
  lastExit: BotExit | null;
  processes: number;
  problem: string | null;
  /** An always-on bot is started once per (Nexus Ops start, config change to always, hold release). */
  autoStarted: boolean;
  outputSize: number;
  lastPublished: string;
}

export const BOT_STATE_CODES: Record<BotState, number> = {
  stopped: 0,
  disabled: 0,
  running: 1,
  starting: 2,
  stopping: 2,
  backoff: 3,
  errored: 4,
  held: 5,
};

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function supervised(config: BotConfig | null): SupervisedRunConfig | null {
  return config?.run.mode === 'supervised' ? config.run : null;
}

/** The `processes` match of a bot: both given regexes must match (exe on the program name, whole). */
export function processMatcher(config: BotConfig | null): ((p: ProcessInfo) => boolean) | null {
  const m = config?.processes;
  if (!m || (!m.cmdline && !m.exe)) return null;
  try {
    const cmdline = m.cmdline ? new RegExp(m.cmdline, 'i') : null;
    const exe = m.exe ? new RegExp(`^(?:${m.exe})(?:\\.exe)?$`, 'i') : null;
    return (p) => (!cmdline || cmdline.test(p.cmdline)) && (!exe || exe.test(p.name));
  } catch {
    return null;
  }
}

export interface Supervisor {
  /** Loads counters, adopts runs still going, records runs that ended meanwhile, starts always-on bots. */
  init(): Promise<void>;
  applyConfig(): void;
  tick(): Promise<void>;
  scan(): Promise<{ ts: number; samples: { name: string; labels: Record<string, string>; value: number }[] }>;
  runScheduled(id: string): void;
  list(): BotStatus[];
  get(id: string): BotStatus;
  start(id: string, actor: string, reason?: string): Promise<BotStatus>;
  stop(id: string, actor: string, reason?: string): Promise<BotStatus>;
  restart(id: string, actor: string, reason?: string): Promise<BotStatus>;
  output(id: string, lines: number): { lines: CapturedLine[]; file: string | null };
  hold(): HoldRecord;
  /** The emergency stop: hold every supervised bot, stop those running; returns the ids to restore. */
  pause(): Promise<string[]>;
  /** Resume: release the hold and start again what was running (plus `extra` ids). */
  release(extra: readonly string[]): void;
  /** The stop's state changed: a new stop holds at once; a resume releases. */
  stopChanged(stopped: boolean): void;
  /** Stops watching (Nexus Ops is closing): the bots keep running and the next start adopts them. */
  close(): void;
}

export function createSupervisor(deps: SupervisorDeps): Supervisor {
  const pollMs = deps.pollMs ?? 100;
  const verifyMs = deps.verifyMs ?? 5000;
  const runtimes = new Map<string, Runtime>();
  let hold: HoldRecord = { held: false, since: null, restore: [] };
  let initStarted = false;
  let ready = false;
  let closed = false;
  let records = new Map<string, { counters: BotCounters; operatorStopped: boolean }>();

  const now = () => deps.clock.now();

  function newRuntime(id: string, config: BotConfig | null): Runtime {
    const record = records.get(id);
    const last = deps.repo.lastEndedRun(id);
    return {
      id,
      config,
      name: config?.name ?? id,
      root: config?.root ?? '',
      counters: record?.counters ?? freshCounters(),
      operatorStopped: record?.operatorStopped ?? false,
      run: null,
      restartAt: null,
      lastExit: last ? runExit(last) : null,
      processes: 0,
      problem: null,
      autoStarted: false,
      outputSize: -1,
      lastPublished: '',
    };
  }

  function persist(rt: Runtime): void {
    deps.repo.save(rt.id, { counters: rt.counters, operatorStopped: rt.operatorStopped }, now());
  }

  // ---- status ----

  function stateOf(rt: Runtime): BotState {
    const sup = supervised(rt.config);
    if (rt.run) return rt.run.phase;
    if (rt.config && !rt.config.enabled) return 'disabled';
    if (!sup) return rt.processes > 0 ? 'running' : 'stopped';
    if (rt.counters.erroredAt !== null) return 'errored';
    if (hold.held && (hold.restore.includes(rt.id) || (sup.start === 'always' && !rt.operatorStopped))) {
      return 'held';
    }
    if (rt.restartAt !== null) return 'backoff';
    return 'stopped';
  }

  /** Resolved values of the bot's `${env:…}` variables: masked wherever its output or command is shown. */
  function secretValues(rt: Runtime): string[] {
    const sup = supervised(rt.config);
    if (!sup) return [];
    const values: string[] = [];
    for (const raw of Object.values(sup.env)) {
      if (!raw.includes('${env:')) continue;
      try {
        values.push(resolveEnvRefs(raw, deps.env));
      } catch {
        // unset: nothing to mask
      }
    }
    return values;
  }

  function statusOf(rt: Runtime): BotStatus {
    const sup = supervised(rt.config);
    const policy = sup?.restart;
    const timezone = sup?.timezone ?? localTimeZone();
    return {
      id: rt.id,
      name: rt.name,
      root: rt.root,
      mode: rt.config ? rt.config.run.mode : 'supervised',
      enabled: rt.config?.enabled ?? false,
      start: sup?.start ?? null,
      command: sup ? maskSecrets([sup.command, ...sup.args].join(' ')) : null,
      state: stateOf(rt),
      held: hold.held,
      operatorStopped: rt.operatorStopped,
      pid: rt.run?.botPid ?? null,
      startedAt: rt.run?.botStartedAt ?? null,
      processes: rt.processes,
      restarts: { count: rt.counters.restarts, since: rt.counters.restartsSince },
      unstable: {
        count: rt.counters.unstableCount,
        max: policy?.maxUnstableRestarts ?? 16,
        since: rt.counters.unstableSince,
        last: rt.counters.unstableLast,
        minUptimeSeconds: policy?.minUptimeSeconds ?? 1,
      },
      erroredAt: rt.counters.erroredAt,
      nextRestartAt: rt.restartAt,
      backoffMs: rt.counters.backoffMs,
      schedule:
        sup?.start === 'schedule' && sup.cron
          ? { cron: sup.cron, timezone, nextRunAt: nextCronSlot(sup.cron, timezone, now()) }
          : null,
      timeoutMinutes: sup?.timeoutMinutes ?? null,
      stopGraceSeconds: sup?.stopGraceSeconds ?? null,
      lastExit: rt.lastExit,
      problem: rt.problem,
      outputFile: sup || rt.run ? join(outputDir(deps.dataDir, rt.id), CURRENT_FILE) : null,
      orphaned: rt.config === null,
    };
  }

  /** Announces the bot's status when anything an operator sees changed. */
  function publish(rt: Runtime): void {
    const status = statusOf(rt);
    const { schedule, ...rest } = status;
    const fingerprint = JSON.stringify({ ...rest, next: schedule?.nextRunAt });
    if (fingerprint === rt.lastPublished) return;
    rt.lastPublished = fingerprint;
    try {
      deps.onState(status);
    } catch (err) {
      deps.log.error(`bots: state listener failed: ${errorText(err)}`);
    }
  }

  function runtime(id: string): Runtime {
    const rt = runtimes.get(id);
    if (!rt) throw new ApiFailure('not_found', `no bot "${id}" in the config (bots:)`);
    return rt;
  }

  // ---- runs ----

  function launch(rt: Runtime, trigger: RunTrigger): boolean {
    const sup = supervised(rt.config);
    if (closed || !sup || !rt.config) return false;
    const launcher = deps.launcher();
    const fail = (problem: string) => {
      rt.problem = problem;
      rt.lastExit = {
        outcome: 'start-failed',
        code: null,
        signal: null,
        at: now(),
        uptimeMs: 0,
        error: problem,
      };
      deps.log.warn(`bots: ${rt.id}: ${problem}`);
      publish(rt);
      return false;
    };
    if (!launcher) {
      return fail('the relay program (bot-relay.cjs) is missing: rebuild or reinstall Nexus Ops');
    }
    const env: Record<string, string> = {};
    try {
      for (const [name, raw] of Object.entries(sup.env)) env[name] = resolveEnvRefs(raw, deps.env);
    } catch (err) {
      return fail(`bots.${rt.id}.run.env: ${errorText(err)}: set it before starting Nexus Ops`);
    }
    const root = rt.config.root;
    const cwd = sup.cwd ? join(root, sup.cwd) : root;
    if (!existsSync(cwd))
      return fail(`the working folder ${cwd} does not exist (bots.${rt.id}.root / run.cwd)`);
    // A relative program path is relative to the root; a bare name is looked up on PATH.
    const command =
      /[\\/]/.test(sup.command) && !/^([A-Za-z]:)?[\\/]/.test(sup.command)
        ? join(root, sup.command)
        : sup.command;
    const runId = `${rt.id}-${now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const dir = botDir(deps.dataDir, rt.id);
    const spec: RelaySpec = {
      version: 1,
      botId: rt.id,
      runId,
      command,
      args: [...sup.args],
      cwd,
      env,
      output: {
        maxBytes: Math.round(sup.output.maxSizeMB * 1024 * 1024),
        daily: sup.output.daily,
        retainFiles: sup.output.retainFiles,
        retainDays: sup.output.retainDays,
      },
      partialFlushMs: 2000,
    };
    let relay: LaunchedRelay;
    try {
      mkdirSync(join(dir, 'output'), { recursive: true });
      relay = launcher.launch(dir, spec);
    } catch (err) {
      return fail(`cannot start the relay: ${errorText(err)}`);
    }
    const run: ActiveRun = {
      runId,
      trigger,
      startedAt: now(),
      relayPid: relay.pid ?? null,
      relayStartedAt: null,
      botPid: null,
      botStartedAt: null,
      phase: 'starting',
      stopReason: null,
      stopping: null,
      ended: false,
      relayExited: false,
      runIdPending: false,
    };
    rt.run = run;
    rt.problem = null;
    rt.restartAt = null;
    deps.repo.saveRun({
      runId,
      botId: rt.id,
      trigger,
      startedAt: run.startedAt,
      pid: null,
      endedAt: null,
      outcome: null,
      exitCode: null,
      signal: null,
      uptimeMs: null,
      error: null,
    });
    relay.onExit(() => {
      run.relayExited = true;
      setImmediate(() => checkRun(rt, run));
    });
    publish(rt);
    return true;
  }

  /** Reads run.json for the run; handles its end. */
  function checkRun(rt: Runtime, run: ActiveRun): void {
    if (closed || run.ended || rt.run !== run) return;
    const file = readRunFile(botDir(deps.dataDir, rt.id));
    if (file && file.runId !== run.runId && isRelayOf(file, run)) {
      run.runId = file.runId;
      run.runIdPending = false;
    }
    if (file && file.runId === run.runId) {
      run.relayPid = file.relay.pid;
      run.relayStartedAt = file.relay.startedAt;
      if (file.bot && run.botPid === null) {
        run.botPid = file.bot.pid;
        run.botStartedAt = file.bot.startedAt;
        if (run.phase === 'starting') run.phase = 'running';
        deps.repo.saveRun({ ...runRecord(rt, run), pid: run.botPid });
        publish(rt);
      }
      if (file.state === 'exited') {
        const exit = file.exit ?? {
          code: null,
          signal: null,
          at: now(),
          error: 'the relay recorded no exit',
        };
        runEnded(rt, run, exit, exit.error ? 'start-failed' : null);
        return;
      }
    }
    const relayGone = run.relayExited || (run.relayPid !== null && !pidAlive(run.relayPid));
    if (!relayGone) return;
    // Read once more: the relay may have finished writing between the two looks.
    const last = readRunFile(botDir(deps.dataDir, rt.id));
    if (last && last.runId !== run.runId && isRelayOf(last, run)) {
      run.runId = last.runId;
      run.runIdPending = false;
    }
    if (last && last.runId === run.runId && last.state === 'exited' && last.exit) {
      runEnded(rt, run, last.exit, last.exit.error ? 'start-failed' : null);
      return;
    }
    const started = !!(last && last.runId === run.runId);
    runEnded(
      rt,
      run,
      {
        code: null,
        signal: null,
        at: now(),
        error: started
          ? 'the relay ended without recording the exit (killed?)'
          : `the relay ended before starting the bot: see ${join(botDir(deps.dataDir, rt.id), 'relay.log')}`,
      },
      started ? 'vanished' : 'start-failed',
    );
    if (started && run.botPid !== null) void stopOrphanBot(rt, run);
  }

  /** A run adopted before its relay wrote run.json knows the relay, not yet the run id. */
  function isRelayOf(file: RunFile, run: ActiveRun): boolean {
    return (
      run.runIdPending &&
      file.relay.pid === run.relayPid &&
      sameStart(file.relay.startedAt, run.relayStartedAt)
    );
  }

  function runRecord(rt: Runtime, run: ActiveRun) {
    return {
      runId: run.runId,
      botId: rt.id,
      trigger: run.trigger,
      startedAt: run.startedAt,
      pid: run.botPid,
      endedAt: null,
      outcome: null,
      exitCode: null,
      signal: null,
      uptimeMs: null,
      error: null,
    };
  }

  function outcomeOf(
    run: ActiveRun,
    exit: NonNullable<RunFile['exit']>,
    forced: ExitOutcome | null,
  ): ExitOutcome {
    if (run.stopReason === 'timeout') return 'timeout';
    if (run.stopReason) return 'stopped';
    if (forced) return forced;
    return exit.code === 0 && !exit.signal ? 'exited' : 'failed';
  }

  function runEnded(
    rt: Runtime,
    run: ActiveRun,
    exit: NonNullable<RunFile['exit']>,
    forced: ExitOutcome | null,
  ): void {
    if (run.ended) return;
    run.ended = true;
    const outcome = outcomeOf(run, exit, forced);
    const uptimeMs = run.botStartedAt !== null ? Math.max(0, exit.at - run.botStartedAt) : 0;
    rt.lastExit = { outcome, code: exit.code, signal: exit.signal, at: exit.at, uptimeMs, error: exit.error };
    if (outcome === 'start-failed' && exit.error) rt.problem = exit.error;
    deps.repo.saveRun({
      ...runRecord(rt, run),
      endedAt: exit.at,
      outcome,
      exitCode: exit.code,
      signal: exit.signal,
      uptimeMs,
      error: exit.error,
    });
    if (rt.run === run) rt.run = null;

    const sup = supervised(rt.config);
    if (run.stopReason === 'restart') {
      rt.counters = countRestart(rt.counters, now());
      persist(rt);
      if (!hold.held) launch(rt, 'restart');
      publish(rt);
      return;
    }
    if (sup && rt.config?.enabled) {
      const decision = decideAfterExit(rt.counters, { outcome, uptimeMs }, sup.restart, now());
      rt.counters = decision.counters;
      // A scheduled or manual run that ran past its timeout waits for its next slot or an operator.
      const waitsForNext = outcome === 'timeout' && sup.start !== 'always';
      rt.restartAt = hold.held || waitsForNext ? null : decision.restartAt;
      if (decision.restartAt !== null && hold.held && !hold.restore.includes(rt.id)) {
        hold.restore = [...hold.restore, rt.id];
        deps.repo.saveHold(hold);
      }
      if (decision.errored) {
        const window = `${rt.counters.unstableCount} exits within ${sup.restart.minUptimeSeconds} s of starting, ${new Date(rt.counters.unstableSince ?? now()).toISOString()} to ${new Date(rt.counters.unstableLast ?? now()).toISOString()}`;
        deps.log.warn(
          `bots: ${rt.id} is crash-looping (${window}): no more restarts until an operator starts it`,
        );
        deps.audit('nexus-ops', 'bot.errored', {
          bot: rt.id,
          unstableExits: rt.counters.unstableCount,
          since: rt.counters.unstableSince,
          last: rt.counters.unstableLast,
          lastExit: rt.lastExit,
        });
      }
      persist(rt);
    }
    if (!rt.config) runtimes.delete(rt.id);
    publish(rt);
  }

  /** The relay is gone but its bot may live on (POSIX): end it, so a restart never runs it twice. */
  async function stopOrphanBot(rt: Runtime, run: ActiveRun): Promise<void> {
    try {
      const { targets } = runTree(await deps.processes.list(), run, deps.selfPid);
      if (targets.length === 0) return;
      deps.log.warn(`bots: ${rt.id}: its relay vanished; ending the bot it left (pid ${run.botPid})`);
      await deps.killer.stop(targets, 'force');
    } catch (err) {
      deps.log.error(`bots: ${rt.id}: cannot end the bot its relay left: ${errorText(err)}`);
    }
  }

  /**
   * Stops one run (stop-run.ts): Ctrl+C / SIGINT to its tree, the tree by force after the bot's grace
   * period, then the relay; the end is what the relay records.
   */
  function stopRun(rt: Runtime, run: ActiveRun, reason: StopReason): Promise<void> {
    // A stronger reason wins: an operator's stop turns a pending restart into a plain stop.
    if (!run.stopReason || reason !== 'restart') run.stopReason = reason;
    if (run.stopping) return run.stopping;
    run.phase = 'stopping';
    publish(rt);
    run.stopping = (async () => {
      try {
        const ended = await stopRunTree({
          run,
          processes: deps.processes,
          killer: deps.killer,
          selfPid: deps.selfPid,
          graceMs: (supervised(rt.config)?.stopGraceSeconds ?? 10) * 1000,
          verifyMs,
          pollMs,
          ended: () => {
            checkRun(rt, run);
            return run.ended;
          },
        });
        if (!ended) {
          const exit = { code: null, signal: null, at: now(), error: 'did not end after a forced kill' };
          runEnded(rt, run, exit, 'vanished');
        }
      } catch (err) {
        deps.log.error(`bots: stopping ${rt.id} failed: ${errorText(err)}`);
      }
    })();
    return run.stopping;
  }

  // ---- the emergency stop's hold ----

  function setHeld(): void {
    hold = { held: true, since: hold.since ?? now(), restore: hold.restore };
    deps.repo.saveHold(hold);
  }

  function release(extra: readonly string[]): void {
    if (!hold.held) return;
    const restore = new Set([...hold.restore, ...extra]);
    hold = { held: false, since: null, restore: [] };
    deps.repo.saveHold(hold);
    deps.audit('nexus-ops', 'bots.released', { restore: [...restore] });
    for (const id of restore) {
      const rt = runtimes.get(id);
      if (!rt || rt.run || !supervised(rt.config) || !rt.config?.enabled || rt.counters.erroredAt !== null)
        continue;
      if (rt.operatorStopped) continue;
      rt.autoStarted = true;
      launch(rt, 'resume');
    }
    for (const rt of runtimes.values()) publish(rt);
    ensureAlways();
  }

  // ---- always-on, schedules, ticks ----

  function ensureAlways(): void {
    if (!ready || hold.held) return;
    for (const rt of runtimes.values()) {
      const sup = supervised(rt.config);
      if (!sup || !rt.config?.enabled || sup.start !== 'always' || rt.autoStarted) continue;
      rt.autoStarted = true;
      if (rt.run || rt.restartAt !== null || rt.counters.erroredAt !== null || rt.operatorStopped) continue;
      launch(rt, 'always');
    }
  }

  /** A relay process for this bot folder (its last argument), found by its command line. */
  function relayFor(
    list: readonly ProcessInfo[],
    dir: string,
    except: number | null,
  ): ProcessInfo | undefined {
    return list.find((p) => {
      if (p.pid === except || !p.cmdline.includes('bot-relay')) return false;
      const at = p.cmdline.lastIndexOf(dir);
      if (at < 0) return false;
      const after = p.cmdline.slice(at + dir.length);
      return after === '' || after === '"' || after.startsWith(' ');
    });
  }

  function adoptedRun(
    fields: Partial<ActiveRun> & Pick<ActiveRun, 'runId' | 'trigger' | 'startedAt'>,
  ): ActiveRun {
    return {
      relayPid: null,
      relayStartedAt: null,
      botPid: null,
      botStartedAt: null,
      phase: 'starting',
      stopReason: null,
      stopping: null,
      ended: false,
      relayExited: false,
      runIdPending: false,
      ...fields,
    };
  }

  /**
   * At start, per bot folder: adopt the run its relay is still doing; record a run that ended while
   * Nexus Ops was away (or whose relay vanished); adopt a relay Nexus Ops started just before it ended
   * that has not written run.json yet. So a bot is never started twice.
   */
  async function adopt(list: readonly ProcessInfo[], id: string, handled: Set<string>): Promise<void> {
    const dir = botDir(deps.dataDir, id);
    const file = readRunFile(dir);
    const validFile = file && file.botId === id ? file : null;
    const openRuns = deps.repo.openRuns().filter((r) => r.botId === id);
    let rt = runtimes.get(id);
    if (validFile) {
      handled.add(validFile.runId);
      const relay = list.find(
        (p) => p.pid === validFile.relay.pid && sameStart(p.startTime, validFile.relay.startedAt),
      );
      const open = openRuns.find((r) => r.runId === validFile.runId);
      if (validFile.state !== 'exited' && relay) {
        if (!rt) {
          rt = newRuntime(id, null);
          runtimes.set(id, rt);
        }
        rt.run = adoptedRun({
          runId: validFile.runId,
          trigger: open?.trigger ?? 'adopted',
          startedAt: validFile.bot?.startedAt ?? validFile.relay.startedAt,
          relayPid: validFile.relay.pid,
          relayStartedAt: validFile.relay.startedAt,
          botPid: validFile.bot?.pid ?? null,
          botStartedAt: validFile.bot?.startedAt ?? null,
          phase: validFile.state === 'running' ? 'running' : 'starting',
        });
        if (!open) deps.repo.saveRun({ ...runRecord(rt, rt.run), trigger: 'adopted' });
        deps.log.info(
          `bots: ${id}: adopted the run still going from before (relay pid ${validFile.relay.pid})`,
        );
        publish(rt);
        return;
      }
      if (open && rt) {
        // It ended while Nexus Ops was away: record how (or that its relay vanished).
        const run = adoptedRun({
          runId: open.runId,
          trigger: open.trigger,
          startedAt: open.startedAt,
          relayPid: validFile.relay.pid,
          relayStartedAt: validFile.relay.startedAt,
          botPid: validFile.bot?.pid ?? null,
          botStartedAt: validFile.bot?.startedAt ?? null,
          phase: 'running',
          relayExited: true,
        });
        rt.run = run;
        checkRun(rt, run);
      }
    }
    const starting = relayFor(list, dir, validFile?.relay.pid ?? null);
    if (starting && rt && !rt.run) {
      const pending = openRuns.filter((r) => !handled.has(r.runId)).at(-1);
      if (pending) handled.add(pending.runId);
      rt.run = adoptedRun({
        runId: pending?.runId ?? `${id}-adopted-${now().toString(36)}`,
        runIdPending: true,
        trigger: pending?.trigger ?? 'adopted',
        startedAt: starting.startTime,
        relayPid: starting.pid,
        relayStartedAt: starting.startTime,
      });
      rt.restartAt = null;
      deps.log.info(`bots: ${id}: adopted a relay that was still starting (pid ${starting.pid})`);
      publish(rt);
    }
  }

  return {
    async init() {
      initStarted = true;
      records = deps.repo.loadAll();
      hold = deps.repo.loadHold();
      for (const config of deps.bots()) runtimes.set(config.id, newRuntime(config.id, config));
      let list: ProcessInfo[] = [];
      try {
        list = await deps.processes.list();
      } catch (err) {
        deps.log.error(`bots: process list failed at start (no adoption check): ${errorText(err)}`);
      }
      const ids = new Set(runtimes.keys());
      const handled = new Set<string>();
      try {
        for (const name of readdirSync(join(deps.dataDir, 'bots'))) ids.add(name);
      } catch {
        // no bot has run yet
      }
      for (const id of ids) {
        try {
          await adopt(list, id, handled);
        } catch (err) {
          deps.log.error(`bots: ${id}: adoption check failed: ${errorText(err)}`);
        }
      }
      // Runs the database still has open whose relay never recorded them (Nexus Ops ended mid-launch).
      for (const open of deps.repo.openRuns()) {
        if (handled.has(open.runId)) continue;
        deps.repo.saveRun({
          ...open,
          endedAt: now(),
          outcome: 'vanished',
          error: 'Nexus Ops ended before this run was recorded by its relay',
          uptimeMs: 0,
        });
      }
      ready = true;
      const stoppedElsewhere = deps.killSwitchPresent?.() ?? null;
      if (stoppedElsewhere === true && !hold.held) {
        deps.log.warn('bots: the emergency stop is in force (kill-switch files): supervised bots stay held');
        setHeld();
      }
      for (const rt of runtimes.values()) publish(rt);
      if (stoppedElsewhere === false && hold.held) {
        // The kill-switch files are gone: the stop was resumed while Nexus Ops was closed (the CLI).
        release([]);
      } else {
        ensureAlways();
      }
    },

    applyConfig() {
      // Before init, the config is read there (with the stored counters).
      if (!initStarted) return;
      const configs = deps.bots();
      const seen = new Set<string>();
      for (const config of configs) {
        seen.add(config.id);
        const rt = runtimes.get(config.id);
        if (!rt) {
          runtimes.set(config.id, newRuntime(config.id, config));
          continue;
        }
        const wasAlways = supervised(rt.config)?.start === 'always';
        rt.config = config;
        rt.name = config.name ?? config.id;
        rt.root = config.root;
        if (!wasAlways) rt.autoStarted = false;
      }
      for (const [id, rt] of runtimes) {
        if (seen.has(id)) continue;
        if (rt.run) {
          rt.config = null;
          rt.restartAt = null;
        } else runtimes.delete(id);
      }
      for (const rt of runtimes.values()) publish(rt);
      ensureAlways();
    },

    async tick() {
      if (!ready || closed) return;
      const t = now();
      for (const rt of [...runtimes.values()]) {
        const run = rt.run;
        if (run) {
          checkRun(rt, run);
          const timeout = supervised(rt.config)?.timeoutMinutes;
          if (
            rt.run === run &&
            !run.stopping &&
            timeout !== undefined &&
            t - run.startedAt >= timeout * 60_000
          ) {
            deps.log.warn(`bots: ${rt.id} ran past its ${timeout} min timeout: stopping it`);
            void stopRun(rt, run, 'timeout');
          }
        } else if (rt.restartAt !== null && rt.restartAt <= t && !hold.held) {
          // Cleared first: a launch that fails (missing folder, unset variable) is not retried every tick.
          rt.restartAt = null;
          rt.counters = countRestart(rt.counters, t);
          persist(rt);
          launch(rt, 'restart');
        }
        if (supervised(rt.config) || rt.run) {
          let size = 0;
          try {
            size = statSync(join(outputDir(deps.dataDir, rt.id), CURRENT_FILE)).size;
          } catch {
            size = 0;
          }
          if (size !== rt.outputSize) {
            const first = rt.outputSize === -1;
            rt.outputSize = size;
            if (!first) deps.onOutput(rt.id, size);
          }
        }
        publish(rt);
      }
    },

    async scan() {
      const ts = now();
      // No bot configured: no second process scan next to the monitor's.
      if (runtimes.size === 0) return { ts, samples: [] };
      const list = await (deps.scanProcesses ? deps.scanProcesses() : deps.processes.list());
      const children = new Map<number, ProcessInfo[]>();
      for (const p of list) {
        const siblings = children.get(p.ppid);
        if (siblings) siblings.push(p);
        else children.set(p.ppid, [p]);
      }
      const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
      for (const rt of runtimes.values()) {
        const mine = new Set<number>();
        const match = processMatcher(rt.config);
        if (match) for (const p of list) if (match(p)) mine.add(p.pid);
        const run = rt.run;
        const relay =
          run?.relayPid != null
            ? list.find((p) => p.pid === run.relayPid && sameStart(p.startTime, run.relayStartedAt))
            : undefined;
        if (relay) {
          const stack = [...(children.get(relay.pid) ?? [])];
          while (stack.length > 0) {
            const p = stack.pop()!;
            if (mine.has(p.pid) || p.pid === relay.pid) continue;
            mine.add(p.pid);
            stack.push(...(children.get(p.pid) ?? []));
          }
        }
        rt.processes = mine.size;
        if (!rt.config?.enabled && !rt.run) continue;
        const state = stateOf(rt);
        const up = run ? 1 : rt.config?.run.mode === 'external' && rt.processes > 0 ? 1 : 0;
        const labels = { bot: rt.id };
        // The shipped bot-down rule watches only always-on bots: a scheduled bot between runs is not down.
        const start = rt.config?.run.mode === 'supervised' ? rt.config.run.start : 'external';
        samples.push(
          { name: 'bot.up', labels: { bot: rt.id, start }, value: up },
          { name: 'bot.state', labels, value: BOT_STATE_CODES[state] },
          { name: 'bot.processes', labels, value: rt.processes },
          { name: 'bot.restarts', labels, value: rt.counters.restarts },
          { name: 'bot.unstable_exits', labels, value: rt.counters.unstableCount },
          { name: 'bot.errored', labels, value: state === 'errored' ? 1 : 0 },
          {
            name: 'bot.uptime_seconds',
            labels,
            value: run?.botStartedAt ? Math.max(0, Math.round((ts - run.botStartedAt) / 1000)) : 0,
          },
        );
        publish(rt);
      }
      return { ts, samples };
    },

    runScheduled(id) {
      if (closed) return;
      const rt = runtimes.get(id);
      if (!rt?.config?.enabled) return;
      if (hold.held) {
        deps.log.warn(`bots: ${id}: scheduled run skipped: held by the emergency stop`);
        return;
      }
      if (rt.run) {
        deps.log.warn(`bots: ${id}: scheduled run skipped: the previous run is still going`);
        return;
      }
      if (rt.counters.erroredAt !== null) {
        deps.log.warn(
          `bots: ${id}: scheduled run skipped: crash-looping (errored) until an operator starts it`,
        );
        return;
      }
      launch(rt, 'schedule');
    },

    list: () => [...runtimes.values()].map(statusOf),
    get: (id) => statusOf(runtime(id)),

    async start(id, actor, reason) {
      const rt = runtime(id);
      const sup = supervised(rt.config);
      if (!sup)
        throw new ApiFailure(
          'conflict',
          `${id} is external: something else starts it; Nexus Ops only watches it`,
        );
      if (!rt.config?.enabled)
        throw new ApiFailure('conflict', `${id} is disabled in the config (enabled: false)`);
      if (hold.held) throw new ApiFailure('conflict', 'the emergency stop holds the bots: resume first');
      if (rt.run) throw new ApiFailure('conflict', `${id} is already running (pid ${rt.run.botPid ?? '?'})`);
      rt.counters = afterOperatorStart(rt.counters);
      rt.operatorStopped = false;
      rt.restartAt = null;
      persist(rt);
      const ok = launch(rt, 'manual');
      deps.audit(actor, 'bot.start', {
        bot: id,
        reason: reason ?? null,
        ok,
        problem: ok ? null : rt.problem,
      });
      if (!ok) throw new ApiFailure('unavailable', rt.problem ?? `${id} could not be started`);
      return statusOf(rt);
    },

    async stop(id, actor, reason) {
      const rt = runtime(id);
      const sup = supervised(rt.config);
      if (!sup && rt.config) {
        throw new ApiFailure(
          'conflict',
          `${id} is external: stop it where it is started (or use the emergency stop)`,
        );
      }
      rt.restartAt = null;
      if (sup?.start === 'always') rt.operatorStopped = true;
      persist(rt);
      const run = rt.run;
      deps.audit(actor, 'bot.stop', {
        bot: id,
        reason: reason ?? null,
        running: !!run,
        pid: run?.botPid ?? null,
      });
      if (run) await stopRun(rt, run, 'operator');
      publish(rt);
      return statusOf(rt);
    },

    async restart(id, actor, reason) {
      const rt = runtime(id);
      const sup = supervised(rt.config);
      if (!sup) throw new ApiFailure('conflict', `${id} is external: Nexus Ops cannot restart it`);
      if (hold.held) throw new ApiFailure('conflict', 'the emergency stop holds the bots: resume first');
      const run = rt.run;
      deps.audit(actor, 'bot.restart', {
        bot: id,
        reason: reason ?? null,
        running: !!run,
        pid: run?.botPid ?? null,
      });
      rt.operatorStopped = false;
      rt.counters = afterOperatorStart(rt.counters);
      rt.restartAt = null;
      persist(rt);
      if (run) {
        await stopRun(rt, run, 'restart');
      } else {
        rt.counters = countRestart(rt.counters, now());
        persist(rt);
        if (!launch(rt, 'restart'))
          throw new ApiFailure('unavailable', rt.problem ?? `${id} could not be started`);
      }
      return statusOf(rt);
    },

    output(id, count) {
      const rt = runtime(id);
      const dir = outputDir(deps.dataDir, id);
      const secrets = secretValues(rt);
      const lines = readOutputTail(dir, count).map((l) => ({ ...l, text: maskKnown(l.text, secrets) }));
      const file = join(dir, CURRENT_FILE);
      return { lines, file: existsSync(file) ? file : null };
    },

    hold: () => ({ ...hold, restore: [...hold.restore] }),

    async pause() {
      const affected = [...runtimes.values()].filter((rt) => rt.run || rt.restartAt !== null);
      hold = {
        held: true,
        since: hold.since ?? now(),
        restore: [...new Set([...hold.restore, ...affected.map((rt) => rt.id)])],
      };
      deps.repo.saveHold(hold);
      for (const rt of affected) rt.restartAt = null;
      const stops = affected.flatMap((rt) => (rt.run ? [stopRun(rt, rt.run, 'emergency')] : []));
      for (const rt of runtimes.values()) publish(rt);
      deps.audit('nexus-ops', 'bots.held', { bots: hold.restore });
      await Promise.race([
        Promise.allSettled(stops),
        new Promise((resolve) => setTimeout(resolve, deps.pauseWaitMs ?? 4000)),
      ]);
      return affected.map((rt) => rt.id);
    },

    release,

    close() {
      closed = true;
    },

    stopChanged(stopped) {
      if (stopped && !hold.held) {
        setHeld();
        for (const rt of runtimes.values()) publish(rt);
      } else if (!stopped) {
        release([]);
      }
    },
  };
}

/**
 * The killing part of a stop: one snapshot of the targets, graceful request family by family, wait up
 * to the grace period watching the process list, force the rest, then re-scan until nothing is left
 * (killing anything of a stop family that appeared meanwhile) or report each survivor with its reason.
 * A failing signal or re-scan is recorded in `errors` and the stop goes on: a graceful step that throws
 * must not cost the forced kill. After `settle` (the Task Scheduler disables) it scans once more, so a
 * bot a task launched after the verify ended is stopped too.
 */
import type { StopCounts, StopPhase, StopSurvivor } from '../../../shared/api/stop.js';
import type { ProcessInfo, ProcessKiller, ProcessSource, SignalOutcome } from '../platform/index.js';
import { inKillOrder, LAUNCHER_FAMILY, protectedPids, type StopTarget, selectTargets } from './targets.js';

export type Classify = (processes: readonly ProcessInfo[]) => ReadonlyMap<string, readonly ProcessInfo[]>;

export interface KillOptions {
  processes: ProcessSource;
  killer: ProcessKiller;
  classify: Classify;
  stopFamilies: readonly string[];
  /** `bots.folders`: a batch file running from one is a target (see selectTargets). */
  botFolders?: readonly string[];
  selfPid: number;
  graceMs: number;
  verifyMs: number;
  pollMs: number;
  /** Monotonic milliseconds for deadlines (performance.now). */
  monotonic: () => number;
  /** Work that may still launch bots (Task Scheduler disables): awaited, then one more scan and kill. */
  settle?: Promise<unknown>;
  onPhase(phase: StopPhase, counts: StopCounts, remaining: number, message?: string): void;
}

export interface KillResult {
  counts: StopCounts;
  survivors: StopSurvivor[];
  byFamily: Record<string, number>;
  /** Steps that failed without ending the stop (a signal call or a re-scan that threw). */
  errors: string[];
  /** Monotonic times at which each phase began. */
  marks: Partial<Record<StopPhase, number>>;
}

/** Same process as the target: PID and start time (1 s tolerance, as the platform killer uses). */
function sameProcess(p: ProcessInfo, t: StopTarget): boolean {
  return Math.abs(p.startTime - t.startTime) <= 1000;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function killTargets(opts: KillOptions): Promise<KillResult> {
  const marks: Partial<Record<StopPhase, number>> = {};
  marks.snapshot = opts.monotonic();
  const snapshot = await opts.processes.list();
  const protectedSet = protectedPids(snapshot, opts.selfPid);
  const selectOptions = { botFolders: opts.botFolders ?? [] };
  const selection = selectTargets(
    snapshot,
    opts.classify(snapshot),
    opts.stopFamilies,
    protectedSet,
    selectOptions,
  );
  const known = new Map<number, StopTarget>(selection.targets.map((t) => [t.pid, t]));
  const byFamily = { ...selection.byFamily };
  const forceSent = new Set<number>();
  const lastOutcome = new Map<number, SignalOutcome>();
  let alive = new Map<number, ProcessInfo>();
  const errors: string[] = [];
  const failed = (what: string, err: unknown): string => {
    const text = `${what}: ${err instanceof Error ? err.message : String(err)}`;
    if (!errors.includes(text)) errors.push(text);
    return text;
  };

  const counts = (): StopCounts => {
    let forced = 0;
    for (const pid of forceSent) if (!alive.has(pid)) forced++;
    return { targets: known.size, stopped: known.size - alive.size, forced, survivors: alive.size };
  };
  const phase = (p: StopPhase, message?: string) => {
    marks[p] ??= opts.monotonic();
    opts.onPhase(p, counts(), alive.size, message);
  };

  /** Re-lists processes; returns the targets still alive (zombies count as gone). */
  const rescan = async (): Promise<ProcessInfo[]> => {
    const list = await opts.processes.list();
    const next = new Map<number, ProcessInfo>();
    for (const p of list) {
      const t = known.get(p.pid);
      if (t && sameProcess(p, t) && p.state !== 'zombie') next.set(p.pid, p);
    }
    alive = next;
    return list;
  };

  /** Signals family by family; a group whose call throws is recorded and the next group still goes. */
  const send = async (targets: StopTarget[], mode: 'graceful' | 'force') => {
    for (const group of inKillOrder(targets, opts.stopFamilies)) {
      try {
        const outcomes = await opts.killer.stop(
          group.map((t) => ({ pid: t.pid, startTime: t.startTime })),
          mode,
        );
        for (const o of outcomes) lastOutcome.set(o.pid, o);
        if (mode === 'force') for (const t of group) forceSent.add(t.pid);
      } catch (err) {
        const detail = failed(`${mode} stop of ${group[0]?.family ?? '?'}`, err);
        for (const t of group) lastOutcome.set(t.pid, { pid: t.pid, result: 'error', detail });
      }
    }
  };

  /** Polls until no target is alive or the deadline passes; reports progress when the count changes. */
  const waitGone = async (
    deadline: number,
    p: StopPhase,
    onList?: (list: ProcessInfo[]) => Promise<void>,
  ) => {
    let reported = alive.size;
    // Processes usually exit within milliseconds of the signal: look again soon, then back off.
    let interval = Math.min(10, opts.pollMs);
    for (;;) {
      let list: ProcessInfo[] | null = null;
      try {
        list = await rescan();
      } catch (err) {
        // The targets last seen alive stay "alive": they are forced and, if nothing else, reported.
        failed('process re-scan', err);
      }
      if (list && onList) await onList(list);
      if (alive.size !== reported) {
        reported = alive.size;
        opts.onPhase(p, counts(), alive.size);
      }
      if (alive.size === 0 || opts.monotonic() >= deadline) return;
      await sleep(Math.min(interval, Math.max(1, deadline - opts.monotonic())));
      interval = Math.min(interval * 2, opts.pollMs);
    }
  };

  const snapshotByPid = new Map(snapshot.map((p) => [p.pid, p]));
  for (const t of selection.targets) {
    const p = snapshotByPid.get(t.pid);
    if (p && p.state !== 'zombie') alive.set(t.pid, p);
  }
  phase('snapshot', `${known.size} target(s)`);

  if (opts.graceMs > 0 && alive.size > 0) {
    await send(
      [...known.values()].filter((t) => alive.has(t.pid)),
      'graceful',
    );
    phase('graceful');
    await waitGone(opts.monotonic() + opts.graceMs, 'graceful');
    const unacknowledged = notAcknowledged(known, alive, lastOutcome, opts.graceMs);
    if (unacknowledged) errors.push(unacknowledged);
  }

  if (alive.size > 0) {
    await send(
      [...known.values()].filter((t) => alive.has(t.pid)),
      'force',
    );
    phase('force');
  }

  // Verify: re-scan; anything of a stop family (or a child of a target) that appeared since the
  // snapshot is a target too and is forced at once; remaining targets get the forced kill again.
  marks.verify = opts.monotonic();
  opts.onPhase('verify', counts(), alive.size);
  const verifyDeadline = opts.monotonic() + opts.verifyMs;
  let lastForce = opts.monotonic();
  const onVerifyList = async (list: ProcessInfo[]) => {
    const newcomers = findNewcomers(list);
    if (newcomers.length > 0) {
      for (const t of newcomers) {
        known.set(t.pid, t);
        byFamily[t.family] = (byFamily[t.family] ?? 0) + 1;
        const p = list.find((s) => s.pid === t.pid);
        if (p) alive.set(t.pid, p);
      }
      await send(newcomers, 'force');
      opts.onPhase('verify', counts(), alive.size, `${newcomers.length} new target(s)`);
    }
    if (alive.size > 0 && opts.monotonic() - lastForce >= 1000) {
      lastForce = opts.monotonic();
      await send(
        [...known.values()].filter((t) => alive.has(t.pid)),
        'force',
      );
    }
  };
  await waitGone(verifyDeadline, 'verify', onVerifyList);
  if (opts.settle) {
    await opts.settle;
    // One scan (its deadline is now); only a newcomer it forces earns another verify period.
    const before = known.size;
    await waitGone(opts.monotonic(), 'verify', onVerifyList);
    if (known.size > before) await waitGone(opts.monotonic() + opts.verifyMs, 'verify', onVerifyList);
  }

  function findNewcomers(list: ProcessInfo[]): StopTarget[] {
    const protectedNow = protectedPids(list, opts.selfPid);
    const fresh = selectTargets(
      list,
      opts.classify(list),
      opts.stopFamilies,
      protectedNow,
      selectOptions,
    ).targets;
    const byPid = new Map(list.map((p) => [p.pid, p]));
    // A PID already known is a target or a reuse of one; either way it is not new.
    return fresh.filter((t) => !known.has(t.pid) && byPid.get(t.pid)?.state !== 'zombie');
  }

  const survivors: StopSurvivor[] = [...alive.values()].map((p) => ({
    pid: p.pid,
    name: p.name,
    family: known.get(p.pid)?.family ?? 'unknown',
    reason: survivorReason(p, lastOutcome.get(p.pid)),
  }));
  return { counts: counts(), survivors, byFamily, errors, marks };
}

/**
 * Targets that were sent the graceful request (it reached them: 'sent') but are still there after the
 * grace period, as one line for the stop's result; null when there are none. "Sent" is not "received":
 * a process started in its own process group ignores a console Ctrl+C, and Python on Windows does not
 * raise KeyboardInterrupt while blocked in Thread.join() or Event.wait(). Launchers are left out: a
 * cmd.exe waits at "Terminate batch job (Y/N)?" by design and is forced like this every time.
 */
export function notAcknowledged(
  known: ReadonlyMap<number, StopTarget>,
  alive: ReadonlyMap<number, ProcessInfo>,
  outcomes: ReadonlyMap<number, SignalOutcome>,
  graceMs: number,
): string | null {
  const ignored = [...alive.values()].filter((p) => {
    const target = known.get(p.pid);
    return target && target.family !== LAUNCHER_FAMILY && outcomes.get(p.pid)?.result === 'sent';
  });
  if (ignored.length === 0) return null;
  const shown = ignored
    .slice(0, 10)
    .map((p) => {
      const how = outcomes.get(p.pid)?.detail;
      return `PID ${p.pid} ${p.name} (${known.get(p.pid)?.family}${how ? `, ${how}` : ''})`;
    })
    .join(', ');
  const more = ignored.length > 10 ? ` and ${ignored.length - 10} more` : '';
  return (
    `graceful stop not acknowledged: ${shown}${more} did not exit within ${graceMs / 1000} s and ` +
    'were forced (a process in its own process group ignores Ctrl+C; so does Python blocked in ' +
    'Thread.join() or Event.wait())'
  );
}

export function survivorReason(p: ProcessInfo, outcome: SignalOutcome | undefined): string {
  if (outcome?.result === 'denied') return `access denied${outcome.detail ? ` (${outcome.detail})` : ''}`;
  if (outcome?.result === 'error') return `kill failed: ${outcome.detail ?? 'unknown error'}`;
  if (p.state === 'disk-sleep') return 'still running after a forced kill: waiting on the disk (D state)';
  if (p.state === 'stopped') return 'still running after a forced kill: process is suspended';
  return 'still running after a forced kill';
}

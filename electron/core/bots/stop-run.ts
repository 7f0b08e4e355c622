/**
 * Ending one supervised run the way the emergency stop ends a family, through the stop's target
 * selection and the platform killer (their doors): the run's tree is every descendant of its relay
 * (parent links checked against start times, Nexus Ops and its ancestors never included); Ctrl+C /
 * SIGINT first, force after the grace period, again every second while anything is left, and finally
 * the relay itself. The relay records the end in run.json; `ended()` reads it.
 */
import type { ProcessInfo, ProcessKiller, ProcessSource, ProcessTarget } from '../platform/index.js';
import { protectedPids, selectTargets } from '../stop/index.js';

/** The processes a run is known by (from run.json, or the spawn). */
export interface RunProcesses {
  relayPid: number | null;
  relayStartedAt: number | null;
  botPid: number | null;
  botStartedAt: number | null;
}

/** PID + creation time tolerance: the relay and the platform read start times differently (btime rounding). */
export const SAME_START_MS = 2500;

export function sameStart(a: number, b: number | null): boolean {
  return b === null || Math.abs(a - b) <= SAME_START_MS;
}

/** The relay as listed, and the targets of a run's tree: the relay's descendants (or the bot's own tree). */
export function runTree(
  list: readonly ProcessInfo[],
  run: RunProcesses,
  selfPid: number,
): { relay: ProcessInfo | undefined; targets: ProcessTarget[] } {
  const relay =
    run.relayPid !== null
      ? list.find((p) => p.pid === run.relayPid && sameStart(p.startTime, run.relayStartedAt))
      : undefined;
  let roots: ProcessInfo[] = [];
  if (relay) {
    roots = list.filter(
      (p) => p.ppid === relay.pid && p.pid !== relay.pid && p.startTime >= relay.startTime - 1000,
    );
  } else if (run.botPid !== null) {
    roots = list.filter((p) => p.pid === run.botPid && sameStart(p.startTime, run.botStartedAt));
  }
  if (roots.length === 0) return { relay, targets: [] };
  const protect = protectedPids(list, selfPid);
  if (relay) protect.add(relay.pid);
  const { targets } = selectTargets(list, new Map([['bot', roots]]), ['bot'], protect);
  return { relay, targets: targets.map((t) => ({ pid: t.pid, startTime: t.startTime })) };
}

export interface StopRunOptions {
  run: RunProcesses;
  processes: ProcessSource;
  killer: ProcessKiller;
  selfPid: number;
  graceMs: number;
  /** After the first forced kill, how long to keep forcing what is left. */
  verifyMs: number;
  pollMs: number;
  /** Whether the run has ended (run.json says so, or the relay is gone). */
  ended(): boolean;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves true once the run has ended, false if even the forced relay did not end it. */
export async function stopRunTree(o: StopRunOptions): Promise<boolean> {
  let lastRelay: ProcessInfo | undefined;
  const send = async (mode: 'graceful' | 'force'): Promise<boolean> => {
    const { relay, targets } = runTree(await o.processes.list(), o.run, o.selfPid);
    if (relay) lastRelay = relay;
    if (targets.length === 0) return false;
    await o.killer.stop(targets, mode);
    return true;
  };
  /** Polls for the end; `each` runs at most every `everyMs` until it returns true. */
  const waitEnd = async (ms: number, each?: () => Promise<boolean>, everyMs = 0): Promise<boolean> => {
    const deadline = performance.now() + ms;
    let lastEach = Number.NEGATIVE_INFINITY;
    while (!o.ended() && performance.now() < deadline) {
      if (each && performance.now() - lastEach >= everyMs) {
        lastEach = performance.now();
        if (await each()) each = undefined;
      }
      await sleep(o.pollMs);
    }
    return o.ended();
  };

  // Graceful: the signal goes out as soon as the bot's processes exist (a run may still be starting).
  if (o.graceMs > 0 && (await waitEnd(o.graceMs, () => send('graceful')))) return true;
  await send('force');
  const forceAgain = async () => {
    await send('force');
    return false;
  };
  if (await waitEnd(o.verifyMs, forceAgain, 1000)) return true;
  // The relay itself does not end (hung on a pipe): force it, with the start time the platform lists.
  if (lastRelay) await o.killer.stop([{ pid: lastRelay.pid, startTime: lastRelay.startTime }], 'force');
  return waitEnd(2000);
}

import type { RunCommand } from '../run.js';
import type { ProcessKiller, ProcessTarget, SignalOutcome, StopMode } from '../types.js';
import { ctrlCAllowedPids, ctrlCHelperArgs, parseCtrlCHelperOutput } from './console-ctrl.js';
import type { ProcessEntry } from './decode.js';
import { parseTaskkillOutput, TASKKILL_MAX_PIDS, taskkillArgs } from './taskkill.js';
import type { Win32Api } from './win32.js';

export interface CtrlCHelper {
  /** Node or Electron binary that runs the helper script (Electron with ELECTRON_RUN_AS_NODE=1). */
  nodePath: string;
  /** Resolved path of koffi's entry file, required by the helper. */
  koffiPath: string;
}

export interface WindowsKillerOptions {
  win32: () => Promise<Win32Api>;
  run: RunCommand;
  /** Full path of taskkill.exe (never looked up on PATH). */
  taskkillPath: string;
  selfPid: number;
  /** Console Ctrl+C for graceful stops; null sends taskkill without /F instead. */
  ctrlC: CtrlCHelper | null;
}

/**
 * Stops Windows processes: verifies each target's creation time first (PID reuse), then for a graceful
 * stop tries a console Ctrl+C and sends taskkill (no /F) to the rest; a force stop is taskkill /F.
 * Neither uses /T: the targets already are the whole tree (see taskkillArgs). Nexus Ops itself and its
 * ancestors are never signalled.
 */
export class WindowsProcessKiller implements ProcessKiller {
  constructor(private readonly options: WindowsKillerOptions) {}

  async stop(targets: ProcessTarget[], mode: StopMode): Promise<SignalOutcome[]> {
    const api = await this.options.win32();
    const snapshot = api.snapshotProcesses();
    const protectedPids = ancestorsAndSelf(api, snapshot, this.options.selfPid);
    const outcomes = new Map<number, SignalOutcome>();
    const verified: number[] = [];

    for (const target of targets) {
      const outcome = this.verify(api, snapshot, protectedPids, target);
      if (outcome) outcomes.set(target.pid, outcome);
      else verified.push(target.pid);
    }

    let forTaskkill = verified;
    if (mode === 'graceful' && this.options.ctrlC && verified.length > 0) {
      forTaskkill = [];
      for (const result of await this.sendCtrlC(this.options.ctrlC, snapshot, verified)) {
        if (result.sent) {
          outcomes.set(result.pid, { pid: result.pid, result: 'sent', detail: 'console Ctrl+C' });
        } else {
          forTaskkill.push(result.pid);
        }
      }
    }

    for (let start = 0; start < forTaskkill.length; start += TASKKILL_MAX_PIDS) {
      const chunk = forTaskkill.slice(start, start + TASKKILL_MAX_PIDS);
      const { code, stdout, stderr } = await this.options.run(
        this.options.taskkillPath,
        taskkillArgs(chunk, mode),
      );
      for (const outcome of parseTaskkillOutput(stdout, stderr, chunk, code)) {
        outcomes.set(outcome.pid, outcome);
      }
    }

    return targets.map(
      (target) => outcomes.get(target.pid) ?? { pid: target.pid, result: 'error', detail: 'not attempted' },
    );
  }

  private verify(
    api: Win32Api,
    snapshot: readonly ProcessEntry[],
    protectedPids: ReadonlySet<number>,
    target: ProcessTarget,
  ): SignalOutcome | null {
    const { pid } = target;
    if (protectedPids.has(pid)) {
      return { pid, result: 'error', detail: 'Nexus Ops itself or one of its ancestors: not stopped' };
    }
    const details = api.queryProcess(pid, false);
    if (!details) {
      return snapshot.some((entry) => entry.pid === pid)
        ? { pid, result: 'denied', detail: 'cannot open the process to verify its start time' }
        : { pid, result: 'gone' };
    }
    if (!details.alive) return { pid, result: 'gone' };
    if (details.startTime !== target.startTime) {
      return { pid, result: 'gone', detail: 'pid reused by another process' };
    }
    return null;
  }

  private async sendCtrlC(helper: CtrlCHelper, snapshot: readonly ProcessEntry[], pids: number[]) {
    const allowed = ctrlCAllowedPids(snapshot, pids, this.options.selfPid);
    const { stdout } = await this.options.run(
      helper.nodePath,
      ctrlCHelperArgs(helper.koffiPath, pids, allowed),
      {
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      },
    );
    return parseCtrlCHelperOutput(stdout, pids);
  }
}

/**
 * Our own PID and the chain of live parents above it. Windows keeps a dead parent's PID in its children,
 * and that PID may since belong to an unrelated process: a real parent was created before its child,
 * so the walk stops at the first "parent" younger than the process above which it was found.
 */
function ancestorsAndSelf(api: Win32Api, snapshot: readonly ProcessEntry[], selfPid: number): Set<number> {
  const parentOf = new Map(snapshot.map((entry) => [entry.pid, entry.ppid]));
  const chain = new Set<number>([selfPid]);
  let childStart = api.queryProcess(selfPid, false)?.startTime ?? Number.POSITIVE_INFINITY;
  let current = parentOf.get(selfPid);
  while (current !== undefined && current !== 0 && !chain.has(current)) {
    const parentStart = api.queryProcess(current, false)?.startTime;
    if (parentStart !== undefined && parentStart > childStart) break;
    chain.add(current);
    childStart = parentStart ?? childStart;
    current = parentOf.get(current);
  }
  return chain;
}

import type { RunCommand } from '../run.js';
import type { ProcessKiller, ProcessTarget, SignalOutcome, StopMode } from '../types.js';
import { ctrlCAllowedPids, ctrlCHelperArgs, parseCtrlCHelperOutput } from './console-ctrl.js';
import type { ProcessEntry } from './decode.js';
import { parseTaskkillOutput, TASKKILL_MAX_PIDS, taskkillArgs } from './taskkill.js';
import type { TerminateOutcome, Win32Api } from './win32.js';

export interface CtrlCHelper {
  /** Node or Electron binary that runs the helper script (Electron with ELECTRON_RUN_AS_NODE=1). */
  nodePath: string;
  /** Resolved path of koffi's entry file, required by the helper (outside app.asar when packaged). */
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

const PROTECTED: SignalOutcome['detail'] = 'Nexus Ops itself or one of its ancestors: not stopped';

/**
 * Stops Windows processes. Every target is checked against its creation time first (PID reuse), and
 * Nexus Ops itself and its live ancestors are never touched.
 *
 * graceful: a console Ctrl+C where the console allows it (the only request both real bots honour),
 * else taskkill without /F (WM_CLOSE for windowed programs; console programs refuse it).
 * force: TerminateProcess on the very handle whose creation time was just checked (psutil's way): no
 * window between check and kill, and no process started per call.
 */
export class WindowsProcessKiller implements ProcessKiller {
  constructor(private readonly options: WindowsKillerOptions) {}

  async stop(targets: ProcessTarget[], mode: StopMode): Promise<SignalOutcome[]> {
    const api = await this.options.win32();
    const snapshot = api.snapshotProcesses();
    const byPid = new Map(snapshot.map((entry) => [entry.pid, entry]));
    const protectedPids = ancestorsAndSelf(byPid, this.options.selfPid);
    const outcomes = new Map<number, SignalOutcome>();

    if (mode === 'force') {
      for (const { pid, startTime } of targets) {
        outcomes.set(
          pid,
          protectedPids.has(pid)
            ? { pid, result: 'error', detail: PROTECTED }
            : forceOutcome(pid, api.terminateProcess(pid, startTime), byPid.get(pid), startTime),
        );
      }
      return targets.map((target) => outcomes.get(target.pid)!);
    }

    const verified: number[] = [];
    for (const { pid, startTime } of targets) {
      const entry = byPid.get(pid);
      if (protectedPids.has(pid)) outcomes.set(pid, { pid, result: 'error', detail: PROTECTED });
      else if (!entry || entry.threads === 0) outcomes.set(pid, { pid, result: 'gone' });
      else if (entry.startTime !== startTime) {
        outcomes.set(pid, { pid, result: 'gone', detail: 'pid reused by another process' });
      } else verified.push(pid);
    }

    let forTaskkill = verified;
    if (this.options.ctrlC && verified.length > 0) {
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
        taskkillArgs(chunk, 'graceful'),
      );
      for (const outcome of parseTaskkillOutput(stdout, stderr, chunk, code)) {
        outcomes.set(outcome.pid, outcome);
      }
    }

    return targets.map(
      (target) => outcomes.get(target.pid) ?? { pid: target.pid, result: 'error', detail: 'not attempted' },
    );
  }

  private async sendCtrlC(helper: CtrlCHelper, snapshot: readonly ProcessEntry[], pids: number[]) {
    // The snapshot carries creation times, so a parent link through a reused PID is not followed.
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

function forceOutcome(
  pid: number,
  outcome: TerminateOutcome,
  entry: ProcessEntry | undefined,
  startTime: number,
): SignalOutcome {
  switch (outcome) {
    case 'terminated':
      return { pid, result: 'sent' };
    case 'gone':
      return { pid, result: 'gone' };
    case 'reused':
      return { pid, result: 'gone', detail: 'pid reused by another process' };
    case 'denied':
      return { pid, result: 'denied', detail: 'access denied: this user may not end the process' };
    case 'cannot-open':
      // Still listed with its creation time: it is there, but not even a limited query is allowed.
      return entry && entry.threads > 0 && entry.startTime === startTime
        ? { pid, result: 'denied', detail: 'cannot open the process (protected)' }
        : { pid, result: 'gone' };
    case 'failed':
      return { pid, result: 'error', detail: 'TerminateProcess failed' };
  }
}

/**
 * Our own PID and the chain of live parents above it. Windows keeps a dead parent's PID in its children,
 * and that PID may since belong to an unrelated process: a real parent was created before its child,
 * so the walk stops at the first "parent" created after the process above which it was found.
 */
function ancestorsAndSelf(byPid: ReadonlyMap<number, ProcessEntry>, selfPid: number): Set<number> {
  const chain = new Set<number>([selfPid]);
  let child = byPid.get(selfPid);
  while (child) {
    const parent = byPid.get(child.ppid);
    if (!parent || chain.has(parent.pid) || parent.pid === child.pid) break;
    if (parent.startTime !== 0 && child.startTime !== 0 && parent.startTime > child.startTime) break;
    chain.add(parent.pid);
    child = parent;
  }
  return chain;
}

/**
 * A console Ctrl+C for Windows bots, the only graceful stop both real bots honour (BOTS.md).
 *
 * GenerateConsoleCtrlEvent only reaches processes on the caller's own console, so the caller must
 * FreeConsole + AttachConsole(target) first. Doing that in Nexus Ops itself would detach it from its own
 * console, so a short-lived helper (our own Node/Electron binary running HELPER_SOURCE with
 * ELECTRON_RUN_AS_NODE=1) does it: per target it attaches, makes itself ignore Ctrl+C
 * (SetConsoleCtrlHandler(NULL, TRUE), again after every attach, as windows-kill and similar tools do,
 * so the event it raises never ends the helper halfway), lists the processes on that console
 * (GetConsoleProcessList), and sends CTRL_C_EVENT only when every one of them is allowed (targets,
 * their descendants and their ancestors, never Nexus Ops or its ancestors). A target without a console
 * (started detached) or sharing one with a foreign process is reported and left to taskkill.
 *
 * "sent" is not "received": a process created with CREATE_NEW_PROCESS_GROUP ignores CTRL_C_EVENT. The
 * stop reports targets still there after the grace period as "not acknowledged" and forces them.
 */

/** The helper, run as `node -e HELPER_SOURCE <koffiPath> <targets csv> <allowed csv>`; prints JSON. */
export const CTRL_C_HELPER_SOURCE = `'use strict';
const [koffiPath, targetCsv, allowedCsv] = process.argv.slice(1);
const koffi = require(koffiPath);
const k32 = koffi.load('kernel32.dll');
const FreeConsole = k32.func('int __stdcall FreeConsole()');
const AttachConsole = k32.func('int __stdcall AttachConsole(uint32_t pid)');
const GetConsoleProcessList = k32.func('uint32_t __stdcall GetConsoleProcessList(void *list, uint32_t count)');
const SetConsoleCtrlHandler = k32.func('int __stdcall SetConsoleCtrlHandler(void *handler, int add)');
const GenerateConsoleCtrlEvent = k32.func('int __stdcall GenerateConsoleCtrlEvent(uint32_t ev, uint32_t group)');
const targets = targetCsv.split(',').filter(Boolean).map(Number);
const allowed = new Set(allowedCsv.split(',').filter(Boolean).map(Number));
allowed.add(process.pid);
const results = {};
const list = Buffer.alloc(4 * 4096);
SetConsoleCtrlHandler(null, 1);
for (const pid of targets) {
  if (results[pid]) continue;
  FreeConsole();
  if (!AttachConsole(pid)) { results[pid] = 'no-console'; continue; }
  SetConsoleCtrlHandler(null, 1);
  const count = Math.min(GetConsoleProcessList(list, 4096), 4096);
  const attached = [];
  for (let i = 0; i < count; i++) attached.push(list.readUInt32LE(i * 4));
  const foreign = attached.filter((p) => !allowed.has(p));
  if (foreign.length > 0) {
    results[pid] = 'shared-console:' + foreign.join(' ');
  } else {
    const outcome = GenerateConsoleCtrlEvent(0, 0) ? 'sent' : 'failed';
    for (const p of attached) if (targets.includes(p)) results[p] = outcome;
    results[pid] = outcome;
  }
  FreeConsole();
}
process.stdout.write(JSON.stringify(results));
`;

/**
 * The packaged app resolves koffi inside `app.asar`, which the helper (plain Node mode) cannot load a
 * native module from; electron-builder unpacks koffi (`asarUnpack`) next to it, in `app.asar.unpacked`.
 */
export function unpackedAsarPath(path: string): string {
  return path.replace(/([\\/])app\.asar(?=[\\/])/, '$1app.asar.unpacked');
}

export function ctrlCHelperArgs(
  koffiPath: string,
  targets: readonly number[],
  allowed: readonly number[],
): string[] {
  return ['-e', CTRL_C_HELPER_SOURCE, koffiPath, targets.join(','), allowed.join(',')];
}

interface ProcessLink {
  pid: number;
  ppid: number;
  /** Creation time; when known, a "parent" created after its child is a reused PID, not the parent. */
  startTime?: number;
}

/**
 * PIDs that may share a console with the targets and still receive the Ctrl+C: the targets, their
 * descendants and ancestors (a cmd.exe running run_bot.bat, pnpm above tsx: what a human Ctrl+C in that
 * window would reach too), minus Nexus Ops itself and its ancestors.
 */
export function ctrlCAllowedPids(
  snapshot: readonly ProcessLink[],
  targets: readonly number[],
  selfPid: number,
): number[] {
  const byPid = new Map(snapshot.map((p) => [p.pid, p]));
  const isRealParent = (child: ProcessLink): boolean => {
    const parent = byPid.get(child.ppid);
    if (!parent || child.pid === child.ppid) return false; // System Idle Process (0) is its own parent
    return !(parent.startTime && child.startTime && parent.startTime > child.startTime);
  };
  const parentOf = new Map<number, number>();
  const childrenOf = new Map<number, number[]>();
  for (const link of snapshot) {
    if (!isRealParent(link)) continue;
    const { pid, ppid } = link;
    parentOf.set(pid, ppid);
    const siblings = childrenOf.get(ppid);
    if (siblings) siblings.push(pid);
    else childrenOf.set(ppid, [pid]);
  }
  const ancestors = (pid: number): number[] => {
    const chain: number[] = [];
    const seen = new Set<number>([pid]);
    let current = parentOf.get(pid);
    while (current !== undefined && !seen.has(current)) {
      chain.push(current);
      seen.add(current);
      current = parentOf.get(current);
    }
    return chain;
  };

  const protectedPids = new Set([selfPid, ...ancestors(selfPid)]);
  const allowed = new Set<number>();
  for (const target of targets) {
    allowed.add(target);
    for (const ancestor of ancestors(target)) allowed.add(ancestor);
    const visited = new Set<number>([target]);
    const stack = [...(childrenOf.get(target) ?? [])];
    while (stack.length > 0) {
      const pid = stack.pop()!;
      if (visited.has(pid)) continue;
      visited.add(pid);
      allowed.add(pid);
      stack.push(...(childrenOf.get(pid) ?? []));
    }
  }
  for (const pid of protectedPids) allowed.delete(pid);
  return [...allowed].sort((a, b) => a - b);
}

export type CtrlCResult = { pid: number; sent: true } | { pid: number; sent: false; reason: string };

/** Reads the helper's JSON; a target it did not report (helper crashed) counts as not sent. */
export function parseCtrlCHelperOutput(stdout: string, targets: readonly number[]): CtrlCResult[] {
  let parsed: Record<string, unknown> = {};
  try {
    const value: unknown = JSON.parse(stdout.trim() || '{}');
    if (value && typeof value === 'object') parsed = value as Record<string, unknown>;
  } catch {
    // not JSON: every target falls back to taskkill
  }
  return targets.map((pid) => {
    const outcome = parsed[String(pid)];
    if (outcome === 'sent') return { pid, sent: true };
    return {
      pid,
      sent: false,
      reason: typeof outcome === 'string' ? outcome : 'no answer from Ctrl+C helper',
    };
  });
}

/**
 * Which processes an emergency stop kills, from ONE snapshot: the processes of every stop family (in
 * the families' order) and every descendant of them found through parent links in that same snapshot.
 * A child whose parent already died is still found when its family matches it on its own (a bot Chrome
 * by its profile path). Above each of them, the launchers that started it (a `cmd.exe /c run_bot.bat`,
 * pnpm and the shell it runs scripts in) are targets too, up to the first process that is not one
 * (Task Scheduler's svchost/taskhostw, the operator's terminal): see `launcherKind`. Nexus Ops itself,
 * its ancestors, and PID 0/1 are never targets. Pure.
 */
import { normalizeFolder } from '../monitor/index.js';
import type { ProcessInfo } from '../platform/index.js';

export interface StopTarget {
  pid: number;
  ppid: number;
  startTime: number;
  name: string;
  /** Its own stop family, or the family of the tree it belongs to, or LAUNCHER_FAMILY. */
  family: string;
  /** Family whose tree it was taken with: decides the kill order. */
  group: string;
}

/**
 * The family reported for launchers above a bot. A launcher is expected to outlive the Ctrl+C (cmd.exe
 * waits at "Terminate batch job (Y/N)?"), so it is forced after the grace period like any survivor.
 */
export const LAUNCHER_FAMILY = 'bot-launcher';

/** 1 s of slack: Linux start times come from a whole-second boot time plus ticks. */
const START_SLACK_MS = 1000;

/** A parent link is real when the parent did not start after the child (else the PID was reused). */
function isRealParent(parent: ProcessInfo, child: ProcessInfo): boolean {
  if (parent.pid === child.pid) return false;
  // 0 = unknown start time (a process the platform could not read): nothing to compare.
  if (parent.startTime === 0 || child.startTime === 0) return true;
  return parent.startTime <= child.startTime + START_SLACK_MS;
}

/**
 * Nexus Ops and its live ancestors in the snapshot, plus PID 0 and 1. The walk stops at a parent that
 * is gone or started after its child: Windows keeps a dead parent's PID in the child's entry, and a
 * process that reuses that PID later (a bot, after hours of Chrome churn) is no ancestor of ours.
 */
export function protectedPids(processes: readonly ProcessInfo[], selfPid: number): Set<number> {
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  const result = new Set<number>([0, 1, selfPid]);
  let current = byPid.get(selfPid);
  while (current) {
    const parent = byPid.get(current.ppid);
    if (!parent || result.has(parent.pid) || !isRealParent(parent, current)) break;
    result.add(parent.pid);
    current = parent;
  }
  return result;
}

/** Parent → children, keeping only links where the child started no earlier than its parent (PID reuse). */
export function childrenIndex(processes: readonly ProcessInfo[]): Map<number, ProcessInfo[]> {
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  const children = new Map<number, ProcessInfo[]>();
  for (const p of processes) {
    const parent = byPid.get(p.ppid);
    if (!parent || parent.pid === p.pid || p.startTime < parent.startTime) continue;
    const list = children.get(parent.pid);
    if (list) list.push(p);
    else children.set(parent.pid, [p]);
  }
  return children;
}

function baseName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.exe') ? lower.slice(0, -4) : lower;
}

// cmd.exe runs its command and exits only with /C (or its alias /R); /K and no switch are interactive.
const CMD_RUNS_AND_EXITS = /(?:^|\s)\/[cr](?=\s|"|$)/i;
const BATCH_FILE = /\.(?:bat|cmd)$/i;
// PowerShell runs a script or command non-interactively unless -NoExit (prefixes accepted: -noe).
const POWERSHELL_RUNS = /(?:^|\s)[-/](?:file|f|command|c|encodedcommand|enc|ec)(?=\s|$)|\.ps1\b/i;
const POWERSHELL_NO_EXIT = /(?:^|\s)[-/]noe(?:x(?:it?)?)?(?=\s|$)/i;
// pnpm, npm, npx and yarn, as their own executables or as node running their entry script.
const PACKAGE_RUNNER_EXE = /^(?:pnpm|npm|npx|yarn|corepack)$/;
const PACKAGE_RUNNER_SCRIPT =
  /[\\/](?:pnpm\.c?js|npm-cli\.js|npx-cli\.js|yarn\.c?js|corepack\.c?js)(?=["\s]|$)|[\\/]node_modules[\\/](?:pnpm|npm|yarn|corepack)[\\/]bin[\\/]/i;

export type LauncherKind = 'shell' | 'package-runner';

/**
 * Whether a process is a launcher that a stop takes along with the bot below it: a non-interactive
 * Windows shell (`cmd.exe /c …`, `powershell -File …`) or a package runner (pnpm, npm, npx, yarn). A
 * `cmd.exe` running a batch file is the reason: after the bot exits on Ctrl+C it waits at "Terminate
 * batch job (Y/N)?" on a console nobody sees, so its Task Scheduler instance stays Running and skips
 * every later trigger. An interactive shell (the operator's terminal) is never a launcher.
 */
export function launcherKind(p: ProcessInfo): LauncherKind | null {
  const exe = baseName(p.name);
  if (exe === 'cmd') return CMD_RUNS_AND_EXITS.test(p.cmdline) ? 'shell' : null;
  if (exe === 'powershell' || exe === 'pwsh') {
    return POWERSHELL_RUNS.test(p.cmdline) && !POWERSHELL_NO_EXIT.test(p.cmdline) ? 'shell' : null;
  }
  if (PACKAGE_RUNNER_EXE.test(exe)) return 'package-runner';
  if (exe === 'node' && PACKAGE_RUNNER_SCRIPT.test(p.cmdline)) return 'package-runner';
  return null;
}

/** The batch file a non-interactive `cmd.exe` runs (as written: absolute or relative), or null. */
export function batchFileOf(p: ProcessInfo): string | null {
  if (baseName(p.name) !== 'cmd') return null;
  const runSwitch = CMD_RUNS_AND_EXITS.exec(p.cmdline);
  if (!runSwitch) return null;
  // CreateProcess on a .bat gives `cmd.exe /c ""C:\A B\run_bot.bat" args"`: one quote too many.
  const command = p.cmdline
    .slice(runSwitch.index + runSwitch[0].length)
    .trimStart()
    .replace(/^"(?=")/, '');
  const end = command.startsWith('"') ? command.indexOf('"', 1) : command.search(/\s/);
  const program = command.startsWith('"')
    ? command.slice(1, end < 0 ? undefined : end)
    : command.slice(0, end < 0 ? undefined : end);
  return BATCH_FILE.test(program) ? program : null;
}

function isUnderFolder(path: string, folders: readonly string[]): boolean {
  // Relative paths (cmd /c run_bot.bat with a "Start in" folder) cannot be placed: the ancestor walk
  // still finds such a shell above a running bot.
  if (!/^(?:[a-z]:[\\/]|[\\/]{2}|\/)/i.test(path)) return false;
  const normalized = normalizeFolder(path);
  return folders.some((f) => normalized.startsWith(f.endsWith('/') ? f : `${f}/`));
}

export interface TargetSelection {
  /** Kill order: family by family, each tree launchers first, then parent before children. */
  targets: StopTarget[];
  byFamily: Record<string, number>;
}

export interface SelectOptions {
  /**
   * `bots.folders`: a `cmd.exe /c` running a batch file under one of them is a target even with no bot
   * below it (a restart loop between two runs), taken with the first stop family.
   */
  botFolders?: readonly string[];
}

export function selectTargets(
  processes: readonly ProcessInfo[],
  classified: ReadonlyMap<string, readonly ProcessInfo[]>,
  stopFamilies: readonly string[],
  protectedSet: ReadonlySet<number>,
  options: SelectOptions = {},
): TargetSelection {
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  const children = childrenIndex(processes);
  const ownFamily = new Map<number, string>();
  for (const family of stopFamilies) {
    for (const p of classified.get(family) ?? []) if (!ownFamily.has(p.pid)) ownFamily.set(p.pid, family);
  }

  const taken = new Map<number, StopTarget>();
  const targets: StopTarget[] = [];
  const take = (p: ProcessInfo, family: string, group: string) => {
    const target: StopTarget = {
      pid: p.pid,
      ppid: p.ppid,
      startTime: p.startTime,
      name: p.name,
      family,
      group,
    };
    taken.set(p.pid, target);
    targets.push(target);
  };

  /** Launchers above `p`, nearest first, up to the first process that is none (or is protected). */
  const launchersAbove = (p: ProcessInfo): ProcessInfo[] => {
    const chain: ProcessInfo[] = [];
    let current = p;
    for (let steps = 0; steps < 64; steps++) {
      const parent = byPid.get(current.ppid);
      if (!parent || protectedSet.has(parent.pid) || !isRealParent(parent, current)) break;
      if (!launcherKind(parent)) break;
      chain.push(parent);
      current = parent;
    }
    return chain;
  };
  /** The launchers above `p` (outermost first, so nothing they run can start again), then `p`'s tree. */
  const takeTree = (root: ProcessInfo, group: string, rootFamily?: string) => {
    if (taken.has(root.pid) || protectedSet.has(root.pid)) return;
    for (const launcher of launchersAbove(root).reverse()) {
      if (!taken.has(launcher.pid)) take(launcher, LAUNCHER_FAMILY, group);
    }
    const queue: ProcessInfo[] = [root];
    let first = true;
    while (queue.length > 0) {
      const p = queue.shift()!;
      if (taken.has(p.pid) || protectedSet.has(p.pid)) continue;
      take(p, (first && rootFamily) || (ownFamily.get(p.pid) ?? group), group);
      first = false;
      // A batch shell is taken alone: its other children include its console host (conhost.exe), whose
      // end would close the console under a bot still cleaning up after its Ctrl+C.
      if (rootFamily === LAUNCHER_FAMILY) break;
      for (const child of children.get(p.pid) ?? []) queue.push(child);
    }
  };

  const firstGroup = stopFamilies[0];
  const folders = (options.botFolders ?? []).map(normalizeFolder).filter((f) => f !== '');
  if (firstGroup !== undefined && folders.length > 0) {
    const batchShells = processes
      .filter((p) => !protectedSet.has(p.pid) && !taken.has(p.pid))
      .filter((p) => {
        const batch = batchFileOf(p);
        return batch !== null && isUnderFolder(batch, folders);
      })
      .sort((a, b) => a.startTime - b.startTime);
    for (const shell of batchShells) takeTree(shell, firstGroup, LAUNCHER_FAMILY);
  }

  for (const group of stopFamilies) {
    const roots = [...(classified.get(group) ?? [])].sort((a, b) => a.startTime - b.startTime);
    for (const root of roots) takeTree(root, group);
  }

  const byFamily: Record<string, number> = {};
  for (const t of targets) byFamily[t.family] = (byFamily[t.family] ?? 0) + 1;
  return { targets, byFamily };
}

/** Targets grouped by kill group, in the stop families' order (runners first so nothing respawns). */
export function inKillOrder(targets: readonly StopTarget[], stopFamilies: readonly string[]): StopTarget[][] {
  const groups = stopFamilies.map((family) => targets.filter((t) => t.group === family));
  const known = new Set(stopFamilies);
  const rest = targets.filter((t) => !known.has(t.group));
  return [...groups, rest].filter((g) => g.length > 0);
}

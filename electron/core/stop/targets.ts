/**
 * Which processes an emergency stop kills, from ONE snapshot: the processes of every stop family (in
 * the families' order) and every descendant of them found through parent links in that same snapshot.
 * A child whose parent already died is still found when its family matches it on its own (a bot Chrome
 * by its profile path). Nexus Ops itself, its ancestors, and PID 0/1 are never targets. Pure.
 */
import type { ProcessInfo } from '../platform/index.js';

export interface StopTarget {
  pid: number;
  ppid: number;
  startTime: number;
  name: string;
  /** Its own stop family, or the family of the tree it belongs to. */
  family: string;
  /** Family whose tree it was taken with: decides the kill order. */
  group: string;
}

/** Nexus Ops and every ancestor of it in the snapshot, plus PID 0 and 1. */
export function protectedPids(processes: readonly ProcessInfo[], selfPid: number): Set<number> {
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  const result = new Set<number>([0, 1, selfPid]);
  let current = byPid.get(selfPid);
  while (current && !result.has(current.ppid)) {
    result.add(current.ppid);
    current = byPid.get(current.ppid);
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

export interface TargetSelection {
  /** Kill order: family by family, each tree parent before children. */
  targets: StopTarget[];
  byFamily: Record<string, number>;
}

export function selectTargets(
  processes: readonly ProcessInfo[],
  classified: ReadonlyMap<string, readonly ProcessInfo[]>,
  stopFamilies: readonly string[],
  protectedSet: ReadonlySet<number>,
): TargetSelection {
  const children = childrenIndex(processes);
  const ownFamily = new Map<number, string>();
  for (const family of stopFamilies) {
    for (const p of classified.get(family) ?? []) if (!ownFamily.has(p.pid)) ownFamily.set(p.pid, family);
  }

  const taken = new Map<number, StopTarget>();
  const targets: StopTarget[] = [];
  for (const group of stopFamilies) {
    const roots = [...(classified.get(group) ?? [])].sort((a, b) => a.startTime - b.startTime);
    for (const root of roots) {
      const queue: ProcessInfo[] = [root];
      while (queue.length > 0) {
        const p = queue.shift()!;
        if (taken.has(p.pid) || protectedSet.has(p.pid)) continue;
        const target: StopTarget = {
          pid: p.pid,
          ppid: p.ppid,
          startTime: p.startTime,
          name: p.name,
          family: ownFamily.get(p.pid) ?? group,
          group,
        };
        taken.set(p.pid, target);
        targets.push(target);
        for (const child of children.get(p.pid) ?? []) queue.push(child);
      }
    }
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

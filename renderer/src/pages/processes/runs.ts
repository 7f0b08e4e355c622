import type { ProcessInstance } from '../../../../shared/api/monitor.js';

/** Runs in the order they started, each run's processes together, its first process first. */
export function sortByRun(instances: readonly ProcessInstance[]): ProcessInstance[] {
  const runStart = new Map<number, number>();
  for (const p of instances) {
    const known = runStart.get(p.runPid);
    if (known === undefined || p.startTime < known) runStart.set(p.runPid, p.startTime);
  }
  return [...instances].sort(
    (a, b) =>
      runStart.get(a.runPid)! - runStart.get(b.runPid)! ||
      a.runPid - b.runPid ||
      Number(b.pid === b.runPid) - Number(a.pid === a.runPid) ||
      a.startTime - b.startTime ||
      a.pid - b.pid,
  );
}

import type { FamilySummary, ProcessInstance } from '../../../shared/api/monitor.js';
import type { FamilyDef } from '../../../shared/config/monitor.js';
import type { Sample } from '../../../shared/series.js';
import type { Platform, ProcessInfo } from '../platform/index.js';
import { maskSecrets } from '../secrets/index.js';
import { classifyProcesses, findOrphans, runsOf } from './families.js';
import type { LeakTrend } from './leak.js';

export interface ProcessScan {
  ts: number;
  families: FamilySummary[];
  /** The instances of one family in this scan (built on demand: most scans are never looked at). */
  instancesOf(family: string): ProcessInstance[];
  samples: Sample[];
  /** Processes seen in this scan. */
  total: number;
  /** PIDs in at least one family. */
  memberPids: ReadonlySet<number>;
  /**
   * The processes the next scan must read afresh: members that used CPU, are not plainly asleep or
   * hung, and each idle member once in IDLE_MEMBER_EVERY scans (their CPU % is then the mean since).
   */
  watchPids: ReadonlySet<number>;
}

export interface ProcessTrackerOptions {
  /** Logical CPUs: a process's CPU % is its share of the whole machine, as Task Manager shows it. */
  cpuCount: number;
  platformKind: Platform['kind'];
  hungAfterMs: number;
}

/** What the tracker remembers of a process between scans (keyed by pid, checked against start time). */
interface Seen {
  /** The snapshot object last seen; a watch scan hands the same object back for an unread process. */
  info: ProcessInfo | null;
  startTime: number;
  cpuTimeMs: number;
  ts: number;
  /** This scan's CPU % of the machine (0 when not read again) and whether it counts as hung. */
  cpuPct: number;
  hung: boolean;
  /** Start of an unbroken run of D-state scans, and its length. */
  diskSleepSince: number;
  diskSleepScans: number;
  maskedFor?: string;
  masked?: string;
  scan: number;
}

const NO_PIDS: ReadonlySet<number> = new Set();

/**
 * A family member that slept through its last reading with no CPU used is read again in one scan out of
 * this many (spread by pid), on sources that can skip it (ProcessSource.watch): forty sleeping bot
 * workers cost a third of the reads, and one that wakes shows its CPU within this many seconds.
 */
const IDLE_MEMBER_EVERY = 3;
const NO_RUNS: ReadonlyMap<number, number> = new Map();

/** Who is who in one scan: family members, their runs and orphans, by pid. */
interface Layout {
  families: readonly FamilyDef[];
  foldersKey: string;
  membersByFamily: Map<string, number[]>;
  memberPids: Set<number>;
  orphansByFamily: Map<string, ReadonlySet<number>>;
  runsByFamily: Map<string, ReadonlyMap<number, number>>;
  runCounts: Map<string, number>;
}

function computeLayout(
  processes: readonly ProcessInfo[],
  families: readonly FamilyDef[],
  botFolders: readonly string[],
  foldersKey: string,
): Layout {
  const classified = classifyProcesses(processes, families, { botFolders });
  const byPid = new Map<number, ProcessInfo>();
  for (const p of processes) byPid.set(p.pid, p);
  const layout: Layout = {
    families,
    foldersKey,
    membersByFamily: new Map(),
    memberPids: new Set(),
    orphansByFamily: new Map(),
    runsByFamily: new Map(),
    runCounts: new Map(),
  };
  for (const family of families) {
    const members = classified.get(family.name) ?? [];
    layout.membersByFamily.set(
      family.name,
      members.map((p) => p.pid),
    );
    for (const p of members) layout.memberPids.add(p.pid);
    if (family.orphanWithout) {
      const runners = classified.get(family.orphanWithout) ?? [];
      const orphans = findOrphans(members, runners, processes, byPid).map((p) => p.pid);
      layout.orphansByFamily.set(family.name, new Set(orphans));
    }
    const runs = runsOf(members, byPid);
    layout.runsByFamily.set(family.name, runs);
    layout.runCounts.set(family.name, new Set(runs.values()).size);
  }
  return layout;
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

/**
 * Turns successive process snapshots into per-family figures. Keeps per-process state between scans
 * (CPU time for deltas, D-state runs, the masked command line) keyed by pid + start time, so a reused
 * PID starts fresh. No IO: the caller passes each snapshot in.
 */
export function createProcessTracker(opts: ProcessTrackerOptions) {
  const seen = new Map<number, Seen>();
  let lastTs: number | undefined;
  let scanNumber = 0;
  // forEach with a named callback: a for…of over the map would allocate an entry array per process.
  const dropUnseen = (entry: Seen, pid: number) => {
    if (entry.scan !== scanNumber) {
      seen.delete(pid);
      identityChanged = true;
    }
  };
  /** Whether any process came, went, exec'd or changed parent since the previous scan. */
  let identityChanged = true;
  let layout: Layout | null = null;
  const currentInfo = (pid: number) => seen.get(pid)!.info!;
  const cpuPctOf = (pid: number) => seen.get(pid)?.cpuPct ?? 0;
  const isHung = (pid: number) => seen.get(pid)?.hung === true;

  function update(
    ts: number,
    processes: readonly ProcessInfo[],
    families: readonly FamilyDef[],
    botFolders: readonly string[],
    leaks: ReadonlyMap<string, LeakTrend> = new Map(),
  ): ProcessScan {
    scanNumber++;
    identityChanged = false;
    const cpus = Math.max(1, opts.cpuCount);
    for (const p of processes) {
      let entry = seen.get(p.pid);
      if (entry && entry.info === p) {
        // Not read again this scan (see ProcessSource.watch): nothing moved that we know of. Its CPU
        // time stays at the last reading, so the next real reading spans the whole interval since.
        entry.scan = scanNumber;
        entry.cpuPct = 0;
        continue;
      }
      let pct = 0;
      const before = entry?.info;
      if (
        !before ||
        before.startTime !== p.startTime ||
        before.name !== p.name ||
        before.cmdline !== p.cmdline ||
        before.ppid !== p.ppid
      ) {
        identityChanged = true;
      }
      if (entry && entry.startTime === p.startTime) {
        if (ts > entry.ts) pct = ((p.cpuTimeMs - entry.cpuTimeMs) / (ts - entry.ts)) * 100;
      } else {
        if (lastTs !== undefined && p.startTime >= lastTs && ts > p.startTime) {
          // Started since the last scan: all its CPU time falls in this interval.
          pct = (p.cpuTimeMs / (ts - p.startTime)) * 100;
        }
        // Every field present from the start: one object shape, so update() stays optimised.
        entry = {
          info: null,
          startTime: p.startTime,
          cpuTimeMs: 0,
          ts,
          cpuPct: 0,
          hung: false,
          diskSleepSince: ts,
          diskSleepScans: 0,
          maskedFor: undefined,
          masked: undefined,
          scan: 0,
        };
        seen.set(p.pid, entry);
      }
      entry.info = p;
      entry.cpuTimeMs = p.cpuTimeMs;
      entry.ts = ts;
      entry.scan = scanNumber;
      entry.cpuPct = Math.max(0, pct / cpus);
      if (p.state === 'disk-sleep') {
        if (entry.diskSleepScans === 0) entry.diskSleepSince = ts;
        entry.diskSleepScans++;
        entry.hung = entry.diskSleepScans >= 2 && ts - entry.diskSleepSince >= opts.hungAfterMs;
      } else {
        entry.diskSleepScans = 0;
        entry.hung = p.state === 'not-responding';
      }
    }
    seen.forEach(dropUnseen);
    lastTs = ts;

    // Families, runs and orphans depend only on who is who: while no process came, went or changed,
    // the previous scan's answer holds (most seconds on an ops PC), with this scan's readings.
    const foldersKey = botFolders.join('\0');
    if (identityChanged || !layout || layout.families !== families || layout.foldersKey !== foldersKey) {
      layout = computeLayout(processes, families, botFolders, foldersKey);
    }
    const { memberPids, orphansByFamily, runsByFamily } = layout;
    const classified = new Map<string, ProcessInfo[]>();
    for (const [name, pids] of layout.membersByFamily) classified.set(name, pids.map(currentInfo));
    const summaries: FamilySummary[] = [];
    const samples: Sample[] = [];
    for (const family of families) {
      const members = classified.get(family.name) ?? [];
      const orphans = orphansByFamily.get(family.name) ?? NO_PIDS;
      const runCount = layout.runCounts.get(family.name) ?? 0;
      let cpu = 0;
      let rss = 0;
      let zombies = 0;
      let hungCount = 0;
      for (const p of members) {
        cpu += cpuPctOf(p.pid);
        rss += p.rssBytes;
        if (p.state === 'zombie' || (opts.platformKind === 'windows' && orphans.has(p.pid))) zombies++;
        if (isHung(p.pid)) hungCount++;
      }
      const leak = leaks.get(family.name);
      summaries.push({
        name: family.name,
        count: members.length,
        runs: runCount,
        cpuPct: round1(cpu),
        rssBytes: rss,
        zombies,
        orphans: orphans.size,
        hung: hungCount,
        leak: leak ?? null,
        stopOnEmergency: family.stopOnEmergency,
      });
      const labels = { family: family.name };
      samples.push(
        { name: 'proc.count', labels, ts, value: members.length },
        { name: 'proc.runs', labels, ts, value: runCount },
        { name: 'proc.cpu_pct', labels, ts, value: round1(cpu) },
        { name: 'proc.rss', labels, ts, value: rss },
        { name: 'proc.zombies', labels, ts, value: zombies },
        { name: 'proc.hung', labels, ts, value: hungCount },
      );
      if (leak) samples.push({ name: 'proc.leak_mb_per_h', labels, ts, value: leak.mbPerHour });
    }

    const built = new Map<string, ProcessInstance[]>();
    const instancesOf = (name: string): ProcessInstance[] => {
      let list = built.get(name);
      if (!list) {
        const orphans = orphansByFamily.get(name) ?? NO_PIDS;
        const runs = runsByFamily.get(name) ?? NO_RUNS;
        list = (classified.get(name) ?? []).map((p) => ({
          pid: p.pid,
          ppid: p.ppid,
          runPid: runs.get(p.pid) ?? p.pid,
          name: p.name,
          cmdline: maskedCmdline(seen.get(p.pid), p),
          cpuPct: round1(cpuPctOf(p.pid)),
          rssBytes: p.rssBytes,
          startTime: p.startTime,
          state: p.state,
          hung: isHung(p.pid),
          orphan: orphans.has(p.pid),
        }));
        built.set(name, list);
      }
      return list;
    };
    const watchPids = new Set<number>();
    for (const pid of memberPids) {
      const entry = seen.get(pid);
      if (
        !entry?.info ||
        entry.cpuPct > 0 ||
        entry.hung ||
        entry.info.state !== 'sleeping' ||
        (scanNumber + pid) % IDLE_MEMBER_EVERY === 0
      ) {
        watchPids.add(pid);
      }
    }
    return {
      ts,
      families: summaries,
      instancesOf,
      samples,
      total: processes.length,
      memberPids,
      watchPids,
    };
  }

  return { update };
}

/** Masking is regex work: done once per process and command line, not every time instances are read. */
function maskedCmdline(entry: Seen | undefined, p: ProcessInfo): string {
  if (!entry || entry.startTime !== p.startTime) return maskSecrets(p.cmdline);
  if (entry.maskedFor !== p.cmdline || entry.masked === undefined) {
    entry.maskedFor = p.cmdline;
    entry.masked = maskSecrets(p.cmdline);
  }
  return entry.masked;
}

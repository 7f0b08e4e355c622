/**
 * Linux platform: everything read straight from /proc and /sys, no child process at all.
 * Reads are synchronous on purpose: /proc files are generated in memory by the kernel, so a sync read is
 * a few microseconds, while fs.promises adds a thread-pool round trip per file (measured ~6x slower
 * for a full process scan).
 */
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Clock } from '../clock/index.js';
import {
  LINUX_CLOCK_TICKS,
  linuxStateFromLetter,
  type ProcStat,
  parseBootTimeSeconds,
  parseCmdline,
  parseCpuTimes,
  parseDiskstats,
  parseMeminfo,
  parseMounts,
  parseNetDev,
  parsePageSizeFromSmaps,
} from './linux-parse.js';
import type {
  CpuTimes,
  DiskSpace,
  IoCounters,
  MemoryInfo,
  Platform,
  ProcessInfo,
  ProcessKiller,
  ProcessSource,
  ProcessTarget,
  SignalOutcome,
  StopMode,
  TaskSchedulerPort,
} from './types.js';

export interface LinuxPlatformOptions {
  clock: Clock;
  /** Root of procfs, '/proc' by default; unit tests point it at a directory laid out like procfs. */
  procRoot?: string;
  /**
   * Signals sent by a graceful stop, in order, in the same call. Default ['SIGINT'] only: both real bots
   * stop cleanly only on Ctrl+C (KeyboardInterrupt / SIGINT handler), and a SIGTERM sent right behind it
   * would kill a Python bot (default SIGTERM action) in the middle of its KeyboardInterrupt cleanup.
   * The force step (SIGKILL) after the grace period covers processes that ignore SIGINT.
   */
  gracefulSignals?: NodeJS.Signals[];
  /**
   * Largest difference (ms) between a target's recorded startTime and the live one that still counts as
   * the same process. Start times derive from btime, which the kernel reports in whole seconds and may
   * shift by a second after a clock step, so two Nexus Ops processes (app and CLI) can disagree by up
   * to 1 s. A PID is only reused after the PID counter wraps, never within a second in practice.
   */
  startTimeToleranceMs?: number;
}

interface LinuxContext {
  procRoot: string;
  bootTimeMs: number;
  pageSize: number;
  reader: ProcReader;
}

/** Descriptors kept open for /proc/<pid>/stat; beyond this many, files are opened per read. */
const MAX_CACHED_STAT_FDS = 2048;

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

/** One reusable buffer for every /proc read: avoids readFileSync's fstat and per-file allocation. */
class ProcReader {
  private buffer = Buffer.allocUnsafe(64 * 1024);

  /** Reads into the shared buffer; returns the byte length or -1. */
  readBytes(path: string): number {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return -1;
    }
    try {
      return readSync(fd, this.buffer, 0, this.buffer.length, 0);
    } catch {
      return -1;
    } finally {
      closeSync(fd);
    }
  }
  get bytes(): Buffer {
    return this.buffer;
  }

  /**
   * /proc/<pid>/stat through a descriptor kept open between scans: a positioned read regenerates the
   * text, so a scan costs one read per process instead of open + read + close. A descriptor belongs to
   * one process: once it has exited, reads fail (ESRCH) and the path is opened afresh, so a reused PID
   * is read as the new process.
   */
  readStat(root: string, pid: string): number {
    const cached = this.statFds.get(pid);
    if (cached !== undefined) {
      try {
        const length = readSync(cached, this.buffer, 0, this.buffer.length, 0);
        if (length > 0) return length;
      } catch {
        // exited: fall through to a fresh open
      }
      this.statFds.delete(pid);
      closeQuietly(cached);
    }
    let fd: number;
    try {
      fd = openSync(`${root}/${pid}/stat`, 'r');
    } catch {
      return -1;
    }
    let length = -1;
    try {
      length = readSync(fd, this.buffer, 0, this.buffer.length, 0);
    } catch {
      length = -1;
    }
    if (length > 0 && this.statFds.size < MAX_CACHED_STAT_FDS) this.statFds.set(pid, fd);
    else closeQuietly(fd);
    return length;
  }

  /** Closes the descriptors of processes that are no longer wanted (exited, or kernel threads). */
  retainStat(keep: (pid: string) => boolean): void {
    // forEach, not for…of: no entry array per descriptor on a path that runs every second.
    this.statFds.forEach((fd, pid) => {
      if (!keep(pid)) {
        this.statFds.delete(pid);
        closeQuietly(fd);
      }
    });
  }

  private statFds = new Map<string, number>();

  /** The file's text, or null when it cannot be read (process exited between readdir and read, EACCES). */
  read(path: string): string | null {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return null;
    }
    try {
      let length = 0;
      for (;;) {
        const room = this.buffer.length - length;
        const count = readSync(fd, this.buffer, length, room, length);
        if (count === 0) break;
        length += count;
        if (count < room) break;
        if (length === this.buffer.length) {
          const bigger = Buffer.allocUnsafe(this.buffer.length * 2);
          this.buffer.copy(bigger);
          this.buffer = bigger;
        }
      }
      return this.buffer.toString('utf8', 0, length);
    } catch {
      return null;
    } finally {
      closeSync(fd);
    }
  }
}

function readPageSize(procRoot: string): number {
  // Only the first mapping is needed; reading the whole smaps of a large process would be wasteful.
  let fd: number | undefined;
  try {
    fd = openSync(`${procRoot}/self/smaps`, 'r');
    const buffer = Buffer.alloc(4096);
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    return parsePageSizeFromSmaps(buffer.toString('utf8', 0, length)) ?? 4096;
  } catch {
    return 4096;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function createContext(procRoot: string): LinuxContext {
  const bootSeconds = parseBootTimeSeconds(readFileSync(`${procRoot}/stat`, 'utf8'));
  return {
    procRoot,
    bootTimeMs: bootSeconds * 1000,
    pageSize: readPageSize(procRoot),
    reader: new ProcReader(),
  };
}

function startTimeMs(ctx: LinuxContext, startTicks: number): number {
  return ctx.bootTimeMs + Math.round((startTicks * 1000) / LINUX_CLOCK_TICKS);
}

function readStat(ctx: LinuxContext, pid: number | string): ProcStat | null {
  const length = ctx.reader.readStat(ctx.procRoot, String(pid));
  if (length <= 0) return null;
  const b = ctx.reader.bytes;
  const open = b.indexOf(0x28);
  // Only within the bytes just read: past them lie stale bytes of an earlier, longer read (a command line).
  const close = b.lastIndexOf(0x29, length - 1);
  if (open < 1 || close < open) return null;
  let pidNum = 0;
  for (let i = 0; i < open - 1; i++) pidNum = pidNum * 10 + (b[i]! - 48);
  // Fields after the state letter, counted from 0: ppid 0, utime 10, stime 11, starttime 18, rss 20.
  let ppid = 0;
  let cpuTicks = 0;
  let startTicks = 0;
  let field = 0;
  let value = 0;
  const stateLetter = String.fromCharCode(b[close + 2]!);
  for (let i = close + 4; i < length; i++) {
    const c = b[i]!;
    if (c === 0x20 || c === 0x0a) {
      if (field === 0) ppid = value;
      else if (field === 10 || field === 11) cpuTicks += value;
      else if (field === 18) startTicks = value;
      else if (field === 20) {
        return {
          pid: pidNum,
          comm: b.toString('utf8', open + 1, close),
          state: linuxStateFromLetter(stateLetter),
          ppid,
          cpuTicks,
          startTicks,
          rssPages: value,
        };
      }
      field++;
      value = 0;
    } else if (c >= 48 && c <= 57) value = value * 10 + (c - 48);
  }
  return null; // truncated line
}

/** What a scan remembers of a process, keyed by pid and checked against its start ticks. */
interface KnownProcess {
  startTicks: number;
  startTime: number;
  comm: string;
  cmdline: string;
  name: string;
  /** The last scan that saw the process. */
  scan: number;
  /** What the last read of its stat gave; null for a kernel thread (never listed). */
  info: ProcessInfo | null;
}

/**
 * Chromium starts its helpers (network service, renderers) through /proc/self/exe, so their comm is
 * "exe" and their argv[0] is "/proc/self/exe": the real program is the target of /proc/<pid>/exe.
 * One readlink, only for such processes, cached with the command line. The command line decides, not
 * comm: a helper that execs between the stat read and the cmdline read still has the name of the
 * thread that forked it in its stat ("ThreadPoolSingl"); the next scan sees the new comm and re-reads.
 */
function realName(procRoot: string, entry: string, comm: string, cmdline: string): string {
  if (!cmdline.startsWith('/proc/self/exe')) return comm;
  try {
    return basename(readlinkSync(`${procRoot}/${entry}/exe`)).replace(/ \(deleted\)$/, '') || comm;
  } catch {
    return comm;
  }
}

/**
 * A process younger than this has its command line re-read every scan: Chrome's zygote children and
 * other setproctitle users rewrite argv shortly after start. Older ones keep the cached text while pid,
 * start time and comm are unchanged (an exec changes comm), which halves the files read per scan.
 */
const CMDLINE_SETTLE_MS = 10_000;

/**
 * In a watch scan, a process nobody watches has its stat re-read once in this many scans (spread by
 * pid): enough to see an exec or a state change within seconds, and a reused PID is caught at once
 * through the PID counter (see newPidRange).
 */
const REVALIDATE_SCANS = 10;

/** A watch scan this long after the previous one reads everything: the PID counter may have wrapped. */
const WATCH_GAP_MS = 5_000;

class LinuxProcessSource implements ProcessSource {
  private known = new Map<number, KnownProcess>();
  private scans = 0;
  private lastPid: { pid: number; at: number } | null = null;

  constructor(
    private readonly ctx: LinuxContext,
    private readonly clock: Clock,
  ) {}

  async list(): Promise<ProcessInfo[]> {
    return this.scan(null);
  }

  async watch(watched: ReadonlySet<number>): Promise<ProcessInfo[]> {
    return this.scan(watched);
  }

  /**
   * Which PIDs may have been given to a new process since the previous scan: the range the kernel's PID
   * counter moved through (the last field of /proc/loadavg is the last PID handed out; PIDs are handed
   * out cyclically upward). Null when that cannot be known: first scan, a long gap, no loadavg.
   */
  private newPidRange(now: number): ((pid: number) => boolean) | null {
    const previous = this.lastPid;
    this.lastPid = null;
    const length = this.ctx.reader.readBytes(`${this.ctx.procRoot}/loadavg`);
    if (length <= 0) return null;
    const b = this.ctx.reader.bytes;
    let end = length;
    while (end > 0 && (b[end - 1]! < 48 || b[end - 1]! > 57)) end--;
    let start = end;
    while (start > 0 && b[start - 1]! >= 48 && b[start - 1]! <= 57) start--;
    if (start === end) return null;
    let current = 0;
    for (let i = start; i < end; i++) current = current * 10 + (b[i]! - 48);
    this.lastPid = { pid: current, at: now };
    if (!previous || now - previous.at > WATCH_GAP_MS || now < previous.at) return null;
    const from = previous.pid;
    if (current === from) return () => false;
    return from < current ? (pid) => pid > from && pid <= current : (pid) => pid > from || pid <= current;
  }

  /**
   * One pass over /proc. `watched` null reads every process (what the stop and tree kills use). A watch
   * scan (the monitor, every second) reads afresh the watched PIDs, new and young processes and PIDs the
   * kernel may have reused; any other process comes back as the previous scan's object, unchanged.
   */
  scan(watched: ReadonlySet<number> | null): ProcessInfo[] {
    const { ctx } = this;
    const now = this.clock.now();
    const processes: ProcessInfo[] = [];
    const scan = ++this.scans;
    // Read before the directory, so a PID handed out during the scan is in the next scan's range.
    const mayBeNew = this.newPidRange(now);
    for (const entry of readdirSync(ctx.procRoot)) {
      const first = entry.charCodeAt(0);
      if (first < 48 || first > 57) continue; // not a PID directory
      if (watched && mayBeNew) {
        const pid = Number(entry);
        const known = this.known.get(pid);
        if (
          known &&
          !watched.has(pid) &&
          !mayBeNew(pid) &&
          now - known.startTime > CMDLINE_SETTLE_MS &&
          (scan + pid) % REVALIDATE_SCANS !== 0
        ) {
          known.scan = scan;
          if (known.info) processes.push(known.info);
          continue;
        }
      }
      const stat = readStat(ctx, entry);
      if (!stat) continue; // vanished mid-scan
      const startTime = startTimeMs(ctx, stat.startTicks);
      let known = this.known.get(stat.pid);
      // Kernel threads are read like any process: a PID that was a kernel thread a moment ago may be a
      // bot now, and skipping it would hide it from the emergency stop. They are never listed.
      if (stat.ppid === 2 || stat.pid === 2) {
        if (!known || known.startTicks !== stat.startTicks || known.info) {
          known = {
            startTicks: stat.startTicks,
            startTime,
            comm: stat.comm,
            cmdline: '',
            name: '',
            scan,
            info: null,
          };
          this.known.set(stat.pid, known);
        }
        known.scan = scan;
        continue;
      }
      if (
        !known ||
        known.startTicks !== stat.startTicks ||
        known.comm !== stat.comm ||
        !known.info ||
        now - startTime <= CMDLINE_SETTLE_MS
      ) {
        const raw = ctx.reader.read(`${ctx.procRoot}/${entry}/cmdline`);
        const cmdline = raw === null ? '' : parseCmdline(raw);
        // stat's comm field is the same text as /proc/<pid>/comm (15 chars max), without a second read.
        const name = realName(ctx.procRoot, entry, stat.comm, cmdline);
        known = { startTicks: stat.startTicks, startTime, comm: stat.comm, cmdline, name, scan, info: null };
        this.known.set(stat.pid, known);
      }
      known.scan = scan;
      known.info = {
        pid: stat.pid,
        ppid: stat.ppid,
        name: known.name,
        cmdline: known.cmdline,
        startTime,
        state: stat.state,
        cpuTimeMs: Math.round((stat.cpuTicks * 1000) / LINUX_CLOCK_TICKS),
        rssBytes: stat.rssPages * ctx.pageSize,
      };
      processes.push(known.info);
    }
    this.known.forEach((known, pid) => {
      if (known.scan !== scan) this.known.delete(pid);
    });
    ctx.reader.retainStat((pid) => this.known.get(Number(pid))?.scan === scan);
    return processes;
  }
}

function errnoCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error
    ? String((error as NodeJS.ErrnoException).code)
    : undefined;
}

function createLinuxKiller(ctx: LinuxContext, options: LinuxPlatformOptions): ProcessKiller {
  const gracefulSignals = options.gracefulSignals ?? ['SIGINT'];
  const tolerance = options.startTimeToleranceMs ?? 1000;

  const stopOne = (target: ProcessTarget, mode: StopMode): SignalOutcome => {
    if (target.pid === process.pid) {
      return { pid: target.pid, result: 'error', detail: 'Nexus Ops itself: not stopped' };
    }
    const stat = readStat(ctx, target.pid);
    if (!stat) return { pid: target.pid, result: 'gone' };
    if (Math.abs(startTimeMs(ctx, stat.startTicks) - target.startTime) > tolerance) {
      return { pid: target.pid, result: 'gone', detail: 'pid reused by another process' };
    }
    if (stat.state === 'zombie') {
      return { pid: target.pid, result: 'gone', detail: 'exited; zombie not yet reaped by its parent' };
    }
    const signals: NodeJS.Signals[] = mode === 'force' ? ['SIGKILL'] : [...gracefulSignals];
    // A stopped process (Ctrl+Z, a debugger) only acts on SIGINT/SIGTERM once continued.
    if (mode === 'graceful' && stat.state === 'stopped') signals.push('SIGCONT');
    try {
      for (const signal of signals) process.kill(target.pid, signal);
      return { pid: target.pid, result: 'sent', detail: signals.join('+') };
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'ESRCH') return { pid: target.pid, result: 'gone' };
      if (code === 'EPERM') return { pid: target.pid, result: 'denied', detail: 'EPERM' };
      return {
        pid: target.pid,
        result: 'error',
        detail: error instanceof Error ? error.message : String(error),
      };
    }
  };

  return {
    async stop(targets, mode) {
      return targets.map((target) => stopOne(target, mode));
    },
  };
}

/** Linux has no Task Scheduler to pause: cron/systemd timers are out of scope, so nothing was enabled. */
const noTaskScheduler: TaskSchedulerPort = {
  async disable() {
    return { wasEnabled: false };
  },
  async enable() {},
};

function listWholeDisks(): Set<string> | undefined {
  try {
    return new Set(readdirSync('/sys/block'));
  } catch {
    return undefined; // no sysfs (some containers): parseDiskstats keeps non-virtual devices
  }
}

/** Disks come and go rarely (a USB drive): the /sys/block listing is re-read once a minute, not every tick. */
const WHOLE_DISKS_TTL_MS = 60_000;

export function createLinuxPlatform(options: LinuxPlatformOptions): Platform {
  const ctx = createContext(options.procRoot ?? '/proc');
  const processes = new LinuxProcessSource(ctx, options.clock);
  let wholeDisks: { at: number; names: Set<string> | undefined } | undefined;
  const currentWholeDisks = (now: number) => {
    if (!wholeDisks || now - wholeDisks.at >= WHOLE_DISKS_TTL_MS || now < wholeDisks.at) {
      wholeDisks = { at: now, names: listWholeDisks() };
    }
    return wholeDisks.names;
  };

  return {
    kind: 'linux',
    processes,
    killer: createLinuxKiller(ctx, options),
    cpuTimes(): CpuTimes[] {
      const length = ctx.reader.readBytes(`${ctx.procRoot}/stat`);
      if (length <= 0) return [];
      // Only the leading cpu lines are needed; the interrupt counters after them run to kilobytes.
      const intr = ctx.reader.bytes.indexOf('\nintr ', 0, 'latin1');
      return parseCpuTimes(ctx.reader.bytes.toString('latin1', 0, intr > 0 && intr < length ? intr : length));
    },
    async memory(): Promise<MemoryInfo> {
      return parseMeminfo(readFileSync(`${ctx.procRoot}/meminfo`, 'utf8'));
    },
    async disks(): Promise<DiskSpace[]> {
      const mounts = parseMounts(readFileSync(`${ctx.procRoot}/mounts`, 'utf8'));
      const spaces = await Promise.all(
        mounts.map(async ({ mount }): Promise<DiskSpace | null> => {
          try {
            const stats = await statfs(mount);
            // bavail, like df: the space an unprivileged bot can still write (root-reserved blocks excluded).
            return { mount, totalBytes: stats.blocks * stats.bsize, freeBytes: stats.bavail * stats.bsize };
          } catch {
            return null; // unreachable network mount or permission denied: skip rather than fail the cycle
          }
        }),
      );
      return spaces.filter((space): space is DiskSpace => space !== null && space.totalBytes > 0);
    },
    async io(): Promise<IoCounters> {
      const at = options.clock.now();
      return {
        disks: parseDiskstats(readFileSync(`${ctx.procRoot}/diskstats`, 'utf8'), currentWholeDisks(at)),
        nets: parseNetDev(readFileSync(`${ctx.procRoot}/net/dev`, 'utf8')),
        at,
      };
    },
    taskScheduler: noTaskScheduler,
    async close() {},
  };
}

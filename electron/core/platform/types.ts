/**
 * Platform ports: everything that differs between Windows (the product's target) and Linux (where we
 * test). Each port has a Linux implementation tested for real and a Windows implementation tested
 * against recorded command output and exact argument lists. No implementation may spawn a process per
 * sampling cycle.
 */

export type ProcessState =
  | 'running'
  | 'sleeping'
  | 'disk-sleep' // Linux D state
  | 'zombie' // Linux Z state
  | 'stopped'
  | 'not-responding' // Windows: a top-level window that IsHungAppWindow reports
  | 'unknown';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Executable base name as the OS reports it, e.g. "python3", "chrome.exe". */
  name: string;
  /** Full command line, raw (never shown to a user without masking). Empty when unreadable. */
  cmdline: string;
  /** Process creation time, epoch ms. With pid it identifies a process across PID reuse. */
  startTime: number;
  state: ProcessState;
  /** Cumulative user + kernel CPU time, ms. CPU % is derived from two snapshots. */
  cpuTimeMs: number;
  /** Resident set size / working set, bytes. */
  rssBytes: number;
}

export interface ProcessSource {
  /** One snapshot of every process visible to us. Cheap: no child process per call. */
  list(): Promise<ProcessInfo[]>;
  /**
   * A snapshot for a watcher that scans every few seconds and needs fresh figures only for `watched`:
   * every live process is listed, but one that is not watched and cannot have changed identity since
   * the previous call may come back as that call's object (CPU time, memory and state as they were then).
   * Sources for which a full snapshot costs the same leave it out; callers then use list().
   */
  watch?(watched: ReadonlySet<number>): Promise<ProcessInfo[]>;
}

export type StopMode = 'graceful' | 'force';

export interface ProcessTarget {
  pid: number;
  startTime: number;
}

export interface SignalOutcome {
  pid: number;
  /** 'sent': the request was delivered; 'gone': already exited or PID reused; 'denied': access denied. */
  result: 'sent' | 'gone' | 'denied' | 'error';
  detail?: string;
}

export interface ProcessKiller {
  /**
   * Asks each target to stop. graceful: SIGINT on POSIX (a SIGTERM right behind it would cut a Python
   * bot's KeyboardInterrupt cleanup short); on Windows a console Ctrl+C where
   * possible, else taskkill without /F. force: SIGKILL / taskkill /F. Targets whose startTime no longer
   * matches the live process (PID reuse) are reported 'gone' and never touched.
   */
  stop(targets: ProcessTarget[], mode: StopMode): Promise<SignalOutcome[]>;
}

export interface DiskSpace {
  /** Mount point or drive, e.g. "/" or "C:". */
  mount: string;
  totalBytes: number;
  freeBytes: number;
}

export interface IoCounters {
  /** Cumulative counters; rates are derived from two readings. */
  disks: { device: string; readBytes: number; writeBytes: number; reads: number; writes: number }[];
  nets: { iface: string; rxBytes: number; txBytes: number }[];
  /** Epoch ms when read. */
  at: number;
  /**
   * Why some or all counters are missing, when the source knows (Windows: the PDH counter that could
   * not be added or read, with its status). Absent when all is well.
   */
  problem?: string;
}

/** Cumulative time of one logical CPU since boot, ms. Busy % is derived from two readings. */
export interface CpuTimes {
  /** Idle, including waiting for IO. */
  idleMs: number;
  /** Every state: busy plus idle. */
  totalMs: number;
}

export interface MemoryInfo {
  totalBytes: number;
  availableBytes: number;
  swapTotalBytes: number;
  swapFreeBytes: number;
}

/** External schedulers that relaunch bots (Windows Task Scheduler). */
export interface TaskSchedulerPort {
  /**
   * Returns true when the task was enabled before the call (so resume re-enables it). Throws, saying
   * what to do, when the task cannot be found or changed: it would relaunch the bot.
   */
  disable(taskName: string): Promise<{ wasEnabled: boolean }>;
  enable(taskName: string): Promise<void>;
  /**
   * Ends the task's running instance if it has one (Windows: schtasks /End, which ends the program the
   * task started, e.g. the cmd.exe of run_bot.bat). Throws when it cannot. Absent where no scheduler is.
   */
  end?(taskName: string): Promise<void>;
}

export interface Platform {
  kind: 'linux' | 'windows' | 'other';
  processes: ProcessSource;
  killer: ProcessKiller;
  /** One entry per logical CPU, in order. Synchronous and cheap: read every live tick. */
  cpuTimes(): CpuTimes[];
  memory(): Promise<MemoryInfo>;
  disks(): Promise<DiskSpace[]>;
  io(): Promise<IoCounters>;
  taskScheduler: TaskSchedulerPort;
  /**
   * A configured folder in the form the OS prints in command lines (Windows: no `\\?\` prefix, 8.3
   * short names such as `C:\PROGRA~1` expanded by GetLongPathNameW, cached). Absent where paths need
   * nothing; apply it to `bots.folders` before classifying.
   */
  canonicalFolder?(path: string): string;
  /** Releases long-lived resources (e.g. the PDH query on Windows). */
  close(): Promise<void>;
}

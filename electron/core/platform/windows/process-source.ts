import type { Clock } from '../../clock/index.js';
import type { ProcessInfo, ProcessSource } from '../types.js';
import type { Win32Api } from './win32.js';

/** A process this young may still be being created: its command line is read again next scan. */
const SETTLED_MS = 2_000;
/** A command line that could not be read is tried again every scan while the process is this young… */
const YOUNG_MS = 60_000;
/** …and once a minute after that (protected system processes never answer; a bot runner would). */
const RETRY_UNREADABLE_MS = 60_000;

interface CachedCommandLine {
  startTime: number;
  /** null: the last read failed. */
  cmdline: string | null;
  /** When to read it again; Infinity once read from a settled process. */
  readAgainAt: number;
}

/**
 * One NtQuerySystemInformation(SystemProcessInformation) call gives pid, parent, name, creation time,
 * CPU time and working set of every process, with no handle opened: processes running elevated or as
 * another user are measured too. One EnumWindows pass marks hung windows. The command line (an
 * OpenProcess plus an ntdll call, up to 64 KB of text) is read per new process and cached by pid +
 * creation time: Windows processes do not rewrite it. A failed read is never cached as the answer
 * (that process would match no family rule, so a bot runner would not be a stop target): young
 * processes are read again every scan, older unreadable ones once a minute.
 *
 * Windows has no running/sleeping distinction worth reporting: a live process is 'running', and
 * 'not-responding' when one of its top-level windows is hung (GUI windows only, see hungWindowPids).
 */
export class WindowsProcessSource implements ProcessSource {
  private cmdlines = new Map<number, CachedCommandLine>();

  constructor(
    private readonly win32: () => Promise<Win32Api>,
    private readonly clock: Clock,
  ) {}

  async list(): Promise<ProcessInfo[]> {
    const api = await this.win32();
    const entries = api.snapshotProcesses();
    const hung = api.hungWindowPids();
    const now = this.clock.now();
    const nextCache = new Map<number, CachedCommandLine>();
    const processes: ProcessInfo[] = [];
    for (const entry of entries) {
      // Every thread has exited: the process is gone, only an open handle keeps its entry.
      if (entry.threads === 0 && entry.pid !== 0) continue;
      let cached = this.cmdlines.get(entry.pid);
      if (!cached || cached.startTime !== entry.startTime || now >= cached.readAgainAt) {
        cached = this.readCommandLine(api, entry.pid, entry.startTime, now);
      }
      nextCache.set(entry.pid, cached);
      processes.push({
        pid: entry.pid,
        ppid: entry.ppid,
        name: entry.exeFile,
        cmdline: cached.cmdline ?? '',
        startTime: entry.startTime,
        state: hung.has(entry.pid) ? 'not-responding' : 'running',
        cpuTimeMs: entry.cpuTimeMs,
        rssBytes: entry.rssBytes,
      });
    }
    this.cmdlines = nextCache;
    return processes;
  }

  private readCommandLine(api: Win32Api, pid: number, startTime: number, now: number): CachedCommandLine {
    // The System Idle Process (0) and System (4) have no command line to read.
    const cmdline = pid === 0 || pid === 4 ? '' : api.readCommandLine(pid, startTime);
    const age = now - startTime;
    let readAgainAt: number;
    if (cmdline === null) readAgainAt = age < YOUNG_MS ? now : now + RETRY_UNREADABLE_MS;
    else readAgainAt = age < SETTLED_MS && pid !== 0 && pid !== 4 ? now : Number.POSITIVE_INFINITY;
    return { startTime, cmdline, readAgainAt };
  }
}

import type { ProcessInfo, ProcessSource } from '../types.js';
import type { Win32Api } from './win32.js';

/**
 * One Toolhelp snapshot (pid, parent, exe name) plus, per process, one OpenProcess for creation time,
 * CPU time and working set, and one EnumWindows pass for hung windows. The command line (an ntdll
 * call and up to 64 KB of text) is read once per process: Windows processes do not rewrite it, so it
 * is cached by pid + creation time.
 *
 * Windows has no running/sleeping distinction worth reporting: a live process is 'running', and
 * 'not-responding' when one of its visible top-level windows is hung.
 */
export class WindowsProcessSource implements ProcessSource {
  private cmdlines = new Map<number, { startTime: number; cmdline: string }>();

  constructor(private readonly win32: () => Promise<Win32Api>) {}

  async list(): Promise<ProcessInfo[]> {
    const api = await this.win32();
    const entries = api.snapshotProcesses();
    const hung = api.hungWindowPids();
    const nextCache = new Map<number, { startTime: number; cmdline: string }>();
    const processes: ProcessInfo[] = [];
    for (const entry of entries) {
      const cached = this.cmdlines.get(entry.pid);
      // Ask for the command line only when this pid is new or its cached entry may be a reused pid;
      // the creation time read in the same call settles which.
      let details = api.queryProcess(entry.pid, cached === undefined);
      if (details && cached && details.startTime !== cached.startTime) {
        details = api.queryProcess(entry.pid, true);
      }
      if (details && !details.alive) continue; // exited, only a handle keeps it in the snapshot
      const startTime = details?.startTime ?? 0;
      const cmdline = details?.cmdline ?? (cached && cached.startTime === startTime ? cached.cmdline : '');
      if (details) nextCache.set(entry.pid, { startTime, cmdline });
      processes.push({
        pid: entry.pid,
        ppid: entry.ppid,
        name: entry.exeFile,
        cmdline,
        startTime,
        state: hung.has(entry.pid) ? 'not-responding' : 'running',
        cpuTimeMs: details?.cpuTimeMs ?? 0,
        rssBytes: details?.rssBytes ?? 0,
      });
    }
    this.cmdlines = nextCache;
    return processes;
  }
}

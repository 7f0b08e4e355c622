/**
 * Windows platform. Per sampling cycle it starts no process: processes, memory, disks and I/O come from
 * Win32 through koffi (loaded on first use; I/O through PDH). Only a graceful stop and Task Scheduler
 * actions run a command (the Ctrl+C helper, taskkill.exe without /F, schtasks.exe; by full path, hidden
 * window, stdin closed).
 */
import { statfs } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Clock } from '../../clock/index.js';
import { nodeCpuTimes } from '../cpu.js';
import { createRunCommand, type RunCommand } from '../run.js';
import type { DiskSpace, Platform, TaskSchedulerPort } from '../types.js';
import { unpackedAsarPath } from './console-ctrl.js';
import {
  decodeConsoleOutput,
  hasShortNameComponent,
  memoryInfoFromStatus,
  stripExtendedLengthPrefix,
} from './decode.js';
import { type CtrlCHelper, WindowsProcessKiller } from './killer.js';
import { PdhIoSource } from './pdh.js';
import { WindowsProcessSource } from './process-source.js';
import {
  checkSchtasksChange,
  checkSchtasksEnd,
  parseSchtasksQuery,
  schtasksChangeArgs,
  schtasksEndArgs,
  schtasksQueryArgs,
} from './schtasks.js';
import { loadWin32, type Win32Api } from './win32.js';

export {
  ctrlCAllowedPids,
  ctrlCHelperArgs,
  parseCtrlCHelperOutput,
  unpackedAsarPath,
} from './console-ctrl.js';
export * from './decode.js';
export { IO_COUNTERS, ioCountersFromRaw, PdhIoSource, pdhStatusText } from './pdh.js';
export {
  checkSchtasksChange,
  checkSchtasksEnd,
  parseSchtasksQuery,
  schtasksChangeArgs,
  schtasksEndArgs,
  schtasksQueryArgs,
} from './schtasks.js';
export { parseTaskkillOutput, taskkillArgs } from './taskkill.js';
export type { CounterQuery, NativeLayer, TerminateOutcome, Win32Api } from './win32.js';
export { bindWin32 } from './win32.js';

export interface WindowsPlatformOptions {
  clock: Clock;
  /** Runs taskkill/schtasks; defaults to execFile with a hidden window, output decoded from the OEM code page. */
  run?: RunCommand;
  /** Win32 bindings; a fake in unit tests. Defaults to koffi, loaded on first call. */
  win32?: () => Promise<Win32Api>;
  /** %SystemRoot%; defaults to the environment variable, then C:\Windows. */
  systemRoot?: string;
  /** Console Ctrl+C helper; null disables it (graceful = taskkill without /F). Defaults to our own binary. */
  ctrlC?: CtrlCHelper | null;
  /** Nexus Ops' own PID, never stopped with its ancestors; defaults to process.pid. */
  selfPid?: number;
}

export function windowsSystem32(
  systemRoot = process.env.SystemRoot ?? process.env.SYSTEMROOT ?? 'C:\\Windows',
): string {
  return `${systemRoot.replace(/\\+$/, '')}\\System32`;
}

function defaultCtrlCHelper(): CtrlCHelper | null {
  try {
    // CommonJS bundle: require exists; ESM (tests, tsx): resolve relative to this file.
    const resolve = typeof require === 'function' ? require.resolve : createRequire(import.meta.url).resolve;
    return { nodePath: process.execPath, koffiPath: unpackedAsarPath(resolve('koffi')) };
  } catch {
    return null;
  }
}

export function createWindowsPlatform(options: WindowsPlatformOptions): Platform {
  const loadApi = options.win32 ?? loadWin32;
  let loaded: Win32Api | undefined;
  const win32 = async (): Promise<Win32Api> => {
    loaded ??= await loadApi();
    return loaded;
  };
  const system32 = windowsSystem32(options.systemRoot);
  let defaultRun: RunCommand | undefined;
  const run: RunCommand =
    options.run ??
    (async (file, args, runOptions) => {
      if (!defaultRun) {
        const oemCodePage = (await win32()).oemCodePage();
        defaultRun = createRunCommand({ decode: (bytes) => decodeConsoleOutput(bytes, oemCodePage) });
      }
      return defaultRun(file, args, runOptions);
    });
  const io = new PdhIoSource(win32, options.clock);
  const longFolders = new Map<string, string>();

  const schtasksPath = `${system32}\\schtasks.exe`;
  const taskScheduler: TaskSchedulerPort = {
    async disable(taskName) {
      const state = parseSchtasksQuery(await run(schtasksPath, schtasksQueryArgs(taskName)), taskName);
      if (!state.enabled) return { wasEnabled: false };
      checkSchtasksChange(await run(schtasksPath, schtasksChangeArgs(taskName, false)), taskName, false);
      return { wasEnabled: true };
    },
    async enable(taskName) {
      checkSchtasksChange(await run(schtasksPath, schtasksChangeArgs(taskName, true)), taskName, true);
    },
    async end(taskName) {
      checkSchtasksEnd(await run(schtasksPath, schtasksEndArgs(taskName)), taskName);
    },
  };

  return {
    kind: 'windows',
    processes: new WindowsProcessSource(win32, options.clock),
    killer: new WindowsProcessKiller({
      win32,
      run,
      taskkillPath: `${system32}\\taskkill.exe`,
      selfPid: options.selfPid ?? process.pid,
      ctrlC: options.ctrlC === undefined ? defaultCtrlCHelper() : options.ctrlC,
    }),
    cpuTimes: nodeCpuTimes,
    async memory() {
      return memoryInfoFromStatus((await win32()).memoryStatus());
    },
    async disks() {
      const drives = (await win32()).fixedDrives();
      const spaces = await Promise.all(
        drives.map(async (drive): Promise<DiskSpace | null> => {
          try {
            const stats = await statfs(`${drive}\\`);
            return {
              mount: drive,
              totalBytes: stats.blocks * stats.bsize,
              freeBytes: stats.bavail * stats.bsize,
            };
          } catch {
            return null;
          }
        }),
      );
      return spaces.filter((space): space is DiskSpace => space !== null);
    },
    async io() {
      return io.read();
    },
    canonicalFolder(path) {
      const plain = stripExtendedLengthPrefix(path.trim());
      if (!hasShortNameComponent(plain)) return plain;
      const known = longFolders.get(plain);
      if (known !== undefined) return known;
      if (!loaded) {
        void win32().catch(() => undefined); // expanded once koffi is loaded (the first scan loads it)
        return plain;
      }
      const long = loaded.longPathName(plain) ?? plain;
      longFolders.set(plain, long);
      return long;
    },
    taskScheduler,
    async close() {
      io.close();
    },
  };
}

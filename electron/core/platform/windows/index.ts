/**
 * Windows platform. Per sampling cycle it starts no process: processes, memory and disks come from
 * Win32 through koffi (loaded on first use), I/O from one long-lived typeperf. Only stop and
 * Task Scheduler actions run a command (taskkill.exe, schtasks.exe, both by full path, hidden window).
 */
import { statfs } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Clock } from '../../clock/index.js';
import { nodeCpuTimes } from '../cpu.js';
import { createRunCommand, type RunCommand } from '../run.js';
import type { DiskSpace, Platform, TaskSchedulerPort } from '../types.js';
import { decodeConsoleOutput, memoryInfoFromStatus } from './decode.js';
import { type CtrlCHelper, WindowsProcessKiller } from './killer.js';
import { WindowsProcessSource } from './process-source.js';
import { parseSchtasksQuery, schtasksChangeArgs, schtasksQueryArgs } from './schtasks.js';
import { TypeperfIoSource } from './typeperf.js';
import { loadWin32, type Win32Api } from './win32.js';

export { ctrlCAllowedPids, ctrlCHelperArgs, parseCtrlCHelperOutput } from './console-ctrl.js';
export * from './decode.js';
export { parseSchtasksQuery, schtasksChangeArgs, schtasksQueryArgs } from './schtasks.js';
export { parseTaskkillOutput, taskkillArgs } from './taskkill.js';
export {
  IoIntegrator,
  parseTypeperfHeader,
  parseTypeperfLine,
  TypeperfIoSource,
  typeperfArgs,
} from './typeperf.js';
export type { Win32Api } from './win32.js';

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
    return { nodePath: process.execPath, koffiPath: resolve('koffi') };
  } catch {
    return null;
  }
}

export function createWindowsPlatform(options: WindowsPlatformOptions): Platform {
  const win32 = options.win32 ?? loadWin32;
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
  let typeperf: TypeperfIoSource | undefined;

  const schtasksPath = `${system32}\\schtasks.exe`;
  const taskScheduler: TaskSchedulerPort = {
    async disable(taskName) {
      const query = await run(schtasksPath, schtasksQueryArgs(taskName));
      const state = parseSchtasksQuery(query.stdout, query.code, taskName);
      if (!state.exists || !state.enabled) return { wasEnabled: false };
      const change = await run(schtasksPath, schtasksChangeArgs(taskName, false));
      if (change.code !== 0) {
        throw new Error(
          `schtasks could not disable "${taskName}": ${(change.stderr || change.stdout).trim()}`,
        );
      }
      return { wasEnabled: true };
    },
    async enable(taskName) {
      const change = await run(schtasksPath, schtasksChangeArgs(taskName, true));
      if (change.code !== 0) {
        throw new Error(
          `schtasks could not enable "${taskName}": ${(change.stderr || change.stdout).trim()}`,
        );
      }
    },
  };

  return {
    kind: 'windows',
    processes: new WindowsProcessSource(win32),
    killer: new WindowsProcessKiller({
      win32,
      run,
      taskkillPath: `${system32}\\taskkill.exe`,
      selfPid: process.pid,
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
      if (!typeperf) {
        const oemCodePage = (await win32()).oemCodePage();
        typeperf = new TypeperfIoSource(`${system32}\\typeperf.exe`, options.clock, (bytes) =>
          decodeConsoleOutput(bytes, oemCodePage),
        );
      }
      return typeperf.read();
    },
    taskScheduler,
    async close() {
      await typeperf?.close();
    },
  };
}

/**
 * Win32 calls through koffi (MIT; prebuilt Windows binaries ship inside its npm package). This file is
 * the only one that touches koffi, and koffi itself is imported on first use, so importing the platform
 * on Linux never loads a Win32 symbol. Every structure is passed as a plain Buffer and decoded by the
 * pure functions in decode.ts.
 *
 * Handles and HWNDs are declared as intptr_t: their values are small integers, INVALID_HANDLE_VALUE
 * is -1 and NULL is 0. Win32 BOOL is a 4-byte int, so BOOL results are declared 'int' and compared
 * with 0.
 */
import {
  decodeMemoryStatusEx,
  decodeProcessEntry32W,
  decodeUnicodeString,
  decodeWorkingSetBytes,
  drivesFromMask,
  filetimeDurationMs,
  filetimeToEpochMs,
  MEMORYSTATUSEX_SIZE,
  type MemoryStatusEx,
  type PointerSize,
  type ProcessEntry,
  processEntry32WSize,
  processMemoryCountersSize,
  readFiletime,
} from './decode.js';

export interface ProcessDetails {
  /** Creation time, epoch ms. */
  startTime: number;
  cpuTimeMs: number;
  /** 0 when the handle lacks PROCESS_VM_READ (protected processes). */
  rssBytes: number;
  /** false when the process has exited but is still held open by someone. */
  alive: boolean;
  /** Only when asked for; '' when unreadable. */
  cmdline?: string;
}

/** What the Windows platform needs from Win32; a fake implements it in unit tests. */
export interface Win32Api {
  snapshotProcesses(): ProcessEntry[];
  /** null when the process cannot be opened (exited, or access denied even for limited queries). */
  queryProcess(pid: number, withCmdline: boolean): ProcessDetails | null;
  /** PIDs owning a visible top-level window that IsHungAppWindow reports. */
  hungWindowPids(): Set<number>;
  memoryStatus(): MemoryStatusEx;
  /** Fixed drives, e.g. ["C:", "D:"]. */
  fixedDrives(): string[];
  oemCodePage(): number;
}

const TH32CS_SNAPPROCESS = 0x2;
const PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;
const PROCESS_VM_READ = 0x0010;
const PROCESS_COMMAND_LINE_INFORMATION = 60; // Windows 8.1+
const STILL_ACTIVE = 259;
const DRIVE_FIXED = 3;
/** UNICODE_STRING header + the longest possible command line (32767 UTF-16 units). */
const COMMAND_LINE_BUFFER_SIZE = 16 + 65_536;

type KoffiModule = typeof import('koffi');
// koffi's typings declare every native function as (...args: any[]) => any.
type NativeFunction = ReturnType<ReturnType<KoffiModule['load']>['func']>;

async function importKoffi(): Promise<KoffiModule> {
  const loaded = (await import('koffi')) as KoffiModule & { default?: KoffiModule };
  return loaded.default ?? loaded;
}

let cached: Promise<Win32Api> | undefined;

/** Loads koffi and binds the Win32 functions once per process; later calls share the same bindings. */
export function loadWin32(): Promise<Win32Api> {
  cached ??= importKoffi().then(bindWin32);
  return cached;
}

/** The callback type EnumWindows takes; declared before the signatures that name it. */
export const ENUM_WINDOWS_PROC = 'int __stdcall EnumWindowsProc(intptr_t hwnd, intptr_t lParam)';

/** Every Win32 function used, by DLL. Unit tests parse each prototype with koffi on any OS. */
export const WIN32_SIGNATURES = {
  CreateToolhelp32Snapshot: [
    'kernel32.dll',
    'intptr_t __stdcall CreateToolhelp32Snapshot(uint32_t dwFlags, uint32_t th32ProcessID)',
  ],
  Process32FirstW: ['kernel32.dll', 'int __stdcall Process32FirstW(intptr_t hSnapshot, void *lppe)'],
  Process32NextW: ['kernel32.dll', 'int __stdcall Process32NextW(intptr_t hSnapshot, void *lppe)'],
  OpenProcess: ['kernel32.dll', 'intptr_t __stdcall OpenProcess(uint32_t access, int inherit, uint32_t pid)'],
  CloseHandle: ['kernel32.dll', 'int __stdcall CloseHandle(intptr_t h)'],
  GetProcessTimes: [
    'kernel32.dll',
    'int __stdcall GetProcessTimes(intptr_t h, void *creation, void *exit, void *kernel, void *user)',
  ],
  GetExitCodeProcess: ['kernel32.dll', 'int __stdcall GetExitCodeProcess(intptr_t h, void *code)'],
  K32GetProcessMemoryInfo: [
    'kernel32.dll',
    'int __stdcall K32GetProcessMemoryInfo(intptr_t h, void *counters, uint32_t cb)',
  ],
  GlobalMemoryStatusEx: ['kernel32.dll', 'int __stdcall GlobalMemoryStatusEx(void *buffer)'],
  GetLogicalDrives: ['kernel32.dll', 'uint32_t __stdcall GetLogicalDrives()'],
  GetDriveTypeW: ['kernel32.dll', 'uint32_t __stdcall GetDriveTypeW(str16 root)'],
  GetOEMCP: ['kernel32.dll', 'uint32_t __stdcall GetOEMCP()'],
  NtQueryInformationProcess: [
    'ntdll.dll',
    'int32_t __stdcall NtQueryInformationProcess(intptr_t h, int cls, void *info, uint32_t len, void *retLen)',
  ],
  EnumWindows: ['user32.dll', 'int __stdcall EnumWindows(EnumWindowsProc *callback, intptr_t lParam)'],
  IsWindowVisible: ['user32.dll', 'int __stdcall IsWindowVisible(intptr_t hwnd)'],
  IsHungAppWindow: ['user32.dll', 'int __stdcall IsHungAppWindow(intptr_t hwnd)'],
  GetWindowThreadProcessId: [
    'user32.dll',
    'uint32_t __stdcall GetWindowThreadProcessId(intptr_t hwnd, void *pid)',
  ],
} as const satisfies Record<string, readonly [string, string]>;

type Win32Name = keyof typeof WIN32_SIGNATURES;

function bindWin32(koffi: KoffiModule): Win32Api {
  koffi.proto(ENUM_WINDOWS_PROC);
  const libraries = new Map<string, ReturnType<KoffiModule['load']>>();
  const bind = (name: Win32Name): NativeFunction => {
    const [dll, prototype] = WIN32_SIGNATURES[name];
    let library = libraries.get(dll);
    if (!library) {
      library = koffi.load(dll);
      libraries.set(dll, library);
    }
    return library.func(prototype);
  };
  const CreateToolhelp32Snapshot = bind('CreateToolhelp32Snapshot');
  const Process32FirstW = bind('Process32FirstW');
  const Process32NextW = bind('Process32NextW');
  const OpenProcess = bind('OpenProcess');
  const CloseHandle = bind('CloseHandle');
  const GetProcessTimes = bind('GetProcessTimes');
  const GetExitCodeProcess = bind('GetExitCodeProcess');
  const K32GetProcessMemoryInfo = bind('K32GetProcessMemoryInfo');
  const GlobalMemoryStatusEx = bind('GlobalMemoryStatusEx');
  const GetLogicalDrives = bind('GetLogicalDrives');
  const GetDriveTypeW = bind('GetDriveTypeW');
  const GetOEMCP = bind('GetOEMCP');
  const NtQueryInformationProcess = bind('NtQueryInformationProcess');
  const EnumWindows = bind('EnumWindows');
  const IsWindowVisible = bind('IsWindowVisible');
  const IsHungAppWindow = bind('IsHungAppWindow');
  const GetWindowThreadProcessId = bind('GetWindowThreadProcessId');

  const pointerSize = koffi.sizeof('void *') as PointerSize;
  // Buffers allocated once and reused: a scan makes no allocation per process besides the results.
  const entry = Buffer.alloc(processEntry32WSize(pointerSize));
  const times = [Buffer.alloc(8), Buffer.alloc(8), Buffer.alloc(8), Buffer.alloc(8)] as const;
  const memoryCounters = Buffer.alloc(processMemoryCountersSize(pointerSize));
  const dword = Buffer.alloc(4);
  const commandLine = Buffer.alloc(COMMAND_LINE_BUFFER_SIZE);
  const commandLineAddress = koffi.address(commandLine);
  const memoryStatusBuffer = Buffer.alloc(MEMORYSTATUSEX_SIZE);

  const readCommandLine = (handle: number): string => {
    const status = NtQueryInformationProcess(
      handle,
      PROCESS_COMMAND_LINE_INFORMATION,
      commandLine,
      commandLine.length,
      dword,
    ) as number;
    if (status < 0) return ''; // NTSTATUS error, e.g. a protected process
    return decodeUnicodeString(commandLine, pointerSize, commandLineAddress);
  };

  return {
    snapshotProcesses() {
      const snapshot = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0) as number;
      if (snapshot === -1) return [];
      const entries: ProcessEntry[] = [];
      try {
        entry.fill(0);
        entry.writeUInt32LE(entry.length, 0); // dwSize must be set before the first call
        let more = (Process32FirstW(snapshot, entry) as number) !== 0;
        while (more) {
          entries.push(decodeProcessEntry32W(entry, pointerSize));
          more = (Process32NextW(snapshot, entry) as number) !== 0;
        }
      } finally {
        CloseHandle(snapshot);
      }
      return entries;
    },

    queryProcess(pid, withCmdline) {
      let handle = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION | PROCESS_VM_READ, 0, pid) as number;
      let canReadMemory = true;
      if (handle === 0) {
        // Protected processes refuse PROCESS_VM_READ but still answer limited queries.
        handle = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) as number;
        canReadMemory = false;
      }
      if (handle === 0) return null;
      try {
        if ((GetProcessTimes(handle, times[0], times[1], times[2], times[3]) as number) === 0) return null;
        const creation = readFiletime(times[0]);
        const kernel = readFiletime(times[2]);
        const user = readFiletime(times[3]);
        const alive =
          (GetExitCodeProcess(handle, dword) as number) === 0 || dword.readUInt32LE(0) === STILL_ACTIVE;
        let rssBytes = 0;
        if (canReadMemory) {
          memoryCounters.fill(0);
          memoryCounters.writeUInt32LE(memoryCounters.length, 0);
          if ((K32GetProcessMemoryInfo(handle, memoryCounters, memoryCounters.length) as number) !== 0) {
            rssBytes = decodeWorkingSetBytes(memoryCounters, pointerSize);
          }
        }
        const details: ProcessDetails = {
          startTime: filetimeToEpochMs(creation.low, creation.high),
          cpuTimeMs: filetimeDurationMs(kernel.low, kernel.high) + filetimeDurationMs(user.low, user.high),
          rssBytes,
          alive,
        };
        if (withCmdline) details.cmdline = readCommandLine(handle);
        return details;
      } finally {
        CloseHandle(handle);
      }
    },

    hungWindowPids() {
      const hung = new Set<number>();
      EnumWindows((hwnd: number) => {
        if ((IsWindowVisible(hwnd) as number) !== 0 && (IsHungAppWindow(hwnd) as number) !== 0) {
          GetWindowThreadProcessId(hwnd, dword);
          hung.add(dword.readUInt32LE(0));
        }
        return 1; // continue enumeration
      }, 0);
      return hung;
    },

    memoryStatus() {
      memoryStatusBuffer.fill(0);
      memoryStatusBuffer.writeUInt32LE(MEMORYSTATUSEX_SIZE, 0);
      if ((GlobalMemoryStatusEx(memoryStatusBuffer) as number) === 0) {
        throw new Error('GlobalMemoryStatusEx failed');
      }
      return decodeMemoryStatusEx(memoryStatusBuffer);
    },

    fixedDrives() {
      return drivesFromMask(GetLogicalDrives() as number).filter(
        (drive) => (GetDriveTypeW(`${drive}\\`) as number) === DRIVE_FIXED,
      );
    },

    oemCodePage() {
      return GetOEMCP() as number;
    },
  };
}

/**
 * Win32 calls through koffi (MIT; prebuilt Windows binaries ship inside its npm package). This file is
 * the only one that touches koffi, and koffi itself is imported on first use, so importing the platform
 * on Linux never loads a Win32 symbol. Every structure is passed as a plain Buffer and decoded by the
 * pure functions in decode.ts.
 *
 * `bindWin32` takes a `NativeLayer` (the bound functions, the pointer size and a Buffer's address):
 * koffi in the app, and in unit tests a fake that answers each call the way Windows does (filling the
 * Buffers) and records the call sequence.
 *
 * Handles and HWNDs are declared as intptr_t: their values are small integers or user-space addresses
 * (below 2^47, exact as JS numbers), INVALID_HANDLE_VALUE is -1 and NULL is 0. Win32 BOOL is a 4-byte
 * int, so BOOL results are declared 'int' and compared with 0. NTSTATUS is int32 (errors negative);
 * PDH_STATUS is read as uint32 (errors like 0xC0000BB8).
 */
import {
  decodeMemoryStatusEx,
  decodeRawCounterArray,
  decodeSystemProcessInformation,
  decodeUnicodeString,
  drivesFromMask,
  filetimeToEpochMs,
  MEMORYSTATUSEX_SIZE,
  type MemoryStatusEx,
  type PointerSize,
  type ProcessEntry,
  type RawCounterItem,
  readFiletime,
} from './decode.js';

export type TerminateOutcome =
  /** TerminateProcess succeeded on the handle whose creation time was checked. */
  | 'terminated'
  /** The process has exited (it may still be held open by someone). */
  | 'gone'
  /** The PID now belongs to a process created at another time. */
  | 'reused'
  /** It is the right process but this user may not end it (elevated, another user, protected). */
  | 'denied'
  /** It cannot even be opened for a limited query: exited, or protected. The caller decides which. */
  | 'cannot-open'
  | 'failed';

/** A PDH query over English counter paths (locale-proof), sampled on demand. */
export interface CounterQuery {
  /** PDH status of adding each path, in the order given: 0 when added. */
  readonly addStatus: readonly number[];
  /** Samples every added counter once (PdhCollectQueryData); returns the PDH status. */
  collect(): number;
  /** The raw values of every instance of counter `index` after the last collect, or the PDH status. */
  rawValues(index: number): RawCounterItem[] | number;
  close(): void;
}

/** What the Windows platform needs from Win32; unit tests bind it to a fake native layer. */
export interface Win32Api {
  /**
   * Every process, from ONE NtQuerySystemInformation(SystemProcessInformation) call: pid, parent,
   * image name, creation time, CPU time and working set, without opening any process (so elevated
   * and other users' bots are measured too). Throws when the call fails twice in a row.
   */
  snapshotProcesses(): ProcessEntry[];
  /**
   * The command line of `pid`, if that PID still belongs to the process created at `startTime`; null
   * when it cannot be read (no access, exited, PID reused, or the read itself failed).
   */
  readCommandLine(pid: number, startTime: number): string | null;
  /**
   * Ends `pid` if it is still the process created at `startTime`: one OpenProcess(PROCESS_TERMINATE |
   * PROCESS_QUERY_LIMITED_INFORMATION), the creation time checked on that handle, TerminateProcess on
   * the same handle. No window between the check and the kill in which the PID could be reused.
   */
  terminateProcess(pid: number, startTime: number): TerminateOutcome;
  /**
   * PIDs owning a hung top-level window: a visible window that IsHungAppWindow reports, or the window
   * behind a ghost (Windows hides a hung window and shows a ghost copy owned by another process).
   * Console programs are not covered: their window belongs to conhost.exe / OpenConsole.exe.
   */
  hungWindowPids(): Set<number>;
  memoryStatus(): MemoryStatusEx;
  /** Fixed drives, e.g. ["C:", "D:"]. */
  fixedDrives(): string[];
  oemCodePage(): number;
  /** GetLongPathNameW: `C:\PROGRA~1\Bots` → `C:\Program Files\Bots`; null when it fails (missing path). */
  longPathName(path: string): string | null;
  /** Opens a PDH query (PdhOpenQueryW) and adds each path with PdhAddEnglishCounterW. */
  openCounterQuery(paths: readonly string[]): CounterQuery;
}

const PROCESS_TERMINATE = 0x0001;
const PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;
const PROCESS_COMMAND_LINE_INFORMATION = 60; // Windows 8.1+
const SYSTEM_PROCESS_INFORMATION = 5;
const STATUS_INFO_LENGTH_MISMATCH = -1073741820; // 0xC0000004 as int32
const STILL_ACTIVE = 259;
const DRIVE_FIXED = 3;
const PDH_MORE_DATA = 0x800007d2;
/** TerminateProcess exit code, the one `taskkill /F` uses. */
const TERMINATED_EXIT_CODE = 1;
/** UNICODE_STRING header + the longest possible command line (32767 UTF-16 units). */
const COMMAND_LINE_BUFFER_SIZE = 16 + 65_536;
/** A process table of a busy PC (≈300 processes, 5000 threads) takes about 600 KB. */
const PROCESS_TABLE_INITIAL_SIZE = 1 << 20;
const PROCESS_TABLE_MAX_SIZE = 64 << 20;

/** The callback type EnumWindows takes; declared before the signatures that name it. */
export const ENUM_WINDOWS_PROC = 'int __stdcall EnumWindowsProc(intptr_t hwnd, intptr_t lParam)';

/** Every Win32 function used, by DLL. Unit tests parse each prototype with koffi on any OS. */
export const WIN32_SIGNATURES = {
  NtQuerySystemInformation: [
    'ntdll.dll',
    'int32_t __stdcall NtQuerySystemInformation(int cls, void *info, uint32_t len, void *retLen)',
  ],
  OpenProcess: ['kernel32.dll', 'intptr_t __stdcall OpenProcess(uint32_t access, int inherit, uint32_t pid)'],
  CloseHandle: ['kernel32.dll', 'int __stdcall CloseHandle(intptr_t h)'],
  GetProcessTimes: [
    'kernel32.dll',
    'int __stdcall GetProcessTimes(intptr_t h, void *creation, void *exit, void *kernel, void *user)',
  ],
  GetExitCodeProcess: ['kernel32.dll', 'int __stdcall GetExitCodeProcess(intptr_t h, void *code)'],
  TerminateProcess: ['kernel32.dll', 'int __stdcall TerminateProcess(intptr_t h, uint32_t exitCode)'],
  GlobalMemoryStatusEx: ['kernel32.dll', 'int __stdcall GlobalMemoryStatusEx(void *buffer)'],
  GetLogicalDrives: ['kernel32.dll', 'uint32_t __stdcall GetLogicalDrives()'],
  GetDriveTypeW: ['kernel32.dll', 'uint32_t __stdcall GetDriveTypeW(str16 root)'],
  GetOEMCP: ['kernel32.dll', 'uint32_t __stdcall GetOEMCP()'],
  GetLongPathNameW: [
    'kernel32.dll',
    'uint32_t __stdcall GetLongPathNameW(str16 shortPath, void *longPath, uint32_t chars)',
  ],
  NtQueryInformationProcess: [
    'ntdll.dll',
    'int32_t __stdcall NtQueryInformationProcess(intptr_t h, int cls, void *info, uint32_t len, void *retLen)',
  ],
  EnumWindows: ['user32.dll', 'int __stdcall EnumWindows(EnumWindowsProc *callback, intptr_t lParam)'],
  IsWindowVisible: ['user32.dll', 'int __stdcall IsWindowVisible(intptr_t hwnd)'],
  IsHungAppWindow: ['user32.dll', 'int __stdcall IsHungAppWindow(intptr_t hwnd)'],
  HungWindowFromGhostWindow: ['user32.dll', 'intptr_t __stdcall HungWindowFromGhostWindow(intptr_t hwnd)'],
  GetWindowThreadProcessId: [
    'user32.dll',
    'uint32_t __stdcall GetWindowThreadProcessId(intptr_t hwnd, void *pid)',
  ],
  PdhOpenQueryW: [
    'pdh.dll',
    'uint32_t __stdcall PdhOpenQueryW(str16 source, uintptr_t userData, void *query)',
  ],
  PdhAddEnglishCounterW: [
    'pdh.dll',
    'uint32_t __stdcall PdhAddEnglishCounterW(intptr_t query, str16 path, uintptr_t userData, void *counter)',
  ],
  PdhCollectQueryData: ['pdh.dll', 'uint32_t __stdcall PdhCollectQueryData(intptr_t query)'],
  PdhGetRawCounterArrayW: [
    'pdh.dll',
    'uint32_t __stdcall PdhGetRawCounterArrayW(intptr_t counter, void *bufferSize, void *itemCount, void *items)',
  ],
  PdhCloseQuery: ['pdh.dll', 'uint32_t __stdcall PdhCloseQuery(intptr_t query)'],
} as const satisfies Record<string, readonly [string, string]>;

export type Win32Name = keyof typeof WIN32_SIGNATURES;

/** A bound native function. Arguments are numbers, strings, Buffers, null or a JS callback. */
export type NativeFunction = (...args: unknown[]) => unknown;

/** What bindWin32 calls through: koffi in the app, a fake that behaves like Windows in unit tests. */
export interface NativeLayer {
  pointerSize: PointerSize;
  /** The function of WIN32_SIGNATURES; throws when its DLL does not export it. */
  func(name: Win32Name): NativeFunction;
  /** The native address of a Buffer (koffi.address), to find pointers Win32 wrote into it. */
  address(buffer: Buffer): bigint;
}

type KoffiModule = typeof import('koffi');

async function importKoffi(): Promise<KoffiModule> {
  const loaded = (await import('koffi')) as KoffiModule & { default?: KoffiModule };
  return loaded.default ?? loaded;
}

function koffiLayer(koffi: KoffiModule): NativeLayer {
  koffi.proto(ENUM_WINDOWS_PROC);
  const libraries = new Map<string, ReturnType<KoffiModule['load']>>();
  return {
    pointerSize: koffi.sizeof('void *') as PointerSize,
    func(name) {
      const [dll, prototype] = WIN32_SIGNATURES[name];
      let library = libraries.get(dll);
      if (!library) {
        library = koffi.load(dll);
        libraries.set(dll, library);
      }
      return library.func(prototype) as NativeFunction;
    },
    address: (buffer) => koffi.address(buffer) as bigint,
  };
}

let cached: Promise<Win32Api> | undefined;

/** Loads koffi and binds the Win32 functions once per process; later calls share the same bindings. */
export function loadWin32(): Promise<Win32Api> {
  cached ??= importKoffi().then((koffi) => bindWin32(koffiLayer(koffi)));
  return cached;
}

function hex(status: number): string {
  return `0x${(status >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

export function bindWin32(native: NativeLayer): Win32Api {
  const { pointerSize } = native;
  const NtQuerySystemInformation = native.func('NtQuerySystemInformation');
  const OpenProcess = native.func('OpenProcess');
  const CloseHandle = native.func('CloseHandle');
  const GetProcessTimes = native.func('GetProcessTimes');
  const GetExitCodeProcess = native.func('GetExitCodeProcess');
  const TerminateProcess = native.func('TerminateProcess');
  const GlobalMemoryStatusEx = native.func('GlobalMemoryStatusEx');
  const GetLogicalDrives = native.func('GetLogicalDrives');
  const GetDriveTypeW = native.func('GetDriveTypeW');
  const GetOEMCP = native.func('GetOEMCP');
  const GetLongPathNameW = native.func('GetLongPathNameW');
  const NtQueryInformationProcess = native.func('NtQueryInformationProcess');
  const EnumWindows = native.func('EnumWindows');
  const IsWindowVisible = native.func('IsWindowVisible');
  const IsHungAppWindow = native.func('IsHungAppWindow');
  const GetWindowThreadProcessId = native.func('GetWindowThreadProcessId');
  let HungWindowFromGhostWindow: NativeFunction | null;
  try {
    HungWindowFromGhostWindow = native.func('HungWindowFromGhostWindow'); // user32 export since Vista
  } catch {
    HungWindowFromGhostWindow = null;
  }
  // pdh.dll is loaded on the first io(), not with the process functions.
  let pdh: Record<
    | 'PdhOpenQueryW'
    | 'PdhAddEnglishCounterW'
    | 'PdhCollectQueryData'
    | 'PdhGetRawCounterArrayW'
    | 'PdhCloseQuery',
    NativeFunction
  > | null = null;

  // Buffers allocated once and reused: a scan makes no allocation per process besides the results.
  let processTable = Buffer.alloc(PROCESS_TABLE_INITIAL_SIZE);
  const times = [Buffer.alloc(8), Buffer.alloc(8), Buffer.alloc(8), Buffer.alloc(8)] as const;
  const dword = Buffer.alloc(4);
  const commandLine = Buffer.alloc(COMMAND_LINE_BUFFER_SIZE);
  const commandLineAddress = native.address(commandLine);
  const memoryStatusBuffer = Buffer.alloc(MEMORYSTATUSEX_SIZE);
  let longPath = Buffer.alloc(2 * 1024);
  const handleOut = Buffer.alloc(8);

  const readHandle = (buffer: Buffer): number =>
    pointerSize === 8 ? Number(buffer.readBigInt64LE(0)) : buffer.readInt32LE(0);

  /** Creation time (epoch ms) of an open process, or null when GetProcessTimes fails. */
  const creationTime = (handle: number): number | null => {
    if ((GetProcessTimes(handle, times[0], times[1], times[2], times[3]) as number) === 0) return null;
    const creation = readFiletime(times[0]);
    return filetimeToEpochMs(creation.low, creation.high);
  };

  const hasExited = (handle: number): boolean =>
    (GetExitCodeProcess(handle, dword) as number) !== 0 && dword.readUInt32LE(0) !== STILL_ACTIVE;

  const queryProcessTable = (): ProcessEntry[] | number => {
    for (;;) {
      dword.writeUInt32LE(0, 0);
      const status = NtQuerySystemInformation(
        SYSTEM_PROCESS_INFORMATION,
        processTable,
        processTable.length,
        dword,
      ) as number;
      if (status === STATUS_INFO_LENGTH_MISMATCH && processTable.length < PROCESS_TABLE_MAX_SIZE) {
        // Processes start between the two calls: ask for what it said plus room to spare.
        const needed = Math.max(dword.readUInt32LE(0) + (64 << 10), processTable.length * 2);
        processTable = Buffer.alloc(Math.min(needed, PROCESS_TABLE_MAX_SIZE));
        continue;
      }
      if (status < 0) return status;
      return decodeSystemProcessInformation(processTable, pointerSize, native.address(processTable));
    }
  };

  const loadPdh = () => {
    pdh ??= {
      PdhOpenQueryW: native.func('PdhOpenQueryW'),
      PdhAddEnglishCounterW: native.func('PdhAddEnglishCounterW'),
      PdhCollectQueryData: native.func('PdhCollectQueryData'),
      PdhGetRawCounterArrayW: native.func('PdhGetRawCounterArrayW'),
      PdhCloseQuery: native.func('PdhCloseQuery'),
    };
    return pdh;
  };

  return {
    snapshotProcesses() {
      let result = queryProcessTable();
      if (typeof result === 'number') result = queryProcessTable(); // one retry
      if (typeof result === 'number') {
        // An empty list would read as "every process exited": the stop would end its wait early.
        throw new Error(`NtQuerySystemInformation(SystemProcessInformation) failed twice: ${hex(result)}`);
      }
      if (result.length === 0) throw new Error('NtQuerySystemInformation returned no process');
      return result;
    },

    readCommandLine(pid, startTime) {
      const handle = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) as number;
      if (handle === 0) return null;
      try {
        if (creationTime(handle) !== startTime) return null; // PID reused since the snapshot
        commandLine.writeUInt16LE(0, 0);
        const status = NtQueryInformationProcess(
          handle,
          PROCESS_COMMAND_LINE_INFORMATION,
          commandLine,
          commandLine.length,
          dword,
        ) as number;
        if (status < 0) return null; // e.g. a process still being created, or protected
        return decodeUnicodeString(commandLine, pointerSize, commandLineAddress);
      } finally {
        CloseHandle(handle);
      }
    },

    terminateProcess(pid, startTime) {
      const handle = OpenProcess(PROCESS_TERMINATE | PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) as number;
      if (handle === 0) {
        // Not ours to end, or not there: a limited query tells the right process from a reused PID.
        const query = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) as number;
        if (query === 0) return 'cannot-open';
        try {
          if (creationTime(query) !== startTime) return 'reused';
          return hasExited(query) ? 'gone' : 'denied';
        } finally {
          CloseHandle(query);
        }
      }
      try {
        const created = creationTime(handle);
        if (created === null) return 'failed';
        if (created !== startTime) return 'reused';
        if (hasExited(handle)) return 'gone';
        return (TerminateProcess(handle, TERMINATED_EXIT_CODE) as number) !== 0 ? 'terminated' : 'failed';
      } finally {
        CloseHandle(handle);
      }
    },

    hungWindowPids() {
      const hung = new Set<number>();
      const ownerOf = (hwnd: number): number => {
        dword.writeUInt32LE(0, 0);
        GetWindowThreadProcessId(hwnd, dword);
        return dword.readUInt32LE(0);
      };
      EnumWindows((hwnd: number) => {
        const behindGhost = HungWindowFromGhostWindow ? (HungWindowFromGhostWindow(hwnd) as number) : 0;
        if (behindGhost !== 0) {
          hung.add(ownerOf(behindGhost));
        } else if ((IsWindowVisible(hwnd) as number) !== 0 && (IsHungAppWindow(hwnd) as number) !== 0) {
          hung.add(ownerOf(hwnd));
        }
        return 1; // continue enumeration
      }, 0);
      hung.delete(0);
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

    longPathName(path) {
      for (let attempt = 0; attempt < 2; attempt++) {
        const chars = GetLongPathNameW(path, longPath, longPath.length / 2) as number;
        if (chars === 0) return null;
        // Too small: the result is the size needed, terminating NUL included.
        if (chars >= longPath.length / 2) {
          longPath = Buffer.alloc(chars * 2);
          continue;
        }
        return longPath.toString('utf16le', 0, chars * 2);
      }
      return null;
    },

    openCounterQuery(paths) {
      const api = loadPdh();
      handleOut.fill(0);
      const openStatus = api.PdhOpenQueryW(null, 0, handleOut) as number;
      if (openStatus !== 0) throw new Error(`PdhOpenQueryW failed: ${hex(openStatus)}`);
      const query = readHandle(handleOut);
      const counters = paths.map((path) => {
        handleOut.fill(0);
        const status = api.PdhAddEnglishCounterW(query, path, 0, handleOut) as number;
        return { status, handle: status === 0 ? readHandle(handleOut) : 0 };
      });
      let items = Buffer.alloc(16 << 10);
      const size = Buffer.alloc(4);
      const count = Buffer.alloc(4);
      return {
        addStatus: counters.map((counter) => counter.status),
        collect: () => api.PdhCollectQueryData(query) as number,
        rawValues(index) {
          const counter = counters[index];
          if (counter?.status !== 0) return counter?.status ?? -1;
          // Instances (disks, adapters) may appear between the size answer and the next call.
          for (let attempt = 0; attempt < 4; attempt++) {
            size.writeUInt32LE(items.length, 0);
            count.writeUInt32LE(0, 0);
            const status = api.PdhGetRawCounterArrayW(counter.handle, size, count, items) as number;
            if (status === PDH_MORE_DATA) {
              items = Buffer.alloc(Math.max(size.readUInt32LE(0), items.length * 2));
              continue;
            }
            if (status !== 0) return status;
            return decodeRawCounterArray(items, count.readUInt32LE(0), pointerSize, native.address(items));
          }
          return PDH_MORE_DATA;
        },
        close() {
          api.PdhCloseQuery(query);
        },
      };
    },
  };
}

/**
 * Pure decoding of the Win32 structures the Windows platform reads through koffi. The bindings pass
 * plain Buffers to Win32 and these functions read them, so every layout is unit-tested with recorded
 * bytes on any OS. Offsets follow the Windows SDK headers for 64-bit (pointerSize 8) and 32-bit (4).
 */

export type PointerSize = 4 | 8;

/** 100 ns intervals between 1601-01-01 (FILETIME epoch) and 1970-01-01. */
const FILETIME_UNIX_EPOCH = 116_444_736_000_000_000n;

/** FILETIME / LARGE_INTEGER halves → bigint count of 100 ns units. */
export function filetimeTicks(low: number, high: number): bigint {
  return (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
}

/** An absolute FILETIME (e.g. process creation time) → epoch ms, truncated to the millisecond. */
export function filetimeToEpochMs(low: number, high: number): number {
  return Number((filetimeTicks(low, high) - FILETIME_UNIX_EPOCH) / 10_000n);
}

/** A FILETIME that holds a duration (kernel or user time) → ms. */
export function filetimeDurationMs(low: number, high: number): number {
  return Number(filetimeTicks(low, high) / 10_000n);
}

/** Reads a FILETIME stored at `offset` in a buffer (8 bytes, little endian). */
export function readFiletime(buffer: Buffer, offset = 0): { low: number; high: number } {
  return { low: buffer.readUInt32LE(offset), high: buffer.readUInt32LE(offset + 4) };
}

function readUtf16z(buffer: Buffer, offset: number, maxChars: number): string {
  const end = Math.min(buffer.length, offset + maxChars * 2);
  let cursor = offset;
  while (cursor + 1 < end && buffer.readUInt16LE(cursor) !== 0) cursor += 2;
  return buffer.toString('utf16le', offset, cursor);
}

/** Reads a pointer-sized value (a native address) stored at `offset`. */
function readPointer(buffer: Buffer, offset: number, pointerSize: PointerSize): bigint {
  return pointerSize === 8 ? buffer.readBigUInt64LE(offset) : BigInt(buffer.readUInt32LE(offset));
}

/**
 * Where a pointer that Win32 wrote into `buffer` points, as an offset into that same buffer, or null
 * when it points elsewhere (or `byteLength` bytes from there would run past the end).
 */
function offsetInBuffer(
  pointer: bigint,
  bufferAddress: bigint,
  buffer: Buffer,
  byteLength = 0,
): number | null {
  const relative = pointer - bufferAddress;
  if (relative < 0n || relative + BigInt(byteLength) > BigInt(buffer.length)) return null;
  return Number(relative);
}

/** One process of SYSTEM_PROCESS_INFORMATION, everything the monitor needs without opening it. */
export interface ProcessEntry {
  pid: number;
  ppid: number;
  exeFile: string;
  /** Creation time, epoch ms; 0 when the system reports none (System Idle Process). */
  startTime: number;
  /** Cumulative user + kernel time, ms. */
  cpuTimeMs: number;
  /** Working set, bytes. */
  rssBytes: number;
  /** 0 once every thread has exited: the process is gone and only an open handle keeps its entry. */
  threads: number;
}

/**
 * Field offsets of SYSTEM_PROCESS_INFORMATION (winternl.h / phnt ntexapi.h): NextEntryOffset,
 * NumberOfThreads, WorkingSetPrivateSize, HardFaultCount, NumberOfThreadsHighWatermark, CycleTime,
 * CreateTime, UserTime, KernelTime, ImageName (UNICODE_STRING), BasePriority, UniqueProcessId,
 * InheritedFromUniqueProcessId, HandleCount, SessionId, UniqueProcessKey, PeakVirtualSize, VirtualSize,
 * PageFaultCount, PeakWorkingSetSize, WorkingSetSize, … then the SYSTEM_THREAD_INFORMATION array. The
 * 64-bit values are 8-aligned on both; HANDLE and SIZE_T follow the pointer size.
 */
export const SYSTEM_PROCESS_INFORMATION_OFFSETS = {
  8: {
    threads: 4,
    createTime: 32,
    userTime: 40,
    kernelTime: 48,
    nameLength: 56,
    nameBuffer: 64,
    pid: 80,
    ppid: 88,
    workingSet: 144,
  },
  4: {
    threads: 4,
    createTime: 32,
    userTime: 40,
    kernelTime: 48,
    nameLength: 56,
    nameBuffer: 60,
    pid: 68,
    ppid: 72,
    workingSet: 104,
  },
} as const;

/**
 * Walks the chain of SYSTEM_PROCESS_INFORMATION entries that NtQuerySystemInformation(
 * SystemProcessInformation) writes into `buffer` (each NextEntryOffset bytes after the previous, 0 on
 * the last). Image names are UNICODE_STRINGs whose text the call places inside the same buffer;
 * `bufferAddress` (the buffer's native address) locates them. A chain that leaves the buffer ends the walk.
 */
export function decodeSystemProcessInformation(
  buffer: Buffer,
  pointerSize: PointerSize,
  bufferAddress: bigint,
): ProcessEntry[] {
  const at = SYSTEM_PROCESS_INFORMATION_OFFSETS[pointerSize];
  const entrySize = at.workingSet + pointerSize;
  const entries: ProcessEntry[] = [];
  let offset = 0;
  while (offset + entrySize <= buffer.length) {
    const pid = Number(readPointer(buffer, offset + at.pid, pointerSize));
    const nameLength = buffer.readUInt16LE(offset + at.nameLength);
    const namePointer = readPointer(buffer, offset + at.nameBuffer, pointerSize);
    const nameAt = nameLength > 0 ? offsetInBuffer(namePointer, bufferAddress, buffer, nameLength) : null;
    const create = filetimeTicks(
      buffer.readUInt32LE(offset + at.createTime),
      buffer.readUInt32LE(offset + at.createTime + 4),
    );
    entries.push({
      pid,
      ppid: Number(readPointer(buffer, offset + at.ppid, pointerSize)),
      // The System Idle Process has no name; Toolhelp and Task Manager call it this.
      exeFile:
        nameAt !== null
          ? buffer.toString('utf16le', nameAt, nameAt + nameLength)
          : pid === 0
            ? '[System Process]'
            : '',
      startTime: create === 0n ? 0 : Number((create - FILETIME_UNIX_EPOCH) / 10_000n),
      cpuTimeMs: Number(
        (buffer.readBigUInt64LE(offset + at.userTime) + buffer.readBigUInt64LE(offset + at.kernelTime)) /
          10_000n,
      ),
      rssBytes: Number(readPointer(buffer, offset + at.workingSet, pointerSize)),
      threads: buffer.readUInt32LE(offset + at.threads),
    });
    const next = buffer.readUInt32LE(offset);
    if (next === 0) break;
    offset += next;
  }
  return entries;
}

/** PDH_RAW_COUNTER_ITEM_W: szName (pointer), then PDH_RAW_COUNTER at 8 (8-aligned on 32 and 64 bit). */
export const PDH_RAW_COUNTER_ITEM_SIZE = 48;
const PDH_RAW_ITEM = { status: 8, firstValue: 24, secondValue: 32 } as const;

export interface RawCounterItem {
  /** Instance name, e.g. "0 C:" or "Intel[R] Ethernet Connection [7] I219-V". */
  instance: string;
  /** PDH_RAW_COUNTER.CStatus: 0 (PDH_CSTATUS_VALID_DATA) or 1 (NEW_DATA) is a usable value. */
  status: number;
  /** FirstValue: for the bulk-count and counter types read here, the cumulative count since start. */
  value: number;
}

/**
 * The PDH_RAW_COUNTER_ITEM_W array that PdhGetRawCounterArrayW writes into `buffer`: `count` items of
 * 48 bytes, each szName pointing at its instance name (NUL-terminated UTF-16), which PDH stores in the
 * same buffer after the items. A name pointer outside the buffer gives an empty instance name.
 */
export function decodeRawCounterArray(
  buffer: Buffer,
  count: number,
  pointerSize: PointerSize,
  bufferAddress: bigint,
): RawCounterItem[] {
  const items: RawCounterItem[] = [];
  for (let index = 0; index < count; index++) {
    const offset = index * PDH_RAW_COUNTER_ITEM_SIZE;
    if (offset + PDH_RAW_COUNTER_ITEM_SIZE > buffer.length) break;
    const nameAt = offsetInBuffer(readPointer(buffer, offset, pointerSize), bufferAddress, buffer, 2);
    items.push({
      instance: nameAt === null ? '' : readUtf16z(buffer, nameAt, (buffer.length - nameAt) / 2),
      status: buffer.readUInt32LE(offset + PDH_RAW_ITEM.status),
      value: Number(buffer.readBigInt64LE(offset + PDH_RAW_ITEM.firstValue)),
    });
  }
  return items;
}

/**
 * A configured folder as Windows would print it: without the `\\?\` extended-length prefix
 * (`\\?\C:\Bots` → `C:\Bots`, `\\?\UNC\server\share` → `\\server\share`). Pure.
 */
export function stripExtendedLengthPrefix(path: string): string {
  if (/^\\\\\?\\UNC\\/i.test(path)) return `\\\\${path.slice(8)}`;
  if (/^\\\\[?.]\\[a-z]:/i.test(path)) return path.slice(4);
  return path;
}

/** True when a path has an 8.3 short-name component (`PROGRA~1`, `YAMADA~1`): GetLongPathNameW expands it. */
export function hasShortNameComponent(path: string): boolean {
  return /(?:^|[\\/])[^\\/]{1,8}~\d[^\\/]{0,5}(?=[\\/]|$)/.test(path);
}

export const MEMORYSTATUSEX_SIZE = 64;

export interface MemoryStatusEx {
  memoryLoad: number;
  totalPhys: number;
  availPhys: number;
  totalPageFile: number;
  availPageFile: number;
}

/** MEMORYSTATUSEX: dwLength, dwMemoryLoad, then DWORDLONGs (same layout on 32 and 64 bit). */
export function decodeMemoryStatusEx(buffer: Buffer): MemoryStatusEx {
  return {
    memoryLoad: buffer.readUInt32LE(4),
    totalPhys: Number(buffer.readBigUInt64LE(8)),
    availPhys: Number(buffer.readBigUInt64LE(16)),
    totalPageFile: Number(buffer.readBigUInt64LE(24)),
    availPageFile: Number(buffer.readBigUInt64LE(32)),
  };
}

/**
 * Windows has no separate swap figure: ullTotalPageFile is the commit limit (RAM + page files). Swap
 * total is the part beyond RAM (= page file size); swap used is the commit charge beyond RAM.
 */
export function memoryInfoFromStatus(status: MemoryStatusEx): {
  totalBytes: number;
  availableBytes: number;
  swapTotalBytes: number;
  swapFreeBytes: number;
} {
  const swapTotal = Math.max(0, status.totalPageFile - status.totalPhys);
  const commitCharge = status.totalPageFile - status.availPageFile;
  const swapUsed = Math.max(0, commitCharge - status.totalPhys);
  return {
    totalBytes: status.totalPhys,
    availableBytes: status.availPhys,
    swapTotalBytes: swapTotal,
    swapFreeBytes: Math.max(0, swapTotal - swapUsed),
  };
}

/**
 * The UNICODE_STRING that NtQueryInformationProcess(ProcessCommandLineInformation) writes at the start
 * of the caller's buffer: Length (bytes), MaximumLength, padding on 64-bit, then a pointer to the text,
 * which the call places inside the same buffer right after the header. `bufferAddress` (the buffer's
 * native address) locates the text exactly; without it the text is assumed to follow the header.
 */
export function decodeUnicodeString(
  buffer: Buffer,
  pointerSize: PointerSize,
  bufferAddress?: bigint,
): string {
  const length = buffer.readUInt16LE(0);
  if (length === 0) return '';
  const headerSize = pointerSize === 8 ? 16 : 8;
  let offset = headerSize;
  if (bufferAddress !== undefined) {
    const pointer = pointerSize === 8 ? buffer.readBigUInt64LE(8) : BigInt(buffer.readUInt32LE(4));
    const relative = pointer - bufferAddress;
    if (relative >= BigInt(headerSize) && relative + BigInt(length) <= BigInt(buffer.length)) {
      offset = Number(relative);
    }
  }
  return buffer.toString('utf16le', offset, Math.min(buffer.length, offset + length));
}

/** GetLogicalDrives bitmask → ["C:", "D:", …]. Bit 0 is A:. */
export function drivesFromMask(mask: number): string[] {
  const drives: string[] = [];
  for (let bit = 0; bit < 26; bit++) {
    if ((mask >>> bit) & 1) drives.push(`${String.fromCharCode(65 + bit)}:`);
  }
  return drives;
}

/** TextDecoder labels for the OEM code pages whose console tools print non-ASCII messages. */
const OEM_CODE_PAGE_ENCODINGS: Record<number, string> = {
  65001: 'utf-8',
  932: 'shift_jis',
  936: 'gbk',
  949: 'euc-kr',
  950: 'big5',
  866: 'ibm866',
  1251: 'windows-1251',
  1252: 'windows-1252',
};

/**
 * Console tools (taskkill, schtasks) write in the console's code page when their output is a pipe:
 * the OEM code page (Shift_JIS, 932, on Japanese Windows), or UTF-8 on a console set to `chcp 65001`.
 * Valid UTF-8 is tried first (fatal mode: a Shift_JIS message is almost never valid UTF-8; 無効 is
 * 0x96 0xB3 0x8C 0xF8, which starts with a continuation byte), then the OEM code page, then latin1,
 * which keeps the ASCII PIDs and quotes the parsers rely on.
 */
export function decodeConsoleOutput(bytes: Buffer, oemCodePage: number): string {
  if (bytes.every((byte) => byte < 0x80)) return bytes.toString('latin1');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // not UTF-8: the OEM code page
  }
  const label = OEM_CODE_PAGE_ENCODINGS[oemCodePage];
  if (label) {
    try {
      return new TextDecoder(label).decode(bytes);
    } catch {
      // this runtime's ICU lacks the code page
    }
  }
  return bytes.toString('latin1');
}

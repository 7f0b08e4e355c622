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

export function processEntry32WSize(pointerSize: PointerSize): number {
  return pointerSize === 8 ? 568 : 556;
}

export interface ProcessEntry {
  pid: number;
  ppid: number;
  exeFile: string;
}

/**
 * PROCESSENTRY32W: dwSize, cntUsage, th32ProcessID, th32DefaultHeapID (ULONG_PTR), th32ModuleID,
 * cntThreads, th32ParentProcessID, pcPriClassBase, dwFlags, szExeFile[260].
 */
export function decodeProcessEntry32W(buffer: Buffer, pointerSize: PointerSize): ProcessEntry {
  const afterHeap = pointerSize === 8 ? 24 : 16;
  return {
    pid: buffer.readUInt32LE(8),
    ppid: buffer.readUInt32LE(afterHeap + 8),
    exeFile: readUtf16z(buffer, afterHeap + 20, 260),
  };
}

export function processMemoryCountersSize(pointerSize: PointerSize): number {
  return pointerSize === 8 ? 72 : 40;
}

/** PROCESS_MEMORY_COUNTERS: cb, PageFaultCount, then SIZE_T fields; WorkingSetSize is the second one. */
export function decodeWorkingSetBytes(buffer: Buffer, pointerSize: PointerSize): number {
  return pointerSize === 8 ? Number(buffer.readBigUInt64LE(16)) : buffer.readUInt32LE(12);
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
 * Console tools (taskkill, schtasks) write in the OEM code page when their output is a pipe, e.g.
 * Shift_JIS (932) on Japanese Windows. Valid UTF-8 is taken as is; other code pages fall back to
 * latin1, which keeps the ASCII PIDs and quotes the parsers rely on.
 */
export function decodeConsoleOutput(bytes: Buffer, oemCodePage: number): string {
  if (bytes.every((byte) => byte < 0x80)) return bytes.toString('latin1');
  const label = OEM_CODE_PAGE_ENCODINGS[oemCodePage];
  if (label) {
    try {
      return new TextDecoder(label).decode(bytes);
    } catch {
      // this runtime's ICU lacks the code page
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

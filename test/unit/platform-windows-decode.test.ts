import koffi from 'koffi';
import { describe, expect, it } from 'vitest';
import {
  decodeConsoleOutput,
  decodeMemoryStatusEx,
  decodeProcessEntry32W,
  decodeUnicodeString,
  decodeWorkingSetBytes,
  drivesFromMask,
  filetimeDurationMs,
  filetimeToEpochMs,
  MEMORYSTATUSEX_SIZE,
  memoryInfoFromStatus,
  processEntry32WSize,
  processMemoryCountersSize,
  readFiletime,
} from '../../electron/core/platform/windows/decode.js';
import { ENUM_WINDOWS_PROC, WIN32_SIGNATURES } from '../../electron/core/platform/windows/win32.js';

const is64 = koffi.sizeof('void *') === 8;

describe('FILETIME', () => {
  it('converts absolute times to epoch ms', () => {
    const epoch = 116_444_736_000_000_000n;
    expect(filetimeToEpochMs(Number(epoch & 0xffffffffn), Number(epoch >> 32n))).toBe(0);
    // 2026-11-22T18:00:00.123Z
    const ms = Date.UTC(2026, 10, 22, 18, 0, 0, 123);
    const ticks = BigInt(ms) * 10_000n + epoch + 4567n; // sub-millisecond part is truncated
    expect(filetimeToEpochMs(Number(ticks & 0xffffffffn), Number(ticks >> 32n))).toBe(ms);
  });

  it('reads a FILETIME from recorded bytes', () => {
    // 133_000_000_000_000_000 = 0x01D882CB_9B208000 → 2022-06-18T04:26:40Z
    const bytes = Buffer.from('0080209bcb82d801', 'hex');
    const { low, high } = readFiletime(bytes);
    expect(new Date(filetimeToEpochMs(low, high)).toISOString()).toBe('2022-06-18T04:26:40.000Z');
  });

  it('converts durations (kernel + user time) to ms', () => {
    expect(filetimeDurationMs(15_625_000, 0)).toBe(1562); // 1.5625 s, GetProcessTimes' usual tick
    expect(filetimeDurationMs(0, 1)).toBe(429_496); // 2^32 × 100 ns
  });
});

describe('PROCESSENTRY32W', () => {
  it.runIf(is64)('matches the SDK layout as koffi lays the struct out on 64-bit', () => {
    const ProcessEntry = koffi.struct('PROCESSENTRY32W_test', {
      dwSize: 'uint32',
      cntUsage: 'uint32',
      th32ProcessID: 'uint32',
      th32DefaultHeapID: 'uintptr',
      th32ModuleID: 'uint32',
      cntThreads: 'uint32',
      th32ParentProcessID: 'uint32',
      pcPriClassBase: 'int32',
      dwFlags: 'uint32',
      szExeFile: koffi.array('char16', 260, 'String'),
    });
    expect(koffi.sizeof(ProcessEntry)).toBe(processEntry32WSize(8));
    const buffer = Buffer.alloc(processEntry32WSize(8));
    koffi.encode(buffer, ProcessEntry, {
      dwSize: buffer.length,
      cntUsage: 0,
      th32ProcessID: 4120,
      th32DefaultHeapID: 0,
      th32ModuleID: 0,
      cntThreads: 14,
      th32ParentProcessID: 3010,
      pcPriClassBase: 8,
      dwFlags: 0,
      szExeFile: 'python.exe',
    });
    expect(decodeProcessEntry32W(buffer, 8)).toEqual({ pid: 4120, ppid: 3010, exeFile: 'python.exe' });
  });

  it('decodes a 32-bit entry and a non-ASCII exe name', () => {
    const buffer = Buffer.alloc(processEntry32WSize(4));
    buffer.writeUInt32LE(buffer.length, 0);
    buffer.writeUInt32LE(6200, 8); // th32ProcessID
    buffer.writeUInt32LE(6100, 24); // th32ParentProcessID after a 4-byte heap id
    buffer.write('ボット.exe', 36, 'utf16le');
    expect(decodeProcessEntry32W(buffer, 4)).toEqual({ pid: 6200, ppid: 6100, exeFile: 'ボット.exe' });
  });
});

describe('PROCESS_MEMORY_COUNTERS', () => {
  it.runIf(is64)('reads WorkingSetSize at the SDK offset', () => {
    const Counters = koffi.struct('PROCESS_MEMORY_COUNTERS_test', {
      cb: 'uint32',
      PageFaultCount: 'uint32',
      PeakWorkingSetSize: 'size_t',
      WorkingSetSize: 'size_t',
      QuotaPeakPagedPoolUsage: 'size_t',
      QuotaPagedPoolUsage: 'size_t',
      QuotaPeakNonPagedPoolUsage: 'size_t',
      QuotaNonPagedPoolUsage: 'size_t',
      PagefileUsage: 'size_t',
      PeakPagefileUsage: 'size_t',
    });
    expect(koffi.sizeof(Counters)).toBe(processMemoryCountersSize(8));
    const buffer = Buffer.alloc(processMemoryCountersSize(8));
    koffi.encode(buffer, Counters, {
      cb: 72,
      PageFaultCount: 1000,
      PeakWorkingSetSize: 300_000_000,
      WorkingSetSize: 6_442_450_944, // 6 GiB: beyond 32 bits
      QuotaPeakPagedPoolUsage: 1,
      QuotaPagedPoolUsage: 2,
      QuotaPeakNonPagedPoolUsage: 3,
      QuotaNonPagedPoolUsage: 4,
      PagefileUsage: 5,
      PeakPagefileUsage: 6,
    });
    expect(decodeWorkingSetBytes(buffer, 8)).toBe(6_442_450_944);
  });

  it('reads the 32-bit layout', () => {
    const buffer = Buffer.alloc(processMemoryCountersSize(4));
    buffer.writeUInt32LE(123_456_789, 12);
    expect(decodeWorkingSetBytes(buffer, 4)).toBe(123_456_789);
  });
});

describe('MEMORYSTATUSEX', () => {
  // GlobalMemoryStatusEx of a 16 GiB PC with a 2.5 GiB page file.
  const recorded = Buffer.from(
    '400000002f00000000d0c5f703000000007c2d190200000000d0c59704000000001c0762020000000000feffff7f000000c4a841fe7f00000000000000000000',
    'hex',
  );

  it('decodes the recorded buffer', () => {
    expect(recorded.length).toBe(MEMORYSTATUSEX_SIZE);
    expect(decodeMemoryStatusEx(recorded)).toEqual({
      memoryLoad: 47,
      totalPhys: 17_041_838_080,
      availPhys: 9_012_345_856,
      totalPageFile: 17_041_838_080 + 2_684_354_560,
      availPageFile: 10_234_567_680,
    });
  });

  it('derives swap from the commit limit beyond RAM', () => {
    const info = memoryInfoFromStatus(decodeMemoryStatusEx(recorded));
    expect(info.totalBytes).toBe(17_041_838_080);
    expect(info.availableBytes).toBe(9_012_345_856);
    expect(info.swapTotalBytes).toBe(2_684_354_560);
    // commit charge 9_491_624_960 < RAM: nothing is in the page file yet
    expect(info.swapFreeBytes).toBe(2_684_354_560);

    const heavy = memoryInfoFromStatus({
      memoryLoad: 95,
      totalPhys: 16e9,
      availPhys: 0.5e9,
      totalPageFile: 20e9,
      availPageFile: 3e9, // commit 17e9: 1e9 beyond RAM
    });
    expect(heavy.swapTotalBytes).toBe(4e9);
    expect(heavy.swapFreeBytes).toBe(3e9);
  });
});

describe('UNICODE_STRING from NtQueryInformationProcess(ProcessCommandLineInformation)', () => {
  // 64-bit: Length 0xbc, MaximumLength 0xbe, padding, Buffer = base + 16, then the text.
  const recorded = Buffer.from(
    'bc00be00000000002000b4a3f2010000220043003a005c0050007900740068006f006e003300310031005c0070007900740068006f006e002e00650078006500220020002d006d0020007200650070006c0079005f0062006f0074002e006d0075006c00740069005f006d00610069006e0020002d002d0063006f006e0066006900670020002e005c0063006f006e006600690067005c006100630063006f0075006e00740073005f0031002e00790061006d006c0020002d002d006c006900760065002d00720075006e000000',
    'hex',
  );
  const expected =
    '"C:\\Python311\\python.exe" -m reply_bot.multi_main --config .\\config\\accounts_1.yaml --live-run';

  it('locates the text through its pointer when the buffer address is known', () => {
    expect(decodeUnicodeString(recorded, 8, 0x1f2a3b40010n)).toBe(expected);
  });

  it('assumes the text follows the header otherwise, or when the pointer is out of range', () => {
    expect(decodeUnicodeString(recorded, 8)).toBe(expected);
    expect(decodeUnicodeString(recorded, 8, 0x5000n)).toBe(expected);
  });

  it('decodes the 32-bit layout and an empty string', () => {
    const text = Buffer.from('chrome.exe --type=renderer', 'utf16le');
    const buffer = Buffer.alloc(8 + text.length);
    buffer.writeUInt16LE(text.length, 0);
    buffer.writeUInt32LE(0x1000 + 8, 4);
    text.copy(buffer, 8);
    expect(decodeUnicodeString(buffer, 4, 0x1000n)).toBe('chrome.exe --type=renderer');
    expect(decodeUnicodeString(Buffer.alloc(16), 8)).toBe('');
  });
});

describe('drives and console output', () => {
  it('lists drive letters from the GetLogicalDrives mask', () => {
    expect(drivesFromMask(0b1100)).toEqual(['C:', 'D:']);
    expect(drivesFromMask(1 | (1 << 25))).toEqual(['A:', 'Z:']);
  });

  it('decodes Shift_JIS console output on a Japanese PC and leaves ASCII alone', () => {
    const shiftJis = Buffer.from('"\\NexusBot02","N/A","', 'latin1');
    const disabled = Buffer.from([0x96, 0xb3, 0x8c, 0xf8]); // 無効 in code page 932
    expect(decodeConsoleOutput(Buffer.concat([shiftJis, disabled, Buffer.from('"')]), 932)).toBe(
      '"\\NexusBot02","N/A","無効"',
    );
    expect(decodeConsoleOutput(Buffer.from('SUCCESS: PID 1'), 932)).toBe('SUCCESS: PID 1');
    expect(decodeConsoleOutput(Buffer.from('成功', 'utf8'), 65001)).toBe('成功');
    expect(decodeConsoleOutput(Buffer.from('caf\u00e9', 'latin1'), 850)).toBe('café');
  });
});

describe('Win32 prototypes', () => {
  it('every signature parses as a koffi prototype', () => {
    koffi.proto(ENUM_WINDOWS_PROC);
    for (const [name, [dll, prototype]] of Object.entries(WIN32_SIGNATURES)) {
      expect(dll).toMatch(/^(kernel32|user32|ntdll)\.dll$/);
      expect(koffi.introspect(koffi.proto(prototype)).name).toBe(name);
    }
  });
});

import koffi from 'koffi';
import { describe, expect, it } from 'vitest';
import { cpuTimesFromNode } from '../../electron/core/platform/cpu.js';
import {
  decodeConsoleOutput,
  decodeMemoryStatusEx,
  decodeRawCounterArray,
  decodeSystemProcessInformation,
  decodeUnicodeString,
  drivesFromMask,
  filetimeDurationMs,
  filetimeToEpochMs,
  hasShortNameComponent,
  MEMORYSTATUSEX_SIZE,
  memoryInfoFromStatus,
  PDH_RAW_COUNTER_ITEM_SIZE,
  readFiletime,
  SYSTEM_PROCESS_INFORMATION_OFFSETS,
  stripExtendedLengthPrefix,
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

const FILETIME_UNIX_EPOCH = 116_444_736_000_000_000n;
const filetimeOf = (ms: number) => BigInt(ms) * 10_000n + FILETIME_UNIX_EPOCH;

const spiStructs = new Map<string, koffi.IKoffiCType>();

/** SYSTEM_PROCESS_INFORMATION up to WorkingSetSize, as phnt (ntexapi.h) declares it. */
function systemProcessInformation(pointer: 'uint64' | 'uint32'): koffi.IKoffiCType {
  const known = spiStructs.get(pointer);
  if (known) return known;
  const unicodeString = koffi.struct(`UNICODE_STRING_${pointer}`, {
    Length: 'uint16',
    MaximumLength: 'uint16',
    Buffer: pointer,
  });
  const struct = koffi.struct(`SYSTEM_PROCESS_INFORMATION_${pointer}`, {
    NextEntryOffset: 'uint32',
    NumberOfThreads: 'uint32',
    WorkingSetPrivateSize: 'int64',
    HardFaultCount: 'uint32',
    NumberOfThreadsHighWatermark: 'uint32',
    CycleTime: 'uint64',
    CreateTime: 'int64',
    UserTime: 'int64',
    KernelTime: 'int64',
    ImageName: unicodeString,
    BasePriority: 'int32',
    UniqueProcessId: pointer,
    InheritedFromUniqueProcessId: pointer,
    HandleCount: 'uint32',
    SessionId: 'uint32',
    UniqueProcessKey: pointer,
    PeakVirtualSize: pointer,
    VirtualSize: pointer,
    PageFaultCount: 'uint32',
    PeakWorkingSetSize: pointer,
    WorkingSetSize: pointer,
  });
  spiStructs.set(pointer, struct);
  return struct;
}

// On a 64-bit host koffi aligns 64-bit integers to 8 bytes, as MSVC does on x86 and x64, so declaring
// pointers as uint32 gives the 32-bit Windows layout too.
describe.runIf(is64)('SYSTEM_PROCESS_INFORMATION', () => {
  it.each([
    [8, 'uint64'],
    [4, 'uint32'],
  ] as const)(
    'the offsets read (pointer size %i) are the SDK layout as koffi lays it out',
    (size, pointer) => {
      const struct = systemProcessInformation(pointer);
      const offsets = SYSTEM_PROCESS_INFORMATION_OFFSETS[size];
      expect({
        threads: koffi.offsetof(struct, 'NumberOfThreads'),
        createTime: koffi.offsetof(struct, 'CreateTime'),
        userTime: koffi.offsetof(struct, 'UserTime'),
        kernelTime: koffi.offsetof(struct, 'KernelTime'),
        nameLength: koffi.offsetof(struct, 'ImageName'),
        nameBuffer: koffi.offsetof(struct, 'ImageName') + (size === 8 ? 8 : 4),
        pid: koffi.offsetof(struct, 'UniqueProcessId'),
        ppid: koffi.offsetof(struct, 'InheritedFromUniqueProcessId'),
        workingSet: koffi.offsetof(struct, 'WorkingSetSize'),
      }).toEqual(offsets);
    },
  );

  /** Entries chained by NextEntryOffset, each followed by thread records and its name, as the call writes them. */
  function table(pointer: 'uint64' | 'uint32', base: bigint) {
    const struct = systemProcessInformation(pointer);
    const structSize = koffi.sizeof(struct);
    const processes = [
      { pid: 0, ppid: 0, name: '', start: 0, threads: 4, ws: 8192, user: 0n, kernel: 9_000_000_000n },
      {
        pid: 10340,
        ppid: 10212,
        name: 'python.exe',
        start: Date.UTC(2026, 0, 5, 1, 0, 0, 412),
        threads: 9,
        ws: 88_780_800,
        user: 48_000_000n,
        kernel: 26_000_000n,
      },
      {
        pid: 6200,
        ppid: 6100,
        name: 'ボット.exe',
        start: Date.UTC(2026, 0, 5, 1, 0, 3, 77),
        threads: 1,
        ws: 6_442_450_944,
        user: 0n,
        kernel: 156_250n,
      },
    ];
    const buffer = Buffer.alloc(8192, 0xcc);
    let offset = 0;
    processes.forEach((p, index) => {
      const threadBytes = p.threads * (pointer === 'uint64' ? 0x50 : 0x40);
      const nameAt = offset + structSize + threadBytes;
      const size = (structSize + threadBytes + (p.name.length + 1) * 2 + 7) & ~7;
      const isLast = index === processes.length - 1;
      const fields = {
        NextEntryOffset: isLast ? 0 : size,
        NumberOfThreads: p.threads,
        WorkingSetPrivateSize: 1,
        HardFaultCount: 2,
        NumberOfThreadsHighWatermark: p.threads,
        CycleTime: 3,
        CreateTime: p.start === 0 ? 0n : filetimeOf(p.start),
        UserTime: p.user,
        KernelTime: p.kernel,
        ImageName: {
          Length: p.name.length * 2,
          MaximumLength: p.name.length * 2 + 2,
          Buffer: p.name ? base + BigInt(nameAt) : 0n,
        },
        BasePriority: 8,
        UniqueProcessId: p.pid,
        InheritedFromUniqueProcessId: p.ppid,
        HandleCount: 250,
        SessionId: 1,
        UniqueProcessKey: 0,
        PeakVirtualSize: 4_000_000_000,
        VirtualSize: 3_000_000_000,
        PageFaultCount: 12_345,
        PeakWorkingSetSize: p.ws * 2,
        WorkingSetSize: p.ws,
      };
      if (pointer === 'uint32' && p.ws > 0xffffffff) fields.WorkingSetSize = 0xffffffff;
      koffi.encode(buffer, offset, struct, fields);
      buffer.write(`${p.name}\0`, nameAt, 'utf16le');
      offset += size;
    });
    return buffer;
  }

  it('walks the chained entries of a 64-bit table: names from pointers into the buffer, times, memory', () => {
    const base = 0x1f2a3b400000n;
    expect(decodeSystemProcessInformation(table('uint64', base), 8, base)).toEqual([
      {
        pid: 0,
        ppid: 0,
        exeFile: '[System Process]',
        startTime: 0,
        cpuTimeMs: 900_000,
        rssBytes: 8192,
        threads: 4,
      },
      {
        pid: 10340,
        ppid: 10212,
        exeFile: 'python.exe',
        startTime: Date.UTC(2026, 0, 5, 1, 0, 0, 412),
        cpuTimeMs: 7400,
        rssBytes: 88_780_800,
        threads: 9,
      },
      {
        pid: 6200,
        ppid: 6100,
        exeFile: 'ボット.exe',
        startTime: Date.UTC(2026, 0, 5, 1, 0, 3, 77),
        cpuTimeMs: 15,
        rssBytes: 6_442_450_944, // beyond 32 bits
        threads: 1,
      },
    ]);
  });

  it('decodes the 32-bit layout', () => {
    const base = 0x00a10000n;
    const entries = decodeSystemProcessInformation(table('uint32', base), 4, base);
    expect(entries.map((e) => [e.pid, e.ppid, e.exeFile, e.rssBytes])).toEqual([
      [0, 0, '[System Process]', 8192],
      [10340, 10212, 'python.exe', 88_780_800],
      [6200, 6100, 'ボット.exe', 0xffffffff],
    ]);
  });

  it('gives an empty name for a pointer outside the buffer and stops at a chain that leaves it', () => {
    const base = 0x1f2a3b400000n;
    const buffer = table('uint64', base);
    expect(decodeSystemProcessInformation(buffer, 8, 0x5000n).map((e) => e.exeFile)).toEqual([
      '[System Process]',
      '',
      '',
    ]);
    buffer.writeUInt32LE(buffer.length, 0); // first NextEntryOffset points past the end
    expect(decodeSystemProcessInformation(buffer, 8, base).map((e) => e.pid)).toEqual([0]);
  });
});

describe.runIf(is64)('PDH_RAW_COUNTER_ITEM_W', () => {
  const RawCounter = koffi.struct('PDH_RAW_COUNTER_test', {
    CStatus: 'uint32',
    TimeStamp: koffi.struct('FILETIME_test', { dwLowDateTime: 'uint32', dwHighDateTime: 'uint32' }),
    FirstValue: 'int64',
    SecondValue: 'int64',
    MultiCount: 'uint32',
  });

  it.each(['uint64', 'uint32'] as const)('is 48 bytes with %s name pointers, FirstValue at 24', (pointer) => {
    const Item = koffi.struct(`PDH_RAW_COUNTER_ITEM_W_${pointer}`, { szName: pointer, RawValue: RawCounter });
    expect(koffi.sizeof(Item)).toBe(PDH_RAW_COUNTER_ITEM_SIZE);
    expect(koffi.offsetof(Item, 'RawValue') + koffi.offsetof(RawCounter, 'CStatus')).toBe(8);
    expect(koffi.offsetof(Item, 'RawValue') + koffi.offsetof(RawCounter, 'FirstValue')).toBe(24);
  });

  it('reads each instance name (stored after the items) and its raw cumulative value', () => {
    const Item = koffi.struct('PDH_RAW_COUNTER_ITEM_W_decode', { szName: 'uint64', RawValue: RawCounter });
    const base = 0x2d0000010000n;
    const names = ['0 C:', '1 D:', '_Total'];
    const buffer = Buffer.alloc(3 * 48 + 64, 0xcc);
    let nameAt = 3 * 48;
    names.forEach((name, index) => {
      koffi.encode(buffer, index * 48, Item, {
        szName: base + BigInt(nameAt),
        RawValue: {
          CStatus: index === 1 ? 0xc0000bc6 : 0,
          TimeStamp: { dwLowDateTime: 1, dwHighDateTime: 2 },
          FirstValue: 8_589_934_592n * BigInt(index + 1), // beyond 32 bits
          SecondValue: 10_000_000n,
          MultiCount: 0,
        },
      });
      buffer.write(`${name}\0`, nameAt, 'utf16le');
      nameAt += (name.length + 1) * 2;
    });
    expect(decodeRawCounterArray(buffer, 3, 8, base)).toEqual([
      { instance: '0 C:', status: 0, value: 8_589_934_592 },
      { instance: '1 D:', status: 0xc0000bc6, value: 17_179_869_184 },
      { instance: '_Total', status: 0, value: 25_769_803_776 },
    ]);
    expect(decodeRawCounterArray(buffer, 3, 8, 0x10n).map((i) => i.instance)).toEqual(['', '', '']);
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

  it('reads UTF-8 first (a console set to chcp 65001), then the OEM code page', () => {
    const japanese = 'エラー: 指定されたファイルが見つかりません。';
    expect(decodeConsoleOutput(Buffer.from(japanese, 'utf8'), 932)).toBe(japanese);
    // The same message in Shift_JIS (code page 932) is not valid UTF-8: read as 932.
    const shiftJis = Buffer.from(
      '83478389815b3a208e7792e882b382ea82bd837483408343838b82aa8ca982c282a982e882dc82b982f18142',
      'hex',
    );
    expect(decodeConsoleOutput(shiftJis, 932)).toBe(japanese);
    expect(decodeConsoleOutput(Buffer.from([0x96, 0xb3, 0x8c, 0xf8]), 932)).toBe('無効');
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

describe('configured folders', () => {
  it('drops the extended-length prefix', () => {
    expect(stripExtendedLengthPrefix('\\\\?\\C:\\GenerativeAI\\Bot')).toBe('C:\\GenerativeAI\\Bot');
    expect(stripExtendedLengthPrefix('\\\\?\\UNC\\nas\\bots')).toBe('\\\\nas\\bots');
    expect(stripExtendedLengthPrefix('C:\\Bots')).toBe('C:\\Bots');
    expect(stripExtendedLengthPrefix('\\\\nas\\bots')).toBe('\\\\nas\\bots');
  });

  it('spots 8.3 short-name components', () => {
    expect(hasShortNameComponent('C:\\PROGRA~1\\Bots')).toBe(true);
    expect(hasShortNameComponent('C:\\Users\\YAMADA~1\\bots\\nexus')).toBe(true);
    expect(hasShortNameComponent('C:\\GENERA~2')).toBe(true);
    expect(hasShortNameComponent('C:\\Users\\山田 太郎\\bots')).toBe(false);
    expect(hasShortNameComponent('C:\\bots\\v~backup-folder-name')).toBe(false);
  });
});

describe('Win32 prototypes', () => {
  it('every signature parses as a koffi prototype', () => {
    koffi.proto(ENUM_WINDOWS_PROC);
    for (const [name, [dll, prototype]] of Object.entries(WIN32_SIGNATURES)) {
      expect(dll).toMatch(/^(kernel32|user32|ntdll|pdh)\.dll$/);
      expect(koffi.introspect(koffi.proto(prototype)).name).toBe(name);
    }
  });
});

describe('CPU times from os.cpus() on Windows', () => {
  it('counts interrupt time once: libuv reports it inside sys (KernelTime − IdleTime) and again as irq', () => {
    // os.cpus() on a 2-CPU Windows PC: irq is the InterruptTime part of sys.
    const recordedCpus = [
      { times: { user: 1_843_250, nice: 0, sys: 1_102_937, idle: 20_771_406, irq: 40_515 } },
      { times: { user: 1_204_593, nice: 0, sys: 640_781, idle: 21_871_953, irq: 12_031 } },
    ];
    expect(cpuTimesFromNode(recordedCpus)).toEqual([
      { idleMs: 20_771_406, totalMs: 1_843_250 + 1_102_937 + 20_771_406 },
      { idleMs: 21_871_953, totalMs: 1_204_593 + 640_781 + 21_871_953 },
    ]);
  });
});

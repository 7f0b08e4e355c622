/**
 * The Win32 bindings (win32.ts) and the platform parts above them, driven through a fake of the native
 * functions that answers as Windows does: the structures it writes into the caller's Buffers are the
 * ones the Win32 API fills, and every call is recorded, so these tests check the call sequence (rights
 * asked for, the handle each call gets, every handle closed) as well as the results.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/core/clock/index.js';
import { createWindowsPlatform } from '../../electron/core/platform/windows/index.js';
import { bindWin32 } from '../../electron/core/platform/windows/win32.js';
import { type FakeProcess, FakeWindows, loadProcessTable } from '../fixtures/windows/fake-windows.js';

const recorded = loadProcessTable('run-bot-tree.json');
const NOW = Date.parse('2026-01-05T01:00:30Z');
const PROCESS_TERMINATE = 0x0001;
const PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;

function fake(processes: readonly FakeProcess[] = recorded.processes): FakeWindows {
  return new FakeWindows(processes);
}

function platformOn(windows: FakeWindows, clock = new ManualClock(NOW)) {
  const api = bindWin32(windows.layer());
  return createWindowsPlatform({ clock, win32: async () => api, systemRoot: 'C:\\Windows', ctrlC: null });
}

const pythonPid = 10340;
const python = recorded.processes.find((p) => p.pid === pythonPid)!;

describe('process table: one NtQuerySystemInformation call', () => {
  it('lists the recorded table with parent, name, creation time, CPU and working set', async () => {
    const windows = fake();
    const list = await platformOn(windows).processes.list();
    expect(list).toHaveLength(recorded.processes.length);
    expect(list.find((p) => p.pid === pythonPid)).toEqual({
      pid: pythonPid,
      ppid: 10212,
      name: 'python.exe',
      cmdline: python.cmdline,
      startTime: Date.parse('2026-01-05T01:00:00.412Z'),
      state: 'running',
      cpuTimeMs: 7400,
      rssBytes: 88_780_800,
    });
    expect(list.find((p) => p.pid === 0)?.name).toBe('[System Process]');
    expect(windows.callsOf('NtQuerySystemInformation')).toHaveLength(1);
  });

  it('grows its buffer when the table does not fit, and reuses it afterwards', async () => {
    const many: FakeProcess[] = Array.from({ length: 400 }, (_, i) => ({
      ...python,
      pid: 20_000 + i * 4,
      threads: 40, // 400 × (256 + 40 × 80) bytes ≈ 1.4 MB
    }));
    const windows = fake(many);
    const platform = platformOn(windows);
    expect(await platform.processes.list()).toHaveLength(400);
    const calls = windows.callsOf('NtQuerySystemInformation');
    expect(calls.map((args) => args[2])).toEqual([1 << 20, expect.any(Number)]);
    expect(calls[1]![2]).toBeGreaterThan(1 << 20);
    await platform.processes.list();
    expect(windows.callsOf('NtQuerySystemInformation')).toHaveLength(3);
  });

  it('measures a bot it cannot open (elevated or another user): memory and CPU need no handle', async () => {
    const windows = fake([
      { ...python, access: 'limited' },
      { ...python, pid: 666, access: 'none' },
    ]);
    const list = await platformOn(windows).processes.list();
    expect(list.map((p) => [p.pid, p.rssBytes, p.cpuTimeMs, p.startTime])).toEqual([
      [pythonPid, 88_780_800, 7400, python.start],
      [666, 88_780_800, 7400, python.start],
    ]);
    // Only the command line needs a handle, and only with PROCESS_QUERY_LIMITED_INFORMATION.
    expect(windows.callsOf('OpenProcess').map((args) => args[0])).toEqual([
      PROCESS_QUERY_LIMITED_INFORMATION,
      PROCESS_QUERY_LIMITED_INFORMATION,
    ]);
    expect(list[0]!.cmdline).toBe(python.cmdline); // elevated: limited access still reads it
    expect(windows.openHandles()).toBe(0);
  });

  it('retries a failed snapshot once, then throws instead of returning "no process"', async () => {
    const windows = fake();
    const platform = platformOn(windows);
    windows.processTableFailures = 1;
    expect(await platform.processes.list()).toHaveLength(recorded.processes.length);
    windows.processTableFailures = 2;
    await expect(platform.processes.list()).rejects.toThrow(
      'NtQuerySystemInformation(SystemProcessInformation) failed twice: 0xC0000001',
    );
  });

  it('leaves out a process whose threads have all exited (held open by a handle)', async () => {
    const windows = fake([python, { ...python, pid: 777, exited: true }]);
    expect((await platformOn(windows).processes.list()).map((p) => p.pid)).toEqual([pythonPid]);
  });
});

describe('command lines', () => {
  it('reads each once per process, on a handle whose creation time is checked, and closes it', async () => {
    const windows = fake([python]);
    const platform = platformOn(windows);
    await platform.processes.list();
    await platform.processes.list();
    expect(
      windows.calls.filter((c) => c.fn !== 'NtQuerySystemInformation' && c.fn !== 'EnumWindows'),
    ).toEqual([
      { fn: 'OpenProcess', args: [PROCESS_QUERY_LIMITED_INFORMATION, 0, pythonPid] },
      { fn: 'GetProcessTimes', args: [0x104, '<8 bytes>', '<8 bytes>', '<8 bytes>', '<8 bytes>'] },
      { fn: 'NtQueryInformationProcess', args: [0x104, 60, '<65552 bytes>', 65_552, '<4 bytes>'] },
      { fn: 'CloseHandle', args: [0x104] },
    ]);
  });

  it('never caches a failed read: a young process is read again next scan, an old one a minute later', async () => {
    const young = { ...python, start: NOW - 500, cmdlineFailures: 1 };
    const old = { ...python, pid: 4444, start: NOW - 3_600_000, cmdlineFailures: 1 };
    const windows = fake([young, old]);
    const clock = new ManualClock(NOW);
    const platform = platformOn(windows, clock);
    const first = await platform.processes.list();
    expect(first.map((p) => p.cmdline)).toEqual(['', '']);

    clock.advance(1000);
    const second = await platform.processes.list();
    expect(second.map((p) => p.cmdline)).toEqual([python.cmdline, '']); // the young one: matches its rule now

    clock.advance(60_000);
    const third = await platform.processes.list();
    expect(third.map((p) => p.cmdline)).toEqual([python.cmdline, python.cmdline]);
    const reads = windows.callsOf('NtQueryInformationProcess').length;
    await platform.processes.list();
    expect(windows.callsOf('NtQueryInformationProcess')).toHaveLength(reads); // both cached now
  });

  it('reads again a process younger than 2 s even when the read worked, then keeps it', async () => {
    const windows = fake([{ ...python, start: NOW - 100 }]);
    const clock = new ManualClock(NOW);
    const platform = platformOn(windows, clock);
    await platform.processes.list();
    clock.advance(1000);
    await platform.processes.list();
    clock.advance(1000);
    await platform.processes.list();
    await platform.processes.list();
    expect(windows.callsOf('NtQueryInformationProcess')).toHaveLength(3);
  });

  it('does not take the command line of a process that reused the PID after the snapshot', () => {
    const windows = fake([python]);
    const api = bindWin32(windows.layer());
    expect(api.readCommandLine(pythonPid, python.start! - 1)).toBeNull();
    expect(windows.callsOf('NtQueryInformationProcess')).toHaveLength(0);
    expect(windows.openHandles()).toBe(0);
  });
});

describe('TerminateProcess on the checked handle', () => {
  it('opens with PROCESS_TERMINATE | PROCESS_QUERY_LIMITED_INFORMATION and uses that one handle throughout', () => {
    const windows = fake([python]);
    const api = bindWin32(windows.layer());
    expect(api.terminateProcess(pythonPid, python.start!)).toBe('terminated');
    expect(windows.calls).toEqual([
      { fn: 'OpenProcess', args: [PROCESS_TERMINATE | PROCESS_QUERY_LIMITED_INFORMATION, 0, pythonPid] },
      { fn: 'GetProcessTimes', args: [0x104, '<8 bytes>', '<8 bytes>', '<8 bytes>', '<8 bytes>'] },
      { fn: 'GetExitCodeProcess', args: [0x104, '<4 bytes>'] },
      { fn: 'TerminateProcess', args: [0x104, 1] },
      { fn: 'CloseHandle', args: [0x104] },
    ]);
    expect(windows.processes.has(pythonPid)).toBe(false);
  });

  it('never terminates a PID reused by another process', () => {
    const windows = fake([python]);
    const api = bindWin32(windows.layer());
    expect(api.terminateProcess(pythonPid, python.start! + 60_000)).toBe('reused');
    expect(windows.callsOf('TerminateProcess')).toEqual([]);
    expect(windows.processes.get(pythonPid)?.exited).toBeFalsy();
    expect(windows.openHandles()).toBe(0);
  });

  it('tells an elevated bot (denied), a protected process (cannot open) and an exited one apart', () => {
    const windows = fake([
      { ...python, access: 'limited' },
      { ...python, pid: 666, access: 'none' },
      { ...python, pid: 777, exited: true },
    ]);
    const api = bindWin32(windows.layer());
    expect(api.terminateProcess(pythonPid, python.start!)).toBe('denied');
    expect(api.terminateProcess(666, python.start!)).toBe('cannot-open');
    expect(api.terminateProcess(777, python.start!)).toBe('gone');
    expect(api.terminateProcess(999, python.start!)).toBe('cannot-open');
    expect(windows.callsOf('TerminateProcess')).toEqual([]);
    expect(windows.openHandles()).toBe(0);
  });
});

describe('hung windows', () => {
  it('finds a visible hung window, and the hung window behind a ghost (hidden, so not visible itself)', async () => {
    const windows = fake();
    windows.windows = [
      { hwnd: 0x10010, pid: 7300, visible: true, hung: false }, // the operator's Chrome, fine
      { hwnd: 0x10020, pid: 8000, visible: true, hung: true }, // a hung visible window
      { hwnd: 0x10030, pid: 11104, visible: false, hung: true }, // hidden by Windows: ghosted
      { hwnd: 0x10040, pid: 6120, visible: true, hung: false, ghostOf: 0x10030 }, // the ghost (dwm/explorer)
      { hwnd: 0x10050, pid: 9512, visible: false, hung: true }, // a hidden window nobody sees: not reported
    ];
    const list = await platformOn(windows).processes.list();
    const hung = list.filter((p) => p.state === 'not-responding').map((p) => p.pid);
    expect(hung.sort((a, b) => a - b)).toEqual([8000, 11104]);
    expect(windows.callsOf('HungWindowFromGhostWindow')).toHaveLength(5);
  });

  it('without the ghost export it still reports visible hung windows', async () => {
    const windows = fake();
    windows.noGhostExport = true;
    windows.windows = [{ hwnd: 0x10020, pid: 8000, visible: true, hung: true }];
    const list = await platformOn(windows).processes.list();
    expect(list.filter((p) => p.state === 'not-responding').map((p) => p.pid)).toEqual([8000]);
  });
});

describe('bot folders in their long form', () => {
  it('expands 8.3 names with GetLongPathNameW once, drops \\\\?\\, and leaves other paths alone', async () => {
    const windows = fake();
    windows.longPaths.set('C:\\GENERA~1\\TWITTE~1', recorded.botFolder);
    const platform = platformOn(windows);
    // Before koffi is loaded (nothing listed yet) only the prefix can be dropped.
    expect(platform.canonicalFolder?.('\\\\?\\C:\\GENERA~1\\TWITTE~1')).toBe('C:\\GENERA~1\\TWITTE~1');
    await platform.processes.list();
    expect(platform.canonicalFolder?.('\\\\?\\C:\\GENERA~1\\TWITTE~1')).toBe(recorded.botFolder);
    expect(platform.canonicalFolder?.('C:\\GENERA~1\\TWITTE~1')).toBe(recorded.botFolder);
    expect(platform.canonicalFolder?.('C:\\bots\\TradingAssistantX')).toBe('C:\\bots\\TradingAssistantX');
    expect(platform.canonicalFolder?.('C:\\MISSIN~1')).toBe('C:\\MISSIN~1'); // GetLongPathNameW fails
    expect(windows.callsOf('GetLongPathNameW').map((args) => args[0])).toEqual([
      'C:\\GENERA~1\\TWITTE~1',
      'C:\\MISSIN~1',
    ]);
  });

  it('asks again with a buffer of the size GetLongPathNameW names when the first is too small', () => {
    const windows = fake();
    const long = `C:\\${'長いフォルダ名'.repeat(200)}`;
    windows.longPaths.set('C:\\LONG~1', long);
    const api = bindWin32(windows.layer());
    expect(api.longPathName('C:\\LONG~1')).toBe(long);
    expect(windows.callsOf('GetLongPathNameW').map((args) => args[2])).toEqual([1024, long.length + 1]);
  });
});

describe('disk and network IO through PDH', () => {
  const counters = {
    '\\PhysicalDisk(*)\\Disk Read Bytes/sec': [
      { name: '0 C:', value: 52_428_800_000 },
      { name: '1 D:', value: 4096 },
      { name: '_Total', value: 52_428_804_096 },
    ],
    '\\PhysicalDisk(*)\\Disk Write Bytes/sec': [
      { name: '0 C:', value: 73_400_320_000 },
      { name: '1 D:', value: 8192 },
      { name: '_Total', value: 73_400_328_192 },
    ],
    '\\PhysicalDisk(*)\\Disk Reads/sec': [
      { name: '0 C:', value: 1_200_000 },
      { name: '1 D:', value: 1, status: 0xc0000bc6 },
    ],
    '\\PhysicalDisk(*)\\Disk Writes/sec': [{ name: '0 C:', value: 2_400_000 }],
    '\\Network Interface(*)\\Bytes Received/sec': [
      { name: 'Intel[R] Ethernet Connection [7] I219-V', value: 9_876_543_210 },
    ],
    '\\Network Interface(*)\\Bytes Sent/sec': [
      { name: 'Intel[R] Ethernet Connection [7] I219-V', value: 123_456_789 },
    ],
  };

  function withCounters(except?: string) {
    const windows = fake();
    for (const [path, instances] of Object.entries(counters)) {
      const copy = instances.map((instance) => ({ ...instance }));
      windows.counters.set(
        path,
        path === except ? { addStatus: 0xc0000bb9, instances: [] } : { instances: copy },
      );
    }
    return windows;
  }

  it('opens one query, adds the six counters by English name, then per read collects and reads raw arrays', async () => {
    const windows = withCounters();
    const platform = platformOn(windows);
    const io = await platform.io();
    expect(io).toEqual({
      disks: [
        {
          device: '0 C:',
          readBytes: 52_428_800_000,
          writeBytes: 73_400_320_000,
          reads: 1_200_000,
          writes: 2_400_000,
        },
        { device: '1 D:', readBytes: 4096, writeBytes: 8192, reads: 0, writes: 0 },
      ],
      nets: [
        { iface: 'Intel[R] Ethernet Connection [7] I219-V', rxBytes: 9_876_543_210, txBytes: 123_456_789 },
      ],
      at: NOW,
    });
    const pdhCalls = windows.calls.filter((c) => c.fn.startsWith('Pdh'));
    expect(pdhCalls.slice(0, 8)).toEqual([
      { fn: 'PdhOpenQueryW', args: [null, 0, '<8 bytes>'] },
      ...Object.keys(counters).map((path) => ({
        fn: 'PdhAddEnglishCounterW',
        args: [0x2a0_0010, path, 0, '<8 bytes>'],
      })),
      { fn: 'PdhCollectQueryData', args: [0x2a0_0010] },
    ]);
    expect(pdhCalls.slice(8).map((c) => c.fn)).toEqual(Array(6).fill('PdhGetRawCounterArrayW'));

    windows.counters.get('\\PhysicalDisk(*)\\Disk Read Bytes/sec')!.instances[0]!.value += 65_536;
    const next = await platform.io();
    expect(next.disks[0]?.readBytes).toBe(52_428_800_000 + 65_536);
    expect(windows.callsOf('PdhOpenQueryW')).toHaveLength(1);
    expect(windows.callsOf('PdhCollectQueryData')).toHaveLength(2);
    await platform.close();
    expect(windows.callsOf('PdhCloseQuery')).toEqual([[0x2a0_0010]]);
  });

  it('grows the item buffer when PdhGetRawCounterArrayW answers PDH_MORE_DATA', async () => {
    const windows = withCounters();
    windows.counters.set('\\Network Interface(*)\\Bytes Sent/sec', {
      instances: Array.from({ length: 300 }, (_, i) => ({
        name: `Hyper-V Virtual Ethernet Adapter #${i}`,
        value: i,
      })),
    });
    const io = await platformOn(windows).io();
    expect(io.nets).toHaveLength(301);
    expect(io.nets.at(-1)).toEqual({
      iface: 'Hyper-V Virtual Ethernet Adapter #299',
      rxBytes: 0,
      txBytes: 299,
    });
  });

  it('a counter that cannot be added costs only its own figures and is named in problem', async () => {
    const windows = withCounters('\\PhysicalDisk(*)\\Disk Reads/sec');
    const io = await platformOn(windows).io();
    expect(io.disks[0]).toEqual({
      device: '0 C:',
      readBytes: 52_428_800_000,
      writeBytes: 73_400_320_000,
      reads: 0,
      writes: 2_400_000,
    });
    expect(io.nets[0]?.rxBytes).toBe(9_876_543_210); // nothing shifted into the network figures
    expect(io.problem).toMatch(
      /^PDH: \\PhysicalDisk\(\*\)\\Disk Reads\/sec: 0xC0000BB9 \(PDH_CSTATUS_NO_COUNTER: the counter is missing\); .*lodctr \/R/,
    );
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/core/clock/index.js';
import type { RunCommand, RunResult } from '../../electron/core/platform/run.js';
import { CTRL_C_HELPER_SOURCE } from '../../electron/core/platform/windows/console-ctrl.js';
import type { ProcessEntry } from '../../electron/core/platform/windows/decode.js';
import { createWindowsPlatform } from '../../electron/core/platform/windows/index.js';
import type { ProcessDetails, Win32Api } from '../../electron/core/platform/windows/win32.js';

// Win32 cannot run here, so a fake stands in for koffi; commands go through a recording runner fed
// with recorded outputs.

interface FakeProcess extends ProcessEntry {
  details: ProcessDetails | null;
}

class FakeWin32 implements Win32Api {
  cmdlineReads: number[] = [];
  hung = new Set<number>();
  constructor(public processes: FakeProcess[]) {}
  snapshotProcesses(): ProcessEntry[] {
    return this.processes.map(({ pid, ppid, exeFile }) => ({ pid, ppid, exeFile }));
  }
  queryProcess(pid: number, withCmdline: boolean): ProcessDetails | null {
    const found = this.processes.find((p) => p.pid === pid)?.details;
    if (!found) return null;
    if (!withCmdline) {
      const { cmdline: _ignored, ...rest } = found;
      return rest;
    }
    this.cmdlineReads.push(pid);
    return { ...found };
  }
  hungWindowPids(): Set<number> {
    return this.hung;
  }
  memoryStatus() {
    return { memoryLoad: 50, totalPhys: 16e9, availPhys: 8e9, totalPageFile: 18e9, availPageFile: 9e9 };
  }
  fixedDrives(): string[] {
    return [];
  }
  oemCodePage(): number {
    return 932;
  }
}

const SELF = process.pid;

function proc(pid: number, ppid: number, exeFile: string, startTime: number, cmdline = ''): FakeProcess {
  return { pid, ppid, exeFile, details: { startTime, cpuTimeMs: 100, rssBytes: 50e6, alive: true, cmdline } };
}

function recordingRun(answers: RunResult[]): {
  run: RunCommand;
  calls: { file: string; args: readonly string[]; env?: NodeJS.ProcessEnv }[];
} {
  const calls: { file: string; args: readonly string[]; env?: NodeJS.ProcessEnv }[] = [];
  const run: RunCommand = async (file, args, options) => {
    calls.push({ file, args, env: options?.env });
    const answer = answers.shift();
    if (!answer) throw new Error(`unexpected command ${file} ${args.join(' ')}`);
    return answer;
  };
  return { run, calls };
}

const taskkillFixture = JSON.parse(
  readFileSync(new URL('../fixtures/windows/taskkill.json', import.meta.url), 'utf8'),
) as { scenarios: Record<string, RunResult> };
const schtasksFixture = JSON.parse(
  readFileSync(new URL('../fixtures/windows/schtasks.json', import.meta.url), 'utf8'),
) as { scenarios: Record<string, RunResult> };

function world() {
  return new FakeWin32([
    proc(0, 0, '[System Process]', 0),
    proc(1000, 900, 'explorer.exe', 1_000),
    proc(SELF, 1000, 'Nexus Ops.exe', 2_000),
    proc(3010, 1000, 'cmd.exe', 3_000),
    proc(4120, 3010, 'python.exe', 4_000, 'python -m reply_bot.multi_main --live-run'),
    proc(5532, 3010, 'python.exe', 5_000),
    proc(7788, 3010, 'python.exe', 7_000),
    { pid: 8000, ppid: 4, exeFile: 'MsMpEng.exe', details: null }, // protected: cannot be opened
  ]);
}

function platformWith(
  win32: FakeWin32,
  answers: RunResult[],
  ctrlC: { nodePath: string; koffiPath: string } | null = null,
) {
  const recorder = recordingRun(answers);
  const platform = createWindowsPlatform({
    clock: new ManualClock(),
    run: recorder.run,
    win32: async () => win32,
    systemRoot: 'D:\\WINDOWS',
    ctrlC,
  });
  return { platform, calls: recorder.calls };
}

describe('Windows process source', () => {
  it('lists the snapshot with details, marks hung windows and caches command lines by creation time', async () => {
    const win32 = world();
    win32.hung.add(7788);
    const { platform } = platformWith(win32, []);

    const first = await platform.processes.list();
    expect(first.find((p) => p.pid === 4120)).toEqual({
      pid: 4120,
      ppid: 3010,
      name: 'python.exe',
      cmdline: 'python -m reply_bot.multi_main --live-run',
      startTime: 4_000,
      state: 'running',
      cpuTimeMs: 100,
      rssBytes: 50e6,
    });
    expect(first.find((p) => p.pid === 7788)?.state).toBe('not-responding');
    expect(first.find((p) => p.pid === 8000)).toMatchObject({
      name: 'MsMpEng.exe',
      startTime: 0,
      cmdline: '',
    });

    const readsAfterFirst = win32.cmdlineReads.length;
    const second = await platform.processes.list();
    expect(win32.cmdlineReads.length).toBe(readsAfterFirst); // all cached
    expect(second.find((p) => p.pid === 4120)?.cmdline).toBe('python -m reply_bot.multi_main --live-run');

    // PID 4120 exits and is reused by another process.
    win32.processes = win32.processes.map((p) =>
      p.pid === 4120 ? proc(4120, 1000, 'chrome.exe', 9_000, 'chrome.exe --type=gpu') : p,
    );
    const third = await platform.processes.list();
    expect(third.find((p) => p.pid === 4120)).toMatchObject({
      name: 'chrome.exe',
      cmdline: 'chrome.exe --type=gpu',
      startTime: 9_000,
    });
  });

  it('skips a process that has exited but is still held open', async () => {
    const win32 = world();
    win32.processes.push({
      pid: 9100,
      ppid: 1000,
      exeFile: 'old.exe',
      details: { startTime: 1, cpuTimeMs: 0, rssBytes: 0, alive: false, cmdline: '' },
    });
    const { platform } = platformWith(win32, []);
    expect((await platform.processes.list()).some((p) => p.pid === 9100)).toBe(false);
  });
});

describe('Windows killer', () => {
  it('force: verifies identities, then one taskkill by full path with every verified PID', async () => {
    const { platform, calls } = platformWith(world(), [taskkillFixture.scenarios['en-force-tree']!]);
    const outcome = await platform.killer.stop(
      [
        { pid: 4120, startTime: 4_000 },
        { pid: 5532, startTime: 5_000 },
        { pid: 7788, startTime: 7_000 },
      ],
      'force',
    );
    expect(calls).toEqual([
      {
        file: 'D:\\WINDOWS\\System32\\taskkill.exe',
        args: ['/PID', '4120', '/PID', '5532', '/PID', '7788', '/F'],
        env: undefined,
      },
    ]);
    expect(outcome.map((o) => [o.pid, o.result])).toEqual([
      [4120, 'sent'],
      [5532, 'gone'],
      [7788, 'denied'],
    ]);
  });

  it('never signals a reused PID, an exited one, Nexus Ops or its ancestors, and reports one it cannot open as denied', async () => {
    const { platform, calls } = platformWith(world(), [
      { code: 0, stdout: 'SUCCESS: The process with PID 4120 has been terminated.\r\n', stderr: '' },
    ]);
    const outcome = await platform.killer.stop(
      [
        { pid: 4120, startTime: 4_000 },
        { pid: 5532, startTime: 4_999 }, // reused since the snapshot
        { pid: 6000, startTime: 6_000 }, // no longer exists
        { pid: SELF, startTime: 2_000 },
        { pid: 1000, startTime: 1_000 }, // explorer, our parent
        { pid: 8000, startTime: 8_000 },
      ],
      'force',
    );
    expect(calls.map((c) => c.args)).toEqual([['/PID', '4120', '/F']]);
    expect(outcome).toEqual([
      { pid: 4120, result: 'sent' },
      { pid: 5532, result: 'gone', detail: 'pid reused by another process' },
      { pid: 6000, result: 'gone' },
      { pid: SELF, result: 'error', detail: 'Nexus Ops itself or one of its ancestors: not stopped' },
      { pid: 1000, result: 'error', detail: 'Nexus Ops itself or one of its ancestors: not stopped' },
      { pid: 8000, result: 'denied', detail: 'cannot open the process to verify its start time' },
    ]);
  });

  it('graceful without the Ctrl+C helper is taskkill without /F', async () => {
    const { platform, calls } = platformWith(world(), [taskkillFixture.scenarios['ja-graceful-console']!]);
    const [outcome] = await platform.killer.stop([{ pid: 4120, startTime: 4_000 }], 'graceful');
    expect(calls.map((c) => c.args)).toEqual([['/PID', '4120']]);
    expect(outcome?.result).toBe('error');
    expect(outcome?.detail).toMatch(/^needs \/F/);
  });

  it('graceful with the helper: Ctrl+C where the console allows it, taskkill for the rest', async () => {
    const helper = {
      nodePath: 'C:\\Program Files\\Nexus Ops\\Nexus Ops.exe',
      koffiPath: 'C:\\app\\koffi\\index.js',
    };
    const { platform, calls } = platformWith(
      world(),
      [
        { code: 0, stdout: '{"4120":"sent","7788":"no-console"}', stderr: '' },
        { code: 0, stdout: 'SUCCESS: Sent termination signal to the process with PID 7788.\r\n', stderr: '' },
      ],
      helper,
    );
    const outcome = await platform.killer.stop(
      [
        { pid: 4120, startTime: 4_000 },
        { pid: 7788, startTime: 7_000 },
      ],
      'graceful',
    );
    expect(calls[0]).toMatchObject({
      file: helper.nodePath,
      args: ['-e', CTRL_C_HELPER_SOURCE, helper.koffiPath, '4120,7788', '3010,4120,7788'],
    });
    expect(calls[0]?.env?.ELECTRON_RUN_AS_NODE).toBe('1');
    expect(calls[1]).toMatchObject({
      file: 'D:\\WINDOWS\\System32\\taskkill.exe',
      args: ['/PID', '7788'],
    });
    expect(outcome).toEqual([
      { pid: 4120, result: 'sent', detail: 'console Ctrl+C' },
      { pid: 7788, result: 'sent' },
    ]);
  });

  it('splits very large stops into chunks of 200 PIDs', async () => {
    const win32 = world();
    const targets = Array.from({ length: 450 }, (_, i) => ({ pid: 20_000 + i, startTime: 20_000 + i }));
    for (const t of targets) win32.processes.push(proc(t.pid, 3010, 'chrome.exe', t.startTime));
    const answers = [0, 1, 2].map(() => ({ code: 0, stdout: '', stderr: '' }));
    const { platform, calls } = platformWith(win32, answers);
    const outcome = await platform.killer.stop(targets, 'force');
    expect(calls.map((c) => c.args.filter((a) => a === '/PID').length)).toEqual([200, 200, 50]);
    expect(outcome.every((o) => o.result === 'sent')).toBe(true);
  });
});

describe('Windows Task Scheduler', () => {
  const s = schtasksFixture.scenarios;

  it('disables an enabled task (Japanese Windows) and reports it was enabled', async () => {
    const { platform, calls } = platformWith(world(), [s['ja-ready']!, s['ja-change-ok']!]);
    expect(await platform.taskScheduler.disable('NexusBot02')).toEqual({ wasEnabled: true });
    expect(calls.map((c) => [c.file, c.args])).toEqual([
      ['D:\\WINDOWS\\System32\\schtasks.exe', ['/Query', '/TN', 'NexusBot02', '/FO', 'CSV', '/NH']],
      ['D:\\WINDOWS\\System32\\schtasks.exe', ['/Change', '/TN', 'NexusBot02', '/DISABLE']],
    ]);
  });

  it('leaves an already disabled or missing task alone', async () => {
    for (const name of ['en-disabled', 'ja-disabled', 'en-not-found']) {
      const { platform, calls } = platformWith(world(), [s[name]!]);
      expect(await platform.taskScheduler.disable('NexusBot02')).toEqual({ wasEnabled: false });
      expect(calls).toHaveLength(1);
    }
  });

  it('re-enables, and says why when schtasks refuses', async () => {
    const ok = platformWith(world(), [s['en-change-ok']!]);
    await ok.platform.taskScheduler.enable('NexusBot02');
    expect(ok.calls[0]?.args).toEqual(['/Change', '/TN', 'NexusBot02', '/ENABLE']);

    const denied = platformWith(world(), [s['en-running']!, s['en-change-denied']!]);
    await expect(denied.platform.taskScheduler.disable('NexusBot02')).rejects.toThrow(
      'schtasks could not disable "NexusBot02": ERROR: Access is denied.',
    );
  });
});

describe('Windows memory', () => {
  it('reports RAM and the page file as swap', async () => {
    const { platform } = platformWith(world(), []);
    expect(await platform.memory()).toEqual({
      totalBytes: 16e9,
      availableBytes: 8e9,
      swapTotalBytes: 2e9,
      swapFreeBytes: 2e9,
    });
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/core/clock/index.js';
import type { RunCommand, RunResult } from '../../electron/core/platform/run.js';
import { CTRL_C_HELPER_SOURCE } from '../../electron/core/platform/windows/console-ctrl.js';
import { createWindowsPlatform } from '../../electron/core/platform/windows/index.js';
import { bindWin32 } from '../../electron/core/platform/windows/win32.js';
import { type FakeProcess, FakeWindows, loadProcessTable } from '../fixtures/windows/fake-windows.js';

// Win32 cannot run here: a fake of the native functions answers as Windows does (see fake-windows.ts),
// and commands go through a recording runner fed with recorded outputs.

const recorded = loadProcessTable('run-bot-tree.json');
const byPid = new Map(recorded.processes.map((p) => [p.pid, p]));
const start = (pid: number) => byPid.get(pid)!.start!;
const SELF = recorded.selfPid;

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

function platformWith(
  windows: FakeWindows,
  answers: RunResult[],
  ctrlC: { nodePath: string; koffiPath: string } | null = null,
) {
  const recorder = recordingRun(answers);
  const api = bindWin32(windows.layer());
  const platform = createWindowsPlatform({
    clock: new ManualClock(Date.parse('2026-01-05T01:00:30Z')),
    run: recorder.run,
    win32: async () => api,
    systemRoot: 'D:\\WINDOWS',
    ctrlC,
    selfPid: SELF,
  });
  return { platform, calls: recorder.calls };
}

function world(extra: FakeProcess[] = []): FakeWindows {
  return new FakeWindows([...recorded.processes, ...extra]);
}

describe('Windows killer: force', () => {
  it('ends each target with TerminateProcess on its checked handle, with no taskkill process', async () => {
    const windows = world();
    const { platform, calls } = platformWith(windows, []);
    const outcome = await platform.killer.stop(
      [10212, 10340, 11020].map((pid) => ({ pid, startTime: start(pid) })),
      'force',
    );
    expect(outcome).toEqual([
      { pid: 10212, result: 'sent' },
      { pid: 10340, result: 'sent' },
      { pid: 11020, result: 'sent' },
    ]);
    expect(calls).toEqual([]);
    expect(windows.callsOf('TerminateProcess')).toHaveLength(3);
    for (const pid of [10212, 10340, 11020]) expect(windows.processes.has(pid)).toBe(false);
    expect(windows.openHandles()).toBe(0);
  });

  it("stops the bot whose PID was once Nexus Ops' parent: a younger process is no ancestor", async () => {
    // Nexus Ops' recorded parent PID 10340 belonged to its updater, long gone; python has it now.
    const windows = world();
    const { platform } = platformWith(windows, []);
    expect(await platform.killer.stop([{ pid: 10340, startTime: start(10340) }], 'force')).toEqual([
      { pid: 10340, result: 'sent' },
    ]);
  });

  it('never touches a reused PID, an exited one, Nexus Ops or its ancestors; says denied for what it may not end', async () => {
    const windows = world([
      { ...byPid.get(10340)!, pid: 12000, access: 'limited' }, // a bot running elevated
    ]);
    windows.processes.get(11020)!.access = 'none'; // protected: not even a limited query
    const { platform } = platformWith(windows, []);
    const outcome = await platform.killer.stop(
      [
        { pid: 11104, startTime: start(11104) + 5 }, // reused since the snapshot
        { pid: 6000, startTime: 6_000 }, // no longer exists
        { pid: SELF, startTime: start(SELF) },
        { pid: 12000, startTime: start(10340) },
        { pid: 11020, startTime: start(11020) },
      ],
      'force',
    );
    expect(outcome).toEqual([
      { pid: 11104, result: 'gone', detail: 'pid reused by another process' },
      { pid: 6000, result: 'gone' },
      { pid: SELF, result: 'error', detail: 'Nexus Ops itself or one of its ancestors: not stopped' },
      { pid: 12000, result: 'denied', detail: 'access denied: this user may not end the process' },
      { pid: 11020, result: 'denied', detail: 'cannot open the process (protected)' },
    ]);
    expect(windows.callsOf('TerminateProcess')).toEqual([]);
    expect(windows.processes.get(11104)?.exited).toBeFalsy();
  });

  it('protects the live ancestors of Nexus Ops', async () => {
    // Nexus Ops started from the operator's terminal: pwsh and Windows Terminal are its ancestors.
    const windows = world();
    Object.assign(windows.processes.get(SELF)!, { ppid: 8040, start: start(8040) + 60_000 });
    const { platform } = platformWith(windows, []);
    const outcome = await platform.killer.stop(
      [8040, 8000].map((pid) => ({ pid, startTime: start(pid) })),
      'force',
    );
    expect(outcome.map((o) => o.result)).toEqual(['error', 'error']);
    expect(windows.callsOf('TerminateProcess')).toEqual([]);
  });
});

describe('Windows killer: graceful', () => {
  it('without the Ctrl+C helper is taskkill without /F, for the targets whose creation time matches', async () => {
    const { platform, calls } = platformWith(world(), [taskkillFixture.scenarios['ja-graceful-console']!]);
    const outcome = await platform.killer.stop(
      [
        { pid: 4120, startTime: 4_000 }, // not in the table
        { pid: 10340, startTime: start(10340) },
      ],
      'graceful',
    );
    expect(calls.map((c) => [c.file, c.args])).toEqual([
      ['D:\\WINDOWS\\System32\\taskkill.exe', ['/PID', '10340']],
    ]);
    expect(outcome[0]).toEqual({ pid: 4120, result: 'gone' });
    expect(outcome[1]?.result).toBe('error');
  });

  it('with the helper: Ctrl+C where the console allows it, taskkill for the rest', async () => {
    const helper = {
      nodePath: 'C:\\Program Files\\Nexus Ops\\Nexus Ops.exe',
      koffiPath: 'C:\\Program Files\\Nexus Ops\\resources\\app.asar.unpacked\\node_modules\\koffi\\index.js',
    };
    const { platform, calls } = platformWith(
      world(),
      [
        { code: 0, stdout: '{"10212":"sent","10340":"sent","11104":"no-console"}', stderr: '' },
        {
          code: 0,
          stdout: 'SUCCESS: Sent termination signal to the process with PID 11104.\r\n',
          stderr: '',
        },
      ],
      helper,
    );
    const outcome = await platform.killer.stop(
      [10212, 10340, 11104].map((pid) => ({ pid, startTime: start(pid) })),
      'graceful',
    );
    // Allowed on the console: the targets, their trees and ancestors (svchost, services, wininit and the
    // task's conhost), never Nexus Ops: its recorded parent PID 10340 is a younger process, not followed.
    expect(calls[0]).toMatchObject({
      file: helper.nodePath,
      args: [
        '-e',
        CTRL_C_HELPER_SOURCE,
        helper.koffiPath,
        '10212,10340,11104',
        '884,1032,1876,10212,10220,10340,11020,11104,11188,11260,11300',
      ],
    });
    expect(calls[0]?.env?.ELECTRON_RUN_AS_NODE).toBe('1');
    expect(calls[1]).toMatchObject({ file: 'D:\\WINDOWS\\System32\\taskkill.exe', args: ['/PID', '11104'] });
    expect(outcome).toEqual([
      { pid: 10212, result: 'sent', detail: 'console Ctrl+C' },
      { pid: 10340, result: 'sent', detail: 'console Ctrl+C' },
      { pid: 11104, result: 'sent' },
    ]);
  });

  it('splits very large graceful stops into taskkill calls of 200 PIDs', async () => {
    const targets = Array.from({ length: 450 }, (_, i) => ({ pid: 20_000 + i * 4, startTime: start(11300) }));
    const windows = world(targets.map((t) => ({ ...byPid.get(11300)!, pid: t.pid })));
    const answers = [0, 1, 2].map(() => ({ code: 0, stdout: '', stderr: '' }));
    const { platform, calls } = platformWith(windows, answers);
    const outcome = await platform.killer.stop(targets, 'graceful');
    expect(calls.map((c) => c.args.filter((a) => a === '/PID').length)).toEqual([200, 200, 50]);
    expect(calls.every((c) => !c.args.includes('/F'))).toBe(true);
    expect(outcome.every((o) => o.result === 'sent')).toBe(true);
  });
});

describe('Windows Task Scheduler', () => {
  const s = schtasksFixture.scenarios;
  const SCHTASKS = 'D:\\WINDOWS\\System32\\schtasks.exe';

  it('disables an enabled task (Japanese Windows) and reports it was enabled', async () => {
    const { platform, calls } = platformWith(world(), [s['ja-ready']!, s['ja-change-ok']!]);
    expect(await platform.taskScheduler.disable('NexusBot02')).toEqual({ wasEnabled: true });
    expect(calls.map((c) => [c.file, c.args])).toEqual([
      [SCHTASKS, ['/Query', '/TN', 'NexusBot02', '/FO', 'CSV', '/NH']],
      [SCHTASKS, ['/Change', '/TN', 'NexusBot02', '/DISABLE']],
    ]);
  });

  it('leaves an already disabled task alone', async () => {
    for (const name of ['en-disabled', 'ja-disabled']) {
      const { platform, calls } = platformWith(world(), [s[name]!]);
      expect(await platform.taskScheduler.disable('NexusBot02')).toEqual({ wasEnabled: false });
      expect(calls).toHaveLength(1);
    }
  });

  it('a task it cannot find is an error that says what to check, in any language', async () => {
    for (const name of ['en-not-found', 'ja-not-found']) {
      const { platform, calls } = platformWith(world(), [s[name]!]);
      await expect(platform.taskScheduler.disable('NexusBot02')).rejects.toThrow(
        /^Task Scheduler has no task "NexusBot02" that this user can see .*Check the name in stop\.windowsTasks.*administrator or another account/,
      );
      expect(calls).toHaveLength(1);
    }
  });

  it('a task this user may not read is an error naming the rights needed, not "was not enabled"', async () => {
    const { platform } = platformWith(world(), [s['ja-query-denied']!]);
    await expect(platform.taskScheduler.disable('\\Admin\\NexusBot02')).rejects.toThrow(
      'schtasks cannot read task "\\Admin\\NexusBot02": エラー: アクセスが拒否されました。 The task must belong to the user who runs Nexus Ops',
    );
  });

  it('re-enables, and says why when schtasks refuses', async () => {
    const ok = platformWith(world(), [s['en-change-ok']!]);
    await ok.platform.taskScheduler.enable('NexusBot02');
    expect(ok.calls[0]?.args).toEqual(['/Change', '/TN', 'NexusBot02', '/ENABLE']);

    const denied = platformWith(world(), [s['en-running']!, s['en-change-denied']!]);
    await expect(denied.platform.taskScheduler.disable('NexusBot02')).rejects.toThrow(
      'schtasks could not disable "NexusBot02": ERROR: Access is denied. The task must belong to the user who runs Nexus Ops',
    );
  });

  it('ends the running instance; no instance is fine; a refusal is an error', async () => {
    const { platform, calls } = platformWith(world(), [
      s['en-end-ok']!,
      s['ja-end-ok']!,
      s['en-end-not-running']!,
      s['ja-end-denied']!,
    ]);
    await platform.taskScheduler.end!('\\TwitterBot_Nexus_02');
    await platform.taskScheduler.end!('\\TwitterBot_Nexus_02');
    await platform.taskScheduler.end!('\\TwitterBot_Nexus_02');
    await expect(platform.taskScheduler.end!('\\TwitterBot_Nexus_02')).rejects.toThrow(
      /^schtasks could not end the running instance of "\\TwitterBot_Nexus_02": エラー: アクセスが拒否されました。 The task must belong/,
    );
    expect(calls.map((c) => [c.file, c.args])).toEqual(
      Array(4).fill([SCHTASKS, ['/End', '/TN', '\\TwitterBot_Nexus_02']]),
    );
  });
});

describe('Windows memory', () => {
  it('reports RAM and the page file as swap, from GlobalMemoryStatusEx with dwLength set', async () => {
    const windows = world();
    const { platform } = platformWith(windows, []);
    expect(await platform.memory()).toEqual({
      totalBytes: 17_041_838_080,
      availableBytes: 9_012_345_856,
      swapTotalBytes: 2_684_354_560,
      swapFreeBytes: 2_684_354_560,
    });
    expect(windows.callsOf('GlobalMemoryStatusEx')).toEqual([['<64 bytes>']]);
  });
});

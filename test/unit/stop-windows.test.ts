/**
 * The emergency stop on the Windows platform, on Linux: Win32 is a fake of the native functions holding
 * the recorded process table of the bot PC (test/fixtures/windows/run-bot-tree.json: Task Scheduler →
 * cmd /c run_bot.bat → python → chromedriver → Chrome, and TradingAssistantX under pnpm), and every
 * command (the Ctrl+C helper, taskkill, schtasks) goes through an injected runner that records the
 * exact argument list and answers with output recorded from real Windows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/core/clock/index.js';
import type { RunCommand, RunResult } from '../../electron/core/platform/index.js';
import { createWindowsPlatform } from '../../electron/core/platform/windows/index.js';
import { bindWin32 } from '../../electron/core/platform/windows/win32.js';
import { LAUNCHER_FAMILY } from '../../electron/core/stop/targets.js';
import { createTestStop, openTestStore } from '../fixtures/fake-bot/harness.js';
import { FakeWindows, loadProcessTable } from '../fixtures/windows/fake-windows.js';

const recorded = loadProcessTable('run-bot-tree.json');
const BOT = recorded.botFolder;
const TAX = 'C:\\bots\\TradingAssistantX';
const TASK = recorded.task;
const HELPER = { nodePath: 'C:\\Program Files\\Nexus Ops\\Nexus Ops.exe', koffiPath: 'C:\\koffi\\index.js' };
const TASKKILL = 'C:\\Windows\\System32\\taskkill.exe';
const SCHTASKS = 'C:\\Windows\\System32\\schtasks.exe';

interface Call {
  file: string;
  args: readonly string[];
}

/**
 * The console Ctrl+C helper, taskkill and schtasks as they behave on the bot PC. Ctrl+C ends every
 * console program that handles it (python's KeyboardInterrupt, node's SIGINT, chromedriver, esbuild)
 * except those in `ignoresCtrlC`; a cmd.exe running a batch file stays, waiting at "Terminate batch job
 * (Y/N)?". Chrome has no console. Headless Chrome refuses a polite taskkill.
 */
function botPc(windows: FakeWindows, tasks: Map<string, string>, ignoresCtrlC = new Set<number>()) {
  const calls: Call[] = [];
  // A task's instance runs until it ends or is ended: disabling the task does not end it.
  const running = new Set([...tasks].filter(([, status]) => status === 'Running').map(([name]) => name));
  const exit = (pid: number) => windows.processes.delete(pid);
  const run: RunCommand = async (file, args) => {
    calls.push({ file, args: [...args] });
    if (file === HELPER.nodePath) {
      const targets = String(args[3]).split(',').map(Number);
      const answer: Record<number, string> = {};
      for (const pid of targets) {
        const p = windows.processes.get(pid);
        if (!p) continue;
        answer[pid] = p.name === 'chrome.exe' ? 'no-console' : 'sent';
      }
      for (const [pid, outcome] of Object.entries(answer)) {
        const p = windows.processes.get(Number(pid))!;
        if (outcome === 'sent' && p.name !== 'cmd.exe' && !ignoresCtrlC.has(p.pid)) exit(p.pid);
      }
      return { code: 0, stdout: JSON.stringify(answer), stderr: '' };
    }
    if (file === TASKKILL) {
      let stderr = '';
      args.forEach((arg, i) => {
        if (arg !== '/PID') return;
        const pid = Number(args[i + 1]);
        stderr += `ERROR: The process with PID ${pid} (child process of PID ${windows.processes.get(pid)?.ppid ?? 0}) could not be terminated.\r\nReason: This process can only be terminated forcefully (with /F option).\r\n`;
      });
      return { code: 1, stdout: '', stderr };
    }
    if (file === SCHTASKS) {
      const name = args[args.indexOf('/TN') + 1]!;
      const status = tasks.get(name);
      const fail = (stderr: string): RunResult => ({ code: 1, stdout: '', stderr });
      if (status === 'denied') return fail('ERROR: Access is denied.\r\n');
      if (status === undefined || status === 'missing')
        return fail('ERROR: The system cannot find the file specified.\r\n');
      if (args[0] === '/Query') {
        return { code: 0, stdout: `"${name}","2026/01/05 12:00:00","${status}"\r\n`, stderr: '' };
      }
      if (args[0] === '/End') {
        if (!running.delete(name)) return fail('ERROR: There is no running instance of the task.\r\n');
        exit(10212); // the task's action process: cmd.exe, not its children
        return {
          code: 0,
          stdout: `SUCCESS: The scheduled task "${name}" has been terminated successfully.\r\n`,
          stderr: '',
        };
      }
      tasks.set(name, args.includes('/ENABLE') ? 'Ready' : 'Disabled');
      return {
        code: 0,
        stdout: `SUCCESS: The parameters of scheduled task "${name}" have been changed.\r\n`,
        stderr: '',
      };
    }
    throw new Error(`unexpected command ${file}`);
  };
  return { run, calls };
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0))
    rmSync(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

function setup(
  options: { tasks?: [string, string][]; ignoresCtrlC?: number[]; ctrlC?: boolean; folders?: string[] } = {},
) {
  const windows = new FakeWindows(recorded.processes);
  const tasks = new Map(options.tasks ?? []);
  const { run, calls } = botPc(windows, tasks, new Set(options.ignoresCtrlC));
  const clock = new ManualClock(Date.parse('2026-01-05T01:00:30Z'));
  const api = bindWin32(windows.layer());
  const platform = createWindowsPlatform({
    clock,
    run,
    win32: async () => api,
    systemRoot: 'C:\\Windows',
    ctrlC: options.ctrlC === false ? null : HELPER,
    selfPid: recorded.selfPid,
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'nexus-ops-stop-win-'));
  dirs.push(dataDir);
  const t = createTestStop({
    store: openTestStore(dataDir, clock),
    folders: options.folders ?? [BOT, TAX],
    platform,
    clock,
    selfPid: recorded.selfPid,
    stop: { graceSeconds: 0.2, verifySeconds: 1, windowsTasks: [...tasks.keys()] },
  });
  return { t, calls, windows, tasks };
}

/** PIDs ended by TerminateProcess, in order. */
function terminated(windows: FakeWindows): number[] {
  const order: number[] = [];
  let lastOpened: unknown;
  for (const call of windows.calls) {
    if (call.fn === 'OpenProcess' && call.args[0] === 0x1001) lastOpened = call.args[2];
    if (call.fn === 'TerminateProcess') order.push(lastOpened as number);
  }
  return order;
}

describe('emergency stop of the recorded run_bot.bat tree (Windows platform, fake Win32)', () => {
  it('Ctrl+C to the bots, then forces what stayed: the cmd.exe of run_bot.bat first, then headless Chrome', async () => {
    // No task configured: nothing but the stop itself ends the cmd.exe waiting at its Y/N prompt.
    const { t, calls, windows } = setup();
    const run = await t.stop.trigger({ source: 'button', reason: 'windows' });

    const helper = calls.filter((c) => c.file === HELPER.nodePath);
    expect(helper).toHaveLength(1);
    expect(helper[0]!.args[3]).toBe('10212,8200,8260,8300,8340,8360,10340,11020,11104,11188,11260,11300');
    expect(calls.filter((c) => c.file === TASKKILL).map((c) => c.args)).toEqual([
      ['/PID', '11104', '/PID', '11188', '/PID', '11260', '/PID', '11300'],
    ]);
    // The cmd.exe instances waited at their Y/N prompt: forced, before anything they could restart.
    expect(terminated(windows)).toEqual([10212, 8260, 11104, 11188, 11260, 11300]);

    expect(run.status).toBe('done');
    expect(run.counts).toEqual({ targets: 12, stopped: 12, forced: 6, survivors: 0 });
    expect(run.families).toEqual({ [LAUNCHER_FAMILY]: 3, 'bot-runner': 4, 'bot-driver': 1, 'bot-chrome': 4 });
    expect([...windows.processes.keys()].sort((a, b) => a - b)).toEqual([
      0, 4, 180, 884, 1032, 1876, 6120, 7300, 7320, 8000, 8040, 9480, 9512, 10220,
    ]);
    expect(run.errors.filter((e) => !e.startsWith('kill-switch '))).toEqual([]); // no folder exists here
  });

  it('disables the task and ends its running instance, so its next trigger is not skipped', async () => {
    const { t, calls, tasks, windows } = setup({ tasks: [[TASK, 'Running']] });
    const run = await t.stop.trigger({ source: 'button', reason: 'windows' });
    expect(windows.processes.has(10212)).toBe(false); // ended with the instance, or forced by the stop
    expect(run.counts.survivors).toBe(0);
    expect(calls.filter((c) => c.file === SCHTASKS).map((c) => c.args)).toEqual([
      ['/Query', '/TN', TASK, '/FO', 'CSV', '/NH'],
      ['/Change', '/TN', TASK, '/DISABLE'],
      ['/End', '/TN', TASK],
    ]);
    expect(run.disabledTasks).toEqual([TASK]);
    expect(tasks.get(TASK)).toBe('Disabled');

    calls.length = 0;
    await t.stop.resume({ actor: 'op', reason: 'fixed' });
    expect(calls.map((c) => [c.file, ...c.args])).toEqual([[SCHTASKS, '/Change', '/TN', TASK, '/ENABLE']]);
  });

  it('reports a task it cannot disable as an error saying what to do, and still stops the bots', async () => {
    const { t } = setup({
      tasks: [
        [TASK, 'Running'],
        ['\\Created_By_Admin', 'denied'],
        ['\\TwiterBot_Typo', 'missing'],
        ['\\Already_Off', 'Disabled'],
      ],
    });
    const run = await t.stop.trigger({ source: 'button', reason: 'windows' });
    const taskErrors = run.errors.filter((e) => e.startsWith('task '));
    expect(taskErrors).toEqual([
      expect.stringMatching(
        /^task \\Created_By_Admin: schtasks cannot read task "\\Created_By_Admin": ERROR: Access is denied\. The task must belong to the user who runs Nexus Ops .*or Nexus Ops must run as administrator\.$/,
      ),
      expect.stringMatching(
        /^task \\TwiterBot_Typo: Task Scheduler has no task "\\TwiterBot_Typo" that this user can see/,
      ),
    ]);
    expect(run.disabledTasks).toEqual([TASK]);
    expect(run.counts.survivors).toBe(0);
  });

  it('reports bots that did not acknowledge the Ctrl+C (their own process group) and forces them', async () => {
    const { t, windows } = setup({ ignoresCtrlC: [10340] });
    const run = await t.stop.trigger({ source: 'button', reason: 'windows' });
    expect(run.errors).toContainEqual(
      expect.stringMatching(
        /^graceful stop not acknowledged: PID 10340 python\.exe \(bot-runner, console Ctrl\+C\) did not exit within 0\.2 s and were forced/,
      ),
    );
    expect(terminated(windows)).toContain(10340);
    expect(run.status).toBe('done');
  });

  it('without the Ctrl+C helper: taskkill without /F for everyone, then TerminateProcess', async () => {
    const { t, calls, windows } = setup({ ctrlC: false });
    const run = await t.stop.trigger({ source: 'button', reason: 'windows' });
    const taskkills = calls.filter((c) => c.file === TASKKILL).map((c) => c.args);
    expect(taskkills).toHaveLength(1);
    expect(taskkills[0]).not.toContain('/F');
    expect(terminated(windows)).toEqual([
      10212, 8200, 8260, 8300, 8340, 8360, 10340, 11020, 11104, 11188, 11260, 11300,
    ]);
    expect(run.status).toBe('done');
  });

  it('reports a process it may not end as a survivor with the reason', async () => {
    const { t, windows } = setup();
    windows.processes.get(11300)!.access = 'limited'; // a Chrome renderer of an elevated bot
    const run = await t.stop.trigger({ source: 'button', reason: 'windows' });
    expect(run.status).toBe('survivors');
    expect(run.survivors).toEqual([
      {
        pid: 11300,
        name: 'chrome.exe',
        family: 'bot-chrome',
        reason: 'access denied (access denied: this user may not end the process)',
      },
    ]);
    expect(t.notices[0]?.title).toMatch(/1 process\(es\) survived/);
  });

  it('reports the bot folder it could not write the kill-switch into, and still stops', async () => {
    const { t } = setup({ folders: [BOT] });
    const run = await t.stop.trigger({ source: 'button', reason: 'windows' });
    expect(run.killSwitch.written).toEqual([]);
    expect(run.killSwitch.failed).toHaveLength(1);
    expect(run.errors[0]).toMatch(/^kill-switch /);
    expect(run.counts.survivors).toBe(0);
  });
});

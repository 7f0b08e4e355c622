import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createRunCommand } from '../../electron/core/platform/run.js';
import {
  CTRL_C_HELPER_SOURCE,
  ctrlCAllowedPids,
  ctrlCHelperArgs,
  parseCtrlCHelperOutput,
  unpackedAsarPath,
} from '../../electron/core/platform/windows/console-ctrl.js';
import { parseCsvLine } from '../../electron/core/platform/windows/csv.js';
import {
  checkSchtasksEnd,
  parseSchtasksQuery,
  schtasksChangeArgs,
  schtasksEndArgs,
  schtasksQueryArgs,
} from '../../electron/core/platform/windows/schtasks.js';
import { parseTaskkillOutput, taskkillArgs } from '../../electron/core/platform/windows/taskkill.js';

interface Recorded {
  args?: string[];
  pids?: number[];
  code: number;
  stdout: string;
  stderr: string;
}

function fixture(name: string): Record<string, Recorded> {
  const url = new URL(`../fixtures/windows/${name}`, import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { scenarios: Record<string, Recorded> }).scenarios;
}

const taskkill = fixture('taskkill.json');
const schtasks = fixture('schtasks.json');

function parseRecorded(scenario: Recorded) {
  return parseTaskkillOutput(scenario.stdout, scenario.stderr, scenario.pids ?? [], scenario.code);
}

describe('taskkillArgs', () => {
  it('puts every target in one call, /F only when forcing, never /T (the list already is the verified tree)', () => {
    expect(taskkillArgs([4120, 5532, 7788], 'force')).toEqual([
      '/PID',
      '4120',
      '/PID',
      '5532',
      '/PID',
      '7788',
      '/F',
    ]);
    expect(taskkillArgs([4120], 'graceful')).toEqual(['/PID', '4120']);
    expect(taskkillArgs([4120, 5532], 'force')).not.toContain('/T');
  });
});

describe('parseTaskkillOutput', () => {
  it('English force on a tree: killed, not found, access denied; child lines are not mistaken for targets', () => {
    expect(parseRecorded(taskkill['en-force-tree']!)).toEqual([
      { pid: 4120, result: 'sent' },
      { pid: 5532, result: 'gone', detail: 'ERROR: The process "5532" not found.' },
      { pid: 7788, result: 'denied', detail: 'Reason: Access is denied.' },
    ]);
  });

  it('Japanese force on a tree gives the same outcomes', () => {
    expect(parseRecorded(taskkill['ja-force-tree']!)).toEqual([
      { pid: 4120, result: 'sent' },
      { pid: 5532, result: 'gone', detail: 'エラー: プロセス "5532" が見つかりませんでした。' },
      { pid: 7788, result: 'denied', detail: '理由: アクセスが拒否されました。' },
    ]);
  });

  it('a console process refusing a graceful taskkill is an error that asks for /F (English and Japanese)', () => {
    for (const name of ['en-graceful-console', 'ja-graceful-console']) {
      const [outcome] = parseRecorded(taskkill[name]!);
      expect(outcome?.pid).toBe(4120);
      expect(outcome?.result).toBe('error');
      expect(outcome?.detail).toMatch(/^needs \/F: /);
    }
  });

  it('a window process accepts the termination request', () => {
    expect(parseRecorded(taskkill['en-graceful-window']!)).toEqual([{ pid: 9012, result: 'sent' }]);
  });

  it('a process that exited between check and kill is gone', () => {
    expect(parseRecorded(taskkill['en-exited-meanwhile']!)).toEqual([
      { pid: 4120, result: 'gone', detail: 'Reason: There is no running instance of the task.' },
    ]);
  });

  it('recorded Japanese success without /T', () => {
    expect(parseRecorded(taskkill['ja-force-single']!)).toEqual([{ pid: 10440, result: 'sent' }]);
  });

  it('falls back to the exit code for PIDs the output does not name', () => {
    expect(parseTaskkillOutput('OK\r\n', '', [1, 2], 0)).toEqual([
      { pid: 1, result: 'sent' },
      { pid: 2, result: 'sent' },
    ]);
    expect(parseTaskkillOutput('', 'ERROR: Invalid syntax.\r\n', [1], 1)).toEqual([
      { pid: 1, result: 'error', detail: 'taskkill exit code 1: ERROR: Invalid syntax.' },
    ]);
  });
});

describe('schtasks', () => {
  it('builds the query, change and end argument lists', () => {
    expect(schtasksQueryArgs('NexusBot02')).toEqual(['/Query', '/TN', 'NexusBot02', '/FO', 'CSV', '/NH']);
    expect(schtasksEndArgs('\\TwitterBot_Nexus_02')).toEqual(['/End', '/TN', '\\TwitterBot_Nexus_02']);
    expect(schtasksChangeArgs('NexusBot02', false)).toEqual(['/Change', '/TN', 'NexusBot02', '/DISABLE']);
    expect(schtasksChangeArgs('\\Bots\\NexusBot02', true)).toEqual([
      '/Change',
      '/TN',
      '\\Bots\\NexusBot02',
      '/ENABLE',
    ]);
  });

  it.each([
    ['en-ready', true, 'Ready'],
    ['en-running', true, 'Running'],
    ['en-disabled', false, 'Disabled'],
    ['ja-ready', true, '準備完了'],
    ['ja-running', true, '実行中'],
    ['ja-disabled', false, '無効'],
  ])('%s → enabled=%s', (name, enabled, status) => {
    expect(parseSchtasksQuery(schtasks[name]!, 'NexusBot02')).toEqual({
      exists: true,
      enabled,
      status,
    });
  });

  it('a task with two triggers prints two rows; a task in a folder matches by full name', () => {
    expect(parseSchtasksQuery(schtasks['en-two-triggers']!, '\\Bots\\NexusBot02')).toEqual({
      exists: true,
      enabled: true,
      status: 'Ready',
    });
  });

  it('a failed query is an error, never "nothing to disable": missing or invisible, or not readable', () => {
    for (const name of ['en-not-found', 'ja-not-found']) {
      expect(() => parseSchtasksQuery(schtasks[name]!, 'NexusBot02')).toThrow(/^Task Scheduler has no task/);
    }
    expect(() => parseSchtasksQuery(schtasks['ja-query-denied']!, 'NexusBot02')).toThrow(
      /^schtasks cannot read task "NexusBot02": エラー: アクセスが拒否されました。/,
    );
    expect(() => parseSchtasksQuery({ code: 0, stdout: '', stderr: '' }, 'NexusBot02')).toThrow(
      'schtasks cannot read task "NexusBot02": exit code 0. The task must belong',
    );
  });

  it('/End: ended or nothing running is fine; anything else throws', () => {
    for (const name of ['en-end-ok', 'ja-end-ok', 'en-end-not-running']) {
      expect(() => checkSchtasksEnd(schtasks[name]!, 'NexusBot02')).not.toThrow();
    }
    expect(() => checkSchtasksEnd(schtasks['ja-end-denied']!, 'NexusBot02')).toThrow(/rights|must belong/);
  });
});

describe('parseCsvLine', () => {
  it('handles quoted fields, doubled quotes, empty and unquoted fields', () => {
    expect(parseCsvLine('"a","b ""c""","",d,"e,f"')).toEqual(['a', 'b "c"', '', 'd', 'e,f']);
    expect(parseCsvLine('"only"')).toEqual(['only']);
  });
});

describe('console Ctrl+C helper', () => {
  // explorer(1000) → cmd(3000, run_bot.bat) → python(4120) → chromedriver(6100) → chrome(6200)
  // explorer(1000) → NexusOps(7000) → its own python child (7100)
  // services(500) → svchost(600) → cmd(3100) → python(4300): a second bot
  const snapshot = [
    { pid: 0, ppid: 0 },
    { pid: 4, ppid: 0 },
    { pid: 500, ppid: 4 },
    { pid: 600, ppid: 500 },
    { pid: 1000, ppid: 900 },
    { pid: 3000, ppid: 1000 },
    { pid: 4120, ppid: 3000 },
    { pid: 6100, ppid: 4120 },
    { pid: 6200, ppid: 6100 },
    { pid: 7000, ppid: 1000 },
    { pid: 7100, ppid: 7000 },
    { pid: 3100, ppid: 600 },
    { pid: 4300, ppid: 3100 },
  ];

  it('allows the targets, their trees and their ancestors, never Nexus Ops or its ancestors', () => {
    expect(ctrlCAllowedPids(snapshot, [4120], 7000)).toEqual([3000, 4120, 6100, 6200]);
    expect(ctrlCAllowedPids(snapshot, [4120, 4300], 7000)).toEqual([
      0, 4, 500, 600, 3000, 3100, 4120, 4300, 6100, 6200,
    ]);
  });

  it('does not follow a parent PID that was reused by a younger process', () => {
    const reused = [
      { pid: 3000, ppid: 1, startTime: 5_000 }, // created after its "child": the real parent died
      { pid: 4120, ppid: 3000, startTime: 1_000 },
    ];
    expect(ctrlCAllowedPids(reused, [4120], 7000)).toEqual([4120]);
  });

  it('loads koffi from app.asar.unpacked in the packaged app, where electron-builder unpacks it', () => {
    expect(
      unpackedAsarPath('C:\\Program Files\\Nexus Ops\\resources\\app.asar\\node_modules\\koffi\\index.js'),
    ).toBe('C:\\Program Files\\Nexus Ops\\resources\\app.asar.unpacked\\node_modules\\koffi\\index.js');
    const dev = 'C:\\src\\nexus-ops\\node_modules\\koffi\\index.js';
    expect(unpackedAsarPath(dev)).toBe(dev);
    expect(unpackedAsarPath('/opt/Nexus Ops/resources/app.asar/node_modules/koffi/index.js')).toBe(
      '/opt/Nexus Ops/resources/app.asar.unpacked/node_modules/koffi/index.js',
    );
  });

  it('passes koffi, targets and allowed PIDs to the helper script', () => {
    expect(ctrlCHelperArgs('C:\\app\\node_modules\\koffi\\index.js', [4120, 4300], [3000, 4120])).toEqual([
      '-e',
      CTRL_C_HELPER_SOURCE,
      'C:\\app\\node_modules\\koffi\\index.js',
      '4120,4300',
      '3000,4120',
    ]);
    expect(() => new Function('require', 'process', CTRL_C_HELPER_SOURCE)).not.toThrow(); // valid JS
  });

  it('reads the helper answer; anything unreported falls back to taskkill', () => {
    expect(
      parseCtrlCHelperOutput('{"4120":"sent","4300":"shared-console:7000"}', [4120, 4300, 5000]),
    ).toEqual([
      { pid: 4120, sent: true },
      { pid: 4300, sent: false, reason: 'shared-console:7000' },
      { pid: 5000, sent: false, reason: 'no answer from Ctrl+C helper' },
    ]);
    expect(parseCtrlCHelperOutput('Error: Cannot find module', [1])).toEqual([
      { pid: 1, sent: false, reason: 'no answer from Ctrl+C helper' },
    ]);
  });
});

describe('console Ctrl+C helper script (run by Node against a koffi stand-in)', () => {
  const fakeKoffi = fileURLToPath(new URL('../fixtures/windows/fake-koffi.cjs', import.meta.url));

  function runHelper(targets: number[], allowed: number[], consoles: Record<number, number[]>) {
    const dir = mkdtempSync(join(tmpdir(), 'nexus-ops-ctrlc-'));
    const logFile = join(dir, 'calls.json');
    return new Promise<{ stdout: string; calls: unknown[][] }>((resolve, reject) => {
      execFile(
        process.execPath,
        ctrlCHelperArgs(fakeKoffi, targets, allowed),
        { env: { ...process.env, FAKE_CONSOLES: JSON.stringify(consoles), FAKE_KOFFI_LOG: logFile } },
        (error, stdout) => {
          try {
            if (error) throw error;
            resolve({ stdout, calls: JSON.parse(readFileSync(logFile, 'utf8')) as unknown[][] });
          } catch (err) {
            reject(err);
          } finally {
            rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
          }
        },
      );
    });
  }

  it('ignores Ctrl+C itself again after every attach, then raises it once per console', async () => {
    // The task's console: cmd (run_bot.bat), conhost, python, chromedriver. A second bot alone on its own.
    const { stdout, calls } = await runHelper([10212, 10340, 4300], [10212, 10220, 10340, 11020, 4300], {
      10212: [10212, 10220, 10340, 11020],
      10340: [10212, 10220, 10340, 11020],
      4300: [4300],
    });
    expect(JSON.parse(stdout)).toEqual({ 10212: 'sent', 10340: 'sent', 4300: 'sent' });
    const perConsole = [
      ['FreeConsole'],
      ['AttachConsole', 10212],
      ['SetConsoleCtrlHandler', null, 1],
      ['GetConsoleProcessList', '<buffer>', 4096],
      ['GenerateConsoleCtrlEvent', 0, 0],
      ['FreeConsole'],
    ];
    expect(calls).toEqual([
      ['SetConsoleCtrlHandler', null, 1],
      ...perConsole,
      // python shares the console already signalled: no second Ctrl+C (one KeyboardInterrupt only)
      ...perConsole.map((call) => (call[0] === 'AttachConsole' ? ['AttachConsole', 4300] : call)),
    ]);
  });

  it('sends nothing to a console a foreign process shares, and reports a target without a console', async () => {
    const { stdout, calls } = await runHelper([10340, 5000], [10340], { 10340: [10340, 9480] });
    expect(JSON.parse(stdout)).toEqual({ 10340: 'shared-console:9480', 5000: 'no-console' });
    expect(calls.filter((call) => call[0] === 'GenerateConsoleCtrlEvent')).toEqual([]);
  });
});

describe('running a tool', () => {
  const run = createRunCommand({ timeoutMs: 10_000 });

  it('closes stdin: a tool that asks for input (schtasks wanting a password) fails at once', async () => {
    const result = await run(process.execPath, [
      '-e',
      'process.stdout.write("Password: "); process.stdin.on("data", () => {}); process.stdin.on("end", () => { console.error("no input"); process.exit(1); });',
    ]);
    expect(result).toEqual({ code: 1, stdout: 'Password: ', stderr: 'no input\n' });
  });

  it('ends a tool that does not answer in time and says so', async () => {
    const slow = createRunCommand({ timeoutMs: 300 });
    const result = await slow(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    expect(result.code).toBeNull();
    expect(result.stderr).toMatch(/gave no answer within 300 ms and was ended/);
  });

  it('reports a tool that cannot start', async () => {
    const result = await run('/nonexistent/schtasks.exe', ['/Query']);
    expect(result.code).toBeNull();
    expect(result.stderr).toMatch(/ENOENT/);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CTRL_C_HELPER_SOURCE,
  ctrlCAllowedPids,
  ctrlCHelperArgs,
  parseCtrlCHelperOutput,
} from '../../electron/core/platform/windows/console-ctrl.js';
import { parseCsvLine } from '../../electron/core/platform/windows/csv.js';
import {
  parseSchtasksQuery,
  schtasksChangeArgs,
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
  it('builds the query and change argument lists', () => {
    expect(schtasksQueryArgs('NexusBot02')).toEqual(['/Query', '/TN', 'NexusBot02', '/FO', 'CSV', '/NH']);
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
    const recorded = schtasks[name]!;
    expect(parseSchtasksQuery(recorded.stdout, recorded.code, 'NexusBot02')).toEqual({
      exists: true,
      enabled,
      status,
    });
  });

  it('a task with two triggers prints two rows; a task in a folder matches by full name', () => {
    const recorded = schtasks['en-two-triggers']!;
    expect(parseSchtasksQuery(recorded.stdout, recorded.code, '\\Bots\\NexusBot02')).toEqual({
      exists: true,
      enabled: true,
      status: 'Ready',
    });
  });

  it('a missing task does not exist, in any language', () => {
    for (const name of ['en-not-found', 'ja-not-found']) {
      const recorded = schtasks[name]!;
      expect(parseSchtasksQuery(recorded.stdout, recorded.code, 'NexusBot02').exists).toBe(false);
    }
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

import { describe, expect, it } from 'vitest';
import { compileRules } from '../../electron/core/alerts/index.js';
import { createProcessTracker, parseDefaultFamilies } from '../../electron/core/monitor/index.js';
import type { ProcessInfo } from '../../electron/core/platform/types.js';
import { sortByRun } from '../../renderer/src/pages/processes/runs.js';

/**
 * Runs, not processes (issue 10, item 7): one TradingAssistantX run is `node …tsx/dist/cli.mjs
 * src/main.ts` and its `node --require …preflight.cjs --import …loader.mjs src/main.ts` child, and
 * counts as one bot-runner run of two processes.
 */

const families = parseDefaultFamilies();
const T = Date.UTC(2026, 0, 1);

let nextPid = 1000;
function p(name: string, cmdline: string, extra: Partial<ProcessInfo> = {}): ProcessInfo {
  const pid = extra.pid ?? nextPid++;
  return {
    pid,
    ppid: 1,
    name,
    cmdline,
    startTime: T - 60_000 + pid,
    state: 'sleeping',
    cpuTimeMs: 0,
    rssBytes: 1e6,
    ...extra,
  };
}

function tsxRun(root = '/home/op/TradingAssistantX', parent = 1): ProcessInfo[] {
  const cli = p('node', `node ${root}/node_modules/tsx/dist/cli.mjs src/main.ts`, { ppid: parent });
  const child = p(
    'node',
    `/usr/bin/node --require ${root}/node_modules/tsx/dist/preflight.cjs --import file://${root}/node_modules/tsx/dist/loader.mjs src/main.ts`,
    { ppid: cli.pid },
  );
  const esbuild = p(
    'esbuild',
    `${root}/node_modules/@esbuild/linux-x64/bin/esbuild --service=0.25.0 --ping`,
    {
      ppid: child.pid,
    },
  );
  return [cli, child, esbuild];
}

const summary = (scan: ReturnType<ReturnType<typeof createProcessTracker>['update']>, name: string) =>
  scan.families.find((f) => f.name === name)!;
const tracker = () => createProcessTracker({ cpuCount: 2, platformKind: 'linux', hungAfterMs: 30_000 });

describe('runs of a family', () => {
  it('counts one TradingAssistantX run as one bot-runner run of two processes', () => {
    const run = tsxRun();
    const scan = tracker().update(T, run, families, []);
    expect(summary(scan, 'bot-runner')).toMatchObject({ count: 2, runs: 1 });
    expect(scan.instancesOf('bot-runner').map((i) => [i.pid, i.runPid])).toEqual([
      [run[0]!.pid, run[0]!.pid],
      [run[1]!.pid, run[0]!.pid],
    ]);
    const runs = scan.samples.find((s) => s.name === 'proc.runs' && s.labels.family === 'bot-runner');
    expect(runs?.value).toBe(1);
  });

  it('two runs (main and a one-shot dev action) are two; Windows parents in between change nothing', () => {
    const cmd = p('cmd.exe', 'C:\\Windows\\system32\\cmd.exe /d /s /c "tsx src/dev.ts --action post"');
    const main = tsxRun('C:/bots/TradingAssistantX');
    const dev = tsxRun('C:/bots/TradingAssistantX', cmd.pid).map((x) =>
      x.cmdline.includes('src/main.ts')
        ? { ...x, cmdline: x.cmdline.replace('src/main.ts', 'src/dev.ts --action post') }
        : x,
    );
    const scan = tracker().update(T, [cmd, ...main, ...dev], families, []);
    expect(summary(scan, 'bot-runner')).toMatchObject({ count: 4, runs: 2 });
  });

  it('a Chrome browser and its helpers are one run; each browser its own', () => {
    const browsers = [1, 2].map(() => p('chromium', '/usr/lib/chromium/chromium --headless about:blank'));
    const helpers = browsers.flatMap((b) => {
      const zygote = p('chromium', '/usr/lib/chromium/chromium --type=zygote', { ppid: b.pid });
      return [zygote, p('chromium', '/usr/lib/chromium/chromium --type=renderer', { ppid: zygote.pid })];
    });
    const scan = tracker().update(T, [...browsers, ...helpers], families, []);
    expect(summary(scan, 'chrome')).toMatchObject({ count: 6, runs: 2 });
  });

  it('a parent that started after its child is a reused PID: the child is its own run', () => {
    const child = p('node', 'node /x/node_modules/tsx/dist/cli.mjs src/main.ts', {
      pid: 50,
      startTime: T - 10_000,
    });
    const reused = p('node', 'node /y/node_modules/tsx/dist/cli.mjs src/main.ts', {
      pid: 40,
      startTime: T - 1_000,
    });
    const scan = tracker().update(T, [{ ...child, ppid: reused.pid }, reused], families, []);
    expect(summary(scan, 'bot-runner')).toMatchObject({ count: 2, runs: 2 });
  });

  it('the processes page lists each run together, its first process first', () => {
    const run = tsxRun();
    const other = tsxRun('/srv/other');
    const scan = tracker().update(T, [...other, ...run].reverse(), families, []);
    const rows = sortByRun(scan.instancesOf('bot-runner')).map((i) => i.pid);
    const [a, b] = run[0]!.startTime < other[0]!.startTime ? [run, other] : [other, run];
    expect(rows).toEqual([a[0]!.pid, a[1]!.pid, b[0]!.pid, b[1]!.pid]);
  });

  it('alert rules may use proc.runs (e.g. a bot started twice)', () => {
    const { errors } = compileRules(
      [
        {
          id: 'twice',
          name: 'bot started twice',
          expr: 'proc.runs{family="bot-runner"} > 1',
          severity: 'warning',
        },
      ],
      { file: 'c.yaml' },
    );
    expect(errors).toEqual([]);
  });
});

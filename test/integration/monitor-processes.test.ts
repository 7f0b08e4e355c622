import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../electron/core/clock/index.js';
import { createMonitor, type Monitor, type MonitorCycle } from '../../electron/core/monitor/index.js';
import { monitorConfigSchema } from '../../shared/config/monitor.js';
import { CHROMIUM, headlessChromiumArgs } from '../helpers/chromium.js';
import { pythonExe } from '../helpers/python.js';
import { removeTempDir } from '../helpers/temp-dir.js';

const children: ChildProcess[] = [];
let dir: string;
let botFolder: string;
let monitor: Monitor;

function track(child: ChildProcess): ChildProcess {
  children.push(child);
  return child;
}

function exited(child: ChildProcess): Promise<unknown> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return once(child, 'exit');
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await exited(child);
  }
}

/** Runs monitor cycles until `check` holds; returns how many cycles it took (at most `max`). */
async function cyclesUntil(check: (c: MonitorCycle) => boolean, max: number): Promise<number> {
  for (let n = 1; n <= max; n++) {
    const cycle = await monitor.sampleOnce();
    if (check(cycle)) return n;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return Number.POSITIVE_INFINITY;
}

function memberPids(c: MonitorCycle, family: string): Set<number> {
  return new Set((c.processes?.instancesOf(family) ?? []).map((i) => i.pid));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nexus-monitor-'));
  botFolder = join(dir, 'bots', 'nexus');
  mkdirSync(join(dir, 'reply_bot'), { recursive: true });
  writeFileSync(join(dir, 'reply_bot', '__init__.py'), '');
  writeFileSync(join(dir, 'reply_bot', 'sleeper.py'), 'import time\ntime.sleep(600)\n');
  const config = monitorConfigSchema.parse({ liveIntervalSeconds: 1, processIntervalSeconds: 1 });
  monitor = createMonitor({
    clock: systemClock,
    config: () => config,
    botFolders: () => [botFolder],
    onError: (err) => {
      throw err;
    },
  });
});

afterEach(async () => {
  await Promise.all(children.splice(0).map(kill));
});

afterAll(async () => {
  await monitor.close();
  removeTempDir(dir);
});

describe('process families with real processes', () => {
  it('counts 5 bot-runner sleepers within two cycles, then 3 after killing 2', async () => {
    // Other test suites on this machine may run bot-like processes too: count ours among the members.
    const mine = (c: MonitorCycle) =>
      [...memberPids(c, 'bot-runner')].filter((pid) => pids.includes(pid)).length;
    const sleepers = [0, 1, 2, 3, 4].map((i) =>
      track(
        i % 2 === 0
          ? spawn(pythonExe(), ['-m', 'reply_bot.sleeper', '--config', `accounts_${i}.yaml`], {
              cwd: dir,
              stdio: 'ignore',
            })
          : spawn(pythonExe(), [join(dir, 'reply_bot', 'sleeper.py')], { cwd: dir, stdio: 'ignore' }),
      ),
    );
    const pids = sleepers.map((s) => s.pid!);
    let last: MonitorCycle | undefined;
    const cycles = await cyclesUntil((c) => {
      last = c;
      return mine(c) === 5;
    }, 2);
    expect(cycles).toBeLessThanOrEqual(2);
    const members = memberPids(last!, 'bot-runner');
    for (const pid of pids) expect(members.has(pid)).toBe(true);
    // They are Python too, and their instances carry what the Processes page shows.
    expect(memberPids(last!, 'python').has(pids[0]!)).toBe(true);
    const instance = last!.processes!.instancesOf('bot-runner')!.find((i) => i.pid === pids[0])!;
    expect(instance).toMatchObject({ ppid: process.pid, name: 'python3' });
    // Within two cycles of its start a sleeper may still be importing (running) rather than asleep.
    expect(['sleeping', 'running']).toContain(instance.state);
    expect(instance.cmdline).toContain('reply_bot.sleeper');
    expect(instance.rssBytes).toBeGreaterThan(1_000_000);
    const summary = last!.processes!.families.find((f) => f.name === 'bot-runner')!;
    expect(summary.rssBytes).toBeGreaterThanOrEqual(5 * 1_000_000);
    expect(summary.count).toBe(memberPids(last!, 'bot-runner').size);
    expect(summary.count).toBeGreaterThanOrEqual(5);
    expect(last!.samples).toContainEqual(
      expect.objectContaining({ name: 'proc.count', labels: { family: 'bot-runner' }, value: summary.count }),
    );

    await kill(sleepers[0]!);
    await kill(sleepers[3]!);
    const afterKill = await cyclesUntil((c) => {
      last = c;
      return mine(c) === 3;
    }, 2);
    expect(afterKill).toBeLessThanOrEqual(2);
    expect(memberPids(last!, 'bot-runner').has(pids[0]!)).toBe(false);
  });

  it('sees the child a python3 parent never reaps as one zombie', async () => {
    const parent = track(
      spawn(
        pythonExe(),
        [
          '-c',
          'import os, sys, time\npid = os.fork()\nif pid == 0:\n    os._exit(0)\nprint(pid, flush=True)\ntime.sleep(600)',
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      ),
    );
    const [line] = (await once(parent.stdout!, 'data')) as [Buffer];
    const zombiePid = Number(String(line).trim());
    let last: MonitorCycle | undefined;
    const cycles = await cyclesUntil((c) => {
      last = c;
      // The forked child needs a moment to run its _exit: until then it is a running python.
      return (
        c.processes?.instancesOf('python')?.some((i) => i.pid === zombiePid && i.state === 'zombie') === true
      );
    }, 5);
    expect(cycles).toBeLessThanOrEqual(5);
    const python = last!.processes!.instancesOf('python')!;
    const zombie = python.find((i) => i.pid === zombiePid);
    expect(zombie).toMatchObject({ state: 'zombie', ppid: parent.pid });
    // Its parent is alive and well: exactly one zombie comes from this test.
    expect(python.find((i) => i.pid === parent.pid)?.state).toBe('sleeping');
    expect(python.filter((i) => i.ppid === parent.pid)).toHaveLength(1);
    // The family's zombie figure counts every zombie instance (other suites may add their own).
    const zombies = python.filter((i) => i.state === 'zombie').length;
    expect(zombies).toBeGreaterThanOrEqual(1);
    expect(last!.processes!.families.find((f) => f.name === 'python')!.zombies).toBe(zombies);
    expect(last!.samples).toContainEqual(
      expect.objectContaining({ name: 'proc.zombies', labels: { family: 'python' }, value: zombies }),
    );
  });

  it.skipIf(!existsSync(CHROMIUM))(
    'puts a headless Chromium with a profile under a bot folder in bot-chrome, and one elsewhere not',
    async () => {
      const bot = track(
        spawn(CHROMIUM, headlessChromiumArgs(join(botFolder, 'profile', 'acc1')), {
          stdio: 'ignore',
        }),
      );
      const operator = track(
        spawn(CHROMIUM, headlessChromiumArgs(join(dir, 'operator', 'profile')), {
          stdio: 'ignore',
        }),
      );
      let last: MonitorCycle | undefined;
      const cycles = await cyclesUntil((c) => {
        last = c;
        const chrome = memberPids(c, 'chrome');
        return chrome.has(bot.pid!) && chrome.has(operator.pid!) && memberPids(c, 'bot-chrome').has(bot.pid!);
      }, 10);
      expect(cycles).toBeLessThanOrEqual(10);
      const botChrome = last!.processes!.instancesOf('bot-chrome')!;
      const botPids = new Set(botChrome.map((i) => i.pid));
      expect(botPids.has(bot.pid!)).toBe(true);
      expect(botPids.has(operator.pid!)).toBe(false);
      // The operator's Chrome tree stays out entirely: none of its processes descends from a bot Chrome.
      const chrome = last!.processes!.instancesOf('chrome')!;
      const operatorTree = chrome.filter((i) => i.pid === operator.pid || i.ppid === operator.pid);
      expect(operatorTree.length).toBeGreaterThan(0);
      for (const i of operatorTree) expect(botPids.has(i.pid)).toBe(false);
      // Children of the bot Chrome come along through descendantOf.
      const botChildren = chrome.filter((i) => i.ppid === bot.pid);
      for (const child of botChildren) expect(botPids.has(child.pid)).toBe(true);
      await Promise.all([kill(bot), kill(operator)]);
    },
  );
});

import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../electron/core/clock/index.js';
import { profileDirs } from '../../electron/core/monitor/index.js';
import { createProcessTracker } from '../../electron/core/monitor/processes.js';
import { splitCommandLine } from '../../electron/core/platform/command-line.js';
import { createLinuxPlatform } from '../../electron/core/platform/index.js';
import { parseDefaultFamilies } from '../../shared/config/monitor.js';
import { descendants, type FakeBot, makeBotFolder, startFakeBot } from '../fixtures/fake-bot/index.js';

/**
 * The monitor on real python3 and Chromium processes whose bot folder has a space, a quote and
 * Japanese in its name (issue 10, item 6): bot Chrome is recognised, and flagged as orphaned once its
 * Python runner is killed.
 */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('bot Chrome in a bot folder with an awkward name, on Linux', () => {
  it('is counted as bot-chrome with its whole tree, its profile read whole, and orphaned when the runner dies', async () => {
    const folder = makeBotFolder('nexus-ops "ボット" folder ');
    cleanups.push(() => rmSync(folder, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
    const bot: FakeBot = await startFakeBot({ folder, browsers: 1 });
    cleanups.push(() => bot.cleanup());
    const chrome = bot.childPids[0]!;

    const platform = createLinuxPlatform({ clock: systemClock });
    const families = parseDefaultFamilies();
    const tracker = createProcessTracker({ cpuCount: 2, platformKind: 'linux', hungAfterMs: 30_000 });
    const scan = async () => tracker.update(Date.now(), await platform.processes.list(), families, [folder]);

    const listed = (await platform.processes.list()).find((p) => p.pid === chrome)!;
    expect(profileDirs(listed.cmdline)).toEqual([`${folder}/profile/acc1`]);
    const runner = (await platform.processes.list()).find((p) => p.pid === bot.runnerPid)!;
    expect(splitCommandLine(runner.cmdline).slice(-2)).toEqual([
      '--config',
      `${folder}/config/accounts_test.yaml`,
    ]);

    const tree = [chrome, ...descendants(chrome)];
    const first = await scan();
    const botChrome = first.instancesOf('bot-chrome').map((p) => p.pid);
    for (const pid of tree) expect(botChrome, `chromium ${pid}`).toContain(pid);
    expect(first.instancesOf('bot-runner').map((p) => p.pid)).toContain(bot.runnerPid);
    expect(first.families.find((f) => f.name === 'bot-chrome')?.orphans).toBe(0);

    process.kill(bot.runnerPid, 'SIGKILL');
    await new Promise((r) => bot.child.once('exit', r));
    const after = await scan();
    const orphans = after
      .instancesOf('bot-chrome')
      .filter((p) => p.orphan)
      .map((p) => p.pid);
    expect(orphans).toContain(chrome);
    expect(after.families.find((f) => f.name === 'bot-chrome')?.orphans).toBeGreaterThanOrEqual(1);
  });
});

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../electron/core/clock/index.js';
import { createProcessTracker, parseDefaultFamilies } from '../../electron/core/monitor/index.js';
import { createLinuxPlatform } from '../../electron/core/platform/index.js';
import { descendants, waitUntil } from '../fixtures/fake-bot/index.js';
import { makeTempDir, repoRoot } from '../helpers/headless.js';

/**
 * A real TradingAssistantX-shaped run (issue 10, item 7): `node …tsx/dist/cli.mjs src/main.ts` starts
 * `node --require …preflight.cjs --import …loader.mjs src/main.ts` (and esbuild). One run, two
 * bot-runner processes.
 */

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

describe('a tsx run on Linux', () => {
  it('is one bot-runner run with the tsx cli and its node child as its processes', async () => {
    const repo = join(makeTempDir('nexus-ops-tax-'), 'TradingAssistantX');
    mkdirSync(join(repo, 'src'), { recursive: true });
    writeFileSync(join(repo, 'src', 'main.ts'), 'const tick: number = 1000;\nsetInterval(() => {}, tick);\n');
    const cli: ChildProcess = spawn(
      process.execPath,
      [join(repoRoot, 'node_modules/tsx/dist/cli.mjs'), 'src/main.ts'],
      {
        cwd: repo,
        stdio: 'ignore',
      },
    );
    cleanups.push(() =>
      rmSync(join(repo, '..'), { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }),
    );
    cleanups.push(() => {
      for (const pid of [...descendants(cli.pid!), cli.pid!]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    });

    const platform = createLinuxPlatform({ clock: systemClock });
    const mine = async () => {
      const tree = new Set([cli.pid!, ...descendants(cli.pid!)]);
      return (await platform.processes.list()).filter((p) => tree.has(p.pid));
    };
    // The child node appears once tsx has spawned it with its preflight and loader.
    await waitUntil(() => descendants(cli.pid!).length >= 1, 'the tsx child');
    let processes = await mine();
    for (let i = 0; i < 100 && !processes.some((p) => p.cmdline.includes('preflight.cjs')); i++) {
      await new Promise((r) => setTimeout(r, 50));
      processes = await mine();
    }

    const tracker = createProcessTracker({ cpuCount: 2, platformKind: 'linux', hungAfterMs: 30_000 });
    const scan = tracker.update(Date.now(), processes, parseDefaultFamilies(), []);
    expect(scan.families.find((f) => f.name === 'bot-runner')).toMatchObject({ count: 2, runs: 1 });
    const instances = scan.instancesOf('bot-runner');
    expect(instances.map((i) => i.runPid)).toEqual([cli.pid, cli.pid]);
    expect(instances.find((i) => i.pid !== cli.pid)?.cmdline).toMatch(/--require \S+preflight\.cjs --import/);
    expect(scan.samples.find((s) => s.name === 'proc.runs' && s.labels.family === 'bot-runner')?.value).toBe(
      1,
    );
  });
});

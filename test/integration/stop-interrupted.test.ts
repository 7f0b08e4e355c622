/**
 * A stop interrupted by a crash of Nexus Ops is carried to its end at the next start: the CLI's own
 * stop is killed -9 during the grace period (a bot that ignores Ctrl+C is still running), then the app
 * starts on the same data directory and finishes it: forced, verified, recorded, shown.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { StopStatus } from '../../shared/api/stop.js';
import { scopedFamiliesYaml } from '../fixtures/fake-bot/harness.js';
import { isAlive, startFakeBot } from '../fixtures/fake-bot/index.js';
import { cliPath, makeTempDir, startHeadless } from '../helpers/headless.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

function runningStops(dbFile: string): number {
  try {
    const db = new Database(dbFile, { readonly: true, fileMustExist: true });
    try {
      return (
        db.prepare("SELECT count(*) AS n FROM stop_runs WHERE status = 'running'").get() as { n: number }
      ).n;
    } finally {
      db.close();
    }
  } catch {
    return 0;
  }
}

describe('a stop interrupted by a crash', () => {
  it('is carried to its end when Nexus Ops starts again', async () => {
    const dataDir = makeTempDir('nexus-ops-stop-crash-');
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
    const bot = await startFakeBot({ browsers: 1, ignoreSignals: true });
    cleanups.push(() => bot.cleanup());
    const configFile = join(dataDir, 'config.yaml');
    const config = `bots:\n  folders: [${JSON.stringify(bot.folder)}]\nstop:\n  graceSeconds: 8\n  verifySeconds: 3\nmonitor:\n  liveIntervalSeconds: 1\n${scopedFamiliesYaml(bot.folder)}`;
    writeFileSync(configFile, config);

    // The CLI finds no app and stops the bots itself; it dies during the grace period.
    const cli: ChildProcess = spawn(
      process.execPath,
      [
        cliPath,
        'stop',
        '--reason',
        'crash test',
        '--data-dir',
        dataDir,
        '--config',
        configFile,
        '--port',
        '1',
      ],
      { stdio: 'ignore' },
    );
    cleanups.push(() => {
      if (cli.exitCode === null) cli.kill('SIGKILL');
    });
    expect(await until(() => runningStops(join(dataDir, 'nexus-ops.db')) === 1, 20_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 1500)); // snapshot taken, Ctrl+C sent
    cli.kill('SIGKILL');
    await new Promise((r) => cli.once('exit', r));
    expect(isAlive(bot.runnerPid)).toBe(true);

    const app = await startHeadless({ dataDir, config });
    cleanups.push(() => app.close());
    expect(await until(() => !isAlive(bot.runnerPid), 30_000)).toBe(true);
    let status: StopStatus | undefined;
    await until(() => false, 0);
    for (let i = 0; i < 100; i++) {
      const r = await app.call<StopStatus>('stop.status');
      status = r.value;
      if (status && !status.running && status.latest?.status !== 'running') break;
      await new Promise((res) => setTimeout(res, 200));
    }
    expect(status?.stopped).toBe(true);
    expect(status?.latest).toMatchObject({ status: 'done', reason: 'crash test' });
    expect(status?.latest?.counts.forced).toBeGreaterThanOrEqual(1);
    expect(status?.latest?.errors.join('\n')).toMatch(/Nexus Ops ended before this stop finished/);
    expect(status?.latest?.errors.join('\n')).toMatch(
      /再起動後にこの停止を最後まで実行しました|carried to its end/,
    );
    expect(status?.latest?.finishedAt).not.toBeNull();
  });
});

/**
 * The whole app (headless mode, a real process built in dist/) with a supervised python3 bot: Nexus Ops
 * is killed with SIGKILL while the bot runs and started again on the same data folder: the bot is
 * adopted (same pid, one run, one start in its output), not started twice. Then `nexus-ops bot`
 * lists and stops it through the running app, audited.
 */
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { readRunFile } from '../../electron/core/bots/index.js';
import type { BotStatus } from '../../shared/api/bots.js';
import { eventually, jpBot } from '../fixtures/bots/harness.js';
import { exited } from '../helpers/child.js';
import { cliPath, type Headless, makeTempDir, startHeadless } from '../helpers/headless.js';
import { pythonExe } from '../helpers/python.js';

const dataDir = makeTempDir('nexus-ops-bots-headless-');
const apps: Headless[] = [];

afterAll(async () => {
  for (const app of apps) await app.close();
  const run = readRunFile(join(dataDir, 'bots', 'jp'));
  for (const pid of [run?.bot?.pid, run?.relay.pid]) {
    try {
      if (pid) process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

const config = [
  'monitor:',
  '  liveIntervalSeconds: 1',
  '  processIntervalSeconds: 1',
  'bots:',
  '  - id: jp',
  '    name: 日本語ボット',
  `    root: ${JSON.stringify(dataDir)}`,
  '    run:',
  '      mode: supervised',
  `      command: ${JSON.stringify(pythonExe())}`,
  `      args: [${JSON.stringify(jpBot)}, serve]`,
  '      stopGraceSeconds: 5',
  '',
].join('\n');

async function start(): Promise<Headless> {
  const app = await startHeadless({ config, dataDir });
  apps.push(app);
  return app;
}

async function bot(app: Headless): Promise<BotStatus | undefined> {
  const r = await app.call<BotStatus>('bots.get', { id: 'jp' });
  return r.ok ? r.value : undefined;
}

function cli(app: Headless, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cliPath, ...args, '--port', String(app.port)],
      { env: { ...process.env, NEXUS_OPS_TOKEN: app.token, NEXUS_OPS_DATA_DIR: dataDir, USER: 'tester' } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('supervised bots across a crash of Nexus Ops', () => {
  it('adopts the running bot after kill -9 and a restart, never starting it twice; bot CLI stops it', async () => {
    writeFileSync(join(dataDir, 'config.yaml'), config);
    const first = await start();
    const running = await eventually(async () => {
      const b = await bot(first);
      return b?.state === 'running' && b.pid ? b : undefined;
    }, 'bot running');

    first.child.kill('SIGKILL');
    await exited(first.child);
    expect(alive(running.pid!)).toBe(true);

    const second = await start();
    const adopted = await eventually(async () => {
      const b = await bot(second);
      return b?.state === 'running' ? b : undefined;
    }, 'adopted');
    expect(adopted.pid).toBe(running.pid);
    expect(adopted.startedAt).toBe(running.startedAt);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await bot(second))?.pid).toBe(running.pid);
    const db = new Database(join(dataDir, 'nexus-ops.db'), { readonly: true });
    try {
      expect(db.prepare("SELECT count(*) AS n FROM bot_runs WHERE bot_id = 'jp'").get()).toEqual({ n: 1 });
    } finally {
      db.close();
    }
    const capture = readFileSync(join(dataDir, 'bots', 'jp', 'output', 'current.log'), 'utf8');
    expect(capture.match(/\to\tstarted pid=/g)).toHaveLength(1);

    const list = await cli(second, ['bot', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(
      new RegExp(`^jp\\s+running\\s+always\\s+pid ${running.pid}\\s+up \\d+s\\s+restarts 0`, 'm'),
    );

    const stop = await cli(second, ['bot', 'stop', 'jp', '--reason', 'CLI から停止']);
    expect(stop.stderr).toBe('');
    expect(stop.code).toBe(0);
    expect(stop.stdout).toMatch(/^jp\s+stopped\s+always\s+-\s+restarts 0\s+last exit stopped 0/m);
    expect(alive(running.pid!)).toBe(false);

    const unknown = await cli(second, ['bot', 'start', 'nosuch']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no bot "nosuch" in the config/);
    const usage = await cli(second, ['bot', 'stop']);
    expect(usage.code).toBe(2);

    const audit = new Database(join(dataDir, 'nexus-ops.db'), { readonly: true });
    try {
      const row = audit
        .prepare<[], { actor: string; details: string }>(
          "SELECT actor, details FROM audit WHERE action = 'bot.stop'",
        )
        .get();
      expect(row?.actor).toBe('cli:tester');
      expect(JSON.parse(row!.details)).toMatchObject({ bot: 'jp', reason: 'CLI から停止', pid: running.pid });
    } finally {
      audit.close();
    }
  });
});

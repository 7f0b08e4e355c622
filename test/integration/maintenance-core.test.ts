import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Core, createCore } from '../../electron/core/index.js';
import type { JobView } from '../../shared/api/maintenance.js';
import { cliPath } from '../helpers/headless.js';

const resourcesDir = resolve(import.meta.dirname, '..', '..', 'resources');
const quiet = { info() {}, warn() {}, error() {} };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function folder(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
  return dir;
}

function config(bot: string): string {
  return [
    'monitor:',
    '  liveIntervalSeconds: 1',
    'bots:',
    `  - { id: tax, root: ${JSON.stringify(bot)} }`,
    'stop:',
    '  graceSeconds: 0',
    '  verifySeconds: 1',
    'maintenance:',
    '  jobs:',
    `    - { id: launch, kind: command, command: ${JSON.stringify(process.execPath)}, args: ["-e", "0"], schedule: "*/30 * * * *", tags: [bot] }`,
    '    - { id: backup, kind: builtin, task: backup, schedule: "0 3 * * *" }',
    '',
  ].join('\n');
}

async function jobs(core: Core): Promise<Record<string, JobView>> {
  const r = await core.dispatcher.call('maintenance.jobs', {});
  if (!r.ok) throw new Error(r.error.message);
  return Object.fromEntries((r.value as { jobs: JobView[] }).jobs.map((j) => [j.id, j]));
}

describe('maintenance in the whole core', () => {
  it('the emergency stop pauses the bot job and the resume restores it', async () => {
    const bot = folder('nexus-bot-');
    const dir = folder('nexus-core-maint-');
    writeFileSync(join(dir, 'config.yaml'), config(bot));
    const core = createCore({ dataDir: dir, resourcesDir, mode: 'headless', version: 'test', logger: quiet });
    cleanups.push(() => core.close());
    core.start();
    expect((await jobs(core)).launch).toMatchObject({ paused: false, enabled: true });

    const stop = await core.dispatcher.call('stop.trigger', {
      source: 'cli',
      actor: 'test',
      reason: 'maintenance test',
    });
    expect(stop.ok).toBe(true);
    expect((stop as { value: { pausedSchedules: string[] } }).value.pausedSchedules).toEqual([
      'maintenance:launch',
    ]);
    expect((await jobs(core)).launch).toMatchObject({ paused: true, pausedBy: 'stop' });
    expect((await jobs(core)).backup).toMatchObject({ paused: false });
    const refused = await core.dispatcher.call('maintenance.run', { jobId: 'launch' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'conflict' } });

    const resumed = await core.dispatcher.call('stop.resume', { actor: 'test', reason: 'done' });
    expect(resumed.ok).toBe(true);
    expect((await jobs(core)).launch).toMatchObject({ paused: false, pausedBy: null });
  }, 60_000);

  it('nexus-ops backup list | verify | restore from the command line, with no app running', async () => {
    if (!existsSync(cliPath)) throw new Error('run npm run build first');
    const bot = folder('nexus-bot-');
    mkdirSync(join(bot, 'data'), { recursive: true });
    writeFileSync(join(bot, 'data', 'state.yaml'), 'ok: true\n');
    const dir = folder('nexus-cli-maint-');
    writeFileSync(join(dir, 'config.yaml'), config(bot));
    const core = createCore({ dataDir: dir, resourcesDir, mode: 'headless', version: 'test', logger: quiet });
    const run = await core.dispatcher.call('maintenance.run', { jobId: 'backup' });
    expect(run.ok).toBe(true);
    for (let i = 0; i < 200; i++) {
      const j = (await jobs(core)).backup!;
      if (!j.running && j.lastRun) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await core.close();

    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [cliPath, ...args, '--data-dir', dir, '--port', '1'], { encoding: 'utf8' });
    const list = cli('backup', 'list', '--json');
    expect(list.status).toBe(0);
    const [backup] = JSON.parse(list.stdout) as { id: string; verification: { status: string } }[];
    expect(backup?.verification.status).toBe('ok');

    const verify = cli('backup', 'verify', backup!.id);
    expect(verify.status).toBe(0);
    expect(verify.stdout).toMatch(/verified/);

    const dry = cli('backup', 'restore', backup!.id);
    expect(dry.status).toBe(2);
    expect(dry.stderr).toMatch(/would replace the database .*nexus-ops\.db/);

    const restore = cli('backup', 'restore', backup!.id, '--yes');
    expect(restore.stderr).toBe('');
    expect(restore.status).toBe(0);
    expect(restore.stdout).toMatch(/integrity_check ok/);

    const unknown = cli('backup', 'restore', 'no-such-backup', '--yes');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/no backup "no-such-backup"/);
  }, 120_000);
});

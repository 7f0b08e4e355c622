/**
 * `nexus-ops stop / resume / status`: with no app running the command stops the bots itself; with an
 * app answering on 127.0.0.1 it asks the app (token from <dataDir>/api-token); a refused token falls
 * back to the local stop. The "app" here is a real HTTP server serving the stop's own handlers.
 */

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { schemaMigrations } from '../../electron/core/index.js';
import { runStopCli, type StopCliIo } from '../../electron/core/stop/cli.js';
import { stopMethods } from '../../shared/api/stop.js';
import { createTestStop, openTestStore, scopedFamiliesYaml } from '../fixtures/fake-bot/harness.js';
import { isAlive, startFakeBot } from '../fixtures/fake-bot/index.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function capture(): StopCliIo & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    stdout: () => out,
    stderr: () => err,
  };
}

/** Families scoped to this test's bot folder, so the stop never touches another test's processes. */
function configFor(folder: string, extra = ''): string {
  return `bots:
  folders: [${JSON.stringify(folder)}]
stop:
  graceSeconds: 2
  verifySeconds: 2
monitor:
${scopedFamiliesYaml(folder)}${extra}`;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

async function setup(extraConfig = '') {
  const dataDir = mkdtempSync(join(tmpdir(), 'nexus-ops-stop-cli-'));
  const bot = await startFakeBot({ browsers: 1 });
  cleanups.push(() => bot.cleanup());
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
  const configFile = join(dataDir, 'config.yaml');
  writeFileSync(configFile, configFor(bot.folder, extraConfig));
  return { dataDir, bot, configFile };
}

describe('stop CLI', () => {
  it('stops the bots itself when no app answers, then resumes with a reason', async () => {
    const { dataDir, bot } = await setup();
    const port = await freePort();
    const io = capture();
    const code = await runStopCli(
      'stop',
      {
        dataDir,
        migrations: schemaMigrations,
        port: String(port),
        reason: 'cli test',
        env: { USER: 'tester' },
      },
      io,
    );
    expect(io.stderr()).toMatch(/no Nexus Ops answers .*stopping the bots from here/);
    expect(code).toBe(0);
    expect(isAlive(bot.runnerPid)).toBe(false);
    expect(io.stdout()).toMatch(/Emergency stop done: stopped \d+ of \d+/);
    const killSwitch = join(bot.folder, 'EMERGENCY_STOP');
    expect(JSON.parse(readFileSync(killSwitch, 'utf8'))).toMatchObject({
      reason: 'cli test',
      source: 'cli',
      actor: 'cli:tester',
    });

    const status = capture();
    expect(
      await runStopCli(
        'status',
        { dataDir, migrations: schemaMigrations, port: String(port), json: true },
        status,
      ),
    ).toBe(0);
    expect(JSON.parse(status.stdout())).toMatchObject({
      stopped: true,
      killSwitch: { present: [killSwitch] },
    });

    const noReason = capture();
    expect(
      await runStopCli('resume', { dataDir, migrations: schemaMigrations, port: String(port) }, noReason),
    ).toBe(2);
    expect(noReason.stderr()).toMatch(/--reason/);
    const resumed = capture();
    expect(
      await runStopCli(
        'resume',
        { dataDir, migrations: schemaMigrations, port: String(port), reason: 'fixed' },
        resumed,
      ),
    ).toBe(0);
    expect(resumed.stdout()).toMatch(/not stopped/);
    expect(existsSync(killSwitch)).toBe(false);
  });

  it('finds the bot folders even when another config section is broken', async () => {
    const { dataDir, bot } = await setup('ui:\n  locale: klingon\n');
    const io = capture();
    const code = await runStopCli(
      'stop',
      { dataDir, migrations: schemaMigrations, port: String(await freePort()) },
      io,
    );
    expect(code).toBe(0);
    expect(io.stderr()).toMatch(/section "ui" is invalid/);
    expect(isAlive(bot.runnerPid)).toBe(false);
    expect(JSON.parse(readFileSync(join(bot.folder, 'EMERGENCY_STOP'), 'utf8')).reason).toBe(
      'コマンドラインの緊急停止', // the ui section fell back to its default locale, ja
    );
  });

  describe('with an app answering on 127.0.0.1', () => {
    async function fakeApp(dataDir: string, folder: string, token: string) {
      const store = openTestStore(join(dataDir, 'app'));
      const app = createTestStop({ store, folders: [folder], stop: { graceSeconds: 2 } });
      const seen: string[] = [];
      const server: Server = createServer(async (req, res) => {
        const send = (status: number, body: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        if (req.url === '/api/health') return send(200, { ok: true });
        if (req.headers.authorization !== `Bearer ${token}`) {
          return send(401, { ok: false, error: { code: 'unauthorized', message: 'token' } });
        }
        let text = '';
        for await (const chunk of req) text += chunk;
        const name = (req.url ?? '').replace('/api/call/', '') as keyof typeof stopMethods;
        seen.push(name);
        const input = stopMethods[name].input.parse(JSON.parse(text));
        const handler = app.stop.handlers[name] as (i: unknown) => Promise<unknown>;
        send(200, { ok: true, value: await handler(input) });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      cleanups.push(() => {
        store.close();
      });
      cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
      return { port: (server.address() as AddressInfo).port, app, seen };
    }

    it('asks the app with the token from the data directory', async () => {
      const { dataDir, bot } = await setup();
      writeFileSync(join(dataDir, 'api-token'), 'token-from-file-0123456789\n');
      const { port, app, seen } = await fakeApp(dataDir, bot.folder, 'token-from-file-0123456789');
      const io = capture();
      const code = await runStopCli(
        'stop',
        { dataDir, migrations: schemaMigrations, port: String(port), reason: 'via app', env: {} },
        io,
      );
      expect(code).toBe(0);
      expect(seen).toEqual(['stop.trigger']);
      expect(io.stderr()).toBe('');
      expect(app.stop.isStopped()).toBe(true);
      expect(app.stop.status().latest).toMatchObject({ source: 'cli', reason: 'via app' });
      expect(isAlive(bot.runnerPid)).toBe(false);
    });

    it('stops locally when the app refuses the token', async () => {
      const { dataDir, bot } = await setup();
      const { port, seen } = await fakeApp(dataDir, bot.folder, 'the-real-token-0123456789');
      const io = capture();
      const code = await runStopCli(
        'stop',
        {
          dataDir,
          migrations: schemaMigrations,
          port: String(port),
          env: { NEXUS_OPS_TOKEN: 'a-wrong-token-0123456789' },
        },
        io,
      );
      expect(seen).toEqual([]);
      expect(io.stderr()).toMatch(/answered unauthorized: stopping the bots from here/);
      expect(code).toBe(0);
      expect(isAlive(bot.runnerPid)).toBe(false);
    });
  });
});

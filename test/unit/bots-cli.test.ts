/**
 * `nexus-ops bot` without a running app: it says that the app supervises the bots and changes nothing;
 * usage errors name the command. (With a running app: test/integration/bots-headless.test.ts.)
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runBotCli } from '../../electron/core/bots/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0))
    rmSync(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

/** A port on 127.0.0.1 that nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function io() {
  let out = '';
  let err = '';
  return {
    io: { out: (t: string) => (out += t), err: (t: string) => (err += t) },
    out: () => out,
    err: () => err,
  };
}

describe('nexus-ops bot without a running app', () => {
  it('says no app answers and exits 1', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'nexus-ops-bot-cli-'));
    dirs.push(dataDir);
    const port = String(await closedPort());
    for (const [command, id] of [
      ['list', undefined],
      ['stop', 'tax'],
    ] as const) {
      const o = io();
      expect(await runBotCli(command, id, { dataDir, port, env: {} }, o.io)).toBe(1);
      expect(o.err()).toMatch(
        new RegExp(`no Nexus Ops answers on 127\\.0\\.0\\.1:${port}: bots are supervised by the running app`),
      );
      expect(o.out()).toBe('');
    }
  });

  it('names the usage for an unknown sub-command or a missing id', async () => {
    const o = io();
    expect(await runBotCli('kill', undefined, { dataDir: '/nonexistent', env: {} }, o.io)).toBe(2);
    expect(o.err()).toContain('usage: nexus-ops bot list | start <id> | stop <id> | restart <id>');
    const p = io();
    expect(await runBotCli('restart', undefined, { dataDir: '/nonexistent', env: {} }, p.io)).toBe(2);
    expect(p.err()).toContain('bot restart needs the bot id');
  });
});

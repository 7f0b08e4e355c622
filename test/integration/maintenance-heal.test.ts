/**
 * Self-healing against a real supervised bot: a python3 bot (run by the real bots capability through
 * its relay) serves its own health endpoint on 127.0.0.1 and wedges (answers 503 until it is
 * restarted). The http health check fails 3 times, its heal `restart-bot` restarts the bot through the
 * bots capability's action, the new process answers and the check passes again.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type CoreContext, createEvidenceRegistry } from '../../electron/core/capability/index.js';
import { systemClock } from '../../electron/core/clock/index.js';
import { schemaMigrations } from '../../electron/core/index.js';
import { createMaintenanceCapability, HEALTH_JOB } from '../../electron/core/maintenance/index.js';
import type { CheckView } from '../../shared/api/maintenance.js';
import { configSchema } from '../../shared/config/schema.js';
import { type BotsHarness, createBotsHarness, eventually } from '../fixtures/bots/harness.js';
import { pythonExe } from '../helpers/python.js';

const harnesses: BotsHarness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.cleanup();
});

/** Serves GET /health: 200 "ok pid=…" until a `wedge-now` file appears, then 503 until restarted. */
const BOT = `
import http.server, os, sys
port = int(sys.argv[1])
wedged = False
class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        global wedged
        if os.path.exists("wedge-now"):
            os.remove("wedge-now")
            wedged = True
        body = ("wedged" if wedged else "ok") + f" pid={os.getpid()}"
        self.send_response(503 if wedged else 200)
        self.send_header("content-length", str(len(body.encode())))
        self.end_headers()
        self.wfile.write(body.encode())
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", port), Health)
print(f"started pid={os.getpid()}", flush=True)
try:
    server.serve_forever()
except KeyboardInterrupt:
    print("ヘルスサーバーを閉じました", flush=True)
`;

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('health check heal against a real supervised bot', () => {
  it('restarts a wedged python3 bot through restart-bot after 3 failures; the new process answers', async () => {
    const bh = createBotsHarness();
    harnesses.push(bh);
    const root = join(bh.dir, 'ボット フォルダ');
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'health_bot.py'), BOT);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/health`;
    bh.config.current = configSchema.parse({
      bots: [
        {
          id: 'nexus02',
          root,
          run: { mode: 'supervised', command: pythonExe(), args: ['health_bot.py', String(port)] },
        },
      ],
      maintenance: {
        jobs: [],
        healthChecks: {
          checks: [
            {
              id: 'nexus02-health',
              kind: 'http',
              bot: 'nexus02',
              url,
              bodyContains: 'ok',
              timeoutSeconds: 5,
              heal: { action: 'restart-bot' },
            },
          ],
        },
      },
    });
    const bots = await bh.open();

    // Maintenance as core builds it, sharing the store and the action registry with the bots.
    const ctx: CoreContext = {
      clock: systemClock,
      log: { info() {}, warn() {}, error() {} },
      config: {
        file: join(bh.dir, 'config.yaml'),
        current: () => bh.config.current,
        locate: () => () => undefined,
      },
      store: bh.store,
      emit: (e) => bh.events.push(e),
      hooks: bh.hooks,
      actions: bh.actions,
      evidence: createEvidenceRegistry(),
      dataDir: bh.dataDir,
      resourcesDir: join(bh.dir, 'resources'),
      mode: 'headless',
      version: 'test',
    };
    const maintenance = createMaintenanceCapability(ctx, {
      platform: bh.platform,
      jobs: bh.jobs,
      notifier: { send() {} },
      migrations: schemaMigrations,
    });
    const job = maintenance.jobs!.find((j) => j.name === HEALTH_JOB)!;
    const cycle = async (): Promise<CheckView> => {
      await job.run({ slot: Date.now(), now: Date.now(), signal: new AbortController().signal });
      return (maintenance.handlers['maintenance.checks']!({}) as { checks: CheckView[] }).checks[0]!;
    };
    const answer = async () => {
      try {
        const res = await fetch(url);
        return { status: res.status, body: await res.text() };
      } catch {
        return undefined;
      }
    };

    const firstPid = await eventually(() => bots.supervisor.get('nexus02').pid ?? undefined, 'the bot runs');
    await eventually(async () => ((await answer())?.status === 200 ? true : undefined), 'the bot answers');
    expect(await cycle()).toMatchObject({ up: true, consecutiveFailures: 0 });

    // The bot wedges: its process lives on (the supervisor sees nothing wrong) but answers 503.
    writeFileSync(join(root, 'wedge-now'), '');
    expect(await cycle()).toMatchObject({ up: false, consecutiveFailures: 1, heals: 0 });
    expect(await cycle()).toMatchObject({ up: false, consecutiveFailures: 2, heals: 0 });
    expect(bots.supervisor.get('nexus02').pid).toBe(firstPid);
    const healed = await cycle();
    expect(healed).toMatchObject({ up: false, consecutiveFailures: 3, heals: 1 });
    expect(healed.message).toMatch(/HTTP 503.*healed: restart-bot nexus02/);

    // The supervisor restarted it: a new process, and it answers again.
    const secondPid = await eventually(() => {
      const pid = bots.supervisor.get('nexus02').pid;
      return pid !== null && pid !== firstPid ? pid : undefined;
    }, 'a new bot process');
    const again = await eventually(async () => {
      const a = await answer();
      return a?.status === 200 ? a : undefined;
    }, 'the restarted bot answers');
    expect(again.body).toBe(`ok pid=${secondPid}`);
    expect(await cycle()).toMatchObject({ up: true, consecutiveFailures: 0, heals: 1, guardTripped: false });

    // The restart is on record with who asked and why.
    const restart = bh.audit().find((a) => a.action === 'bot.restart');
    expect(restart).toMatchObject({
      actor: 'rule:check:nexus02-health',
      details: {
        bot: 'nexus02',
        pid: firstPid,
        reason: expect.stringMatching(/nexus02-health failed 3 times/),
      },
    });
    await maintenance.close?.();
  }, 90_000);
});

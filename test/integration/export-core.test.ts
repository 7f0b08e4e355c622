/**
 * The export inside a real core (real SQLite file, real config file): off by default, the scrape token
 * (required, separate from the API token, `${env:NAME}`), config problems with their line, the
 * separate listener on another address (warning; never without the token), the route of the app's
 * HTTP server, and the maintenance capability's last backup (its age) in the exposition.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExportCapability } from '../../electron/core/export/index.js';
import { type Core, createCore, type Logger } from '../../electron/core/index.js';
import { METRICS_JOB } from '../../electron/core/maintenance/index.js';
import { type RunningServer, startServer } from '../../electron/core/server/index.js';
import type { BackupView, JobView } from '../../shared/api/maintenance.js';
import type { AppStatus } from '../../shared/api/system.js';
import { eventually, freePort } from '../helpers/export-stack.js';

const resourcesDir = resolve(import.meta.dirname, '..', '..', 'resources');
const SCRAPE_TOKEN = 'scrape-token-0123456789abcdef';
const API_TOKEN = 'api-token-abcdef0123456789';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  delete process.env.NEXUS_TEST_SCRAPE_TOKEN;
});

interface Harness {
  core: Core;
  exporter: ExportCapability;
  logs: string[];
  configFile: string;
  status(): AppStatus;
}

function start(config: string): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-ops-export-core-'));
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, config);
  const logs: string[] = [];
  const logger: Logger = {
    info: (m) => logs.push(`info ${m}`),
    warn: (m) => logs.push(`warn ${m}`),
    error: (m) => logs.push(`error ${m}`),
  };
  const core = createCore({
    dataDir: dir,
    configFile,
    resourcesDir,
    mode: 'headless',
    version: 'test',
    logger,
  });
  core.start();
  cleanup.push(async () => {
    await core.close();
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  });
  const exporter = core.capabilities.get('export') as ExportCapability;
  return { core, exporter, logs, configFile, status: () => core.status() };
}

const enabled = (extra = '') =>
  `monitor:\n  liveIntervalSeconds: 1\nexport:\n  metrics:\n    enabled: true\n    scrapeToken: \${env:NEXUS_TEST_SCRAPE_TOKEN}\n${extra}`;

describe('GET /metrics through core', () => {
  it('is off by default and says how to turn it on', async () => {
    const h = start('monitor:\n  liveIntervalSeconds: 1\n');
    const a = await h.exporter.scrape(`Bearer ${SCRAPE_TOKEN}`);
    expect(a.status).toBe(404);
    expect(a.body).toContain('export.metrics.enabled');
    expect(h.exporter.status().metrics.state).toBe('off');
  });

  it('refuses to serve without a scrape token, naming the place in the config file', async () => {
    const h = start('export:\n  metrics:\n    enabled: true\n');
    const a = await h.exporter.scrape('');
    expect(a.status).toBe(503);
    const issue = h.status().configIssues.find((i) => i.path === 'export.metrics.scrapeToken');
    expect(issue?.message).toContain('required');
    expect(issue?.line).toBe(3);
  });

  it('names an unset environment variable and a short token', async () => {
    const unset = start(enabled());
    expect((await unset.exporter.scrape('Bearer x')).status).toBe(503);
    expect(
      unset
        .status()
        .configIssues.map((i) => i.message)
        .join(),
    ).toContain('NEXUS_TEST_SCRAPE_TOKEN');
    process.env.NEXUS_TEST_SCRAPE_TOKEN = 'short';
    const short = start(enabled());
    expect(
      short
        .status()
        .configIssues.map((i) => i.message)
        .join(),
    ).toContain('shorter than 16');
  });

  it('serves the exposition for the scrape token only (not the API token), as the HTTP route', async () => {
    process.env.NEXUS_TEST_SCRAPE_TOKEN = SCRAPE_TOKEN;
    const h = start(enabled());
    const server: RunningServer = await startServer({
      dispatcher: h.core.dispatcher,
      events: h.core.events,
      token: API_TOKEN,
      port: 0,
      staticDir: resourcesDir,
      version: 'test',
    });
    cleanup.push(() => server.close());
    const get = (auth?: string) =>
      fetch(`${server.url}metrics`, auth === undefined ? {} : { headers: { authorization: auth } });

    const none = await get();
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect((await get('Bearer wrong-token-0123456789')).status).toBe(401);
    expect((await get(`Bearer ${API_TOKEN}`)).status).toBe(401);
    expect((await get(`Bearer ${SCRAPE_TOKEN}x`)).status).toBe(401);
    // …and the scrape token opens nothing of the API.
    const api = await fetch(`${server.url}api/call/app.status`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SCRAPE_TOKEN}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(api.status).toBe(401);

    const ok = await eventually(async () => {
      const res = await get(`bearer ${SCRAPE_TOKEN}`);
      const text = await res.text();
      return res.status === 200 && /^nexus_cpu_total_ratio /m.test(text) ? { res, text } : undefined;
    }, 'a scrape with CPU figures');
    expect(ok.res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(ok.text).toContain('nexus_build_info{version="test",mode="headless"} 1');
    expect(ok.text).not.toContain(SCRAPE_TOKEN);
    expect(ok.text).not.toContain(API_TOKEN);
    expect(h.exporter.status().metrics.lastScrapeAt).not.toBeNull();
  });

  it('opens a separate listener on 127.0.0.1 when asked, serving /metrics only', async () => {
    process.env.NEXUS_TEST_SCRAPE_TOKEN = SCRAPE_TOKEN;
    const h = start(enabled('    listen: { host: 127.0.0.1, port: 0 }\n'));
    const listener = await eventually(
      async () => h.exporter.status().metrics.listener ?? undefined,
      'the listener',
    );
    expect(listener.url).toBe(`http://127.0.0.1:${listener.port}/metrics`);
    expect((await fetch(listener.url)).status).toBe(401);
    expect((await fetch(listener.url, { headers: { authorization: `Bearer ${SCRAPE_TOKEN}` } })).status).toBe(
      200,
    );
    const other = await fetch(`http://127.0.0.1:${listener.port}/api/call/app.status`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SCRAPE_TOKEN}` },
    });
    expect(other.status).toBe(404);
    expect(h.logs.filter((l) => l.startsWith('warn'))).toEqual([]);
  });

  it('warns when it listens beyond this PC, and is reachable on the LAN address', async () => {
    process.env.NEXUS_TEST_SCRAPE_TOKEN = SCRAPE_TOKEN;
    const port = await freePort();
    const h = start(enabled(`    listen: { host: 0.0.0.0, port: ${port} }\n`));
    await eventually(async () => h.exporter.status().metrics.listener ?? undefined, 'the listener');
    expect(h.logs.join('\n')).toMatch(
      /warn export: \/metrics listens on http:\/\/0\.0\.0\.0:\d+\/metrics, reachable from other machines/,
    );
    const lan = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
    if (lan) {
      const res = await fetch(`http://${lan}:${port}/metrics`, {
        headers: { authorization: `Bearer ${SCRAPE_TOKEN}` },
      });
      expect(res.status).toBe(200);
      expect((await fetch(`http://${lan}:${port}/metrics`)).status).toBe(401);
    }
  });

  it('never opens the other address without the token', async () => {
    const port = await freePort();
    const h = start(`export:\n  metrics:\n    enabled: true\n    listen: { host: 0.0.0.0, port: ${port} }\n`);
    // Give a listener the time it would take to start.
    await new Promise((r) => setTimeout(r, 300));
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
    expect(h.exporter.status().metrics.listener).toBeNull();
    expect(h.status().configIssues.some((i) => i.path === 'export.metrics.scrapeToken')).toBe(true);
  });

  it('reports a port in use as a config problem and keeps running', async () => {
    process.env.NEXUS_TEST_SCRAPE_TOKEN = SCRAPE_TOKEN;
    const first = start(enabled('    listen: { host: 127.0.0.1, port: 0 }\n'));
    const taken = await eventually(
      async () => first.exporter.status().metrics.listener ?? undefined,
      'listener',
    );
    const second = start(enabled(`    listen: { host: 127.0.0.1, port: ${taken.port} }\n`));
    const issue = await eventually(
      async () => second.status().configIssues.find((i) => i.path === 'export.metrics.listen'),
      'the port-in-use problem',
    );
    expect(issue.message).toContain('already in use');
    expect((await second.exporter.scrape(`Bearer ${SCRAPE_TOKEN}`)).status).toBe(200);
  });

  it('follows a config edit: the listener closes when the export is turned off', async () => {
    process.env.NEXUS_TEST_SCRAPE_TOKEN = SCRAPE_TOKEN;
    const h = start(enabled('    listen: { host: 127.0.0.1, port: 0 }\n'));
    const listener = await eventually(
      async () => h.exporter.status().metrics.listener ?? undefined,
      'listener',
    );
    writeFileSync(
      h.configFile,
      'monitor:\n  liveIntervalSeconds: 1\nexport:\n  metrics:\n    enabled: false\n',
    );
    await eventually(
      async () => (h.exporter.status().metrics.listener === null ? true : undefined),
      'the close',
    );
    await expect(fetch(listener.url)).rejects.toThrow();
    expect((await h.exporter.scrape(`Bearer ${SCRAPE_TOKEN}`)).status).toBe(404);
  });

  it("shows the last backup's age, size and verification once maintenance has made one", async () => {
    process.env.NEXUS_TEST_SCRAPE_TOKEN = SCRAPE_TOKEN;
    const h = start(
      `${enabled()}maintenance:\n  jobs:\n    - { id: backup, kind: builtin, task: backup, schedule: "0 3 * * *" }\n`,
    );
    const sampleOf = (body: string, name: string): number | undefined => {
      const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(body);
      return m ? Number(m[1]) : undefined;
    };
    const scrape = async () => (await h.exporter.scrape(`Bearer ${SCRAPE_TOKEN}`)).body;
    // No backup yet: the metric is declared, with no value (not a made-up age).
    await h.core.jobs.runNow(METRICS_JOB);
    const before = await scrape();
    expect(before).toContain('# TYPE nexus_backup_last_verified_age_seconds gauge');
    expect(sampleOf(before, 'nexus_backup_last_verified_age_seconds')).toBeUndefined();

    const run = await h.core.dispatcher.call('maintenance.run', { jobId: 'backup' });
    expect(run.ok).toBe(true);
    const done = await eventually(
      async () => {
        const r = await h.core.dispatcher.call('maintenance.jobs', {});
        const job = r.ok ? (r.value as { jobs: JobView[] }).jobs.find((j) => j.id === 'backup') : undefined;
        return job?.lastRun?.finishedAt ? job.lastRun : undefined;
      },
      'the backup to finish',
      60_000,
    );
    expect(done.status).toBe('ok');
    const listed = await h.core.dispatcher.call('maintenance.backups', {});
    const backup = (listed as { ok: true; value: { backups: BackupView[] } }).value.backups[0]!;
    expect(backup.verification.status).toBe('ok');

    // The maintenance metrics job publishes (every minute; run now), and /metrics shows it.
    await h.core.jobs.runNow(METRICS_JOB);
    const after = await scrape();
    const age = sampleOf(after, 'nexus_backup_last_verified_age_seconds');
    const sinceVerified = (Date.now() - backup.verification.at!) / 1000;
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThanOrEqual(sinceVerified);
    expect(sampleOf(after, 'nexus_backup_size_bytes')).toBe(backup.sizeBytes);
    expect(sampleOf(after, 'nexus_backup_verify_failed')).toBe(0);
  }, 90_000);
});

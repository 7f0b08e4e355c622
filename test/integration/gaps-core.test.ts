/**
 * What the review of issues 9 and 10 found untested, on a real core and real SQLite files:
 * - `nexus-ops audit verify` (the built CLI) and the `audit.verify` API method: ok on an intact chain,
 *   exit 1 naming the first broken row after a row is edited with SQL behind the app's back;
 * - `jobs.list` through the API shows the retention jobs, and a run shows in it;
 * - alert retention on an injected clock: ended alerts and their events older than 90 days go, capped
 *   per run; open alerts and recent ones stay;
 * - a live edit with a bad rule, cron, time zone or silence shows in `app.status.configIssues`
 *   (issue 10 item 13), and goes away when the edit is mended;
 * - a failed send (dead receiver) is logged to the app's log, never with the secret in its URL/header.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/core/clock/index.js';
import { createCore } from '../../electron/core/index.js';
import type { ConfigIssue } from '../../shared/config/schema.js';
import { cliPath } from '../helpers/headless.js';

const resourcesDir = resolve(import.meta.dirname, '..', '..', 'resources');
const DAY = 86_400_000;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A data folder with a space and Japanese in its path. */
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nexus gaps テスト-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
  return dir;
}

interface Logged {
  level: 'info' | 'warn' | 'error';
  message: string;
}

function openCore(dir: string, config: string, opts: { clock?: ManualClock } = {}) {
  writeFileSync(join(dir, 'config.yaml'), config);
  const logged: Logged[] = [];
  const logger = {
    info: (message: string) => logged.push({ level: 'info', message }),
    warn: (message: string) => logged.push({ level: 'warn', message }),
    error: (message: string) => logged.push({ level: 'error', message }),
  };
  const core = createCore({
    dataDir: dir,
    resourcesDir,
    mode: 'headless',
    version: 'test',
    logger,
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await core.close();
  };
  cleanups.push(close);
  const call = async <T>(method: string, input: unknown = {}): Promise<T> => {
    const r = await core.dispatcher.call(method, input);
    if (!r.ok) throw new Error(`${method}: ${r.error.code}: ${r.error.message}`);
    return r.value as T;
  };
  return { core, call, logged, close };
}

async function until(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  expect(cond()).toBe(true);
}

function auditVerifyCli(dataDir: string, json = false) {
  const r = spawnSync(
    process.execPath,
    [cliPath, 'audit', 'verify', '--data-dir', dataDir, ...(json ? ['--json'] : [])],
    { encoding: 'utf8', env: { ...process.env, NEXUS_OPS_DATA_DIR: undefined } },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('audit verify', () => {
  it.skipIf(!existsSync(cliPath))(
    'CLI and API: ok on an intact chain; exit 1 naming the first broken row after an edit with SQL',
    async () => {
      const dir = tempDir();
      const app = openCore(dir, 'ui:\n  locale: ja\n');
      for (let i = 1; i <= 5; i++)
        app.core.store.appendAudit({
          actor: 'operator',
          action: 'test.action',
          details: { n: i, 理由: '確認' },
        });
      const good = await app.call<{ ok: boolean; rows: number }>('audit.verify');
      expect(good.ok).toBe(true);
      expect(good.rows).toBeGreaterThanOrEqual(5);
      await app.close();

      const ok = auditVerifyCli(dir);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain(`audit trail ok: ${good.rows} rows`);
      expect(ok.stdout).toContain(dir);

      // Someone edits the third test row in place, leaving its hash as it was.
      const db = new Database(join(dir, 'nexus-ops.db'));
      const target = db
        .prepare<[], { id: number }>(
          "SELECT id FROM audit WHERE action = 'test.action' ORDER BY id LIMIT 1 OFFSET 2",
        )
        .get()!;
      db.prepare('UPDATE audit SET details = ? WHERE id = ?').run('{"n":3,"理由":"改ざん"}', target.id);
      db.close();

      const broken = auditVerifyCli(dir);
      expect(broken.code).toBe(1);
      expect(broken.stdout).toContain(`BROKEN at row ${target.id}`);
      expect(broken.stdout).toContain(`row ${target.id} was changed after it was written`);
      const asJson = auditVerifyCli(dir, true);
      expect(asJson.code).toBe(1);
      expect(JSON.parse(asJson.stdout)).toMatchObject({ ok: false, brokenAt: target.id });

      const again = openCore(dir, 'ui:\n  locale: ja\n');
      expect(await again.call('audit.verify')).toMatchObject({ ok: false, brokenAt: target.id });
    },
  );

  it.skipIf(!existsSync(cliPath))(
    'CLI: a row deleted from the middle breaks the link of the next one',
    async () => {
      const dir = tempDir();
      const app = openCore(dir, 'ui:\n  locale: ja\n');
      for (let i = 1; i <= 4; i++)
        app.core.store.appendAudit({ actor: 'op', action: 'test.action', details: { i } });
      await app.close();
      const db = new Database(join(dir, 'nexus-ops.db'));
      const ids = db
        .prepare<[], { id: number }>("SELECT id FROM audit WHERE action = 'test.action' ORDER BY id")
        .all()
        .map((r) => r.id);
      db.prepare('DELETE FROM audit WHERE id = ?').run(ids[1]!);
      db.close();
      const r = auditVerifyCli(dir);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`row ${ids[2]} does not link to the row before it`);
    },
  );
});

describe('jobs.list through the API', () => {
  it('builds live UI events only while a UI is connected; the alert rules get every sample regardless', async () => {
    const app = openCore(
      tempDir(),
      [
        'monitor:',
        '  liveIntervalSeconds: 1',
        'alerts:',
        '  rules:',
        '    - { id: always, name: 常に発火, expr: cpu.total >= 0, severity: warning }',
        '',
      ].join('\n'),
    );
    // No UI: the sample still reaches the alert rules.
    await app.core.jobs.runNow('monitor.sample');
    const listed = await app.call<{ alerts: { ruleId: string }[]; evaluatedAt: number | null }>(
      'alerts.list',
    );
    expect(listed.evaluatedAt).not.toBeNull();
    expect(listed.alerts.map((a) => a.ruleId)).toContain('always');

    const seen: string[] = [];
    const unsubscribe = app.core.events.subscribe((e) => seen.push(e.type));
    await app.core.jobs.runNow('monitor.sample');
    expect(seen).toEqual(expect.arrayContaining(['samples', 'metrics']));
    unsubscribe();
    seen.length = 0;
    await app.core.jobs.runNow('monitor.sample');
    expect(seen.filter((t) => t === 'samples' || t === 'metrics')).toEqual([]);
  });

  it('lists the retention jobs with their schedules, and a run shows its count and duration', async () => {
    const dir = tempDir();
    const app = openCore(dir, 'ui:\n  locale: ja\n', { clock: new ManualClock(Date.UTC(2026, 5, 1)) });
    type Job = {
      name: string;
      schedule: string;
      runs: number;
      lastDurationMs: number | null;
      lastError: string | null;
    };
    const { jobs } = await app.call<{ jobs: Job[] }>('jobs.list');
    const names = jobs.map((j) => j.name);
    for (const name of [
      'alerts.retention',
      'notify.retention',
      'logs.prune',
      'bots.retention',
      'telemetry.retention',
    ])
      expect(names).toContain(name);
    const retention = jobs.find((j) => j.name === 'alerts.retention')!;
    expect(retention.schedule).not.toBe('');
    expect(retention.runs).toBe(0);
    expect(await app.core.jobs.runNow('alerts.retention')).toBe(true);
    const after = (await app.call<{ jobs: Job[] }>('jobs.list')).jobs.find(
      (j) => j.name === 'alerts.retention',
    )!;
    expect(after).toMatchObject({ runs: 1, lastError: null });
    expect(after.lastDurationMs).not.toBeNull();
  });
});

describe('alert retention on an injected clock', () => {
  it('prunes ended alerts and their events after 90 days, at most 5,000 per run; open and recent ones stay', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 3, 0, 0));
    const now = clock.now();
    const dir = tempDir();
    // The open alert's rule is configured (an alert of a removed rule is resolved at start).
    const config = `alerts:
  rules:
    - id: r
      name: rule
      expr: cpu.total > 90
      severity: warning
`;
    // Migrate, then seed history the way months of running leave it.
    await openCore(dir, config, { clock }).close();
    const db = new Database(join(dir, 'nexus-ops.db'));
    const insertAlert = db.prepare(
      `INSERT INTO alerts (id, rule_id, rule_name, series_key, metric, labels, state, severity, op, threshold,
         started_at, fired_at, resolved_at, updated_at)
       VALUES (?, 'r', 'rule', ?, 'cpu.total', '{}', ?, 'warning', '>', 90, ?, ?, ?, ?)`,
    );
    const insertEvent = db.prepare(
      'INSERT INTO alert_events (alert_id, ts, type, from_state, to_state) VALUES (?, ?, ?, ?, ?)',
    );
    const seed = (id: string, state: string, endedAt: number | null) => {
      const started = (endedAt ?? now) - 3_600_000;
      insertAlert.run(id, `cpu.total#${id}`, state, started, started, endedAt, endedAt ?? now);
      insertEvent.run(id, started, 'transition', 'inactive', 'firing');
      if (endedAt !== null) insertEvent.run(id, endedAt, 'transition', 'firing', state);
    };
    db.transaction(() => {
      for (let i = 0; i < 5_200; i++)
        seed(`old-${i}`, i % 10 === 0 ? 'inactive' : 'resolved', now - 120 * DAY + i);
      seed('recent', 'resolved', now - 10 * DAY);
      seed('edge', 'resolved', now - 89 * DAY);
      seed('open-old', 'firing', null);
    })();
    db.close();

    const app = openCore(dir, config, { clock });
    const count = (sql: string) => (app.core.store.db.prepare(sql).get() as { n: number }).n;
    const alertsLeft = () => count('SELECT count(*) AS n FROM alerts');
    const eventsLeft = () => count('SELECT count(*) AS n FROM alert_events');
    expect(alertsLeft()).toBe(5_203);

    await app.core.jobs.runNow('alerts.retention');
    expect(alertsLeft()).toBe(203);
    expect(eventsLeft()).toBe(200 * 2 + 2 + 2 + 1);
    expect(count("SELECT count(*) AS n FROM alert_events WHERE alert_id LIKE 'old-%'")).toBe(400);

    await app.core.jobs.runNow('alerts.retention');
    expect(
      app.core.store.db
        .prepare<[], { id: string }>('SELECT id FROM alerts ORDER BY id')
        .all()
        .map((r) => r.id),
    ).toEqual(['edge', 'open-old', 'recent']);
    expect(
      count('SELECT count(*) AS n FROM alert_events WHERE alert_id NOT IN (SELECT id FROM alerts)'),
    ).toBe(0);

    // Two days later the one just inside the window has aged out; the open one stays however old.
    clock.set(now + 2 * DAY);
    await app.core.jobs.runNow('alerts.retention');
    expect(
      app.core.store.db
        .prepare<[], { id: string }>('SELECT id FROM alerts ORDER BY id')
        .all()
        .map((r) => r.id),
    ).toEqual(['open-old', 'recent']);
    clock.set(now + 365 * DAY);
    await app.core.jobs.runNow('alerts.retention');
    expect(alertsLeft()).toBe(1);
    expect(eventsLeft()).toBe(1);
  });
});

describe('open alerts across a restart', () => {
  it("an acknowledged alert of the operator's own rule is still acknowledged after a restart", async () => {
    const dir = tempDir();
    const config = `alerts:
  rules:
    - id: own-rule
      name: operator's rule
      expr: cpu.total > 90
      severity: warning
`;
    await openCore(dir, config).close();
    const db = new Database(join(dir, 'nexus-ops.db'));
    const t = Date.now() - 600_000;
    db.prepare(
      `INSERT INTO alerts (id, rule_id, rule_name, series_key, metric, labels, state, severity, op, threshold,
         started_at, fired_at, acked_at, ack_by, updated_at)
       VALUES ('a1', 'own-rule', 'operator''s rule', 'cpu.total', 'cpu.total', '{}', 'acknowledged', 'warning',
         '>', 90, ?, ?, ?, 'operator', ?)`,
    ).run(t, t, t + 1000, t + 1000);
    db.close();
    const app = openCore(dir, config);
    const { alerts } = await app.call<{ alerts: { id: string; state: string }[] }>('alerts.list', {});
    expect(alerts).toEqual([expect.objectContaining({ id: 'a1', state: 'acknowledged' })]);
  });
});

describe('rules about bots while no bot is configured (issue 10 item 14)', () => {
  it("an operator's rule on a bot family cannot fire until a bot is declared; then it can", async () => {
    const dir = tempDir();
    const rules = `alerts:
  maintenanceWindows: []
  escalation: [{ afterMinutes: 0, channels: [desktop] }]
  rules:
    - id: runner-any
      name: bot-runner series seen
      expr: proc.count{family="bot-runner"} >= 0
      severity: critical
    - id: python-any
      name: python series seen
      expr: proc.count{family="python"} >= 0
      severity: info
`;
    const head = 'monitor:\n  liveIntervalSeconds: 1\n  processIntervalSeconds: 1\n';
    const app = openCore(dir, `${head}bots: []\n${rules}`);
    app.core.start();
    type Listed = { alerts: { ruleId: string; state: string }[] };
    const firing = async () =>
      (await app.call<Listed>('alerts.list', {})).alerts
        .filter((a) => a.state === 'firing')
        .map((a) => a.ruleId);
    let now: string[] = [];
    const poll = async (cond: (ids: string[]) => boolean) => {
      const end = Date.now() + 30_000;
      while (Date.now() < end) {
        now = await firing();
        if (cond(now)) return;
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    // The python family comes from the same process scan as bot-runner: once it fired, bot-runner's
    // sample was there too, and was held back. Two more scans to be sure.
    await poll((ids) => ids.includes('python-any'));
    expect(now).toContain('python-any');
    await new Promise((r) => setTimeout(r, 2500));
    expect(await firing()).not.toContain('runner-any');

    mkdirSync(join(dir, 'bot'));
    writeFileSync(
      join(dir, 'config.yaml'),
      `${head}bots:\n  folders: [${JSON.stringify(join(dir, 'bot'))}]\n${rules}`,
    );
    app.core.config.reloadNow();
    await poll((ids) => ids.includes('runner-any'));
    expect(now).toContain('runner-any');
  });
});

describe('live config edits with problems the schema cannot see', () => {
  const GOOD = `alerts:
  rules:
    - id: cpu-high
      name: CPU high
      expr: cpu.total > 95
      severity: warning
`;
  const cases: [string, string, RegExp][] = [
    [
      'a rule on an unknown metric',
      `alerts:
  rules:
    - id: cpu-typo
      name: CPU typo
      expr: cpu.totl > 95
      severity: warning
`,
      /cpu\.totl|cpu\.total/,
    ],
    [
      'a maintenance window with a bad cron',
      `${GOOD}  maintenanceWindows:
    - id: nightly
      cron: '61 25 * * *'
      durationMinutes: 30
`,
      /nightly|cron/,
    ],
    [
      'a silence with an end that is not a date',
      `${GOOD}  silences:
    - id: quiet
      ruleId: cpu-high
      until: 'next tuesday-ish'
      reason: test
`,
      /quiet|until|date/,
    ],
  ];
  for (const [what, edit, mentions] of cases) {
    it(`${what} shows in app.status.configIssues, and goes away when mended`, async () => {
      const dir = tempDir();
      const app = openCore(dir, GOOD);
      expect(app.core.status().configIssues).toEqual([]);
      writeFileSync(join(dir, 'config.yaml'), edit);
      app.core.config.reloadNow();
      const status = await app.call<{ configIssues: ConfigIssue[] }>('app.status');
      const problems = status.configIssues.filter((i) => i.severity !== 'notice');
      expect(problems.length, JSON.stringify(status.configIssues)).toBeGreaterThan(0);
      expect(problems.map((i) => `${i.path ?? ''} ${i.message}`).join('\n')).toMatch(mentions);
      expect(problems.every((i) => i.file === join(dir, 'config.yaml'))).toBe(true);
      writeFileSync(join(dir, 'config.yaml'), GOOD);
      app.core.config.reloadNow();
      expect(app.core.status().configIssues).toEqual([]);
    });
  }

  it('a time zone that does not exist is one problem, on alerts.timezone; schedules that follow it keep running', async () => {
    const dir = tempDir();
    const app = openCore(dir, GOOD);
    type Jobs = { jobs: { id: string; timezone: string; nextRunAt: number | null }[] };
    const before = await app.call<Jobs>('maintenance.jobs');
    expect(before.jobs.length).toBeGreaterThan(0);
    writeFileSync(join(dir, 'config.yaml'), `${GOOD}  timezone: Mars/Olympus_Mons\n`);
    app.core.config.reloadNow();
    const status = await app.call<{ configIssues: ConfigIssue[] }>('app.status');
    // One mistake, one problem, at its place: not one per maintenance job, nor blamed on the shipped
    // checklist files with advice about cron fields.
    expect(status.configIssues).toEqual([
      expect.objectContaining({
        file: join(dir, 'config.yaml'),
        path: 'alerts',
        message: expect.stringMatching(/alerts\.timezone: unknown time zone "Mars\/Olympus_Mons"/),
      }),
    ]);
    // The maintenance jobs (backup among them) still have their next run, in a zone that exists.
    const after = await app.call<Jobs>('maintenance.jobs');
    const scheduled = (jobs: Jobs) =>
      jobs.jobs
        .filter((j) => j.nextRunAt !== null)
        .map((j) => j.id)
        .sort();
    expect(scheduled(before).length).toBeGreaterThan(0);
    expect(scheduled(after)).toEqual(scheduled(before));
    for (const job of after.jobs) expect(job.timezone).not.toBe('Mars/Olympus_Mons');
    writeFileSync(join(dir, 'config.yaml'), GOOD);
    app.core.config.reloadNow();
    expect(app.core.status().configIssues).toEqual([]);
  });
});

describe('a failed send is logged without its secret', () => {
  it('a dead webhook receiver: the failure reaches the app log, the token in its URL and header does not', async () => {
    const SECRET_PATH = 'T0kenInUrl-9f8e7d6c5b4a';
    const SECRET_HEADER = 'hdr-secret-1a2b3c4d5e6f7a8b';
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as { port: number }).port;
    await new Promise((r) => dead.close(r));
    process.env.GAPS_HOOK_TOKEN = SECRET_HEADER;
    cleanups.push(() => {
      delete process.env.GAPS_HOOK_TOKEN;
    });
    const dir = tempDir();
    const app = openCore(
      dir,
      `monitor:
  liveIntervalSeconds: 1
  storeIntervalSeconds: 1
notify:
  channels:
    - id: hook
      type: webhook
      url: 'http://127.0.0.1:${port}/hooks/${SECRET_PATH}'
      headers:
        Authorization: 'Bearer \${env:GAPS_HOOK_TOKEN}'
alerts:
  escalation:
    - afterMinutes: 0
      name: first
      channels: [hook]
  rules:
    - id: always
      name: always firing
      expr: cpu.total >= 0
      severity: warning
`,
    );
    app.core.start();
    await until(() => app.logged.some((l) => /delivery to hook failed/.test(l.message)), 30_000);
    const text = app.logged.map((l) => l.message).join('\n');
    expect(text).not.toContain(SECRET_PATH);
    expect(text).not.toContain(SECRET_HEADER);
    const failure = app.logged.find((l) => /delivery to hook failed/.test(l.message))!;
    expect(failure.level).not.toBe('info');
  });
});

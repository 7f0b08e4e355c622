/**
 * The built-in jobs run for real through the maintenance API (`maintenance.run`) on a real SQLite file
 * and real folders, on an injected clock: cache cleanup (what it freed, what it kept), 30-day backup
 * retention (the newest verified backup is never pruned), the weekly database maintenance (ANALYZE,
 * optimize, integrity check, audit and browser findings published as metrics that fire the shipped
 * rules), and per-job pause / resume (a paused slot is skipped and recorded, resume restores it).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAlertsCapability } from '../../electron/core/alerts/index.js';
import { ManualClock } from '../../electron/core/clock/index.js';
import { schemaMigrations } from '../../electron/core/index.js';
import {
  createMaintenanceCapability,
  type MaintenanceCapability,
} from '../../electron/core/maintenance/index.js';
import { createPlatform } from '../../electron/core/platform/index.js';
import type { BackupView, JobView, RunView } from '../../shared/api/maintenance.js';
import type { LiveSample } from '../../shared/series.js';
import { CHROMIUM } from '../fixtures/fake-bot/index.js';
import {
  type Harness,
  maintenanceHarness,
  removeDir,
  type TestConfig,
} from '../helpers/maintenance-harness.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function setup(clock: ManualClock, config: TestConfig) {
  const h = maintenanceHarness(clock, config);
  cleanup.push(() => {
    h.close();
    removeDir(h.dir);
  });
  const samples: LiveSample[] = [];
  h.ctx.hooks.on('samples', (p) => samples.push(...p.samples));
  const cap = createMaintenanceCapability(h.ctx, {
    platform: createPlatform(),
    jobs: h.runner,
    notifier: { send() {} },
    migrations: schemaMigrations,
  });
  for (const job of cap.jobs ?? []) h.runner.add(job);
  cleanup.push(() => cap.close?.());
  return { h, cap, samples };
}

function finished(h: Harness, runId: string): RunView | undefined {
  return h.events
    .flatMap((e) =>
      e.type === 'maintenance.run' && e.run.id === runId && e.run.status !== 'running' ? [e.run] : [],
    )
    .at(-1);
}

/** `maintenance.run` as the page calls it; resolves with the finished run. */
async function runJob(h: Harness, cap: MaintenanceCapability, jobId: string): Promise<RunView> {
  const answer = (await cap.handlers['maintenance.run']!({ jobId })) as { runId: string };
  const until = Date.now() + 60_000;
  for (;;) {
    const run = finished(h, answer.runId);
    if (run) return run;
    if (Date.now() > until) throw new Error(`run ${answer.runId} of ${jobId} did not finish`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function history(cap: MaintenanceCapability, jobId: string): Promise<RunView[]> {
  return ((await cap.handlers['maintenance.history']!({ jobId, limit: 100 })) as { runs: RunView[] }).runs;
}

async function jobView(cap: MaintenanceCapability, id: string): Promise<JobView> {
  const { jobs } = (await cap.handlers['maintenance.jobs']!({})) as { jobs: JobView[] };
  return jobs.find((j) => j.id === id)!;
}

/** A file of `bytes` bytes last written `ageMs` before `now`. */
function aged(path: string, bytes: number, now: number, ageMs: number): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, Buffer.alloc(bytes, 7));
  const t = new Date(now - ageMs);
  utimesSync(path, t, t);
}

describe('built-in maintenance jobs on real files and a real database', () => {
  it('cache cleanup deletes what is past the shipped limits (cache 7 days, tmp 1 day), reports the bytes freed and keeps the rest', async () => {
    const clock = new ManualClock(Date.now());
    const { h, cap } = setup(clock, {
      maintenance: {
        jobs: [{ id: 'cache', kind: 'builtin', task: 'cache-cleanup', schedule: '30 2 * * *' }],
      },
    });
    const now = clock.now();
    const cache = join(h.dir, 'cache');
    const tmp = join(h.dir, 'tmp');
    const gone = [
      [join(cache, 'old-a.bin'), 3000, 8 * DAY],
      [join(cache, 'sub', 'old-b.bin'), 5000, 10 * DAY],
      [join(cache, '画像 キャッシュ', 'old c.bin'), 2000, 9 * DAY],
      [join(tmp, 'old.tmp'), 1100, 2 * DAY],
    ] as const;
    const kept = [
      [join(cache, 'young.bin'), 7000, 6 * DAY],
      [join(tmp, 'young.tmp'), 1300, 12 * HOUR],
    ] as const;
    for (const [p, bytes, age] of [...gone, ...kept]) aged(p, bytes, now, age);
    // Old enough to go, but open in a process (this one): kept.
    const held = join(cache, 'held.bin');
    aged(held, 900, now, 30 * DAY);
    const fd = openSync(held, 'r');
    cleanup.push(() => closeSync(fd));

    const run = await runJob(h, cap, 'cache');
    const freed = gone.reduce((s, [, bytes]) => s + bytes, 0);
    expect(run).toMatchObject({
      status: 'ok',
      trigger: 'manual',
      changes: { files: gone.length, bytesFreed: freed },
    });
    expect(run.summary).toMatch(/deleted 4 file\(s\).*1 in use kept/);
    for (const [p] of gone) expect(existsSync(p), p).toBe(false);
    for (const [p] of kept) expect(existsSync(p), p).toBe(true);
    expect(existsSync(held)).toBe(true);
    expect((await history(cap, 'cache')).map((r) => [r.status, r.changes.bytesFreed])).toEqual([
      ['ok', freed],
    ]);

    // A day later the 6-day-old file is past 7 days and goes too.
    clock.advance(DAY + HOUR);
    const next = await runJob(h, cap, 'cache');
    expect(next.changes).toMatchObject({ files: 2, bytesFreed: 7000 + 1300 });
    expect(existsSync(kept[0][0])).toBe(false);
  }, 60_000);

  it('keeps backups for 30 days, never pruning the newest verified one', async () => {
    const clock = new ManualClock(Date.parse('2026-03-01T03:00:00+09:00'));
    const job = { id: 'backup', kind: 'builtin', task: 'backup', schedule: '0 3 * * *' } as const;
    const config = (verify: boolean): TestConfig => ({
      maintenance: { jobs: [job], backup: { verify, include: [] } },
    });
    const { h, cap } = setup(clock, config(true));
    const backups = async () =>
      ((await cap.handlers['maintenance.backups']!({})) as { backups: BackupView[] }).backups;

    const first = await runJob(h, cap, 'backup');
    expect(first.status).toBe('ok');
    const [verified] = await backups();
    expect(verified?.verification.status).toBe('ok');

    // Unverified backups on the following days (verification switched off).
    h.setConfig(config(false));
    clock.advance(DAY);
    await runJob(h, cap, 'backup');
    clock.advance(DAY);
    await runJob(h, cap, 'backup');
    const unverified = (await backups()).filter((b) => b.id !== verified!.id).map((b) => b.id);
    expect(unverified).toHaveLength(2);

    // 31 days after the last one: all three are past 30 days; the two unverified go, the only
    // verified one stays.
    clock.advance(31 * DAY);
    const pruning = await runJob(h, cap, 'backup');
    expect(pruning.changes.removed).toBe(2);
    const left = (await backups()).map((b) => b.id);
    expect(left).toContain(verified!.id);
    for (const id of unverified) {
      expect(left).not.toContain(id);
      expect(existsSync(join(h.dir, 'backups', `${id}.tar.gz`))).toBe(false);
    }
    expect(left).toHaveLength(2);

    // A newer verified backup exists: now the old verified one goes too.
    h.setConfig(config(true));
    clock.advance(DAY);
    const newer = await runJob(h, cap, 'backup');
    expect(newer).toMatchObject({ status: 'ok', changes: { removed: 1 } });
    const after = await backups();
    expect(after.map((b) => b.id)).not.toContain(verified!.id);
    expect(after.filter((b) => b.verification.status === 'ok')).toHaveLength(1);
    expect(existsSync(join(h.dir, 'backups', `${verified!.id}.tar.gz`))).toBe(false);
  }, 120_000);

  it('database maintenance analyzes, optimizes and checks the real database; audit and browser findings fire the shipped rules', async () => {
    const clock = new ManualClock(Date.parse('2026-03-01T02:00:00+09:00'));
    const chromium = spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).stdout;
    const installed = /(\d+\.\d+\.\d+\.\d+)/.exec(chromium)?.[1];
    if (!installed) throw new Error(`${CHROMIUM} --version printed no version: ${chromium}`);
    const npmAudit = JSON.stringify({
      metadata: { vulnerabilities: { info: 4, low: 1, moderate: 0, high: 2, critical: 0, total: 3 } },
    });
    const { h, cap, samples } = setup(clock, {
      maintenance: {
        jobs: [{ id: 'db', kind: 'builtin', task: 'database', schedule: '0 2 * * 0' }],
        database: {
          audits: [
            {
              id: 'tax-npm',
              command: process.execPath,
              args: ['-e', `console.log(${JSON.stringify(npmAudit)}); process.exit(1)`],
            },
            { id: 'clean', command: process.execPath, args: ['-e', 'console.log("{}")'] },
          ],
          browsers: [
            { id: 'chromium-pinned', path: CHROMIUM, pinned: installed.split('.')[0]! },
            { id: 'chromium-old', path: CHROMIUM, pinned: '1.0.0.0' },
          ],
        },
      },
    });
    const alerts = createAlertsCapability(h.ctx, { notifier: { send() {} } as never, lastResumeAt: null });
    // Rows to analyze, and no statistics yet.
    h.store.db.exec(
      'CREATE TABLE IF NOT EXISTS t_probe (k INTEGER PRIMARY KEY, v TEXT); CREATE INDEX IF NOT EXISTS t_probe_v ON t_probe (v)',
    );
    const insert = h.store.db.prepare('INSERT INTO t_probe (v) VALUES (?)');
    for (let i = 0; i < 500; i++) insert.run(`v${i % 17}`);
    const stats = () =>
      h.store.db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'sqlite_stat1'").get() as {
        n: number;
      };
    const probeStats = () =>
      (
        h.store.db.prepare("SELECT count(*) AS n FROM sqlite_stat1 WHERE tbl = 't_probe'").get() as {
          n: number;
        }
      ).n;
    if (stats().n === 1) expect(probeStats()).toBe(0);

    const run = await runJob(h, cap, 'db');
    expect(run.status).toBe('ok');
    expect(run.summary).toMatch(/^integrity ok; .*3 audit finding\(s\); 1 browser version mismatch/);
    expect(run.output).toMatch(/ANALYZE \d+ ms, PRAGMA optimize \d+ ms, integrity_check ok/);
    expect(run.output).toMatch(/audit tax-npm: 3 finding\(s\) \(npm audit\)/);
    expect(run.output).toContain(`chromium-old: ${installed} (pinned 1.0.0.0) — MISMATCH`);
    // ANALYZE ran on the real file: the new table has statistics now.
    expect(stats().n).toBe(1);
    expect(probeStats()).toBeGreaterThan(0);

    const last = (name: string, label: string, value: string) =>
      samples.filter((s) => s.name === name && s.labels[label] === value).at(-1)?.value;
    expect(last('audit.findings', 'audit', 'tax-npm')).toBe(3);
    expect(last('audit.findings', 'audit', 'clean')).toBe(0);
    expect(last('browser.version_mismatch', 'browser', 'chromium-old')).toBe(1);
    expect(last('browser.version_mismatch', 'browser', 'chromium-pinned')).toBe(0);
    const firing = alerts.alerts
      .active()
      .filter((a) => a.state === 'firing')
      .map((a) => [a.ruleId, a.labels.audit ?? a.labels.browser])
      .sort();
    expect(firing).toEqual([
      ['browser-version-mismatch', 'chromium-old'],
      ['dependency-audit', 'tax-npm'],
    ]);
  }, 60_000);

  it('pause through the API skips the paused slots and records each; resume restores the schedule', async () => {
    const clock = new ManualClock(Date.parse('2026-03-01T01:00:00+09:00'));
    const { h, cap } = setup(clock, {
      maintenance: {
        timezone: 'Asia/Tokyo',
        jobs: [{ id: 'cache', kind: 'builtin', task: 'cache-cleanup', schedule: '30 2 * * *' }],
      },
    });
    await cap.start?.();
    const day = async () => {
      clock.advance(DAY);
      await h.runner.runDue();
    };
    await day(); // 2026-03-02 01:00: the 03-01 02:30 slot ran
    expect((await history(cap, 'cache')).map((r) => r.status)).toEqual(['ok']);

    const paused = (await cap.handlers['maintenance.pause']!({ jobId: 'cache' })) as JobView;
    expect(paused).toMatchObject({ paused: true, pausedBy: 'operator', nextRunAt: null });
    expect(await jobView(cap, 'cache')).toMatchObject({ paused: true, pausedBy: 'operator' });
    await day();
    await day();
    const skipped = (await history(cap, 'cache')).filter((r) => r.status === 'skipped');
    expect(skipped.map((r) => new Date(r.slot).toISOString()).sort()).toEqual([
      '2026-03-01T17:30:00.000Z',
      '2026-03-02T17:30:00.000Z',
    ]);
    for (const r of skipped) expect(r.summary).toMatch(/paused by the operator/);
    expect((await history(cap, 'cache')).filter((r) => r.status === 'ok')).toHaveLength(1);

    const resumed = (await cap.handlers['maintenance.resume']!({ jobId: 'cache' })) as JobView;
    expect(resumed).toMatchObject({ paused: false, pausedBy: null });
    expect(resumed.nextRunAt).toBe(Date.parse('2026-03-04T02:30:00+09:00'));
    await day();
    const all = await history(cap, 'cache');
    expect(all.filter((r) => r.status === 'ok')).toHaveLength(2);
    expect(all.filter((r) => r.status === 'skipped')).toHaveLength(2);
    expect((await jobView(cap, 'cache')).paused).toBe(false);
  }, 60_000);
});

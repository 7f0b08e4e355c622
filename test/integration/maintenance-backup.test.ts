import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import * as tar from 'tar';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../electron/core/clock/index.js';
import { schemaMigrations } from '../../electron/core/index.js';
import { createJobRunner } from '../../electron/core/jobs/index.js';
import {
  createMaintenanceCapability,
  type MaintenanceCapability,
} from '../../electron/core/maintenance/index.js';
import { createPlatform } from '../../electron/core/platform/index.js';
import type { BackupView, RunView } from '../../shared/api/maintenance.js';
import {
  type Harness,
  maintenanceHarness,
  removeDir,
  type TestConfig,
} from '../helpers/maintenance-harness.js';

const platform = createPlatform();
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

async function waitFor<T>(fn: () => T | undefined, ms = 60_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

function botFolder(): string {
  const root = mkdtempSync(join(tmpdir(), 'nexus-bot-'));
  cleanup.push(() => rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
  mkdirSync(join(root, 'data', 'config'), { recursive: true });
  mkdirSync(join(root, 'data', 'learning'), { recursive: true });
  mkdirSync(join(root, 'data', 'current', '20261201-0300'), { recursive: true });
  writeFileSync(join(root, 'data', 'config', 'twitter-session.yaml'), 'auth_token: secret-token-xyz-123\n');
  writeFileSync(join(root, 'data', 'config', 'schedule.yaml'), 'post: ["09:00"]\n');
  for (let i = 0; i < 50; i++)
    writeFileSync(join(root, 'data', 'learning', `pattern-${i}.yaml`), `score: ${i}\n日本語: テスト\n`);
  writeFileSync(join(root, 'data', 'current', '20261201-0300', 'post.yaml'), 'result: { success: true }\n');
  return root;
}

function setup(config: TestConfig): { h: Harness; cap: MaintenanceCapability; runs: () => RunView[] } {
  const h = maintenanceHarness(systemClock, config);
  cleanup.push(() => {
    h.close();
    removeDir(h.dir);
  });
  const runner = createJobRunner({ clock: systemClock, log: (m) => h.logs.push(m) });
  const cap = createMaintenanceCapability(h.ctx, {
    platform,
    jobs: runner,
    notifier: { send() {} },
    migrations: schemaMigrations,
  });
  return { h, cap, runs: () => h.events.flatMap((e) => (e.type === 'maintenance.run' ? [e.run] : [])) };
}

function fill(h: Harness, rows: number, from = 1_000_000): void {
  const id = h.store.seriesId('bench.value', { n: 'a' });
  const insert = h.store.db.prepare('INSERT INTO samples (series_id, ts, value) VALUES (?, ?, ?)');
  h.store.db.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run(id, from + i, Math.sin(i));
  })();
}

function checksum(db: Database.Database): { n: number; sum: number; ts: number } {
  return db
    .prepare('SELECT COUNT(*) AS n, ROUND(SUM(value), 6) AS sum, SUM(ts) AS ts FROM samples')
    .get() as {
    n: number;
    sum: number;
    ts: number;
  };
}

async function runBackup(cap: MaintenanceCapability, runs: () => RunView[]): Promise<RunView> {
  const { runId } = await cap.handlers['maintenance.run']!({ jobId: 'backup' });
  return waitFor(() => runs().find((r) => r.id === runId && r.status !== 'running'));
}

async function backups(cap: MaintenanceCapability): Promise<BackupView[]> {
  return (await cap.handlers['maintenance.backups']!({})).backups;
}

describe('backups of a live database, verified and restored', () => {
  it('backs up under write load, verifies, restores and the restored data equals the backup', async () => {
    const root = botFolder();
    const { h, cap, runs } = setup({
      bots: [{ id: 'tax', root }],
      maintenance: { backup: { pagesPerStep: 8 } },
    });
    fill(h, 150_000);
    let written = 0;
    const writer = setInterval(() => {
      const ts = 5_000_000 + written;
      h.store.writeSamples(
        Array.from({ length: 50 }, (_, i) => ({ name: 'live.value', labels: {}, ts: ts + i, value: i })),
      );
      written += 50;
    }, 1);
    let run: RunView;
    try {
      run = await runBackup(cap, runs);
    } finally {
      clearInterval(writer);
    }
    expect(run.status).toBe('ok');
    expect(written).toBeGreaterThan(0);
    const [backup] = await backups(cap);
    expect(backup!.verification).toMatchObject({ status: 'ok', integrity: 'ok', problems: [] });
    expect(backup!.excludedSecrets).toEqual(['tax:data/config/twitter-session.yaml']);
    expect(backup!.bots[0]).toMatchObject({ bot: 'tax', files: 52 });

    // The secret never reaches the archive in clear.
    const archive = readFileSync(backup!.file);
    expect(gunzipSync(archive).includes(Buffer.from('secret-token-xyz'))).toBe(false);

    // What the archive holds, opened independently of the app.
    const look = mkdtempSync(join(tmpdir(), 'nexus-look-'));
    cleanup.push(() => rmSync(look, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
    await tar.x({ file: backup!.file, cwd: look });
    const copy = new Database(join(look, 'database', 'nexus-ops.db'), { readonly: true });
    const inBackup = checksum(copy);
    copy.close();
    expect(inBackup.n).toBe(backup!.verification.rowCounts.samples);
    const liveBefore = checksum(h.store.db);
    expect(inBackup.n).toBeGreaterThan(150_000); // writes made during the backup went into the copy
    expect(liveBefore.n).toBeGreaterThanOrEqual(inBackup.n);

    // More rows after the backup; the restore brings back exactly the backup and keeps the current aside.
    fill(h, 1000, 9_000_000);
    const result = await cap.handlers['maintenance.restore']!({
      backupId: backup!.id,
      scope: 'database',
      actor: 'test',
      confirm: backup!.id,
    });
    expect(result.integrity).toBe('ok');
    expect(result.warnings).toEqual([]);
    expect(checksum(h.store.db)).toEqual(inBackup);
    expect(result.keptAt).toHaveLength(1);
    const aside = new Database(result.keptAt[0]!, { readonly: true });
    expect(checksum(aside).n).toBe(liveBefore.n + 1000);
    aside.close();
    // The backup's own run was still running inside the copy: the history now has its outcome.
    const backupRun = h.store.db
      .prepare<[string], { status: string }>('SELECT status FROM maintenance_runs WHERE id = ?')
      .get(run.id);
    expect(backupRun?.status).toBe('ok');
    // The app goes on writing into the restored database; the restore is in the audit trail.
    h.store.writeSamples([{ name: 'after.restore', labels: {}, ts: 1, value: 1 }]);
    expect(h.store.readRaw('after.restore', 0, 10)).toHaveLength(1);
    const audit = h.store.db
      .prepare<[], { action: string }>("SELECT action FROM audit WHERE action LIKE 'maintenance.%'")
      .all();
    expect(audit.map((a) => a.action)).toEqual(['maintenance.restored']);
    expect(h.store.verifyAudit().ok).toBe(true);
  }, 120_000);

  it('catches a corrupted backup in verification and refuses to restore it', async () => {
    const root = botFolder();
    const { h, cap, runs } = setup({ bots: [{ id: 'tax', root }] });
    fill(h, 20_000);
    expect((await runBackup(cap, runs)).status).toBe('ok');
    const [backup] = await backups(cap);
    // Bit rot in the middle of the archive.
    const bytes = readFileSync(backup!.file);
    const mid = Math.floor(bytes.length / 2);
    for (let i = 0; i < 64; i++) bytes.writeUInt8(bytes.readUInt8(mid + i) ^ 0xff, mid + i);
    writeFileSync(backup!.file, bytes);
    const verified = await cap.handlers['maintenance.verify']!({ backupId: backup!.id });
    expect(verified.verification.status).toBe('failed');
    expect(verified.verification.problems.join('\n')).toMatch(/archive hash differs/);
    const before = checksum(h.store.db);
    await expect(
      Promise.resolve(
        cap.handlers['maintenance.restore']!({
          backupId: backup!.id,
          scope: 'database',
          actor: 'test',
          confirm: backup!.id,
        }),
      ),
    ).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/failed its verification/) });
    expect(checksum(h.store.db)).toEqual(before);
    // The refusal is in the audit trail too.
    const audit = h.store.db
      .prepare<[], { action: string }>("SELECT action FROM audit WHERE action LIKE 'maintenance.%'")
      .all();
    expect(audit.map((a) => a.action)).toEqual(['maintenance.restore-refused']);
  }, 120_000);

  it('a backup that rotted after its verification is refused at restore time', async () => {
    const root = botFolder();
    const { h, cap, runs } = setup({ bots: [{ id: 'tax', root }] });
    fill(h, 5_000);
    await runBackup(cap, runs);
    const [backup] = await backups(cap);
    expect(backup!.verification.status).toBe('ok');
    const bytes = readFileSync(backup!.file);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 100) ^ 0x01, bytes.length - 100);
    writeFileSync(backup!.file, bytes);
    await expect(
      Promise.resolve(
        cap.handlers['maintenance.restore']!({
          backupId: backup!.id,
          scope: 'database',
          actor: 'test',
          confirm: backup!.id,
        }),
      ),
    ).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/does not match its manifest/),
    });
    expect((await backups(cap))[0]!.verification.status).toBe('failed');
  }, 120_000);

  it('encrypts secret files when asked, and restores bot data only while the emergency stop holds', async () => {
    const root = botFolder();
    process.env.NEXUS_TEST_BACKUP_PASSPHRASE = 'correct horse battery staple';
    cleanup.push(() => {
      delete process.env.NEXUS_TEST_BACKUP_PASSPHRASE;
    });
    const { cap, runs } = setup({
      bots: [{ id: 'tax', root }],
      maintenance: { backup: { secrets: 'encrypt', passphrase: '${env:NEXUS_TEST_BACKUP_PASSPHRASE}' } },
    });
    expect((await runBackup(cap, runs)).status).toBe('ok');
    const [backup] = await backups(cap);
    expect(backup!.encryptedSecrets).toEqual(['tax:data/config/twitter-session.yaml']);
    expect(gunzipSync(readFileSync(backup!.file)).includes(Buffer.from('secret-token-xyz'))).toBe(false);

    // The bot's data changes after the backup.
    writeFileSync(join(root, 'data', 'learning', 'pattern-0.yaml'), 'changed\n');
    writeFileSync(join(root, 'data', 'config', 'twitter-session.yaml'), 'auth_token: rotated\n');
    const restore = () =>
      Promise.resolve(
        cap.handlers['maintenance.restore']!({
          backupId: backup!.id,
          scope: 'all',
          actor: 'test',
          confirm: backup!.id,
        }),
      );
    await expect(restore()).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/not stopped/),
    });
    expect(readFileSync(join(root, 'data', 'learning', 'pattern-0.yaml'), 'utf8')).toBe('changed\n');

    writeFileSync(join(root, 'EMERGENCY_STOP'), '{"stopped":true}');
    const result = await restore();
    expect(readFileSync(join(root, 'data', 'learning', 'pattern-0.yaml'), 'utf8')).toBe(
      'score: 0\n日本語: テスト\n',
    );
    expect(readFileSync(join(root, 'data', 'config', 'twitter-session.yaml'), 'utf8')).toBe(
      'auth_token: secret-token-xyz-123\n',
    );
    const aside = result.keptAt.find((p) => p.includes('data.before-restore-'));
    expect(aside && existsSync(join(aside, 'learning', 'pattern-0.yaml'))).toBe(true);
    expect(readFileSync(join(aside!, 'learning', 'pattern-0.yaml'), 'utf8')).toBe('changed\n');
  }, 120_000);
});

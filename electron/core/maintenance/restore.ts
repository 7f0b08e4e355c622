/**
 * Restore from a backup (UI and `nexus-ops backup restore`). Refuses a backup whose verification
 * failed, and re-checks the one it restores (a fresh extraction compared with the manifest: a file that
 * rotted since the last verification is caught here too). Then:
 * - database: the current database is first copied aside (online backup into
 *   `<backups>/before-restore-<stamp>.db`, so a restore loses nothing); the verified copy, migrated to
 *   this build's schema, replaces the live content through SQLite's backup API in one step on the app's
 *   thread, so no writer of this process runs in between (writers of other connections wait on the lock);
 *   then integrity_check and the key tables' row counts are compared;
 * - bot data (scope all): only while the emergency stop holds (the kill-switch is in the bot's folder,
 *   so the bots, the writers, are stopped); each restored top-level folder's current version is renamed
 *   aside (`<name>.before-restore-<stamp>`), the backup's files are copied in, and secret files the
 *   backup left out are carried over from the folder set aside.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import Database from 'better-sqlite3';
import type { RestoreResult } from '../../../shared/api/maintenance.js';
import type { BotConfig } from '../../../shared/config/bots.js';
import { resolveEnvRefs } from '../secrets/index.js';
import { type Migration, migrate } from '../store/index.js';
import {
  type BackupConfig,
  DB_ENTRY,
  decryptBuffer,
  extractAndCheck,
  type Progress,
  readVerification,
  writeVerification,
} from './backup.js';
import { exists, globToRegExp, walk } from './files.js';
import { fileStamp } from './rotation.js';
import { checkDatabase } from './sqlite-worker.js';

export class RestoreRefused extends Error {}

export interface RestoreOptions {
  dir: string;
  id: string;
  scope: 'database' | 'all';
  dataDir: string;
  /** The live database: its connection (the destination's page cache sees the new content). */
  db: BetterSqlite3.Database;
  migrations: readonly Migration[];
  cfg: BackupConfig;
  bots: readonly BotConfig[];
  killSwitchFile: string;
  now: number;
  progress?: Progress;
  nativeBinding?: string;
  env?: Record<string, string | undefined>;
  monotonic?: () => number;
}

export async function restoreBackup(o: RestoreOptions): Promise<RestoreResult> {
  const monotonic = o.monotonic ?? (() => performance.now());
  const t0 = monotonic();
  const previous = await readVerification(o.dir, o.id);
  if (previous.status === 'failed') {
    throw new RestoreRefused(
      `backup ${o.id} failed its verification (${previous.problems.slice(0, 3).join('; ')}): it is not restored`,
    );
  }
  const liveFile = o.db.name;
  const warnings: string[] = [];
  const replaced: string[] = [];
  const keptAt: string[] = [];
  const stamp = fileStamp(o.now);

  const x = await extractAndCheck({
    dir: o.dir,
    id: o.id,
    dataDir: o.dataDir,
    progress: o.progress,
    nativeBinding: o.nativeBinding,
  });
  try {
    if (x.problems.length > 0) {
      await writeVerification(o.dir, o.id, {
        status: 'failed',
        at: o.now,
        problems: x.problems,
        rowCounts: x.rowCounts,
        integrity: x.integrity,
      });
      throw new RestoreRefused(
        `backup ${o.id} does not match its manifest now: ${x.problems.slice(0, 3).join('; ')}`,
      );
    }
    await writeVerification(o.dir, o.id, {
      status: 'ok',
      at: o.now,
      problems: [],
      rowCounts: x.rowCounts,
      integrity: x.integrity,
    });

    const botsInBackup = x.manifest.bots;
    if (o.scope === 'all') {
      // The writers of bot data are the bots: they must be stopped before anything is replaced.
      const running = botsInBackup.filter((b) => !killSwitchHeld(o.bots, b.bot, b.root, o.killSwitchFile));
      const checks = await Promise.all(running.map(async (b) => ((await exists(b.root)) ? b.bot : null)));
      const live = checks.filter((b): b is string => b !== null);
      if (live.length > 0) {
        throw new RestoreRefused(
          `the bots ${live.join(', ')} are not stopped: run the emergency stop first, so nothing writes into their data while it is replaced`,
        );
      }
    }

    let rowCounts: Record<string, number> = {};
    let integrity = 'not restored';
    if (x.manifest.database) {
      if (liveFile === ':memory:' || liveFile === '')
        throw new RestoreRefused('the app runs on an in-memory database');
      const copy = join(x.folder, ...DB_ENTRY.split('/'));
      // This build's schema: an older backup is migrated; a newer one is refused.
      const copyDb = new Database(copy, o.nativeBinding ? { nativeBinding: o.nativeBinding } : {});
      try {
        migrate(copyDb, o.migrations, copy);
      } catch (err) {
        throw new RestoreRefused(err instanceof Error ? err.message : String(err));
      } finally {
        copyDb.close();
      }
      await mkdir(o.dir, { recursive: true });
      const aside = join(o.dir, `before-restore-${stamp}.db`);
      o.progress?.('keep-current', 0, 1);
      await o.db.backup(aside, { progress: () => o.cfg.pagesPerStep });
      keptAt.push(aside);

      o.progress?.('database', 0, 1);
      const source = new Database(copy, {
        readonly: true,
        ...(o.nativeBinding ? { nativeBinding: o.nativeBinding } : {}),
      });
      try {
        const tables = Object.keys(x.manifest.database.rowCounts);
        // All remaining pages in one step: the app's connection cannot write in between.
        await source.backup(liveFile, { progress: () => 0x7fffffff });
        rowCounts = countRows(o.db, tables);
        const expected = countRows(source, tables);
        for (const t of tables) {
          if (rowCounts[t] !== expected[t])
            warnings.push(`table ${t}: ${rowCounts[t]} rows after the restore, ${expected[t]} in the backup`);
        }
      } finally {
        source.close();
      }
      const check = await checkDatabase(liveFile, [], { nativeBinding: o.nativeBinding });
      integrity = check.integrity.join('; ');
      if (integrity !== 'ok') warnings.push(`integrity_check after the restore: ${integrity}`);
      replaced.push(liveFile);
    }

    if (o.scope === 'all') {
      const passphrase = o.cfg.passphrase ? safeResolve(o.cfg.passphrase, o.env ?? process.env) : null;
      const secretRes = o.cfg.secretFiles.map((p) => globToRegExp(p.includes('/') ? p : `**/${p}`));
      for (const b of botsInBackup) {
        const files = x.manifest.files.filter((f) => f.path.startsWith(`bots/${b.bot}/`));
        const tops = new Set(files.map((f) => f.path.slice(`bots/${b.bot}/`.length).split('/')[0] as string));
        for (const top of tops) {
          const current = join(b.root, top);
          const aside = `${current}.before-restore-${stamp}`;
          if (await exists(current)) {
            await rename(current, aside);
            keptAt.push(aside);
          }
          replaced.push(current);
        }
        let done = 0;
        for (const f of files) {
          o.progress?.('bot-files', ++done, files.length);
          const rel = f.path.slice(`bots/${b.bot}/`.length);
          const from = join(x.folder, ...f.path.split('/'));
          if (f.encrypted) {
            const target = join(b.root, ...rel.replace(/\.enc$/, '').split('/'));
            if (!passphrase) {
              warnings.push(
                `${b.bot}:${rel}: encrypted, no passphrase to open it: carried over from the current folder`,
              );
              continue;
            }
            await mkdir(dirname(target), { recursive: true });
            await writeFile(target, decryptBuffer(await readFile(from), passphrase), { mode: 0o600 });
            continue;
          }
          const target = join(b.root, ...rel.split('/'));
          await mkdir(dirname(target), { recursive: true });
          await copyFile(from, target);
        }
        // Secrets the backup left out stay with the bot: copied from the folders set aside.
        for (const top of tops) {
          const aside = join(b.root, `${top}.before-restore-${stamp}`);
          for (const f of await walk(aside, 32)) {
            const rel = `${top}/${f.path
              .slice(aside.length + 1)
              .split(/[\\/]/)
              .join('/')}`;
            if (!secretRes.some((re) => re.test(rel))) continue;
            const target = join(b.root, ...rel.split('/'));
            if (await exists(target)) continue;
            await mkdir(dirname(target), { recursive: true });
            await copyFile(f.path, target);
          }
        }
      }
    }
    return {
      backupId: o.id,
      scope: o.scope,
      replaced,
      keptAt,
      integrity,
      rowCounts,
      durationMs: Math.round(monotonic() - t0),
      warnings,
    };
  } finally {
    await rm(x.folder, { recursive: true, force: true }).catch(() => {});
  }
}

function countRows(db: BetterSqlite3.Database, tables: readonly string[]): Record<string, number> {
  const present = new Set(
    db
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .all()
      .map((r) => r.name),
  );
  const out: Record<string, number> = {};
  for (const t of tables) {
    if (present.has(t)) out[t] = (db.prepare(`SELECT COUNT(*) AS n FROM "${t}"`).get() as { n: number }).n;
  }
  return out;
}

function killSwitchHeld(bots: readonly BotConfig[], id: string, root: string, file: string): boolean {
  const bot = bots.find((b) => b.id === id);
  return existsSync(join(bot?.root ?? root, bot?.killSwitch ?? file));
}

function safeResolve(value: string, env: Record<string, string | undefined>): string | null {
  try {
    return resolveEnvRefs(value, env);
  } catch {
    return null;
  }
}

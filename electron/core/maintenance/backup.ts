/**
 * Backups (Phase 6: 03:00 データベース・設定ファイルバックアップ; TASK-003 自動バックアップ: 日次, 30日間).
 *
 * One backup is `<dir>/<id>.tar.gz` plus `<id>.manifest.json` (every file's sha256 and size, the
 * database's row counts, what was left out) and `<id>.verify.json` (the last verification). Steps:
 * 1. the database through SQLite's online backup API (better-sqlite3 `db.backup`) from the app's own
 *    connection, so the app's writes go on and are carried into the copy; `pagesPerStep` pages per
 *    step, the event loop runs between steps; then integrity_check + row counts of the copy (worker);
 * 2. each bot's data folders (include list, per-bot overrides) copied into a staging folder and hashed
 *    there, so the archive holds exactly what the manifest lists even while the bot writes; files that
 *    hold secrets are left out (listed) or encrypted (AES-256-GCM, scrypt key from `passphrase`),
 *    never copied in clear;
 * 3. staging → tar → gzip (Node's asynchronous zlib) → `<id>.tar.gz.partial` → renamed;
 * 4. verification: the archive's hash, then a restore into a temporary folder: every file's hash,
 *    integrity_check, key tables' row counts equal to the copy's;
 * 5. retention: backups older than retentionDays go, but never the newest verified one.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, scryptSync } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import {
  copyFile,
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type BetterSqlite3 from 'better-sqlite3';
import * as tar from 'tar';
import type { BackupVerification, BackupView } from '../../../shared/api/maintenance.js';
import type { BotConfig } from '../../../shared/config/bots.js';
import type { MaintenanceConfig } from '../../../shared/config/maintenance.js';
import { resolveEnvRefs } from '../secrets/index.js';
import { expandGlob, globToRegExp, hasWildcard, sha256File, underDataDir, walk } from './files.js';
import { fileStamp } from './rotation.js';
import { checkDatabase } from './sqlite-worker.js';

export type BackupConfig = MaintenanceConfig['backup'];

export interface ManifestFile {
  /** Inside the archive, '/'-separated: `database/nexus-ops.db`, `bots/<id>/<relative path>`. */
  path: string;
  sha256: string;
  size: number;
  encrypted?: boolean;
}

export interface Manifest {
  format: 1;
  id: string;
  createdAt: number;
  version: string;
  archive: { file: string; sha256: string; sizeBytes: number };
  database:
    | (ManifestFile & { userVersion: number; rowCounts: Record<string, number>; integrity: string })
    | null;
  files: ManifestFile[];
  bots: { bot: string; root: string; include: string[]; files: number; bytes: number }[];
  excludedSecrets: string[];
  encryptedSecrets: string[];
  skipped: string[];
  durationMs: number;
}

export interface VerifyRecord extends BackupVerification {}

export const DB_ENTRY = 'database/nexus-ops.db';

/** Files up to this size are read once into memory (hash and copy from the same bytes). */
const SMALL_FILE = 4 * 1024 * 1024;
/** File operations in flight at once (the thread pool has four threads; the rest wait in it). */
const FILE_CONCURRENCY = 16;

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Runs `work` over the items with at most `limit` at a time; the first failure rejects. */
async function eachLimit<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++] as T);
  });
  await Promise.all(lanes);
}

export type Progress = (phase: string, done: number, total: number) => void;

export interface BackupJobOptions {
  /** The app's connection: the source of the online backup (its own writes go into the copy). */
  db: BetterSqlite3.Database;
  dataDir: string;
  cfg: BackupConfig;
  bots: readonly BotConfig[];
  version: string;
  now: number;
  signal: AbortSignal;
  progress: Progress;
  output: (line: string) => void;
  nativeBinding?: string;
  env?: Record<string, string | undefined>;
  /** Monotonic ms (durations). */
  monotonic?: () => number;
}

export function backupsDir(dataDir: string, cfg: Pick<BackupConfig, 'dir'>): string {
  return underDataDir(dataDir, cfg.dir);
}

export function tmpDir(dataDir: string): string {
  return join(dataDir, 'tmp');
}

const toPosix = (p: string) => p.split(sep).join('/');

function checkAbort(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason));
}

// ---- secrets ----

const MAGIC = Buffer.from('NXENC1');

export function encryptBuffer(plain: Buffer, passphrase: string): Buffer {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = scryptSync(passphrase, salt, 32);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([MAGIC, salt, iv, body, cipher.getAuthTag()]);
}

export function decryptBuffer(data: Buffer, passphrase: string): Buffer {
  if (!data.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error('not an encrypted backup file');
  const salt = data.subarray(6, 22);
  const iv = data.subarray(22, 34);
  const tag = data.subarray(data.length - 16);
  const body = data.subarray(34, data.length - 16);
  const decipher = createDecipheriv('aes-256-gcm', scryptSync(passphrase, salt, 32), iv);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(body), decipher.final()]);
}

function resolvePassphrase(cfg: BackupConfig, env: Record<string, string | undefined>): string | null {
  if (!cfg.passphrase) return null;
  try {
    return resolveEnvRefs(cfg.passphrase, env);
  } catch {
    return null;
  }
}

// ---- listing ----

export async function readManifest(dir: string, id: string): Promise<Manifest | null> {
  try {
    return JSON.parse(await readFile(join(dir, `${id}.manifest.json`), 'utf8')) as Manifest;
  } catch {
    return null;
  }
}

export async function readVerification(dir: string, id: string): Promise<VerifyRecord> {
  try {
    return JSON.parse(await readFile(join(dir, `${id}.verify.json`), 'utf8')) as VerifyRecord;
  } catch {
    return { status: 'unverified', at: null, problems: [], rowCounts: {}, integrity: null };
  }
}

export function backupView(dir: string, m: Manifest, v: VerifyRecord): BackupView {
  return {
    id: m.id,
    createdAt: m.createdAt,
    file: join(dir, m.archive.file),
    sizeBytes: m.archive.sizeBytes,
    sha256: m.archive.sha256,
    database: m.database !== null,
    bots: m.bots.map((b) => ({ bot: b.bot, root: b.root, files: b.files, bytes: b.bytes })),
    excludedSecrets: m.excludedSecrets,
    encryptedSecrets: m.encryptedSecrets,
    verification: v,
  };
}

/** Every backup in the folder, newest first. */
export async function listBackups(dir: string): Promise<BackupView[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const out: BackupView[] = [];
  for (const name of names) {
    const m = /^(.+)\.manifest\.json$/.exec(name);
    if (!m?.[1]) continue;
    const manifest = await readManifest(dir, m[1]);
    if (!manifest) continue;
    out.push(backupView(dir, manifest, await readVerification(dir, m[1])));
  }
  return out.sort((a, b) => b.createdAt - a.createdAt);
}

// ---- creating ----

interface BotPlan {
  bot: BotConfig;
  include: string[];
  exclude: RegExp[];
}

function botPlans(cfg: BackupConfig, bots: readonly BotConfig[]): BotPlan[] {
  return bots.map((bot) => {
    const own = cfg.bots[bot.id];
    return {
      bot,
      include: own?.include ?? cfg.include,
      exclude: (own?.exclude ?? []).map((p) =>
        globToRegExp(p.includes('/') || p.includes('\\') ? p : `**/${p}`),
      ),
    };
  });
}

/** Files of one include entry (a folder, a file or a glob), relative to the bot root. */
async function includedFiles(
  root: string,
  entry: string,
): Promise<{ path: string; rel: string; size: number }[]> {
  const full = join(root, entry);
  if (hasWildcard(entry)) {
    return (await expandGlob(entry, root)).map((f) => ({
      path: f.path,
      rel: toPosix(relative(root, f.path)),
      size: f.size,
    }));
  }
  let s: import('node:fs').Stats;
  try {
    s = await stat(full);
  } catch {
    return [];
  }
  if (s.isFile()) return [{ path: full, rel: toPosix(entry), size: s.size }];
  if (!s.isDirectory()) return [];
  return (await walk(full, 32)).map((f) => ({
    path: f.path,
    rel: toPosix(relative(root, f.path)),
    size: f.size,
  }));
}

export async function createBackup(o: BackupJobOptions): Promise<{ manifest: Manifest; dir: string }> {
  const monotonic = o.monotonic ?? (() => performance.now());
  const t0 = monotonic();
  const dir = backupsDir(o.dataDir, o.cfg);
  await mkdir(dir, { recursive: true });
  let id = `nexus-ops-${fileStamp(o.now)}`;
  for (let n = 2; (await readManifest(dir, id)) !== null; n++) id = `nexus-ops-${fileStamp(o.now)}-${n}`;
  const staging = join(tmpDir(o.dataDir), `backup-${id}`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(join(staging, 'database'), { recursive: true });
  const manifest: Manifest = {
    format: 1,
    id,
    createdAt: o.now,
    version: o.version,
    archive: { file: `${id}.tar.gz`, sha256: '', sizeBytes: 0 },
    database: null,
    files: [],
    bots: [],
    excludedSecrets: [],
    encryptedSecrets: [],
    skipped: [],
    durationMs: 0,
  };
  try {
    if (o.cfg.database) {
      const copy = join(staging, DB_ENTRY);
      // The copy's last step commits and fsyncs the whole file on this thread: flushing what is written
      // so far from the thread pool every 32 MB leaves that last fsync little to do.
      const flusher = backgroundFlusher(copy, 32 * 1024 * 1024);
      try {
        await o.db.backup(copy, {
          progress: ({ totalPages, remainingPages }) => {
            checkAbort(o.signal);
            o.progress('database', totalPages - remainingPages, totalPages);
            flusher.wrote(o.cfg.pagesPerStep * (o.db.pragma('page_size', { simple: true }) as number));
            return o.cfg.pagesPerStep;
          },
        });
      } finally {
        await flusher.close();
      }
      o.output(`database copied online (${o.db.name})`);
      // quick_check here (a damaged source must not be archived as good); the full integrity_check
      // runs in the verification, on the copy restored from the archive.
      // The copy carries the WAL flag of its source: the worker gives it a rollback journal (one
      // self-contained file) before it checks it.
      const check = await checkDatabase(copy, o.cfg.keyTables, {
        quick: true,
        toRollbackJournal: true,
        nativeBinding: o.nativeBinding,
        signal: o.signal,
      });
      if (check.integrity.join('\n') !== 'ok') {
        throw new Error(`the database copy fails quick_check: ${check.integrity.slice(0, 3).join('; ')}`);
      }
      const s = await stat(copy);
      manifest.database = {
        path: DB_ENTRY,
        sha256: await sha256File(copy),
        size: s.size,
        userVersion: check.userVersion,
        rowCounts: check.rowCounts,
        integrity: 'ok',
      };
      o.output(`database: ${s.size} bytes, rows ${JSON.stringify(check.rowCounts)}`);
    }

    const env = o.env ?? process.env;
    const passphrase = o.cfg.secrets === 'encrypt' ? resolvePassphrase(o.cfg, env) : null;
    if (o.cfg.secrets === 'encrypt' && !passphrase) {
      o.output('secrets: encrypt was asked but the passphrase is not set: secret files are left out');
    }
    const secretRes = o.cfg.secretFiles.map((p) => globToRegExp(p.includes('/') ? p : `**/${p}`));
    const plans = botPlans(o.cfg, o.bots);
    const listed: { plan: BotPlan; files: { path: string; rel: string; size: number }[] }[] = [];
    let totalFiles = 0;
    for (const plan of plans) {
      const seen = new Map<string, { path: string; rel: string; size: number }>();
      for (const entry of plan.include)
        for (const f of await includedFiles(plan.bot.root, entry)) seen.set(f.rel, f);
      const files = [...seen.values()].filter((f) => !plan.exclude.some((re) => re.test(f.rel)));
      listed.push({ plan, files });
      totalFiles += files.length;
    }
    let done = 0;
    for (const { plan, files } of listed) {
      let count = 0;
      let bytes = 0;
      const madeDirs = new Map<string, Promise<void>>();
      await eachLimit(files, FILE_CONCURRENCY, async (f) => {
        checkAbort(o.signal);
        const entry = `bots/${plan.bot.id}/${f.rel}`;
        const dest = join(staging, ...entry.split('/'));
        const isSecret = secretRes.some((re) => re.test(f.rel));
        try {
          const folder = dirname(dest);
          let made = madeDirs.get(folder);
          if (!made) {
            made = mkdir(folder, { recursive: true }).then(() => undefined);
            madeDirs.set(folder, made);
          }
          await made;
          if (isSecret) {
            if (!passphrase) {
              manifest.excludedSecrets.push(`${plan.bot.id}:${f.rel}`);
              return;
            }
            const sealed = encryptBuffer(await readFile(f.path), passphrase);
            await writeFile(`${dest}.enc`, sealed, { mode: 0o600 });
            manifest.files.push({
              path: `${entry}.enc`,
              sha256: sha256(sealed),
              size: sealed.length,
              encrypted: true,
            });
            manifest.encryptedSecrets.push(`${plan.bot.id}:${f.rel}`);
          } else if (f.size <= SMALL_FILE) {
            // One read: what is hashed is exactly what is written, even if the bot rewrites the file now.
            const data = await readFile(f.path);
            await writeFile(dest, data);
            manifest.files.push({ path: entry, sha256: sha256(data), size: data.length });
            bytes += data.length;
          } else {
            await copyFile(f.path, dest);
            const s = await stat(dest);
            manifest.files.push({ path: entry, sha256: await sha256File(dest), size: s.size });
            bytes += s.size;
          }
          count++;
        } catch (err) {
          // The bot moved or deleted it meanwhile (data/current → data/history): note it, go on.
          manifest.skipped.push(
            `${plan.bot.id}:${f.rel}: ${err instanceof Error ? err.message : String(err)}`,
          );
        } finally {
          o.progress('files', ++done, totalFiles);
        }
      });
      manifest.bots.push({
        bot: plan.bot.id,
        root: plan.bot.root,
        include: plan.include,
        files: count,
        bytes,
      });
      o.output(`bot ${plan.bot.id}: ${count} file(s), ${bytes} bytes`);
    }
    manifest.files.sort((a, b) => (a.path < b.path ? -1 : 1));
    if (manifest.excludedSecrets.length > 0) {
      o.output(`secrets left out (never copied in clear): ${manifest.excludedSecrets.join(', ')}`);
    }

    await writeFile(
      join(staging, 'manifest.json'),
      JSON.stringify({ ...manifest, archive: undefined }, null, 1),
    );
    const archive = join(dir, manifest.archive.file);
    const partial = `${archive}.partial`;
    const entries = [
      'manifest.json',
      ...(manifest.database ? ['database'] : []),
      ...(manifest.files.length ? ['bots'] : []),
    ];
    const totalBytes = (manifest.database?.size ?? 0) + manifest.files.reduce((s, f) => s + f.size, 0);
    let packed = 0;
    const pack = tar.c({ cwd: staging, portable: true }, entries);
    async function* counted(source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        packed += chunk.length;
        o.progress('archive', Math.min(packed, totalBytes), totalBytes);
        yield chunk;
      }
    }
    await pipeline(
      counted(pack as unknown as AsyncIterable<Buffer>),
      createGzip({ level: o.cfg.compressionLevel }),
      createWriteStream(partial, { mode: 0o600 }),
      { signal: o.signal },
    );
    await rename(partial, archive);
    const s = await stat(archive);
    manifest.archive.sha256 = await sha256File(archive);
    manifest.archive.sizeBytes = s.size;
    manifest.durationMs = Math.round(monotonic() - t0);
    await writeFile(join(dir, `${id}.manifest.json`), JSON.stringify(manifest, null, 1), { mode: 0o600 });
    return { manifest, dir };
  } catch (err) {
    await unlink(join(dir, `${manifest.archive.file}.partial`)).catch(() => {});
    throw err;
  } finally {
    await rm(staging, { recursive: true, force: true }).catch(() => {});
  }
}

/** Calls fdatasync on `file` from the thread pool after every `every` bytes written to it (never two at once). */
function backgroundFlusher(file: string, every: number) {
  let pending = 0;
  let handle: Promise<FileHandle | null> | null = null;
  let syncing: Promise<void> | null = null;
  return {
    wrote(bytes: number): void {
      pending += bytes;
      if (pending < every || syncing) return;
      pending = 0;
      handle ??= open(file, 'r+').catch(() => null);
      syncing = handle
        .then((h) => h?.datasync())
        .catch(() => {})
        .finally(() => {
          syncing = null;
        });
    },
    async close(): Promise<void> {
      await syncing;
      await (await handle)?.close().catch(() => {});
    },
  };
}

// ---- verifying ----

export interface Extracted {
  folder: string;
  manifest: Manifest;
  problems: string[];
  rowCounts: Record<string, number>;
  integrity: string | null;
}

/**
 * Restores the archive into a fresh temporary folder and compares it with the manifest: archive hash,
 * every file's hash, no extra files, integrity_check and key tables' row counts. The folder is kept for
 * the caller (restore uses it; verify deletes it).
 */
export async function extractAndCheck(opts: {
  dir: string;
  id: string;
  dataDir: string;
  keyTables?: readonly string[];
  signal?: AbortSignal;
  progress?: Progress;
  nativeBinding?: string;
}): Promise<Extracted> {
  const manifest = await readManifest(opts.dir, opts.id);
  if (!manifest) throw new NotFoundError(`no backup "${opts.id}" in ${opts.dir}`);
  const folder = join(tmpDir(opts.dataDir), `verify-${opts.id}-${randomBytes(4).toString('hex')}`);
  await mkdir(folder, { recursive: true });
  const problems: string[] = [];
  const archive = join(opts.dir, manifest.archive.file);
  const result: Extracted = { folder, manifest, problems, rowCounts: {}, integrity: null };
  try {
    opts.progress?.('hash', 0, 1);
    const hash = await sha256File(archive).catch((err: unknown) => {
      problems.push(`archive unreadable: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    });
    if (hash === null) return result;
    if (hash !== manifest.archive.sha256)
      problems.push(`archive hash differs from the manifest (${archive})`);
    opts.progress?.('extract', 0, 1);
    try {
      await unpack(archive, folder);
    } catch (err) {
      problems.push(`archive cannot be unpacked: ${err instanceof Error ? err.message : String(err)}`);
      return result;
    }
    const expected = [...manifest.files, ...(manifest.database ? [manifest.database] : [])];
    const found = new Set(
      (await walk(folder, 64))
        .map((f) => toPosix(relative(folder, f.path)))
        .filter((p) => p !== 'manifest.json'),
    );
    let done = 0;
    await eachLimit(expected, FILE_CONCURRENCY, async (f) => {
      if (opts.signal?.aborted) throw opts.signal.reason;
      found.delete(f.path);
      const file = join(folder, ...f.path.split('/'));
      try {
        const h = f.size <= SMALL_FILE ? sha256(await readFile(file)) : await sha256File(file);
        if (h !== f.sha256) problems.push(`${f.path}: hash differs`);
      } catch {
        problems.push(`${f.path}: missing from the archive`);
      }
      opts.progress?.('compare', ++done, expected.length);
    });
    for (const extra of found) problems.push(`${extra}: in the archive but not in the manifest`);
    if (manifest.database) {
      opts.progress?.('integrity', 0, 1);
      const file = join(folder, ...DB_ENTRY.split('/'));
      try {
        const tables = opts.keyTables ?? Object.keys(manifest.database.rowCounts);
        const check = await checkDatabase(file, tables, {
          nativeBinding: opts.nativeBinding,
          signal: opts.signal,
        });
        result.integrity = check.integrity.join('; ');
        result.rowCounts = check.rowCounts;
        if (result.integrity !== 'ok') problems.push(`database integrity_check: ${result.integrity}`);
        for (const [table, n] of Object.entries(manifest.database.rowCounts)) {
          if (check.rowCounts[table] !== n) {
            problems.push(`table ${table}: ${check.rowCounts[table] ?? 'missing'} rows, the backup had ${n}`);
          }
        }
      } catch (err) {
        problems.push(`database cannot be opened: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return result;
  } catch (err) {
    await rm(folder, { recursive: true, force: true }).catch(() => {});
    throw err;
  }
}

/** archive.tar.gz → folder (tar refuses absolute paths and `..` entries). */
function unpack(archive: string, folder: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const source = createReadStream(archive);
    const gunzip = createGunzip();
    const sink = tar.x({ cwd: folder, strict: true });
    source.on('error', reject);
    gunzip.on('error', reject);
    sink.on('error', reject);
    sink.on('close', () => resolve());
    source.pipe(gunzip).pipe(sink as unknown as NodeJS.WritableStream);
  });
}

export async function writeVerification(dir: string, id: string, v: VerifyRecord): Promise<void> {
  await writeFile(join(dir, `${id}.verify.json`), JSON.stringify(v, null, 1), { mode: 0o600 });
}

export async function verifyBackup(opts: {
  dir: string;
  id: string;
  dataDir: string;
  now: number;
  signal?: AbortSignal;
  progress?: Progress;
  nativeBinding?: string;
}): Promise<BackupView> {
  const x = await extractAndCheck(opts);
  await rm(x.folder, { recursive: true, force: true }).catch(() => {});
  const v: VerifyRecord = {
    status: x.problems.length === 0 ? 'ok' : 'failed',
    at: opts.now,
    problems: x.problems,
    rowCounts: x.rowCounts,
    integrity: x.integrity,
  };
  await writeVerification(opts.dir, opts.id, v);
  return backupView(opts.dir, x.manifest, v);
}

/** Deletes backups older than retentionDays, keeping the newest verified one whatever its age. */
export async function pruneBackups(dir: string, retentionDays: number, now: number): Promise<string[]> {
  const all = await listBackups(dir);
  const newestVerified = all.find((b) => b.verification.status === 'ok');
  const removed: string[] = [];
  for (const b of all) {
    if (now - b.createdAt <= retentionDays * 86_400_000 || b.id === newestVerified?.id) continue;
    for (const suffix of ['.tar.gz', '.manifest.json', '.verify.json']) {
      await unlink(join(dir, `${b.id}${suffix}`)).catch(() => {});
    }
    removed.push(b.id);
  }
  return removed;
}

export class NotFoundError extends Error {}

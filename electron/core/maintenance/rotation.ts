/**
 * Log rotation and retention (Phase 6: 02:00 ログローテーション・古いログ削除) over Nexus Ops' own log
 * folder, the bots' `logs:` globs and configured targets.
 *
 * A file still being written is never touched: open in any process (Linux /proc fd links), or modified
 * within `quietMinutes`. On Windows a writer that holds the file (Python's FileHandler) makes the first
 * step, a rename, fail: the file is then skipped the same way. An idle file over its size or age limit
 * is renamed to a private name first (a writer that opens it by name afterwards gets a new file), then
 * gzipped next to it; the original is removed only if it did not change while it was compressed.
 * Compressed files older than `deleteAfterDays`, and the oldest ones beyond `maxTotalMB`, are deleted.
 */
import { rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { BotConfig } from '../../../shared/config/bots.js';
import type { MaintenanceConfig } from '../../../shared/config/maintenance.js';
import { expandGlob, type FoundFile, formatMiB, gzipFile, openFiles, underDataDir } from './files.js';

const DAY = 86_400_000;

export interface RotationTarget {
  /** Where it comes from, for the output: "nexus-ops", "bot tax", "target 1". */
  label: string;
  /** Globs of live log files. */
  globs: string[];
  base: string;
}

export interface RotationResult {
  compressed: number;
  bytesBefore: number;
  bytesAfter: number;
  deleted: number;
  bytesDeleted: number;
  active: number;
  lines: string[];
}

export function rotationTargets(
  cfg: MaintenanceConfig['logRotation'],
  bots: readonly BotConfig[],
  dataDir: string,
): RotationTarget[] {
  const targets: RotationTarget[] = [];
  if (cfg.own) targets.push({ label: 'nexus-ops', globs: [join(dataDir, 'logs', '**', '*')], base: dataDir });
  if (cfg.bots) {
    for (const bot of bots) {
      if (bot.logs.length === 0) continue;
      targets.push({ label: `bot ${bot.id}`, globs: bot.logs.map((l) => l.path), base: bot.root });
    }
  }
  cfg.targets.forEach((t, i) => {
    const path = underDataDir(dataDir, t.path);
    targets.push({
      label: `target ${i + 1}`,
      globs: [t.pattern === '*' ? join(path, '*') : join(path, t.pattern)],
      base: dataDir,
    });
  });
  return targets;
}

/** `20261201-020000` in local time. */
export function fileStamp(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

async function freeName(candidates: string[]): Promise<string> {
  for (const c of candidates) {
    try {
      await stat(c);
    } catch {
      return c;
    }
  }
  return `${candidates[candidates.length - 1]}.${Date.now().toString(36)}`;
}

export async function rotateLogs(opts: {
  targets: readonly RotationTarget[];
  cfg: MaintenanceConfig['logRotation'];
  now: number;
  signal: AbortSignal;
  progress?: (done: number, total: number) => void;
  /** For tests: the open-file set (default: /proc on Linux). */
  openFiles?: () => Promise<Set<string> | null>;
}): Promise<RotationResult> {
  const { cfg, now } = opts;
  const result: RotationResult = {
    compressed: 0,
    bytesBefore: 0,
    bytesAfter: 0,
    deleted: 0,
    bytesDeleted: 0,
    active: 0,
    lines: [],
  };
  const open = await (opts.openFiles ?? openFiles)();
  const quietMs = cfg.quietMinutes * 60_000;
  const maxBytes = cfg.maxFileMB * 1024 * 1024;
  let done = 0;
  for (const target of opts.targets) {
    const live: FoundFile[] = [];
    const compressed = new Map<string, FoundFile>();
    for (const glob of target.globs) {
      for (const f of await expandGlob(glob, target.base)) {
        if (f.path.endsWith('.rotating')) {
          if (!open?.has(f.path) && !(quietMs > 0 && now - f.mtimeMs < quietMs)) await recoverAside(f.path);
          continue;
        }
        if (f.path.endsWith('.partial')) continue;
        if (f.path.endsWith('.gz')) compressed.set(f.path, f);
        else live.push(f);
      }
      for (const f of await expandGlob(`${glob}*.gz`, target.base)) compressed.set(f.path, f);
    }
    for (const f of live) {
      if (opts.signal.aborted) throw opts.signal.reason;
      opts.progress?.(++done, live.length + done);
      const inUse = open?.has(f.path) || (quietMs > 0 && now - f.mtimeMs < quietMs);
      const age = now - f.mtimeMs;
      if (inUse) {
        if (f.size > maxBytes || age > cfg.compressAfterDays * DAY) {
          result.active++;
          result.lines.push(`${target.label}: ${f.path}: still being written, left alone`);
        }
        continue;
      }
      if (age > cfg.deleteAfterDays * DAY) {
        try {
          await unlink(f.path);
          result.deleted++;
          result.bytesDeleted += f.size;
          result.lines.push(`${target.label}: deleted ${f.path} (${Math.floor(age / DAY)} days old)`);
        } catch (err) {
          result.lines.push(`${target.label}: cannot delete ${f.path}: ${errText(err)}`);
        }
        continue;
      }
      if (f.size <= maxBytes && age <= cfg.compressAfterDays * DAY) continue;
      const gz = await compressIdle(f, fileStamp(f.mtimeMs), result, target.label);
      if (gz) compressed.set(gz.path, gz);
    }
    // Retention of compressed files: age, then the total size cap (oldest first).
    const kept: FoundFile[] = [];
    for (const f of compressed.values()) {
      if (now - f.mtimeMs > cfg.deleteAfterDays * DAY) {
        try {
          await unlink(f.path);
          result.deleted++;
          result.bytesDeleted += f.size;
          result.lines.push(`${target.label}: deleted ${f.path} (older than ${cfg.deleteAfterDays} days)`);
        } catch (err) {
          result.lines.push(`${target.label}: cannot delete ${f.path}: ${errText(err)}`);
        }
      } else kept.push(f);
    }
    if (cfg.maxTotalMB > 0) {
      kept.sort((a, b) => a.mtimeMs - b.mtimeMs);
      let total = kept.reduce((s, f) => s + f.size, 0);
      const cap = cfg.maxTotalMB * 1024 * 1024;
      for (const f of kept) {
        if (total <= cap) break;
        try {
          await unlink(f.path);
          total -= f.size;
          result.deleted++;
          result.bytesDeleted += f.size;
          result.lines.push(`${target.label}: deleted ${f.path} (over ${cfg.maxTotalMB} MB in total)`);
        } catch (err) {
          result.lines.push(`${target.label}: cannot delete ${f.path}: ${errText(err)}`);
        }
      }
    }
  }
  return result;
}

/** Rename aside, gzip, and remove the original only if nothing wrote to it meanwhile. */
async function compressIdle(
  f: FoundFile,
  stamp: string,
  result: RotationResult,
  label: string,
): Promise<FoundFile | null> {
  const aside = join(dirname(f.path), `.${basename(f.path)}.${stamp}.rotating`);
  try {
    await rename(f.path, aside);
  } catch (err) {
    // Windows: the writer holds it without FILE_SHARE_DELETE. Anywhere: it went away.
    result.active++;
    result.lines.push(`${label}: ${f.path}: in use (${errText(err)}), left alone`);
    return null;
  }
  const before = await stat(aside);
  const gzPath = await freeName([
    `${f.path}.gz`,
    `${f.path}.${stamp}.gz`,
    ...Array.from({ length: 98 }, (_, i) => `${f.path}.${stamp}-${i + 2}.gz`),
  ]);
  try {
    await gzipFile(aside, gzPath);
  } catch (err) {
    await putBack(aside, f.path, stamp);
    result.lines.push(`${label}: cannot compress ${f.path}: ${errText(err)}`);
    return null;
  }
  const after = await stat(aside);
  // A writer that opened the file after the scan holds it under its new name: it must stay.
  const heldNow = (await openFiles())?.has(aside) ?? false;
  if (heldNow || after.size !== before.size || after.mtimeMs !== before.mtimeMs) {
    // Someone still had it open and wrote: keep every line, drop our copy, put the name back.
    await unlink(gzPath).catch(() => {});
    await putBack(aside, f.path, stamp);
    result.active++;
    result.lines.push(`${label}: ${f.path}: written during compression, left alone`);
    return null;
  }
  await unlink(aside);
  const gz = await stat(gzPath);
  result.compressed++;
  result.bytesBefore += before.size;
  result.bytesAfter += gz.size;
  result.lines.push(
    `${label}: compressed ${f.path} → ${basename(gzPath)} (${formatMiB(before.size)} → ${formatMiB(gz.size)})`,
  );
  return { path: gzPath, size: gz.size, mtimeMs: gz.mtimeMs };
}

/** Gives a file we renamed aside a visible name again, never over a file created meanwhile. */
async function putBack(aside: string, original: string, stamp: string): Promise<void> {
  const target = await freeName([original, stamped(original, stamp)]);
  await rename(aside, target).catch(() => {});
}

/** `log/app.log` → `log/app.20261201-020000.log`: still matched by the same `*.log` glob. */
function stamped(path: string, stamp: string): string {
  const ext = extname(path);
  return `${path.slice(0, path.length - ext.length)}.${stamp}${ext}`;
}

/** `.app.log.20261201-020000.rotating` left by a crash gets its name back (or a stamped one): rotated next time. */
export async function recoverAside(path: string): Promise<void> {
  const m = /^\.(.+)\.(\d{8}-\d{6})\.rotating$/.exec(basename(path));
  if (!m) return;
  const target = await freeName([
    join(dirname(path), m[1] as string),
    stamped(join(dirname(path), m[1] as string), m[2] as string),
  ]);
  await rename(path, target).catch(() => {});
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

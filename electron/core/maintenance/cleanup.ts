/**
 * Cache cleanup (Phase 6: 02:30 キャッシュクリーンアップ・最適化): configured folders lose files older
 * than their age limit, then the oldest files beyond their size limit. A file open in a process (Linux)
 * or modified in the last minute is kept. Reports what it freed.
 */
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { MaintenanceConfig } from '../../../shared/config/maintenance.js';
import { expandGlob, formatMiB, openFiles, underDataDir } from './files.js';

const DAY = 86_400_000;

export interface CleanupResult {
  files: number;
  bytesFreed: number;
  kept: number;
  lines: string[];
}

export async function cleanCaches(opts: {
  cfg: MaintenanceConfig['cacheCleanup'];
  dataDir: string;
  now: number;
  signal: AbortSignal;
}): Promise<CleanupResult> {
  const result: CleanupResult = { files: 0, bytesFreed: 0, kept: 0, lines: [] };
  const open = await openFiles();
  for (const target of opts.cfg.targets) {
    const dir = underDataDir(opts.dataDir, target.path);
    const files = (await expandGlob(join(dir, '**', target.pattern), dir)).sort(
      (a, b) => a.mtimeMs - b.mtimeMs,
    );
    let total = files.reduce((s, f) => s + f.size, 0);
    let freed = 0;
    let count = 0;
    const cap = target.maxTotalMB !== undefined ? target.maxTotalMB * 1024 * 1024 : Number.POSITIVE_INFINITY;
    for (const f of files) {
      if (opts.signal.aborted) throw opts.signal.reason;
      const tooOld = target.maxAgeDays !== undefined && opts.now - f.mtimeMs > target.maxAgeDays * DAY;
      if (!tooOld && total <= cap) continue;
      if (open?.has(f.path) || opts.now - f.mtimeMs < 60_000) {
        result.kept++;
        continue;
      }
      try {
        await unlink(f.path);
        total -= f.size;
        freed += f.size;
        count++;
      } catch (err) {
        result.lines.push(
          `${dir}: cannot delete ${f.path}: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
    result.files += count;
    result.bytesFreed += freed;
    result.lines.push(
      `${dir}: ${count} file(s) deleted, ${formatMiB(freed)} freed, ${formatMiB(total)} left`,
    );
  }
  return result;
}

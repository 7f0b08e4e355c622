/**
 * File helpers of the maintenance jobs: a small glob (`*`, `?`, `**`, either separator), a bounded
 * walk, "is this file still being written" (open in a process on Linux; modified recently anywhere),
 * gzip through Node's asynchronous zlib, and sha256 of a file. All asynchronous: a daily job over
 * thousands of files never holds the event loop.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, readlink, rename, stat, unlink } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

const WINDOWS = process.platform === 'win32';

/** `log/*.log` → a RegExp over '/'-separated relative paths. `**` spans folders. */
export function globToRegExp(pattern: string): RegExp {
  const p = pattern.replace(/\\/g, '/');
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i] as string;
    if (c === '*') {
      if (p[i + 1] === '*') {
        const slash = p[i + 2] === '/';
        re += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, WINDOWS ? 'i' : '');
}

export function hasWildcard(text: string): boolean {
  return /[*?]/.test(text);
}

export interface FoundFile {
  path: string;
  size: number;
  mtimeMs: number;
}

/** Every file under `dir` (depth-limited), with size and mtime; a folder that vanishes is skipped. */
export async function walk(dir: string, maxDepth = 8): Promise<FoundFile[]> {
  const out: FoundFile[] = [];
  async function visit(d: string, depth: number): Promise<void> {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    const subdirs: string[] = [];
    await Promise.all(
      entries.map(async (e) => {
        const p = join(d, e.name);
        if (e.isDirectory()) {
          if (depth < maxDepth) subdirs.push(p);
        } else if (e.isFile()) {
          try {
            const s = await stat(p);
            out.push({ path: p, size: s.size, mtimeMs: s.mtimeMs });
          } catch {
            // gone meanwhile
          }
        }
      }),
    );
    for (const sub of subdirs) await visit(sub, depth + 1);
  }
  await visit(dir, 0);
  return out;
}

/**
 * Files matching a glob. Relative globs are under `base`. The walk starts at the glob's folder part
 * without wildcards, so `log/*.log` reads one folder only.
 */
export async function expandGlob(pattern: string, base: string): Promise<FoundFile[]> {
  const full = (isAbsolute(pattern) ? pattern : join(base, pattern)).replace(/\\/g, '/');
  const parts = full.split('/');
  const firstWild = parts.findIndex(hasWildcard);
  if (firstWild < 0) {
    try {
      const s = await stat(full);
      return s.isFile() ? [{ path: resolve(full), size: s.size, mtimeMs: s.mtimeMs }] : [];
    } catch {
      return [];
    }
  }
  const root = parts.slice(0, firstWild).join('/') || '/';
  const rest = parts.slice(firstWild).join('/');
  const depth = rest.includes('**') ? 8 : parts.length - firstWild - 1;
  const re = globToRegExp(rest);
  const files = await walk(root, depth);
  return files.filter((f) => re.test(relative(root, f.path).split(sep).join('/')));
}

/**
 * Paths open in any process right now (Linux: /proc/<pid>/fd links). Null where the OS offers no cheap
 * way (Windows: there a rename of a file held by its writer fails, which the rotation relies on).
 */
export async function openFiles(procRoot = '/proc'): Promise<Set<string> | null> {
  if (process.platform !== 'linux') return null;
  const open = new Set<string>();
  let pids: string[];
  try {
    pids = (await readdir(procRoot)).filter((n) => /^\d+$/.test(n));
  } catch {
    return null;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = await readdir(`${procRoot}/${pid}/fd`);
    } catch {
      continue; // gone, or another user's
    }
    await Promise.all(
      fds.map(async (fd) => {
        try {
          const target = await readlink(`${procRoot}/${pid}/fd/${fd}`);
          if (target.startsWith('/')) open.add(target.replace(/ \(deleted\)$/, ''));
        } catch {
          // closed meanwhile
        }
      }),
    );
  }
  return open;
}

/** gzip `src` into `dest` (written as dest.partial, then renamed). */
export async function gzipFile(src: string, dest: string, level = 6): Promise<void> {
  const partial = `${dest}.partial`;
  try {
    await pipeline(createReadStream(src), createGzip({ level }), createWriteStream(partial, { flags: 'wx' }));
    await rename(partial, dest);
  } catch (err) {
    await unlink(partial).catch(() => {});
    throw err;
  }
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 }))
    hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** A path relative to the data folder when not absolute. */
export function underDataDir(dataDir: string, path: string): string {
  return isAbsolute(path) ? path : join(dataDir, path);
}

export function formatMiB(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

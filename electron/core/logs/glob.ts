import { type Dirent, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

/**
 * The small glob a log source needs: `*`, `?`, `[abc]`, `{a,b}` within one path segment and `**` for
 * any depth, relative to the bot's root or absolute; `/` or `\` separate segments on every platform.
 * (Node 20 has no fs.glob.) Names compare case-insensitively on Windows, as the file system does.
 */
export interface CompiledGlob {
  /** The folder the walk starts from (the part of the pattern without wildcards). */
  base: string;
  /** The segments after it, each a literal, a RegExp, or `**`. */
  segments: (string | RegExp | '**')[];
  pattern: string;
}

const MAX_DEPTH = 8;
const WILDCARD = /[*?[{]/;

export function compileGlob(pattern: string, root: string, platform = process.platform): CompiledGlob {
  const full = isAbsolute(pattern) || /^[A-Za-z]:[\\/]/.test(pattern) ? pattern : join(root, pattern);
  const parts = full.split(/[\\/]+/);
  const leading = /^[\\/]/.test(full) ? '/' : '';
  let i = 0;
  const baseParts: string[] = [];
  while (i < parts.length - 1 && !WILDCARD.test(parts[i] as string)) baseParts.push(parts[i++] as string);
  const base = resolve(leading + baseParts.join('/') || '.');
  const flags = platform === 'win32' ? 'i' : '';
  const segments = parts.slice(i).map((p) => {
    if (p === '**') return '**' as const;
    if (!WILDCARD.test(p)) return p;
    return new RegExp(`^${segmentRegex(p)}$`, flags);
  });
  return { base, segments, pattern: full };
}

function segmentRegex(seg: string): string {
  let out = '';
  let inBraces = 0;
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i] as string;
    if (c === '*') out += '[^/\\\\]*';
    else if (c === '?') out += '[^/\\\\]';
    else if (c === '[') {
      const close = seg.indexOf(']', i + 1);
      if (close < 0) out += '\\[';
      else {
        let cls = seg.slice(i + 1, close).replace(/\\/g, '\\\\');
        if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
        out += `[${cls}]`;
        i = close;
      }
    } else if (c === '{') {
      inBraces++;
      out += '(?:';
    } else if (c === '}' && inBraces > 0) {
      inBraces--;
      out += ')';
    } else if (c === ',' && inBraces > 0) out += '|';
    else out += c.replace(/[.+^$()|\\]/g, '\\$&');
  }
  return out + ')'.repeat(inBraces);
}

function entries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

function isFile(path: string, d: Dirent): boolean {
  if (d.isFile()) return true;
  if (!d.isSymbolicLink()) return false;
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isDir(path: string, d: Dirent): boolean {
  if (d.isDirectory()) return true;
  if (!d.isSymbolicLink()) return false;
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Regular files matching the glob (a missing folder is no match, not an error). */
export function expandGlob(glob: CompiledGlob): string[] {
  const out: string[] = [];
  const walk = (dir: string, seg: number, depth: number) => {
    if (seg >= glob.segments.length || depth > MAX_DEPTH) return;
    const s = glob.segments[seg] as string | RegExp;
    const last = seg === glob.segments.length - 1;
    if (s === '**') {
      walk(dir, seg + 1, depth);
      for (const d of entries(dir)) {
        const p = join(dir, d.name);
        if (isDir(p, d)) walk(p, seg, depth + 1);
      }
      return;
    }
    if (typeof s === 'string') {
      const p = join(dir, s);
      if (last) {
        try {
          if (statSync(p).isFile()) out.push(p);
        } catch {
          // not there (yet)
        }
      } else walk(p, seg + 1, depth + 1);
      return;
    }
    for (const d of entries(dir)) {
      if (!s.test(d.name)) continue;
      const p = join(dir, d.name);
      if (last) {
        if (isFile(p, d)) out.push(p);
      } else if (isDir(p, d)) walk(p, seg + 1, depth + 1);
    }
  };
  walk(glob.base, 0, 0);
  return out.length > 1 ? [...new Set(out)] : out;
}

import type { FamilyDef, FamilyMatch } from '../../../shared/config/monitor.js';
import type { ProcessInfo } from '../platform/types.js';

export interface ClassifyContext {
  /** `bots.folders` from the config: Chrome profiles under these are bot Chrome. */
  botFolders: readonly string[];
}

interface CompiledMatch {
  exe?: RegExp;
  cmdline?: RegExp;
}

const compiledMatches = new WeakMap<FamilyMatch, CompiledMatch>();

function compile(match: FamilyMatch): CompiledMatch {
  let compiled = compiledMatches.get(match);
  if (!compiled) {
    compiled = {
      ...(match.exe ? { exe: new RegExp(`^(?:${match.exe})$`, 'i') } : {}),
      ...(match.cmdline ? { cmdline: new RegExp(match.cmdline, 'i') } : {}),
    };
    compiledMatches.set(match, compiled);
  }
  return compiled;
}

/** The command line's first word (quoted or not), which is the program path. */
export function firstWord(cmdline: string): string {
  const text = cmdline.trimStart();
  if (text.startsWith('"')) {
    const end = text.indexOf('"', 1);
    return end < 0 ? text.slice(1) : text.slice(1, end);
  }
  const space = text.search(/\s/);
  return space < 0 ? text : text.slice(0, space);
}

function exeBase(path: string): string {
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  const base = slash >= 0 ? path.slice(slash + 1) : path;
  return base.toLowerCase().endsWith('.exe') ? base.slice(0, -4) : base;
}

/**
 * Normalises a folder for prefix comparison: `/` separators, no `.`/`..`, no trailing slash, lower case
 * (Windows paths are case-insensitive; on Linux two bot folders differing only by case are not a thing).
 */
export function normalizeFolder(path: string): string {
  const unified = path.trim().replace(/\\/g, '/');
  const parts: string[] = [];
  for (const part of unified.split('/')) {
    if (part === '.' || (part === '' && parts.length > 0)) continue;
    if (part === '..') {
      if (parts.length > 1) parts.pop();
      continue;
    }
    parts.push(part);
  }
  const joined = parts.join('/');
  return (joined === '' && unified.startsWith('/') ? '/' : joined).toLowerCase();
}

// `--user-data-dir=...` (Chrome) and `--database=...` (its crashpad handler, which Linux re-parents to
// init). Windows quotes a whole argument that holds a space: `"--user-data-dir=C:\Users\A B\p"`.
const PROFILE_FLAG_QUOTED_ARG = /(?:^|\s)"--(?:user-data-dir|database)=([^"]*)"/gi;
const PROFILE_FLAG = /(?:^|\s)--(?:user-data-dir|database)(?:=|\s+)("[^"]*"|'[^']*'|\S+)/gi;

/** The profile folders named on a Chrome command line. */
export function profileDirs(cmdline: string): string[] {
  const dirs: string[] = [];
  for (const m of cmdline.matchAll(PROFILE_FLAG_QUOTED_ARG)) if (m[1]) dirs.push(m[1]);
  for (const m of cmdline.matchAll(PROFILE_FLAG)) {
    let value = m[1] ?? '';
    if (/^["']/.test(value)) value = value.slice(1, -1);
    if (value) dirs.push(value);
  }
  return dirs;
}

function isUnder(dir: string, folders: readonly string[]): boolean {
  const d = normalizeFolder(dir);
  return folders.some((f) => d === f || d.startsWith(f.endsWith('/') ? f : `${f}/`));
}

/**
 * Regex results, program names and profile folders keyed by the exact text they came from. Scans repeat
 * the same names and command lines every cycle (the platform hands back the same strings for unchanged
 * processes), so after the first scan classifying is map lookups. Bounded: cleared when it grows past CACHE_LIMIT entries.
 */
const CACHE_LIMIT = 20_000;
const regexResults = new WeakMap<RegExp, Map<string, boolean>>();

/** The cached value for `key`, computed on a miss; the cache is emptied when it reaches CACHE_LIMIT. */
function remember<V>(cache: Map<string, V>, key: string, compute: (key: string) => V): V {
  let value = cache.get(key);
  if (value === undefined) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    value = compute(key);
    cache.set(key, value);
  }
  return value;
}

function cachedTest(re: RegExp, text: string, normalize: boolean): boolean {
  let results = regexResults.get(re);
  if (!results) {
    results = new Map();
    regexResults.set(re, results);
  }
  return remember(results, text, (t) => re.test(normalize ? t.replace(/\\/g, '/') : t));
}

const profileDirsByCmdline = new Map<string, string[]>();
const argv0Names = new Map<string, string>();

/** Executable names a process goes by: the OS name and the program of its command line. */
function exeNamesOf(p: ProcessInfo): [string, string] {
  return [exeBase(p.name), remember(argv0Names, p.cmdline, (c) => exeBase(firstWord(c)))];
}

/**
 * Sorts processes into families. Pure: the same processes, definitions and folders give the same map,
 * with one entry per family in definition order and members in input order. A process may belong to
 * several families (a bot Chrome is in `chrome` and `bot-chrome`).
 *
 * Ancestry follows ppid, but a "parent" that started after its child is a reused PID (Windows keeps a
 * dead parent's PID in ppid) and ends the chain.
 */
export function classifyProcesses(
  processes: readonly ProcessInfo[],
  families: readonly FamilyDef[],
  ctx: ClassifyContext,
): Map<string, ProcessInfo[]> {
  const byPid = new Map<number, ProcessInfo>();
  const indexOf = new Map<number, number>();
  processes.forEach((p, i) => {
    byPid.set(p.pid, p);
    indexOf.set(p.pid, i);
  });
  const folders = ctx.botFolders.map(normalizeFolder).filter((f) => f !== '');
  const familyIndex = new Map(families.map((f, i) => [f.name, i]));
  const ancestorFamilies = families.map((f) =>
    f.descendantOf.map((n) => familyIndex.get(n)).filter((i): i is number => i !== undefined),
  );
  // Per family and process: 0 unknown, 1 no, 2 yes, 3 being decided (guards against a ppid loop,
  // never real but /proc is read non-atomically).
  const memo = families.map(() => new Uint8Array(processes.length));
  const names = new Map<number, [string, string]>();

  const parentOf = (p: ProcessInfo): ProcessInfo | undefined => {
    if (p.ppid === p.pid || p.ppid <= 0) return undefined;
    const parent = byPid.get(p.ppid);
    // 1 s of slack: Linux start times come from whole-second btime plus ticks.
    return parent && parent.startTime <= p.startTime + 1000 ? parent : undefined;
  };

  const matchesRule = (m: FamilyMatch, p: ProcessInfo): boolean => {
    const c = compile(m);
    if (c.exe) {
      let pair = names.get(p.pid);
      if (!pair) {
        pair = exeNamesOf(p);
        names.set(p.pid, pair);
      }
      const exe = c.exe;
      if (!cachedTest(exe, pair[0], false) && !(pair[1] && cachedTest(exe, pair[1], false))) return false;
    }
    return !c.cmdline || cachedTest(c.cmdline, p.cmdline, true);
  };

  const hasAncestorIn = (indexes: number[], p: ProcessInfo): boolean => {
    let a = parentOf(p);
    for (let steps = 0; a && steps < 64; steps++) {
      const ancestor = a;
      if (indexes.some((i) => isMember(i, ancestor))) return true;
      a = parentOf(a);
    }
    return false;
  };

  function isMember(fi: number, p: ProcessInfo): boolean {
    const states = memo[fi]!;
    const at = indexOf.get(p.pid)!;
    const known = states[at]!;
    if (known !== 0) return known === 2;
    states[at] = 3;
    const f = families[fi]!;
    let member = f.match.some((m) => matchesRule(m, p));
    if (member && (f.profileUnderBotFolder || f.descendantOf.length > 0)) {
      const byProfile =
        f.profileUnderBotFolder &&
        folders.length > 0 &&
        remember(profileDirsByCmdline, p.cmdline, profileDirs).some((d) => isUnder(d, folders));
      const ancestors = ancestorFamilies[fi]!;
      member = byProfile || (ancestors.length > 0 && hasAncestorIn(ancestors, p));
    }
    states[at] = member ? 2 : 1;
    return member;
  }

  const result = new Map<string, ProcessInfo[]>();
  families.forEach((f, fi) => {
    result.set(
      f.name,
      processes.filter((p) => isMember(fi, p)),
    );
  });
  return result;
}

/**
 * Members of `family` with no living ancestor in `runnerFamily` (e.g. a bot Chrome whose Python died).
 */
export function findOrphans(
  members: readonly ProcessInfo[],
  runners: readonly ProcessInfo[],
  allProcesses: readonly ProcessInfo[],
  byPid: ReadonlyMap<number, ProcessInfo> = new Map(allProcesses.map((p) => [p.pid, p])),
): ProcessInfo[] {
  if (members.length === 0) return [];
  const runnerPids = new Set(runners.map((r) => r.pid));
  return members.filter((m) => {
    let current: ProcessInfo | undefined = m;
    for (let steps = 0; current && steps < 64; steps++) {
      const parent = byPid.get(current.ppid);
      if (!parent || parent.pid === current.pid || parent.startTime > current.startTime + 1000) return true;
      if (runnerPids.has(parent.pid)) return false;
      current = parent;
    }
    return true;
  });
}

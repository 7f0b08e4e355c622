import type { FamilyDef, FamilyMatch } from '../../../shared/config/monitor.js';
import { compileSafeRegex, type SafeRegex } from '../../../shared/regex/index.js';
import { type ProcessInfo, programOf, splitCommandLine } from '../platform/index.js';

export interface ClassifyContext {
  /** The bots' root folders: Chrome profiles under these are bot Chrome. */
  botFolders: readonly string[];
}

/** A rule's tests, each remembering its results per text tested (see CACHE_LIMIT). */
interface CompiledMatch {
  exe?: (name: string) => boolean;
  cmdline?: (cmdline: string) => boolean;
}

const compiledMatches = new WeakMap<FamilyMatch, CompiledMatch>();

function compile(match: FamilyMatch): CompiledMatch {
  let compiled = compiledMatches.get(match);
  if (!compiled) {
    compiled = {
      ...(match.exe
        ? { exe: cachedTester(compileSafeRegex(match.exe, { ignoreCase: true, whole: true }), false) }
        : {}),
      ...(match.cmdline
        ? { cmdline: cachedTester(compileSafeRegex(match.cmdline, { ignoreCase: true }), true) }
        : {}),
    };
    compiledMatches.set(match, compiled);
  }
  return compiled;
}

/** The program of a command line (its first argument, quoted or not). */
export function firstWord(cmdline: string): string {
  return programOf(cmdline);
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
  // `\\?\C:\x` and `\\?\UNC\server\share` (extended-length paths) are `C:\x` and `\\server\share`.
  const unified = path
    .trim()
    .replace(/\\/g, '/')
    .replace(/^\/\/[?.]\/unc\//i, '//')
    .replace(/^\/\/[?.]\/(?=[a-z]:)/i, '');
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
// init).
const PROFILE_FLAG = /^--(?:user-data-dir|database)(=?)(.*)$/is;

/**
 * The profile folders named on a Chrome command line, read argument by argument: the platforms keep
 * argument boundaries (Windows quotes, Linux joins argv the same way), so a folder with spaces, quotes
 * or Japanese in its name comes back whole. `--user-data-dir <dir>` (two arguments) is read too.
 */
export function profileDirs(cmdline: string): string[] {
  const dirs: string[] = [];
  const args = splitCommandLine(cmdline);
  for (let i = 1; i < args.length; i++) {
    const m = PROFILE_FLAG.exec(args[i]!);
    if (!m) continue;
    const value = m[1] === '=' ? m[2]! : m[2] === '' ? (args[i + 1] ?? '') : '';
    if (value) dirs.push(value);
  }
  return dirs;
}

function isUnder(dir: string, folders: readonly string[]): boolean {
  const d = remember(normalizedFolders, dir, normalizeFolder);
  for (const f of folders) if (d === f || d.startsWith(f.endsWith('/') ? f : `${f}/`)) return true;
  return false;
}

/**
 * Regex results, program names and profile folders keyed by the exact text they came from. Scans repeat
 * the same names and command lines every cycle (the platform hands back the same strings for unchanged
 * processes), so after the first scan classifying is map lookups, with no allocation: it runs every
 * second. Bounded: each cache is cleared when it grows past CACHE_LIMIT entries.
 */
const CACHE_LIMIT = 20_000;

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

/** `re.test`, remembered per text; `normalizeSlashes` tests Windows paths with `/` separators. */
function cachedTester(re: SafeRegex, normalizeSlashes: boolean): (text: string) => boolean {
  const results = new Map<string, boolean>();
  const test = normalizeSlashes ? (t: string) => re.test(t.replace(/\\/g, '/')) : (t: string) => re.test(t);
  return (text) => remember(results, text, test);
}

const profileDirsByCmdline = new Map<string, string[]>();
const normalizedFolders = new Map<string, string>();
const exeNames = new Map<string, string>();
const argv0Names = new Map<string, string>();
const argv0Of = (cmdline: string) => exeBase(firstWord(cmdline));

/** A process matches an executable rule by its OS name or by the program of its command line. */
function exeMatches(test: (name: string) => boolean, p: ProcessInfo): boolean {
  if (test(remember(exeNames, p.name, exeBase))) return true;
  const argv0 = remember(argv0Names, p.cmdline, argv0Of);
  return argv0 !== '' && test(argv0);
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
  const indexOf = new Map<number, number>();
  processes.forEach((p, i) => {
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

  const parentOf = (p: ProcessInfo): ProcessInfo | undefined => {
    if (p.ppid === p.pid || p.ppid <= 0) return undefined;
    const at = indexOf.get(p.ppid);
    const parent = at === undefined ? undefined : processes[at];
    // 1 s of slack: Linux start times come from whole-second btime plus ticks.
    return parent && parent.startTime <= p.startTime + 1000 ? parent : undefined;
  };

  const matchesRule = (m: FamilyMatch, p: ProcessInfo): boolean => {
    const c = compile(m);
    if (c.exe && !exeMatches(c.exe, p)) return false;
    return !c.cmdline || c.cmdline(p.cmdline);
  };

  const hasAncestorIn = (indexes: number[], p: ProcessInfo): boolean => {
    let a = parentOf(p);
    for (let steps = 0; a && steps < 64; steps++) {
      for (const i of indexes) if (isMember(i, a)) return true;
      a = parentOf(a);
    }
    return false;
  };

  const anyRuleMatches = (f: FamilyDef, p: ProcessInfo): boolean => {
    for (const m of f.match) if (matchesRule(m, p)) return true;
    return false;
  };

  const profileUnderBotFolder = (p: ProcessInfo): boolean => {
    if (folders.length === 0) return false;
    for (const dir of remember(profileDirsByCmdline, p.cmdline, profileDirs)) {
      if (isUnder(dir, folders)) return true;
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
    let member = anyRuleMatches(f, p);
    if (member && (f.profileUnderBotFolder || f.descendantOf.length > 0)) {
      const byProfile = f.profileUnderBotFolder && profileUnderBotFolder(p);
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
 * The run each member of a family belongs to, as the pid of the run's first process. A member with an
 * ancestor in the same family is an instance of that ancestor's run: tsx's cli and the node child it
 * starts are one TradingAssistantX run, a Chrome browser and its helpers one Chrome. The ancestry rule
 * is classifyProcesses' (a parent that started after its child is a reused PID and ends the chain).
 */
export function runsOf(
  members: readonly ProcessInfo[],
  byPid: ReadonlyMap<number, ProcessInfo>,
): Map<number, number> {
  const memberPids = new Set<number>();
  for (const m of members) memberPids.add(m.pid);
  const roots = new Map<number, number>();
  for (const m of members) {
    let root = m.pid;
    let current: ProcessInfo = m;
    for (let steps = 0; steps < 64; steps++) {
      const known = roots.get(current.pid);
      if (known !== undefined && current !== m) {
        root = known;
        break;
      }
      const parent = byPid.get(current.ppid);
      if (!parent || parent.pid === current.pid || parent.startTime > current.startTime + 1000) break;
      if (memberPids.has(parent.pid)) root = parent.pid;
      current = parent;
    }
    roots.set(m.pid, root);
  }
  return roots;
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

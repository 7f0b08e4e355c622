import { copyFileSync, existsSync, type FSWatcher, mkdirSync, watch } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Config, ConfigIssue } from '../../../shared/config/schema.js';
import { type LastGood, readLastGood, saveLastGood } from './last-good.js';
import { type ConfigLoad, type Locate, parseConfigText, readConfigText, SECTION_NAMES } from './load.js';

export { type LastGood, readLastGood, saveLastGood } from './last-good.js';
export {
  type ConfigLoad,
  type ConfigRead,
  type Locate,
  loadConfigFile,
  MAX_ALIAS_COUNT,
  MAX_CONFIG_BYTES,
  parseConfigText,
  readConfigText,
  SECTION_NAMES,
  type SectionName,
  validSections,
  type YamlPath,
} from './load.js';

/**
 * Where the config lives: NEXUS_OPS_CONFIG when given, else `config.yaml` in the data directory,
 * created from the shipped defaults on first start so the operator has a file to edit.
 */
export function resolveConfigFile(opts: { explicit?: string; dataDir: string; defaultFile: string }): string {
  if (opts.explicit) return opts.explicit;
  const file = join(opts.dataDir, 'config.yaml');
  if (!existsSync(file)) {
    mkdirSync(opts.dataDir, { recursive: true });
    copyFileSync(opts.defaultFile, file);
  }
  return file;
}

/** The copy of the last config that loaded, in the data directory. */
export function lastGoodConfigFile(dataDir: string): string {
  return join(dataDir, 'config.last-good.yaml');
}

export interface LiveConfig {
  readonly file: string;
  current(): Config;
  locate(): Locate;
  /**
   * Problems of the file (at start, or of an edit that was not applied) followed by notices saying what
   * runs instead; or only notices (e.g. a file with no settings). Empty when all is well.
   */
  issues(): ConfigIssue[];
  raw(): unknown;
  /** Applies the file at once, without waiting for it to settle: for writes Nexus Ops made itself (Settings). */
  reloadNow(): void;
  close(): void;
}

export interface LiveConfigOptions {
  file: string;
  /** Used when the file is broken at start and there is no last good copy, so the monitor still runs. */
  fallback: Config;
  /** Where the last config that loaded is kept (atomically) and read back at start when the file is broken. */
  lastGoodFile?: string;
  onChange?(config: Config): void;
  onIssues?(issues: ConfigIssue[]): void;
  watch?: boolean;
  /** Quiet time after a change event before the file is read. */
  debounceMs?: number;
  /**
   * A changed file is read again until it has not changed for this long, and only then applied or
   * refused: an editor's save in progress (empty, cut short, broken) is never applied.
   */
  settleMs?: number;
  /** Longest wait for a file that keeps changing; then the last read decides. */
  maxSettleMs?: number;
}

const DEFAULT_DEBOUNCE_MS = 150;
// Editors that save in two writes do so a few hundred ms apart; an edit applies this much later.
const DEFAULT_SETTLE_MS = 1000;
const DEFAULT_MAX_SETTLE_MS = 15_000;

/** Local date and time, e.g. 2025-09-13 12:02:34. */
function localTime(ms: number): string {
  return new Date(ms).toLocaleString('sv-SE');
}

type Good = { config: Config; raw: unknown; locate: Locate };

/**
 * Loads the config and follows edits.
 *
 * A change on disk is not a config edit until it has settled: the file is read again until it stops
 * changing (an editor saving in two writes, a truncate-then-write), so a half-written file (empty, cut
 * short before `bots:`, broken) never replaces the operator's config, not even for a moment. Once
 * settled, a valid file is applied; anything else keeps the last good config and says why. A file that is empty stays "not a config": running on the defaults on purpose is written
 * `{}` (or comments only) and is shown as a notice.
 *
 * At start there is no last good config in memory: the sections that are valid as written are used,
 * the others come from the copy of the last config that loaded (kept in the data directory), or from
 * the defaults when there is none.
 */
export function openLiveConfig(opts: LiveConfigOptions): LiveConfig {
  const debounceMs = opts.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  const settleMs = opts.settleMs ?? DEFAULT_SETTLE_MS;
  const maxSettleMs = opts.maxSettleMs ?? DEFAULT_MAX_SETTLE_MS;

  let good: Good | undefined;
  let issues: ConfigIssue[] = [];
  /** The file text the running config came from; undefined when it was pieced together at start. */
  let appliedText: string | undefined;
  let appliedAt = 0;
  let lastGood: LastGood | undefined = opts.lastGoodFile ? readLastGood(opts.lastGoodFile) : undefined;
  /** A change waiting to settle: what was read, since when unchanged, since when waiting. */
  let pending: { signature: string; since: number; first: number } | undefined;

  const notice = (message: string): ConfigIssue => ({ file: opts.file, severity: 'notice', message });

  function persist(text: string): ConfigIssue[] {
    if (!opts.lastGoodFile) return [];
    try {
      saveLastGood(opts.lastGoodFile, text, opts.file, lastGood);
      if (good) lastGood = { config: good.config, text, source: opts.file, savedAt: Date.now() };
      return [];
    } catch (err) {
      const code = (err as { code?: string }).code ?? String(err);
      return [
        notice(`the copy of the last good config could not be saved to ${opts.lastGoodFile} (${code})`),
      ];
    }
  }

  function apply(result: Extract<ConfigLoad, { ok: true }>): void {
    const changed = result.text !== appliedText;
    good = { config: result.config, raw: result.raw, locate: result.locate };
    appliedText = result.text;
    appliedAt = Date.now();
    issues = [...result.notices, ...persist(result.text)];
    opts.onIssues?.(issues);
    if (changed) opts.onChange?.(result.config);
  }

  /** At start: run on what is valid as written, the rest from the last good copy or the defaults. */
  function startWithout(result: Extract<ConfigLoad, { ok: false }>): void {
    const base = lastGood?.config ?? opts.fallback;
    const baseName = lastGood
      ? `the last good config (saved ${localTime(lastGood.savedAt)} from ${lastGood.source})`
      : 'the defaults';
    const written = result.partial ? (Object.keys(result.partial.sections) as (keyof Config)[]) : [];
    good = {
      config: { ...base, ...result.partial?.sections },
      raw: result.partial?.raw ?? {},
      locate: result.partial?.locate ?? (() => undefined),
    };
    const rest = SECTION_NAMES.filter((name) => !written.includes(name));
    const what =
      written.length === 0
        ? `running on ${baseName}`
        : `running on the sections that are valid as written (${written.join(', ')}) and on ${baseName} for the others (${rest.join(', ')})`;
    issues = [...result.issues, notice(`${what} until the file is fixed`)];
    opts.onIssues?.(issues);
  }

  /** A settled edit that cannot be applied: the running config stays. */
  function keep(result: Extract<ConfigLoad, { ok: false }>): void {
    const since = appliedText !== undefined ? ` (loaded ${localTime(appliedAt)})` : '';
    issues = [...result.issues, notice(`the change was not applied: keeping the last good config${since}`)];
    opts.onIssues?.(issues);
  }

  function load(): { result: ConfigLoad; signature: string } {
    const read = readConfigText(opts.file);
    if (!read.ok) {
      return {
        result: { ok: false, file: opts.file, issues: [read.issue] },
        signature: `!${read.issue.message}`,
      };
    }
    const result = parseConfigText(read.text, opts.file);
    if (read.notices.length > 0) {
      if (result.ok) result.notices.unshift(...read.notices);
      else result.issues.push(...read.notices);
    }
    return { result, signature: `=${read.text}` };
  }

  function check(): void {
    timer = undefined;
    const { result, signature } = load();
    if (signature === `=${appliedText}`) {
      // Back to what runs (an undone edit, a touch): nothing to apply, and no warning left standing.
      pending = undefined;
      if (issues.some((i) => i.severity !== 'notice') && result.ok) {
        issues = result.notices;
        opts.onIssues?.(issues);
      }
      return;
    }
    // Not a config edit until it stops changing: a valid first half of a two-write save (the file cut
    // at a line, say before `bots:`) is as much a save in progress as an empty or broken file.
    const now = Date.now();
    if (!pending || pending.signature !== signature) {
      pending = { signature, since: now, first: pending?.first ?? now };
    }
    const settled = now - pending.since >= settleMs || now - pending.first >= maxSettleMs;
    if (!settled) {
      schedule(Math.max(10, pending.since + settleMs - now));
      return;
    }
    pending = undefined;
    if (result.ok) apply(result);
    else keep(result);
  }

  let timer: NodeJS.Timeout | undefined;
  function schedule(ms: number): void {
    clearTimeout(timer);
    timer = setTimeout(check, ms);
  }

  const first = load().result;
  if (first.ok) apply(first);
  else startWithout(first);

  let watcher: FSWatcher | undefined;
  if (opts.watch !== false) {
    try {
      // Watch the folder: editors often replace the file instead of writing into it.
      watcher = watch(dirname(opts.file), (_event, name) => {
        if (name && name.toString() !== basename(opts.file)) return;
        schedule(debounceMs);
      });
      watcher.on('error', () => {});
    } catch {
      watcher = undefined;
    }
  }

  return {
    file: opts.file,
    current: () => good?.config ?? opts.fallback,
    locate: () => good?.locate ?? (() => undefined),
    issues: () => issues,
    raw: () => good?.raw ?? {},
    reloadNow() {
      // Nexus Ops wrote the whole file itself, atomically: nothing to wait for.
      const { result } = load();
      if (!result.ok) return;
      clearTimeout(timer);
      timer = undefined;
      pending = undefined;
      apply(result);
    },
    close() {
      clearTimeout(timer);
      timer = undefined;
      watcher?.close();
    },
  };
}

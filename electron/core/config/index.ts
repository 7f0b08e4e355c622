import { copyFileSync, existsSync, type FSWatcher, mkdirSync, watch } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Config, ConfigIssue } from '../../../shared/config/schema.js';
import { type Locate, loadConfigFile } from './load.js';

export {
  type ConfigLoad,
  type Locate,
  loadConfigFile,
  parseConfigText,
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

export interface LiveConfig {
  readonly file: string;
  current(): Config;
  locate(): Locate;
  /** Problems of the last load: at start (then defaults are used) or of a broken edit (last good kept). */
  issues(): ConfigIssue[];
  raw(): unknown;
  close(): void;
}

export interface LiveConfigOptions {
  file: string;
  /** Used when the file is broken at start, so the monitor still runs. */
  fallback: Config;
  onChange?(config: Config): void;
  onIssues?(issues: ConfigIssue[]): void;
  watch?: boolean;
}

/**
 * Loads the config and follows edits. A broken edit keeps the last good config and reports the
 * problem; a fixed edit clears it.
 */
export function openLiveConfig(opts: LiveConfigOptions): LiveConfig {
  let good: { config: Config; raw: unknown; locate: Locate } | undefined;
  let issues: ConfigIssue[] = [];

  function reload(): void {
    const result = loadConfigFile(opts.file);
    if (result.ok) {
      good = result;
      issues = [];
      opts.onIssues?.(issues);
      opts.onChange?.(result.config);
    } else {
      issues = result.issues;
      // At start there is no last good config: run on the sections that are valid by themselves.
      if (!good && result.partial) good = result.partial;
      opts.onIssues?.(issues);
    }
  }
  reload();

  let watcher: FSWatcher | undefined;
  let debounce: NodeJS.Timeout | undefined;
  if (opts.watch !== false) {
    try {
      // Watch the folder: editors often replace the file instead of writing into it.
      watcher = watch(dirname(opts.file), (_event, name) => {
        if (name && name.toString() !== basename(opts.file)) return;
        clearTimeout(debounce);
        debounce = setTimeout(reload, 150);
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
    close() {
      clearTimeout(debounce);
      watcher?.close();
    },
  };
}

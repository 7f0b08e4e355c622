import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Clock } from '../../electron/core/clock/index.js';
import { type Core, createCore } from '../../electron/core/index.js';
import type { LogsCapability } from '../../electron/core/logs/index.js';

export const repoRoot = resolve(import.meta.dirname, '..', '..');
export const resourcesDir = join(repoRoot, 'resources');
export const botLogFixtures = join(repoRoot, 'test', 'fixtures', 'bot-logs');
const quiet = { info() {}, warn() {}, error() {} };

export interface LogsHarness {
  dir: string;
  core: Core;
  logs: LogsCapability;
  /** Runs ingestion passes until nothing is left to read. */
  drain(opts?: { discover?: boolean }): number;
  call<T>(method: string, input?: unknown): Promise<T>;
  close(): Promise<void>;
}

/** A folder with spaces and Japanese in its name: the general case on the operator's PC. */
export function tempDir(prefix = 'nexus logs テスト-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function copyFixtures(to: string): void {
  cpSync(botLogFixtures, to, { recursive: true });
}

/** A real core (real SQLite file) with the given config, its logs capability driven by hand. */
export function openLogsCore(opts: {
  dir?: string;
  config: (dir: string) => string;
  clock?: Clock;
}): LogsHarness {
  const dir = opts.dir ?? tempDir();
  writeFileSync(join(dir, 'config.yaml'), opts.config(dir));
  const core = createCore({
    dataDir: dir,
    resourcesDir,
    mode: 'headless',
    version: 'test',
    logger: quiet,
    clock: opts.clock,
  });
  const logs = core.capabilities.get('logs') as LogsCapability;
  return {
    dir,
    core,
    logs,
    drain(o = {}) {
      let total = 0;
      // Until a pass finds nothing: the pass after the last read also completes records that waited
      // for continuation lines (a quiet file).
      for (let i = 0; i < 10_000; i++) {
        const r = logs.ingestNow({ discover: o.discover ?? i === 0, budgetMs: 5_000 });
        total += r.records;
        if (!r.more && r.records === 0 && i > 0) break;
      }
      return total;
    },
    async call<T>(method: string, input: unknown = {}) {
      const r = await core.dispatcher.call(method, input);
      if (!r.ok) throw new Error(`${method}: ${r.error.code}: ${r.error.message}`);
      return r.value as T;
    },
    async close() {
      await core.close();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
}

/** YAML-safe single-quoted string. */
export function q(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** Every stored message with its seq number: how often each seq was stored. */
export function seqCounts(h: LogsHarness): Map<number, number> {
  const rows = h.core.store.db
    .prepare<[], { text: string }>('SELECT m.text FROM log_records r JOIN log_messages m ON m.id = r.msg_id')
    .all();
  const counts = new Map<number, number>();
  for (const r of rows) {
    const m = /seq=(\d+)/.exec(r.text);
    if (m) counts.set(Number(m[1]), (counts.get(Number(m[1])) ?? 0) + 1);
  }
  return counts;
}

/**
 * `<dataDir>/bots/<id>/run.json`: what the relay of the bot's latest run says about it. Only the relay
 * writes it (atomically: temp file + rename), core reads it. With it Nexus Ops adopts a bot still
 * running from before its own restart, and learns how a run ended while it was not there.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const RUN_FILE = 'run.json';
export const OUTPUT_DIR = 'output';

export interface RunFile {
  version: 1;
  botId: string;
  runId: string;
  /** starting: relay up, bot not yet; running: bot started; exited: the run is over (see exit). */
  state: 'starting' | 'running' | 'exited';
  relay: { pid: number; startedAt: number };
  bot: { pid: number; startedAt: number; command: string } | null;
  exit: {
    code: number | null;
    signal: string | null;
    at: number;
    /** The bot could not be started (command not found, bad folder), or the relay failed. */
    error: string | null;
  } | null;
  /** Last time the relay wrote the file. */
  updatedAt: number;
}

export function botDir(dataDir: string, botId: string): string {
  return join(dataDir, 'bots', botId);
}

export function outputDir(dataDir: string, botId: string): string {
  return join(botDir(dataDir, botId), OUTPUT_DIR);
}

export function runFilePath(dir: string): string {
  return join(dir, RUN_FILE);
}

/** Writes run.json atomically; a rename refused for a moment (a reader on Windows) is retried. */
export function writeRunFile(dir: string, run: RunFile): void {
  mkdirSync(dir, { recursive: true });
  const target = runFilePath(dir);
  const temp = `${target}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(run)}\n`);
  for (let attempt = 0; ; attempt++) {
    try {
      renameSync(temp, target);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (attempt >= 20 || (code !== 'EPERM' && code !== 'EBUSY' && code !== 'EACCES')) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
}

function isPid(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

/** The run file of a bot folder, or null when absent or not one we wrote (never throws). */
export function readRunFile(dir: string): RunFile | null {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(runFilePath(dir), 'utf8'));
  } catch {
    return null;
  }
  if (!raw || typeof raw !== 'object') return null;
  const r = raw as Partial<RunFile>;
  if (r.version !== 1 || typeof r.botId !== 'string' || typeof r.runId !== 'string') return null;
  if (r.state !== 'starting' && r.state !== 'running' && r.state !== 'exited') return null;
  if (!r.relay || !isPid(r.relay.pid) || typeof r.relay.startedAt !== 'number') return null;
  if (r.bot !== null && (!r.bot || !isPid(r.bot.pid) || typeof r.bot.startedAt !== 'number')) return null;
  return {
    version: 1,
    botId: r.botId,
    runId: r.runId,
    state: r.state,
    relay: { pid: r.relay.pid, startedAt: r.relay.startedAt },
    bot: r.bot ? { pid: r.bot.pid, startedAt: r.bot.startedAt, command: String(r.bot.command ?? '') } : null,
    exit: r.exit
      ? {
          code: typeof r.exit.code === 'number' ? r.exit.code : null,
          signal: typeof r.exit.signal === 'string' ? r.exit.signal : null,
          at: typeof r.exit.at === 'number' ? r.exit.at : (r.updatedAt ?? 0),
          error: typeof r.exit.error === 'string' ? r.exit.error : null,
        }
      : null,
    updatedAt: typeof r.updatedAt === 'number' ? r.updatedAt : 0,
  };
}

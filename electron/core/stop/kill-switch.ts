/**
 * The kill-switch file the bots read: `<bot folder>/EMERGENCY_STOP` (name from config). Written
 * atomically (a temp file in the same folder, then rename) so a bot never reads half a file; removed
 * by resume. Its JSON also carries what the stop paused, so a resume still re-enables those tasks
 * when the database lost the record.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StopSource } from '../../../shared/api/stop.js';

export interface KillSwitchContent {
  stopped: true;
  reason: string;
  source: StopSource;
  actor: string;
  runId: string;
  /** ISO 8601 UTC, for people and bots that read the file. */
  time: string;
  /** Epoch ms. */
  at: number;
  by: 'Nexus Ops';
  disabledTasks?: string[];
  pausedSchedules?: string[];
}

export interface KillSwitchWrite {
  written: string[];
  failed: { path: string; error: string }[];
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function killSwitchPaths(folders: readonly string[], fileName: string): string[] {
  return [...new Set(folders)].map((folder) => join(folder, fileName));
}

/** Writes the file into every folder; a folder that is missing or not writable is reported, not fatal. */
export function writeKillSwitch(
  folders: readonly string[],
  fileName: string,
  content: KillSwitchContent,
): KillSwitchWrite {
  const result: KillSwitchWrite = { written: [], failed: [] };
  const text = `${JSON.stringify(content, null, 2)}\n`;
  for (const folder of [...new Set(folders)]) {
    const path = join(folder, fileName);
    const temp = join(folder, `.${fileName}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      if (!statSync(folder).isDirectory()) throw new Error(`${folder} is not a folder`);
      writeFileSync(temp, text);
      renameSync(temp, path);
      result.written.push(path);
    } catch (err) {
      rmSync(temp, { force: true });
      result.failed.push({ path, error: message(err) });
    }
  }
  return result;
}

export function presentKillSwitches(folders: readonly string[], fileName: string): string[] {
  return killSwitchPaths(folders, fileName).filter((path) => existsSync(path));
}

/** Content of each present file that parses as ours; unreadable or foreign files are skipped. */
export function readKillSwitches(folders: readonly string[], fileName: string): KillSwitchContent[] {
  const contents: KillSwitchContent[] = [];
  for (const path of presentKillSwitches(folders, fileName)) {
    try {
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<KillSwitchContent>;
      if (parsed && typeof parsed === 'object' && typeof parsed.runId === 'string') {
        contents.push(parsed as KillSwitchContent);
      }
    } catch {
      // A file someone wrote by hand still counts as present; it just carries nothing to restore.
    }
  }
  return contents;
}

export function removeKillSwitches(
  folders: readonly string[],
  fileName: string,
): { removed: string[]; failed: { path: string; error: string }[] } {
  const removed: string[] = [];
  const failed: { path: string; error: string }[] = [];
  for (const path of presentKillSwitches(folders, fileName)) {
    try {
      rmSync(path);
      removed.push(path);
    } catch (err) {
      failed.push({ path, error: message(err) });
    }
  }
  return { removed, failed };
}

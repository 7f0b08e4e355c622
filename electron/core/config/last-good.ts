import { closeSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import type { Config } from '../../../shared/config/schema.js';
import { parseConfigText, readConfigText } from './load.js';

/**
 * The last config that loaded without errors, kept in the data directory so that a start with a
 * broken, empty or unreadable file runs on what the operator last had (bot folders, stop settings,
 * rules) rather than on the defaults. The copy is the file's text under a header that names its source.
 */
export interface LastGood {
  config: Config;
  /** The config text as it was in the source file (without the header). */
  text: string;
  /** The file it was copied from. */
  source: string;
  /** When it was saved, epoch ms (the copy's modification time). */
  savedAt: number;
}

const HEADER = /^# Nexus Ops: last good copy of (.*)\n# .*\n/;

function header(source: string): string {
  return `# Nexus Ops: last good copy of ${source}\n# Written by Nexus Ops each time the config loads without errors; used at start when it cannot be. Do not edit.\n`;
}

export function readLastGood(file: string): LastGood | undefined {
  const read = readConfigText(file);
  if (!read.ok) return undefined;
  const match = HEADER.exec(read.text);
  const text = match ? read.text.slice(match[0].length) : read.text;
  const parsed = parseConfigText(text, file);
  if (!parsed.ok) return undefined;
  let savedAt = 0;
  try {
    savedAt = statSync(file).mtimeMs;
  } catch {
    // vanished since the read: keep 0
  }
  return { config: parsed.config, text, source: match?.[1] ?? 'unknown', savedAt };
}

/**
 * Saves the copy atomically: written to a temporary file in the same folder, flushed to disk, then
 * renamed over the old copy, so a crash leaves either the old copy or the new one, never half of one.
 * Owner-only, like everything else that may hold a webhook URL. Unchanged text is not rewritten.
 */
export function saveLastGood(file: string, text: string, source: string, previous?: LastGood): void {
  if (previous && previous.text === text && previous.source === source) return;
  const temp = `${file}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w', 0o600);
  try {
    writeSync(fd, header(source) + text);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

/**
 * schtasks.exe: argument lists and the parser for `/Query /FO CSV /NH`, pure.
 * Columns: TaskName, Next Run Time, Status. Status words are localised; only the word for "Disabled"
 * matters (English "Disabled", Japanese "無効"): every other status (Ready/準備完了, Running/実行中,
 * Queued, Could not start, …) means the scheduler will still launch the task, so it counts as enabled.
 */
import { parseCsvLine } from './csv.js';

export function schtasksQueryArgs(taskName: string): string[] {
  return ['/Query', '/TN', taskName, '/FO', 'CSV', '/NH'];
}

export function schtasksChangeArgs(taskName: string, enable: boolean): string[] {
  return ['/Change', '/TN', taskName, enable ? '/ENABLE' : '/DISABLE'];
}

const DISABLED_WORDS = new Set(['disabled', '無効']);

export interface TaskState {
  exists: boolean;
  enabled: boolean;
  /** The Status column as printed, for messages. */
  status: string;
}

function normaliseTaskName(name: string): string {
  return (name.startsWith('\\') ? name : `\\${name}`).toLowerCase();
}

/** Parses the query's stdout; a non-zero exit code means the task does not exist (or is not visible). */
export function parseSchtasksQuery(stdout: string, exitCode: number | null, taskName: string): TaskState {
  const rows = stdout
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.startsWith('"'))
    .map(parseCsvLine)
    .filter((fields) => fields.length >= 3);
  if (exitCode !== 0 || rows.length === 0) return { exists: false, enabled: false, status: '' };
  const wanted = normaliseTaskName(taskName);
  const row = rows.find((fields) => normaliseTaskName(fields[0] ?? '') === wanted) ?? rows[0]!;
  const status = (row[2] ?? '').trim();
  return { exists: true, enabled: !DISABLED_WORDS.has(status.toLowerCase()), status };
}

/**
 * schtasks.exe: argument lists and the parsers for `/Query /FO CSV /NH` and `/End`, pure.
 * Columns: TaskName, Next Run Time, Status. Status words are localised; only the word for "Disabled"
 * matters (English "Disabled", Japanese "無効"): every other status (Ready/準備完了, Running/実行中,
 * Queued, Could not start, …) means the scheduler will still launch the task, so it counts as enabled.
 *
 * A failed query is never read as "nothing to disable": "cannot find the file" is a mistyped name or
 * folder, or a task this user cannot see (created by an administrator or another account); anything
 * else (access denied) is a task this user cannot change. Both leave a task that relaunches the bot, so
 * both are errors whose message says what to do.
 */
import { parseCsvLine } from './csv.js';

export function schtasksQueryArgs(taskName: string): string[] {
  return ['/Query', '/TN', taskName, '/FO', 'CSV', '/NH'];
}

export function schtasksChangeArgs(taskName: string, enable: boolean): string[] {
  return ['/Change', '/TN', taskName, enable ? '/ENABLE' : '/DISABLE'];
}

/** Ends the task's running instance: the program its action started (cmd.exe for a .bat), not its children. */
export function schtasksEndArgs(taskName: string): string[] {
  return ['/End', '/TN', taskName];
}

/** ERROR_FILE_NOT_FOUND as schtasks prints it, in English and Japanese. */
const NOT_FOUND = /cannot find the file specified|指定されたファイルが見つかりません/i;
/** SCHED_E_TASK_NOT_RUNNING ("There is no running instance of the task."), as /End may print it. */
const NOT_RUNNING = /no running instance|is not running|実行中のインスタンスはありません|実行されていません/i;
const ACCESS_DENIED = /access is denied|アクセスが拒否/i;

const RIGHTS_ADVICE =
  'The task must belong to the user who runs Nexus Ops (create it while logged on as that user), ' +
  'or Nexus Ops must run as administrator.';

/** schtasks' own message as one sentence (its messages end with "." or "。"; ours get one). */
function toolMessage(result: { stdout: string; stderr: string; code: number | null }): string {
  const text =
    (result.stderr || result.stdout).trim().replace(/\s*\r?\n\s*/g, ' ') || `exit code ${result.code}`;
  return /[.。]$/.test(text) ? text : `${text}.`;
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

/**
 * Parses the query; throws when it failed, with the words an operator needs: the task is missing or
 * invisible to this user, or this user may not read it.
 */
export function parseSchtasksQuery(
  result: { stdout: string; stderr: string; code: number | null },
  taskName: string,
): TaskState {
  const rows = result.stdout
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.startsWith('"'))
    .map(parseCsvLine)
    .filter((fields) => fields.length >= 3);
  if (result.code === 0 && rows.length > 0) {
    const wanted = normaliseTaskName(taskName);
    const row = rows.find((fields) => normaliseTaskName(fields[0] ?? '') === wanted) ?? rows[0]!;
    const status = (row[2] ?? '').trim();
    return { exists: true, enabled: !DISABLED_WORDS.has(status.toLowerCase()), status };
  }
  const message = toolMessage(result);
  if (NOT_FOUND.test(message)) {
    throw new Error(
      `Task Scheduler has no task "${taskName}" that this user can see (schtasks: ${message}) ` +
        'Check the name in stop.windowsTasks, with its folder as "schtasks /Query" lists it ' +
        '(e.g. \\Bots\\NexusBot02). A task created by an administrator or another account is invisible ' +
        `to this user: ${RIGHTS_ADVICE}`,
    );
  }
  throw new Error(`schtasks cannot read task "${taskName}": ${message} ${RIGHTS_ADVICE}`);
}

/** Throws unless a /Change succeeded; the message says what to do when access was denied. */
export function checkSchtasksChange(
  result: { stdout: string; stderr: string; code: number | null },
  taskName: string,
  enable: boolean,
): void {
  if (result.code === 0) return;
  const message = toolMessage(result);
  const advice = ACCESS_DENIED.test(message) ? ` ${RIGHTS_ADVICE}` : '';
  throw new Error(`schtasks could not ${enable ? 'enable' : 'disable'} "${taskName}": ${message}${advice}`);
}

/** Throws unless /End ended the running instance or there was none. */
export function checkSchtasksEnd(
  result: { stdout: string; stderr: string; code: number | null },
  taskName: string,
): void {
  if (result.code === 0) return;
  const message = toolMessage(result);
  if (NOT_RUNNING.test(message)) return;
  const advice = ACCESS_DENIED.test(message) ? ` ${RIGHTS_ADVICE}` : '';
  throw new Error(
    `schtasks could not end the running instance of "${taskName}": ${message}${advice} ` +
      "Until it ends, Task Scheduler skips the task's next triggers (a second instance is not started).",
  );
}

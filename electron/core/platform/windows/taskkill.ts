/**
 * taskkill.exe: argument lists and output parsing, pure.
 *
 * All targets go into ONE call with one /PID flag each (taskkill accepts several and reports each on
 * its own line), so an emergency stop of 50 runners starts one process, not 50. Chunks of
 * TASKKILL_MAX_PIDS keep the command line far below the 32 767-character limit.
 *
 * taskkill's messages are localised (English, Japanese, …), so the parser leans on what every locale
 * keeps: success lines go to stdout and errors to stderr, the subject PID is the first number of its
 * line ("… PID 1234 (child process of PID 99) …"), and "not found" quotes the PID ("1234"). Only the
 * reason of a failure (access denied, needs /F) is matched on words, in English and Japanese; anything
 * unrecognised stays an 'error' carrying the text.
 */
import type { SignalOutcome, StopMode } from '../types.js';

export const TASKKILL_MAX_PIDS = 200;

/**
 * No /T: the caller's list already is the whole tree, each member checked for PID reuse. /T would
 * rebuild the tree from the parent PIDs Windows keeps after a parent dies, without comparing creation
 * times, so it can reach an unrelated process whose dead parent's PID a target reused.
 */
export function taskkillArgs(pids: readonly number[], mode: StopMode): string[] {
  const args: string[] = [];
  for (const pid of pids) args.push('/PID', String(pid));
  if (mode === 'force') args.push('/F');
  return args;
}

const DENIED = /access is denied|アクセスが拒否/i;
const NEEDS_FORCE = /\/F\b|forcefully|強制的/i;
const NOT_RUNNING = /no running instance|実行中のインスタンスはありません/i;

function classifyReason(text: string): Pick<SignalOutcome, 'result' | 'detail'> | null {
  if (DENIED.test(text)) return { result: 'denied', detail: text.trim() };
  if (NOT_RUNNING.test(text)) return { result: 'gone', detail: text.trim() };
  if (NEEDS_FORCE.test(text)) return { result: 'error', detail: `needs /F: ${text.trim()}` };
  return null;
}

function lines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

/**
 * Maps each requested PID to its outcome. PIDs the output does not mention (a locale whose messages
 * carry no number, or taskkill failing before it starts) fall back to the exit code: 0 means every
 * request succeeded.
 */
export function parseTaskkillOutput(
  stdout: string,
  stderr: string,
  pids: readonly number[],
  exitCode: number | null = null,
): SignalOutcome[] {
  const wanted = new Set(pids);
  const outcomes = new Map<number, SignalOutcome>();
  const record = (outcome: SignalOutcome) => {
    if (wanted.has(outcome.pid) && !outcomes.has(outcome.pid)) outcomes.set(outcome.pid, outcome);
  };

  for (const line of lines(stdout)) {
    const subject = /\d+/.exec(line);
    if (subject) record({ pid: Number(subject[0]), result: 'sent' });
  }

  // An error line names its PID; the reason may follow on the next line ("Reason: …" / "理由: …").
  let current: SignalOutcome | null = null;
  for (const line of lines(stderr)) {
    const quoted = /"(\d+)"/.exec(line);
    if (quoted) {
      current = null;
      record({ pid: Number(quoted[1]), result: 'gone', detail: line });
      continue;
    }
    const subject = /\d+/.exec(line);
    if (subject) {
      if (current) record(current);
      current = { pid: Number(subject[0]), result: 'error', detail: line, ...classifyReason(line) };
      continue;
    }
    if (current) {
      const reason = classifyReason(line);
      current = reason
        ? { pid: current.pid, ...reason }
        : { ...current, detail: `${current.detail} ${line}` };
    }
  }
  if (current) record(current);

  return pids.map(
    (pid) =>
      outcomes.get(pid) ??
      (exitCode === 0
        ? { pid, result: 'sent' }
        : {
            pid,
            result: 'error',
            detail: `taskkill exit code ${exitCode}: ${(stderr || stdout).trim() || 'no output'}`,
          }),
  );
}

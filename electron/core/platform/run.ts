import { spawn } from 'node:child_process';

export interface RunResult {
  /** Exit code; null when the process was killed by a signal or could not start. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs one executable by full path, without a shell, and collects its output. Injected everywhere a
 * platform runs a command, so tests assert the exact argument lists and feed recorded output.
 */
export type RunCommand = (
  file: string,
  args: readonly string[],
  options?: { env?: NodeJS.ProcessEnv },
) => Promise<RunResult>;

export interface RunOptions {
  timeoutMs?: number;
  /** Turns raw output bytes into text; the default reads UTF-8. */
  decode?: (bytes: Buffer) => string;
}

/**
 * stdin is the null device, never an open pipe: a tool that prompts (schtasks /Change on a task stored
 * with a password asks for it) reads end-of-file and fails at once instead of waiting out the timeout.
 */
export function createRunCommand(options: RunOptions = {}): RunCommand {
  const decode = options.decode ?? ((bytes: Buffer) => bytes.toString('utf8'));
  const timeoutMs = options.timeoutMs ?? 15_000;
  return (file, args, runOptions) =>
    new Promise((resolve) => {
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let failure = '';
      let settled = false;
      const child = spawn(file, [...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
        shell: false,
        env: runOptions?.env ?? process.env,
      });
      const timer = setTimeout(() => {
        failure = `${file} gave no answer within ${timeoutMs} ms and was ended\n`;
        child.kill();
      }, timeoutMs);
      const finish = (code: number | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({
          code,
          stdout: decode(Buffer.concat(stdout)),
          stderr: failure + decode(Buffer.concat(stderr)),
        });
      };
      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      child.on('error', (error) => {
        failure = `${error.message}\n`;
        finish(null);
      });
      // 'close', not 'exit': the output pipes are drained by then.
      child.on('close', (code) => finish(failure ? null : code));
    });
}

import { execFile } from 'node:child_process';

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

export function createRunCommand(options: RunOptions = {}): RunCommand {
  const decode = options.decode ?? ((bytes: Buffer) => bytes.toString('utf8'));
  return (file, args, runOptions) =>
    new Promise((resolve) => {
      execFile(
        file,
        [...args],
        {
          encoding: 'buffer',
          windowsHide: true,
          timeout: options.timeoutMs ?? 15_000,
          shell: false,
          env: runOptions?.env ?? process.env,
        },
        (error, stdout, stderr) => {
          // execFile reports a non-zero exit as an error carrying the code; a spawn failure has a string code.
          const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
          const spawnError = error && typeof error.code === 'string' ? `${error.message}\n` : '';
          resolve({ code, stdout: decode(stdout), stderr: spawnError + decode(stderr) });
        },
      );
    });
}

import { execFileSync } from 'node:child_process';

let resolved: string | undefined;

/**
 * The real python3 interpreter. A version manager's shim (pyenv here) is a shell script that forks
 * helpers on every start: those would show up, and outlive a kill, in tests that list processes.
 */
export function pythonExe(): string {
  resolved ??= execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], {
    encoding: 'utf8',
  }).trim();
  return resolved;
}

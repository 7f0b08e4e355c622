import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { Platform, ProcessInfo } from '../../electron/core/platform/types.js';

/**
 * Collects a child's stdout (Windows line endings folded to \n) without ever closing the pipe: a closed
 * pipe would break the child's prints.
 */
export function collect(child: ChildProcess): { text: () => string; line: () => Promise<string> } {
  let text = '';
  const waiters: (() => void)[] = [];
  child.stdout!.on('data', (chunk) => {
    text += String(chunk).replaceAll('\r\n', '\n');
    for (const wake of waiters.splice(0)) wake();
  });
  const line = async (): Promise<string> => {
    while (!text.includes('\n')) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`${child.pid} exited silently`);
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
    return text.slice(0, text.indexOf('\n'));
  };
  return { text: () => text, line };
}

/** Polls `probe` until it returns a value. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 5000,
  pollMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** The process with this pid as the platform lists it, once it shows up. */
export function findPid(
  platform: Platform,
  pid: number,
  timeoutMs?: number,
  pollMs?: number,
): Promise<ProcessInfo> {
  return waitFor(
    async () => (await platform.processes.list()).find((p) => p.pid === pid),
    `pid ${pid}`,
    timeoutMs,
    pollMs,
  );
}

/** Exit code and signal, at once if the child has already exited. */
export function exited(child: ChildProcess): Promise<[number | null, NodeJS.Signals | null]> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve([child.exitCode, child.signalCode]);
  }
  return once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
}

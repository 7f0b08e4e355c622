import { rmSync } from 'node:fs';

const GIVE_UP_AFTER_MS = 10_000;
const PAUSE_MS = 100;

/**
 * Removes a test's temporary folder. A Chromium killed by the test may keep writing into its profile
 * there for a few seconds (its helpers outlive the browser process briefly, and recreate folders that
 * were just removed): retry the whole removal for up to 10 s, then leave the folder to the OS rather
 * than fail a test over its cleanup.
 *
 * Not `rmSync`'s own `maxRetries`: it removes the children once and then only retries the top folder's
 * rmdir, sleeping `i × retryDelay` each time, so a folder recreated meanwhile keeps it sleeping for
 * minutes (CI hung 8 min on one).
 */
export function removeTempDir(dir: string): void {
  const giveUpAt = Date.now() + GIVE_UP_AFTER_MS;
  for (;;) {
    try {
      rmSync(dir, { recursive: true, force: true });
      return;
    } catch (err) {
      if (Date.now() >= giveUpAt) {
        console.warn(`could not remove ${dir}: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, PAUSE_MS);
    }
  }
}

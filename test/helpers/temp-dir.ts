import { rmSync } from 'node:fs';

/**
 * Removes a test's temporary folder. A Chromium killed by the test may keep writing into its profile
 * there for a few seconds (its helpers outlive the browser process briefly): retry for up to 10 s, then
 * leave the folder to the OS rather than fail a test over its cleanup.
 */
export function removeTempDir(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 100, retryDelay: 100 });
  } catch (err) {
    console.warn(`could not remove ${dir}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_FLAGS } from './chromium.js';
import { repoRoot } from './headless.js';

export { CHROMIUM } from './chromium.js';
export const screenshotDir = join(repoRoot, 'test-results');

/** Debian's Chromium driven by playwright-core, with the flags this closed network needs. */
export async function launchBrowser(): Promise<Browser> {
  mkdirSync(screenshotDir, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_FLAGS],
  });
}

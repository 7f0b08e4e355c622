import { findBrowser } from './find-browser.js';

const found = findBrowser();

/**
 * The browser the tests drive and start as bot Chrome: CHROMIUM_PATH, else the system Chromium or
 * Chrome (Edge on Windows). `npm test` checks first that there is one (browser-check.ts).
 */
export const CHROMIUM = found.ok ? found.path : (process.env.CHROMIUM_PATH ?? '/usr/bin/chromium');

/** The flags a headless Chromium needs on these closed-network machines. */

export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
] as const;

/** Arguments for a headless Chromium child with its own profile folder, as a bot or an operator runs it. */
export function headlessChromiumArgs(userDataDir: string): string[] {
  return ['--headless', ...CHROMIUM_FLAGS, `--user-data-dir=${userDataDir}`, 'about:blank'];
}

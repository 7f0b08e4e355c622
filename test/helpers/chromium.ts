/** Debian's Chromium and the flags it needs on these closed-network machines. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

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

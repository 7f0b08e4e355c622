import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The Chromium-based browser the tests drive (playwright-core) and start as bot Chrome: found the way
 * a user's machine has one. CHROMIUM_PATH when set; else the system Chromium or Chrome on PATH and in
 * the usual places; on Windows also Chrome or Edge where their installers put them.
 */

const POSIX_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome'];
const POSIX_PATHS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/snap/bin/chromium',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];

function windowsPaths(env: NodeJS.ProcessEnv): string[] {
  const roots = [env.ProgramFiles, env['ProgramFiles(x86)'], env.LOCALAPPDATA].filter(
    (r): r is string => !!r,
  );
  return roots.flatMap((root) => [
    join(root, 'Google', 'Chrome', 'Application', 'chrome.exe'),
    join(root, 'Chromium', 'Application', 'chrome.exe'),
    join(root, 'Microsoft', 'Edge', 'Application', 'msedge.exe'),
  ]);
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    if (process.platform !== 'win32') accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** Where the browser was looked for, in order (for the message when there is none). */
export function browserCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  // The fixed install places; NEXUS_OPS_BROWSER_PLACES replaces them (the finder's own tests use it to
  // play a machine without a browser).
  const places =
    env.NEXUS_OPS_BROWSER_PLACES !== undefined
      ? env.NEXUS_OPS_BROWSER_PLACES.split(delimiter).filter(Boolean)
      : process.platform === 'win32'
        ? windowsPaths(env)
        : POSIX_PATHS;
  const names = process.platform === 'win32' ? ['chrome.exe', 'msedge.exe'] : POSIX_NAMES;
  const found = names.map((n) => onPath(n, env)).filter((p): p is string => !!p);
  return [...new Set([...found, ...places])];
}

/** A browser that answers `--version` (Ubuntu's chromium-browser may be a stub asking for a snap). */
function answers(path: string): boolean {
  const result = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 20_000 });
  return result.status === 0 && /chrom|edge/i.test(`${result.stdout}`);
}

export type BrowserLookup =
  | { ok: true; path: string; from: 'CHROMIUM_PATH' | 'system' }
  | { ok: false; message: string };

export function findBrowser(opts: { env?: NodeJS.ProcessEnv; probe?: boolean } = {}): BrowserLookup {
  const env = opts.env ?? process.env;
  const explicit = env.CHROMIUM_PATH?.trim();
  if (explicit) {
    if (!existsSync(explicit)) {
      return {
        ok: false,
        message: `CHROMIUM_PATH=${explicit} does not exist: point it at a Chromium, Chrome or Edge executable`,
      };
    }
    if (opts.probe && !answers(explicit)) {
      return { ok: false, message: `CHROMIUM_PATH=${explicit} does not run as a browser (--version failed)` };
    }
    return { ok: true, path: explicit, from: 'CHROMIUM_PATH' };
  }
  for (const candidate of browserCandidates(env)) {
    if (!isExecutableFile(candidate)) continue;
    if (opts.probe && !answers(candidate)) continue;
    return { ok: true, path: candidate, from: 'system' };
  }
  return {
    ok: false,
    message: `the browser tests need Chromium, Chrome or Edge and none was found (looked for CHROMIUM_PATH, ${POSIX_NAMES.join(', ')} and the usual install folders): ${installHint()}, or set CHROMIUM_PATH to a browser executable`,
  };
}

function linuxId(): string {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    const id = /^ID=("?)([^"\n]*)\1$/m.exec(text)?.[2] ?? '';
    const like = /^ID_LIKE=("?)([^"\n]*)\1$/m.exec(text)?.[2] ?? '';
    return `${id} ${like}`;
  } catch {
    return '';
  }
}

/** The command that installs a browser here. */
export function installHint(): string {
  if (process.platform === 'win32')
    return 'install Google Chrome or Microsoft Edge (winget install Google.Chrome)';
  if (process.platform === 'darwin') return 'install one with "brew install --cask chromium"';
  const id = linuxId();
  if (/\bubuntu\b/.test(id)) return 'install one with "sudo snap install chromium"';
  if (/\bdebian\b/.test(id)) return 'install one with "sudo apt-get install chromium"';
  if (/\b(fedora|rhel|centos)\b/.test(id)) return 'install one with "sudo dnf install chromium"';
  if (/\barch\b/.test(id)) return 'install one with "sudo pacman -S chromium"';
  return 'install Chromium with your package manager';
}

/** Debian (not Ubuntu, whose chromium package is a snap stub) as root: the check may install it itself. */
export function canInstallItself(): boolean {
  const id = linuxId();
  return (
    process.platform === 'linux' &&
    process.getuid?.() === 0 &&
    /^debian\b/.test(id.trim()) &&
    onPath('apt-get', process.env) !== undefined
  );
}

import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const PRODUCT_NAME = 'Nexus Ops';

/** The per-user app-data folder, the same one Electron's app.getPath('userData') gives the desktop app. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), PRODUCT_NAME);
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', PRODUCT_NAME);
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), PRODUCT_NAME);
}

/** Repository (or unpacked app) root, seen from the bundled dist/electron/*.cjs files. */
export function appRoot(): string {
  return resolve(__dirname, '..', '..');
}

export function resourcesDir(): string {
  const packaged = (process as { resourcesPath?: string }).resourcesPath;
  if (packaged && !packaged.includes('node_modules')) {
    const candidate = join(packaged, 'resources');
    if (existsSync(candidate)) return candidate;
  }
  return join(appRoot(), 'resources');
}

export function rendererDir(): string {
  return join(appRoot(), 'dist', 'renderer');
}

export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(appRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

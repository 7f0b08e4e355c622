/**
 * Run first by `npm test` (and the integration and e2e scripts): finds the browser the tests need, the
 * way a user's machine has one, or says in one line what to install, before any test runs. On Debian
 * as root it installs Chromium itself, as CI does (NEXUS_OPS_NO_INSTALL=1 turns that off).
 */
import { spawnSync } from 'node:child_process';
import { canInstallItself, findBrowser } from './find-browser.js';

function main(): number {
  let found = findBrowser({ probe: true });
  if (!found.ok && canInstallItself() && process.env.NEXUS_OPS_NO_INSTALL !== '1') {
    console.log('npm test: no Chromium found; installing it from Debian (running as root, as CI does)');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const update = spawnSync('apt-get', ['update', '-qq'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    const install =
      update.status === 0
        ? spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], {
            env,
            stdio: ['ignore', 'ignore', 'inherit'],
          })
        : update;
    if (install.status === 0) found = findBrowser({ probe: true });
  }
  if (found.ok) return 0;
  console.error(`npm test: ${found.message}`);
  return 1;
}

process.exit(main());

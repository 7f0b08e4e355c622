import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lastGoodConfigFile, saveLastGood } from '../../electron/core/config/index.js';
import { loadStopCliConfig } from '../../electron/core/stop/cli.js';
import { botFolders } from '../../shared/config/bots.js';

/**
 * `nexus-ops stop` when the app is not running reads the config itself (issue 10, items 2 and 4): a
 * syntax error must not cost it the bot folders, and a FIFO must not hang it.
 */

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-stop-cli-config-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
  return dir;
}

const GOOD = 'bots:\n  folders: [/srv/bots/nexus]\nstop:\n  graceSeconds: 3\nui:\n  locale: en\n';

describe('the stop CLI reads the config like the app', () => {
  it('keeps the sections that parse after a syntax error, the broken one from the last good copy', () => {
    const dir = dataDir();
    saveLastGood(lastGoodConfigFile(dir), GOOD, join(dir, 'config.yaml'));
    writeFileSync(
      join(dir, 'config.yaml'),
      'bots:\n  folders: ["/srv/bots/nexus\nstop:\n  graceSeconds: 4\n',
    );
    const config = loadStopCliConfig({ dataDir: dir, env: {} });
    expect(botFolders(config.view.bots)).toEqual(['/srv/bots/nexus']); // from the copy
    expect(config.view.stop.graceSeconds).toBe(4); // as written
    expect(config.warnings.join('\n')).toMatch(/config\.yaml:2:13: YAML syntax: the " quote opened here/);
  });

  it('refuses a FIFO as the config file instead of hanging', () => {
    const dir = dataDir();
    const fifo = join(dir, 'config.yaml');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    // A blocking read would be released after 3 s by this writer, and the test would then fail.
    const writer: ChildProcess = spawn('sh', ['-c', `sleep 3; printf 'ui: {}\\n' > '${fifo}'`], {
      stdio: 'ignore',
    });
    cleanups.push(() => writer.kill('SIGKILL'));
    const config = loadStopCliConfig({ dataDir: dir, env: {} });
    expect(config.warnings.join('\n')).toMatch(/named pipe \(FIFO\), not a file/);
    expect(botFolders(config.view.bots)).toEqual([]);
  });
});

import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findBrowser, installHint } from '../helpers/find-browser.js';
import { repoRoot } from '../helpers/headless.js';

/**
 * `npm test` on a machine without Chromium (issue 10, item 15): one line naming the command that
 * installs it, before any test runs; a browser wherever a user's machine has one is found.
 */

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0))
    rmSync(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});
function emptyDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-no-browser-'));
  dirs.push(dir);
  return dir;
}

/** A machine with nothing on PATH and no browser in the usual places. */
const bare = (dir: string): NodeJS.ProcessEnv => ({ PATH: dir, NEXUS_OPS_BROWSER_PLACES: '' });

describe('finding the browser for the tests', () => {
  it('says in one line that there is none and how to install one', () => {
    const found = findBrowser({ env: bare(emptyDir()) });
    expect(found.ok).toBe(false);
    if (found.ok) return;
    expect(found.message).not.toContain('\n');
    expect(found.message).toContain(installHint());
    expect(found.message).toMatch(/CHROMIUM_PATH/);
  });

  it('finds a browser on PATH under its usual names, and checks it answers', () => {
    const dir = emptyDir();
    const fake = join(dir, 'google-chrome');
    writeFileSync(fake, '#!/bin/sh\necho "Google Chrome 131.0.6778.85"\n');
    chmodSync(fake, 0o755);
    expect(findBrowser({ env: bare(dir), probe: true })).toEqual({ ok: true, path: fake, from: 'system' });
    // a stub that is not a browser (Ubuntu's chromium-browser without the snap) does not count
    writeFileSync(fake, '#!/bin/sh\necho "install the chromium snap" >&2\nexit 1\n');
    expect(findBrowser({ env: bare(dir), probe: true }).ok).toBe(false);
  });

  it('takes CHROMIUM_PATH first, and names it when it is wrong', () => {
    const dir = emptyDir();
    const mine = join(dir, 'my chrome');
    writeFileSync(mine, '');
    expect(findBrowser({ env: { ...bare(dir), CHROMIUM_PATH: mine } })).toEqual({
      ok: true,
      path: mine,
      from: 'CHROMIUM_PATH',
    });
    const wrong = findBrowser({ env: { ...bare(dir), CHROMIUM_PATH: join(dir, 'nope') } });
    expect(!wrong.ok && wrong.message).toMatch(/CHROMIUM_PATH=.*nope does not exist/);
  });

  it('npm test stops before any test with that one line (no install: NEXUS_OPS_NO_INSTALL=1)', () => {
    const dir = emptyDir();
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(repoRoot, 'test/helpers/browser-check.ts')],
      {
        cwd: repoRoot,
        env: { ...bare(dir), NEXUS_OPS_NO_INSTALL: '1', HOME: process.env.HOME },
        encoding: 'utf8',
      },
    );
    expect(run.status).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^npm test: the browser tests need Chromium, Chrome or Edge and none was found/);
    expect(lines[0]).toContain(installHint());
  });
});

import { type ChildProcess, spawn } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { type RotationTarget, rotateLogs } from '../../electron/core/maintenance/index.js';
import { maintenanceConfigSchema } from '../../shared/config/maintenance.js';

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const d of dirs.splice(0))
    rmSync(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

const DAY = 86_400_000;

/** Every line of a folder's logs, plain and gzipped. */
function allLines(dir: string, prefix: string): string[] {
  const lines: string[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(prefix) && !name.startsWith(`.${prefix}`)) continue;
    const raw = readFileSync(join(dir, name));
    const text = name.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
    lines.push(...text.split('\n').filter(Boolean));
  }
  return lines;
}

/**
 * Writers as the bots write: `hold` keeps one descriptor open and appends (Python's FileHandler);
 * `reopen` opens, appends one line and closes each time (so it can be caught between writes).
 */
function startWriter(file: string, mode: 'hold' | 'reopen', count: number): ChildProcess {
  const script =
    mode === 'hold'
      ? `const fs = require('fs'); const fd = fs.openSync(${JSON.stringify(file)}, 'a'); let i = 0;
         const t = setInterval(() => { for (let k = 0; k < 20 && i < ${count}; k++) fs.writeSync(fd, 'line ' + (i++) + ' ' + 'x'.repeat(200) + '\\n');
           if (i >= ${count}) { clearInterval(t); fs.closeSync(fd); console.log('done'); } }, 1);`
      : `const fs = require('fs'); let i = 0;
         const t = setInterval(() => { for (let k = 0; k < 20 && i < ${count}; k++) fs.appendFileSync(${JSON.stringify(file)}, 'line ' + (i++) + ' ' + 'x'.repeat(200) + '\\n');
           if (i >= ${count}) { clearInterval(t); console.log('done'); } }, 1);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return child;
}

function finished(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

describe('log rotation on real files', () => {
  it('rotates while writers keep appending: no line lost, a held file is left alone, idle ones are compressed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nexus-rotate-'));
    dirs.push(dir);
    const log = join(dir, 'log');
    mkdirSync(log);
    // An old per-run file from two days ago: compressed, its content intact.
    const old = join(log, 'acct_20261129_020000.log');
    writeFileSync(old, `${Array.from({ length: 1000 }, (_, i) => `old ${i}`).join('\n')}\n`);
    utimesSync(old, new Date(Date.now() - 2 * DAY), new Date(Date.now() - 2 * DAY));
    // Far older than retention: deleted.
    const ancient = join(log, 'acct_20260101_020000.log.gz');
    writeFileSync(ancient, 'x');
    utimesSync(ancient, new Date(Date.now() - 40 * DAY), new Date(Date.now() - 40 * DAY));

    const COUNT = 6000;
    const held = startWriter(join(log, 'main_process.log'), 'hold', COUNT);
    const reopened = startWriter(join(log, 'thread_debug.log'), 'reopen', COUNT);
    const cfg = maintenanceConfigSchema.parse({
      logRotation: { maxFileMB: 0.05, quietMinutes: 0, compressAfterDays: 1, deleteAfterDays: 30 },
    }).logRotation;
    const targets: RotationTarget[] = [{ label: 'bot', globs: ['log/*.log'], base: dir }];
    const done = Promise.all([finished(held), finished(reopened)]);
    let writing = true;
    void done.then(() => {
      writing = false;
    });
    let compressed = 0;
    let active = 0;
    let rounds = 0;
    while (writing || rounds < 2) {
      const r = await rotateLogs({ targets, cfg, now: Date.now(), signal: new AbortController().signal });
      compressed += r.compressed;
      active += r.active;
      rounds++;
      await new Promise((res) => setTimeout(res, 20));
    }
    await done;

    const expected = Array.from({ length: COUNT }, (_, i) => `line ${i} ${'x'.repeat(200)}`);
    // The held file was left alone while open (it may be rotated once its writer closed it): every line kept.
    expect(allLines(log, 'main_process.log').sort()).toEqual([...expected].sort());
    // The reopened file was rotated (over 50 KB) between writes: every line is somewhere, once.
    const reopenedLines = allLines(log, 'thread_debug.log').sort();
    expect(reopenedLines).toEqual([...expected].sort());
    expect(readdirSync(log).some((n) => /^thread_debug\.log.*\.gz$/.test(n))).toBe(true);
    expect(active).toBeGreaterThan(0);
    expect(compressed).toBeGreaterThan(1);
    // The old per-run file: compressed, content identical; the ancient one deleted.
    expect(gunzipSync(readFileSync(`${old}.gz`)).toString()).toContain('old 999');
    expect(readdirSync(log)).not.toContain('acct_20261129_020000.log');
    expect(readdirSync(log)).not.toContain('acct_20260101_020000.log.gz');
  }, 60_000);
});

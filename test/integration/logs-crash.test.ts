import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { q, repoRoot, tempDir } from '../helpers/logs-core.js';

const writerScript = resolve(import.meta.dirname, '..', 'helpers', 'logs-rotating-writer.mjs');
const runnerScript = resolve(import.meta.dirname, '..', 'helpers', 'logs-runner.ts');
const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0))
    rmSync(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

function startRunner(dataDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', runnerScript, dataDir], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`runner did not start: ${err}`)), 90_000);
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) {
        clearTimeout(timer);
        ok(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`runner exited ${code}: ${err}`));
    });
  });
}

function startWriter(args: string[]): { child: ChildProcess; done: Promise<void> } {
  const child = spawn(process.execPath, [writerScript, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  return { child, done: new Promise((r) => child.once('exit', () => r())) };
}

function kill9(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGKILL');
  return exited;
}

/** Seq numbers stored per bot, read with a separate read-only connection. */
function stored(dataDir: string): Map<string, Map<number, number>> {
  const db = new Database(join(dataDir, 'nexus-ops.db'), { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare<[], { bot_id: string; text: string }>(
        'SELECT r.bot_id, m.text FROM log_records r JOIN log_messages m ON m.id = r.msg_id',
      )
      .all();
    const out = new Map<string, Map<number, number>>();
    for (const r of rows) {
      const m = /seq=(\d+)/.exec(r.text);
      if (!m) continue;
      let c = out.get(r.bot_id);
      if (!c) {
        c = new Map();
        out.set(r.bot_id, c);
      }
      c.set(Number(m[1]), (c.get(Number(m[1])) ?? 0) + 1);
    }
    return out;
  } finally {
    db.close();
  }
}

function summary(counts: Map<number, number> | undefined, total: number) {
  let missing = 0;
  let twice = 0;
  for (let i = 1; i <= total; i++) {
    const n = counts?.get(i) ?? 0;
    if (n === 0) missing++;
    if (n > 1) twice++;
  }
  return { missing, twice };
}

describe('a kill -9 of Nexus Ops in the middle of ingestion and rotation', () => {
  it('loses no line and stores none twice over repeated kills and restarts', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    writeFileSync(
      join(dataDir, 'config.yaml'),
      `monitor:
  liveIntervalSeconds: 5
bots:
  - id: py
    root: ${q(join(dataDir, 'py'))}
    logs:
      - path: log/app.log*
  - id: w
    root: ${q(dataDir)}
    run: { mode: supervised, command: node, args: [bot.js] }
logs:
  tailIntervalMs: 100
  discoverIntervalMs: 250
`,
    );
    const total = 8000;
    // ~1,600 lines/s each, rotating every 300 (Python) and 250 (capture) lines: a rotation every ~0.2 s.
    const py = startWriter([
      'python',
      join(dataDir, 'py', 'log', 'app.log'),
      String(total),
      '300',
      '16',
      '10',
    ]);
    const cap = startWriter(['capture', dataDir, String(total), '250', '16', '10']);
    let writing = true;
    void Promise.all([py.done, cap.done]).then(() => {
      writing = false;
    });
    let kills = 0;
    while (writing || kills < 4) {
      const runner = await startRunner(dataDir);
      await new Promise((r) => setTimeout(r, 250 + Math.random() * 700));
      await kill9(runner);
      kills++;
    }
    // The last start reads the rest; wait until everything is stored.
    const runner = await startRunner(dataDir);
    const deadline = Date.now() + 60_000;
    let last = stored(dataDir);
    while (Date.now() < deadline) {
      last = stored(dataDir);
      if ((last.get('py')?.size ?? 0) >= total && (last.get('w')?.size ?? 0) >= total) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    // A little longer: a line stored twice would show up now.
    await new Promise((r) => setTimeout(r, 1000));
    await kill9(runner);
    last = stored(dataDir);
    expect(kills).toBeGreaterThanOrEqual(4);
    expect({ py: summary(last.get('py'), total), capture: summary(last.get('w'), total) }).toEqual({
      py: { missing: 0, twice: 0 },
      capture: { missing: 0, twice: 0 },
    });
  }, 300_000);
});

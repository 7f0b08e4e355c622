import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ManualClock } from '../../electron/core/clock/index.js';
import type { LogsSearchOutput, LogsSources } from '../../shared/api/logs.js';
import { configSchema } from '../../shared/config/schema.js';
import { type LogsHarness, openLogsCore, q, seqCounts, tempDir } from '../helpers/logs-core.js';
import { appendLines, pythonLine } from '../helpers/logs-writers.js';

const writerScript = resolve(import.meta.dirname, '..', 'helpers', 'logs-rotating-writer.mjs');
const harnesses: LogsHarness[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const h of harnesses.splice(0)) await h.close();
});

function open(config: (dir: string) => string): LogsHarness {
  const h = openLogsCore({ config });
  harnesses.push(h);
  return h;
}

function expectEachOnce(counts: Map<number, number>, total: number): void {
  const missing: number[] = [];
  const twice: number[] = [];
  for (let i = 1; i <= total; i++) {
    const n = counts.get(i) ?? 0;
    if (n === 0) missing.push(i);
    if (n > 1) twice.push(i);
  }
  // The counts too: a list cut at 10 hides how far a gap or a repeat goes.
  expect({
    missing: missing.slice(0, 10),
    missingCount: missing.length,
    twice: twice.slice(0, 10),
    twiceCount: twice.length,
  }).toEqual({ missing: [], missingCount: 0, twice: [], twiceCount: 0 });
}

/** Runs the writer in its own process while ingestion passes run here, then drains. */
async function tailWhileWriting(h: LogsHarness, args: string[]): Promise<string> {
  const child = spawn(process.execPath, [writerScript, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let running = true;
  void exited.then(() => {
    running = false;
  });
  let passes = 0;
  while (running) {
    h.logs.ingestNow({ discover: passes++ % 2 === 0 });
    await new Promise((r) => setTimeout(r, 15));
  }
  h.drain({ discover: true });
  return out;
}

describe('tailing real files that rotate, shrink and multiply', () => {
  it('follows a file rotated by rename every 50 lines (RotatingFileHandler style) while it is written: every line once', async () => {
    // The glob names the rotated files too (app.log.1, app.log.2, …), as it must when a bot rotates
    // faster than files are discovered: here about 80 rotations a second.
    const h = open(
      (dir) => `
bots:
  - id: rot
    root: ${q(join(dir, 'bot'))}
    logs:
      - path: log/app.log*
`,
    );
    const file = join(h.dir, 'bot', 'log', 'app.log');
    const total = 3000;
    const out = await tailWhileWriting(h, ['python', file, String(total), '50', '20', '5']);
    expect(out).toMatch(/^done 3000 60/);
    expectEachOnce(seqCounts(h), total);
    // Tracebacks stayed with their record.
    const tb = await h.call<LogsSearchOutput>('logs.search', { query: 'seq=0000007', limit: 10 });
    expect(tb.hits.map((r) => r.message.split('\n').length)).toEqual([3]);
  });

  it('follows a file renamed out of its glob (log/app.log → app.log.1 → app.log.2) by its identity', async () => {
    const h = open(
      (dir) => `
bots:
  - id: rot
    root: ${q(join(dir, 'bot'))}
    logs:
      - path: log/app.log
`,
    );
    const file = join(h.dir, 'bot', 'log', 'app.log');
    const total = 1500;
    await tailWhileWriting(h, ['python', file, String(total), '100', '10', '10']);
    expectEachOnce(seqCounts(h), total);
  });

  it('follows the supervisor’s capture files across close-rename-reopen rotations: every line once, stderr marked', async () => {
    const h = open(
      () => `
bots:
  - id: w
    root: ${q(tempDir())}
    run: { mode: supervised, command: node, args: [bot.js] }
`,
    );
    const total = 2000;
    await tailWhileWriting(h, ['capture', h.dir, String(total), '150', '25', '5']);
    expectEachOnce(seqCounts(h), total);
    const err = await h.call<LogsSearchOutput>('logs.search', { query: 'seq=0000010', limit: 5 });
    expect(err.hits.map((r) => [r.stream, r.level])).toEqual([['stderr', 'INFO']]);
  });

  it('reads a truncated file again from its start, also when it grew past the old offset between two passes', async () => {
    const h = open(
      (dir) => `
bots:
  - id: t
    root: ${q(join(dir, 'bot'))}
    logs:
      - path: log/*.log
`,
    );
    const file = join(h.dir, 'bot', 'log', 'app.log');
    const now = Date.now();
    appendLines(
      file,
      Array.from({ length: 20 }, (_, i) => pythonLine(now + i, 'INFO', `seq=${i + 1} first generation`)),
    );
    // One pass: the last record still waits for possible traceback lines when the file is truncated.
    h.logs.ingestNow({ discover: true });
    // copytruncate, then more than before is written before the next pass (the loki #924 case)
    truncateSync(file, 0);
    appendLines(
      file,
      Array.from({ length: 30 }, (_, i) =>
        pythonLine(now + 100 + i, 'INFO', `seq=${i + 21} second generation`),
      ),
    );
    h.drain();
    // plain truncation to empty, then a few lines
    truncateSync(file, 0);
    appendLines(
      file,
      Array.from({ length: 5 }, (_, i) => pythonLine(now + 200 + i, 'INFO', `seq=${i + 51} third`)),
    );
    h.drain();
    expectEachOnce(seqCounts(h), 55);
  });

  it('picks up new per-run files and names their account; an empty new file waits for its first line', async () => {
    const h = open(
      (dir) => `
bots:
  - id: nexus02
    root: ${q(join(dir, 'bot'))}
    logs:
      - path: log/*.log
`,
    );
    const log = join(h.dir, 'bot', 'log');
    mkdirSync(log, { recursive: true });
    const now = Date.now();
    appendLines(join(log, 'alice_20250913_120000.log'), [pythonLine(now, 'INFO', 'alice の実行')]);
    h.drain({ discover: true });
    writeFileSync(join(log, 'bob_20250913_140000.log'), '');
    h.drain({ discover: true });
    appendLines(join(log, 'bob_20250913_140000.log'), [
      pythonLine(now + 1, 'INFO', 'bob の実行'),
      pythonLine(now + 2, 'ERROR', 'bob のエラー'),
    ]);
    appendLines(join(log, 'carol_20250913_160000.log'), [pythonLine(now + 3, 'INFO', 'carol の実行')]);
    h.drain({ discover: true });
    const r = await h.call<LogsSearchOutput>('logs.search', { query: 'の', limit: 10 });
    expect(r.hits.map((x) => [x.account, x.message])).toEqual([
      ['carol', 'carol の実行'],
      ['bob', 'bob のエラー'],
      ['bob', 'bob の実行'],
      ['alice', 'alice の実行'],
    ]);
    const sources = await h.call<LogsSources>('logs.sources');
    expect(sources.sources[0]?.files.map((f) => [f.account, f.records, f.offset > 0]).sort()).toEqual([
      ['alice', 1, true],
      ['bob', 2, true],
      ['carol', 1, true],
    ]);
  });

  it('passes at the discovery cadence while no file grows, at the tail cadence while one does', async () => {
    const clock = new ManualClock(Date.now());
    const h = openLogsCore({
      clock,
      config: (dir) => `
bots:
  - id: quiet
    root: ${q(join(dir, 'bot'))}
    logs:
      - path: log/*.log
`,
    });
    harnesses.push(h);
    const tail = h.logs.jobs!.find((j) => j.name === 'logs.tail')!.schedule;
    const every = () => ('every' in tail && typeof tail.every === 'function' ? tail.every() : -1);
    h.drain({ discover: true });
    expect(every()).toBe(1000); // no file yet: discovery finds new ones within a second
    const file = join(h.dir, 'bot', 'log', 'app.log');
    mkdirSync(join(h.dir, 'bot', 'log'), { recursive: true });
    appendLines(file, [pythonLine(clock.now(), 'INFO', '起動')]);
    h.drain({ discover: true });
    expect(every()).toBe(250); // a file that just grew: followed closely
    clock.advance(61_000);
    h.drain();
    expect(every()).toBe(1000); // quiet for a minute: checked once a second anyway
    appendLines(file, [pythonLine(clock.now(), 'INFO', '再開')]);
    clock.advance(1000); // the next once-a-second pass sees it grow
    h.drain();
    expect(every()).toBe(250);
    const found = await h.call<LogsSearchOutput>('logs.search', { query: '再開', limit: 5 });
    expect(found.hits).toHaveLength(1);
  });

  it('continues where it stopped when a source is removed from the config and added back', async () => {
    const config = (dir: string, withLogs: boolean) => `
bots:
  - id: c
    root: ${q(join(dir, 'bot'))}
    logs: ${withLogs ? "[{ path: '*.txt', format: console }]" : '[]'}
`;
    const h = open((dir) => config(dir, true));
    const file = join(h.dir, 'bot', 'out.txt');
    appendLines(file, ['✅ seq=1', '✅ seq=2', '✅ seq=3']);
    h.drain({ discover: true });
    h.logs.onConfig?.(configSchema.parse(parse(config(h.dir, false))));
    appendLines(file, ['✅ seq=4', '✅ seq=5']);
    h.drain({ discover: true });
    h.logs.onConfig?.(configSchema.parse(parse(config(h.dir, true))));
    h.drain({ discover: true });
    expectEachOnce(seqCounts(h), 5);
  });

  it('reads a backlog at full pace even after the file has been quiet for minutes', async () => {
    const clock = new ManualClock(Date.now());
    const h = openLogsCore({
      clock,
      config: (dir) => `
bots:
  - id: big
    root: ${q(join(dir, 'bot'))}
    logs:
      - path: '*.log'
`,
    });
    harnesses.push(h);
    const now = clock.now();
    const total = 40_000; // about 3 MiB: several reads
    appendLines(
      join(h.dir, 'bot', 'old.log'),
      Array.from({ length: total }, (_, i) =>
        pythonLine(now - 60_000 + i, 'INFO', `古い行 seq=${i + 1} ${'x'.repeat(40)}`),
      ),
    );
    const first = h.logs.ingestNow({ discover: true, budgetMs: 0 });
    expect(first.more).toBe(true);
    clock.advance(5 * 60_000); // nobody writes to it any more
    h.drain();
    expectEachOnce(seqCounts(h), total);
  });
});

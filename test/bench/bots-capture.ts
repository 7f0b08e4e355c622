/**
 * Captured output through the relay: a bot writing N lines (Japanese, every 10th on stderr) as fast as
 * the pipe takes them, captured by the real relay (split, decode, strip colours, timestamp, write,
 * rotate every 10 MB), next to a baseline measured in the same run: the same bot with its stdout and
 * stderr going straight into a file (no relay, no processing). Figures: lines/s and the relay's share
 * of the baseline, as the median of `runs`.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type RelaySpec, readRunFile, relaySpawn } from '../../electron/core/bots/index.js';
import { floodBot, relayScript } from '../fixtures/bots/harness.js';

function exitOf(child: ReturnType<typeof spawn>): Promise<void> {
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function throughRelay(dir: string, lines: number): Promise<number> {
  const botDir = join(dir, 'relay');
  mkdirSync(botDir, { recursive: true });
  const spec: RelaySpec = {
    version: 1,
    botId: 'bench',
    runId: 'bench',
    command: process.execPath,
    args: [floodBot, String(lines)],
    cwd: dir,
    env: {},
    output: { maxBytes: 10 * 1024 * 1024, daily: false, retainFiles: 1000, retainDays: 30 },
    partialFlushMs: 2000,
  };
  const s = relaySpawn({ execPath: process.execPath, relayScript: relayScript(), botDir, env: process.env });
  const t0 = performance.now();
  const child = spawn(s.file, s.args, s.options);
  child.stdin?.end(JSON.stringify(spec));
  await exitOf(child);
  const ms = performance.now() - t0;
  if (readRunFile(botDir)?.exit?.code !== 0) throw new Error('the flood bot did not finish');
  return ms;
}

async function straightToFile(dir: string, lines: number): Promise<number> {
  const fd = openSync(join(dir, 'baseline.log'), 'w');
  const t0 = performance.now();
  const child = spawn(process.execPath, [floodBot, String(lines)], { stdio: ['ignore', fd, fd] });
  await exitOf(child);
  const ms = performance.now() - t0;
  closeSync(fd);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchBotsCapture(opts: { lines?: number; runs?: number } = {}) {
  const lines = opts.lines ?? 200_000;
  const runs = opts.runs ?? 3;
  relayScript(); // built before timing
  const relayMs: number[] = [];
  const baselineMs: number[] = [];
  let files = 0;
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'nexus-ops-bench-capture-'));
    try {
      baselineMs.push(await straightToFile(dir, lines));
      relayMs.push(await throughRelay(dir, lines));
      const out = join(dir, 'relay', 'output');
      const names = readdirSync(out);
      files = names.length;
      bytes = names.reduce((sum, n) => sum + statSync(join(out, n)).size, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    }
  }
  const relay = median(relayMs);
  const baseline = median(baselineMs);
  return {
    lines,
    runs,
    relay: { ms: Math.round(relay), linesPerSecond: Math.round((lines / relay) * 1000), files, bytes },
    baseline: { ms: Math.round(baseline), linesPerSecond: Math.round((lines / baseline) * 1000) },
    relayShareOfBaseline: Math.round((baseline / relay) * 100) / 100,
  };
}

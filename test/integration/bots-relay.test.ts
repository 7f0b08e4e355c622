/**
 * The relay with real bots: a python3 bot printing Japanese as UTF-8 and as cp932 bytes, stderr and a
 * crash; a Node bot shaped like TradingAssistantX (node running the bot through a second node) with
 * emoji on stdout and errors on stderr; a bot writing as fast as it can while the capture rotates every
 * few kilobytes: every line lands exactly once, on its stream, in order.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CapturedLine,
  parseRecord,
  type RelaySpec,
  readRunFile,
  relaySpawn,
  rotatedFiles,
} from '../../electron/core/bots/index.js';
import { createPlatform } from '../../electron/core/platform/index.js';
import {
  createBotsHarness,
  eventually,
  floodBot,
  jpBot,
  relayScript,
  taxBotCli,
} from '../fixtures/bots/harness.js';
import { exited } from '../helpers/child.js';
import { pythonExe } from '../helpers/python.js';

const harnesses: ReturnType<typeof createBotsHarness>[] = [];
const relays: ChildProcess[] = [];
afterEach(async () => {
  for (const r of relays.splice(0)) if (r.exitCode === null) r.kill('SIGKILL');
  for (const h of harnesses.splice(0)) await h.cleanup();
});

function startRelay(command: string, args: string[], output: Partial<RelaySpec['output']> = {}) {
  const h = createBotsHarness();
  harnesses.push(h);
  const dir = join(h.dataDir, 'bots', 'relay-test');
  const spec: RelaySpec = {
    version: 1,
    botId: 'relay-test',
    runId: 'run-1',
    command,
    args,
    cwd: h.dir,
    env: { BOT_ONLY: 'yes' },
    output: { maxBytes: 10 * 1024 * 1024, daily: true, retainFiles: 10_000, retainDays: 30, ...output },
    partialFlushMs: 200,
  };
  mkdirSync(dir, { recursive: true });
  // This machine sets PYTHONUNBUFFERED itself; a Windows PC does not: the relay must add it.
  const { PYTHONUNBUFFERED, PYTHONUTF8, PYTHONIOENCODING, ...env } = process.env;
  const s = relaySpawn({ execPath: process.execPath, relayScript: relayScript(), botDir: dir, env });
  const child = spawn(s.file, s.args, s.options);
  child.stdin!.end(JSON.stringify(spec));
  relays.push(child);
  return { dir, child, outputDir: join(dir, 'output') };
}

function captured(outputDir: string): CapturedLine[] {
  return [...rotatedFiles(outputDir), 'current.log'].flatMap((name) => {
    let text = '';
    try {
      text = readFileSync(join(outputDir, name), 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const r = parseRecord(l);
        if (!r) throw new Error(`not a record: ${JSON.stringify(l)}`);
        return r;
      });
  });
}

describe('the relay with real bots', () => {
  it('captures a python3 bot: UTF-8 and cp932 Japanese per line, stderr marked, its crash recorded', async () => {
    const { dir, child, outputDir } = startRelay(pythonExe(), [jpBot, 'crash']);
    await exited(child);
    const run = readRunFile(dir)!;
    expect(run).toMatchObject({
      state: 'exited',
      runId: 'run-1',
      exit: { code: 2, signal: null, error: null },
    });
    expect(run.bot!.pid).toBeGreaterThan(0);
    const lines = captured(outputDir);
    expect(lines.map((l) => [l.stream, l.text])).toEqual([
      ['o', `started pid=${run.bot!.pid}`],
      ['o', '2025-09-13 12:02:34,123 - INFO - [account] [like] success: 1966 いいね完了'],
      ['o', 'WebDriverを再起動しました（起動回数: 3）'],
      ['e', '2025-09-13 12:02:35,000 - ERROR - 接続エラー: タイムアウト'],
      ['e', 'Traceback (most recent call last):'],
      ['e', 'RuntimeError: 落ちました'],
    ]);
    for (let i = 1; i < lines.length; i++) expect(lines[i]!.ts).toBeGreaterThanOrEqual(lines[i - 1]!.ts);
    expect(lines[0]!.ts).toBeGreaterThanOrEqual(run.bot!.startedAt - 1000);
  });

  it("shows a python3 bot's lines while it runs (PYTHONUNBUFFERED: a pipe would block-buffer them)", async () => {
    const { dir, child, outputDir } = startRelay(pythonExe(), [jpBot, 'serve']);
    await eventually(
      () => captured(outputDir).some((l) => l.text === 'tick 3 稼働中'),
      'tick 3 in the capture',
    );
    expect(readRunFile(dir)?.state).toBe('running');
    // A signal to the relay is passed on: the bot ends the way Ctrl+C ends it.
    child.kill('SIGINT');
    await exited(child);
    expect(readRunFile(dir)?.exit).toMatchObject({ code: 0 });
    expect(captured(outputDir).at(-1)?.text).toBe('cleanup: ドライバーを閉じました');
  });

  it('captures a TradingAssistantX-shaped Node bot: two node processes, emoji on stdout, errors on stderr', async () => {
    const { dir, child, outputDir } = startRelay(process.execPath, [taxBotCli]);
    await eventually(
      () => captured(outputDir).some((l) => l.text.startsWith('📡 レスポンス: 200 OK #2')),
      'ticks',
    );
    const run = readRunFile(dir)!;
    const platform = createPlatform();
    try {
      const list = await platform.processes.list();
      const underRelay = (pid: number): boolean => {
        const p = list.find((x) => x.pid === pid);
        return !!p && (p.ppid === child.pid || underRelay(p.ppid));
      };
      const nodes = list.filter((p) => underRelay(p.pid) && /node/i.test(p.name));
      expect(nodes.map((p) => p.pid)).toContain(run.bot!.pid);
      expect(nodes).toHaveLength(2);
      // The relay records its own start as the platform sees it (adoption compares the two).
      const relay = list.find((p) => p.pid === child.pid)!;
      expect(Math.abs(relay.startTime - run.relay.startedAt)).toBeLessThan(2500);
    } finally {
      await platform.close();
    }
    child.kill('SIGINT');
    await exited(child);
    const lines = captured(outputDir);
    const text = (stream: 'o' | 'e') => lines.filter((l) => l.stream === stream).map((l) => l.text);
    expect(text('o')).toEqual(
      expect.arrayContaining([
        '🚀 TradingAssistantX 起動 - スケジューラー開始',
        '✅ MainWorkflow実行完了 - ExecutionID: exec_1_post - 実行時間: 2341ms - 結果: success',
        '⏱️ QPS制限により待機: 700ms (現在QPS: 3/200)',
        "  executionId: 'exec_3',",
        '🛑 SIGINT: 停止します',
      ]),
    );
    expect(text('e')).toEqual(['❌ MainWorkflow実行エラー - ExecutionID: exec_2_post - エラー: Rate limit']);
    // console.log's colours for the object dump (none on a pipe) and any others are gone.
    expect(lines.every((l) => !l.text.includes('\x1b'))).toBe(true);
    expect(readRunFile(dir)?.exit).toMatchObject({ code: 0 });
  });

  it('loses no line while the capture rotates under a bot writing as fast as it can', async () => {
    const count = 40_000;
    const { dir, child, outputDir } = startRelay(process.execPath, [floodBot, String(count)], {
      maxBytes: 64 * 1024,
    });
    await exited(child);
    expect(readRunFile(dir)?.exit).toMatchObject({ code: 0 });
    expect(rotatedFiles(outputDir).length).toBeGreaterThan(20);
    const lines = captured(outputDir);
    expect(lines).toHaveLength(count);
    const seen = new Set<number>();
    const last = { o: -1, e: -1 };
    for (const l of lines) {
      const n = Number(/^line (\d{7}) /.exec(l.text)?.[1]);
      expect(Number.isInteger(n)).toBe(true);
      expect(seen.has(n)).toBe(false);
      seen.add(n);
      expect(l.stream).toBe(n % 10 === 9 ? 'e' : 'o');
      // Each stream keeps its own order (the two pipes interleave as they arrive).
      expect(n).toBeGreaterThan(last[l.stream]);
      last[l.stream] = n;
    }
    expect(seen.size).toBe(count);
  });

  it('records a program that cannot be started, and exits', async () => {
    const { dir, child } = startRelay('nexus-ops-no-such-program', []);
    await exited(child);
    const run = readRunFile(dir)!;
    expect(run.state).toBe('exited');
    expect(run.bot).toBeNull();
    expect(run.exit?.error).toMatch(/cannot start "nexus-ops-no-such-program": not found/);
  });
});

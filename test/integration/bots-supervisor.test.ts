/**
 * The bots capability with real bots (python3 and node), the real relay, a real SQLite file and the
 * real Linux platform: crashes and restarts, the crash-loop guard across a restart of the capability,
 * stops (Ctrl+C first, the tree by force after the grace period), adoption, the emergency stop's hold
 * and resume, schedules and run timeouts on a clock moved by hand, the restart-bot action, metrics and
 * the masked output tail.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BotsCapability } from '../../electron/core/bots/index.js';
import { ManualClock } from '../../electron/core/clock/index.js';
import type { BotStatus } from '../../shared/api/bots.js';
import type { BotConfigInput } from '../../shared/config/bots.js';
import { findMetric } from '../../shared/metrics/catalog.js';
import type { LiveSample } from '../../shared/series.js';
import {
  type BotsHarness,
  createBotsHarness,
  eventually,
  jpBot,
  taxBotCli,
} from '../fixtures/bots/harness.js';
import { createTestStop } from '../fixtures/fake-bot/harness.js';
import { pythonExe } from '../helpers/python.js';

const harnesses: BotsHarness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.cleanup();
});

function setup(opts: { clock?: ManualClock; manualJobs?: boolean } = {}) {
  const h = createBotsHarness(opts);
  harnesses.push(h);
  const root = join(h.dir, 'ボット フォルダ');
  mkdirSync(root, { recursive: true });
  return { h, root };
}

function pythonBot(
  root: string,
  id: string,
  mode: string,
  run: Record<string, unknown> = {},
): BotConfigInput {
  return {
    id,
    root,
    run: { mode: 'supervised', command: pythonExe(), args: [jpBot, mode], ...run } as BotConfigInput['run'],
  };
}

function taxBot(root: string, run: Record<string, unknown> = {}): BotConfigInput {
  return {
    id: 'tax',
    name: 'TradingAssistantX',
    root,
    run: {
      mode: 'supervised',
      command: process.execPath,
      args: [taxBotCli],
      ...run,
    } as BotConfigInput['run'],
    processes: { exe: 'node', cmdline: 'tax_bot[\\\\/](cli|main)\\.mjs' },
  };
}

const status = (cap: BotsCapability, id: string): BotStatus => cap.supervisor.get(id);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function runs(h: BotsHarness, id: string) {
  return h.store.db
    .prepare<[string], { run_id: string; trigger: string; outcome: string | null; pid: number | null }>(
      'SELECT run_id, trigger, outcome, pid FROM bot_runs WHERE bot_id = ? ORDER BY started_at, rowid',
    )
    .all(id);
}

describe('supervised bots', () => {
  it('restarts a crashing python3 bot with its backoff and records each exit', async () => {
    const { h, root } = setup();
    h.setBots([pythonBot(root, 'crash', 'crash', { restart: { policy: 'on-failure', delayMs: 300 } })]);
    const cap = await h.open();
    const first = await eventually(() => status(cap, 'crash').pid ?? undefined, 'first run');
    const second = await eventually(() => {
      const s = status(cap, 'crash');
      return s.restarts.count >= 1 && s.pid !== null && s.pid !== first ? s : undefined;
    }, 'restart');
    expect(second.lastExit).toMatchObject({ outcome: 'failed', code: 2, signal: null });
    expect(second.lastExit!.uptimeMs).toBeGreaterThan(0);
    // Exits within a second of starting are unstable: the guard counts them, with their window.
    expect(second.unstable.count).toBeGreaterThanOrEqual(1);
    expect(second.unstable.since).not.toBeNull();
    expect(second.backoffMs).toBeGreaterThanOrEqual(300);
    const after = await cap.supervisor.stop('crash', 'test');
    expect(after.state).toBe('stopped');
    expect(after.operatorStopped).toBe(true);
    const recorded = runs(h, 'crash');
    expect(recorded[0]).toMatchObject({ trigger: 'always', outcome: 'failed' });
    expect(recorded[1]).toMatchObject({ trigger: 'restart' });
    expect(h.events.some((e) => e.type === 'bots.state' && e.bot.id === 'crash')).toBe(true);
    expect(h.hookEvents.some((e) => e.bot.id === 'crash' && e.bot.state === 'running')).toBe(true);
  });

  it('trips the crash-loop guard at 16 unstable exits, counting on across a restart of Nexus Ops', async () => {
    const { h, root } = setup();
    h.setBots([pythonBot(root, 'loop', 'loop', { restart: { policy: 'always', delayMs: 0 } })]);
    const cap = await h.open();
    await eventually(() => (status(cap, 'loop').unstable.count >= 5 ? true : undefined), '5 unstable exits');
    const second = await h.reopen();
    const errored = await eventually(
      () => (status(second, 'loop').state === 'errored' ? status(second, 'loop') : undefined),
      'errored',
      60_000,
    );
    expect(errored.unstable.count).toBe(16);
    expect(errored.unstable.max).toBe(16);
    expect(errored.unstable.since).toBeLessThanOrEqual(errored.unstable.last!);
    expect(errored.erroredAt).toBe(errored.unstable.last);
    // Not 5 + 16: the second capability went on from the stored count. Every run ended and is recorded.
    const recorded = runs(h, 'loop');
    expect(recorded).toHaveLength(16);
    expect(recorded.every((r) => r.outcome !== null)).toBe(true);
    expect(h.audit().some((a) => a.action === 'bot.errored' && a.details.bot === 'loop')).toBe(true);

    // A third start finds it errored and leaves it alone until an operator starts it.
    const third = await h.reopen();
    await eventually(() => (status(third, 'loop').lastExit ? true : undefined), 'loaded');
    await new Promise((r) => setTimeout(r, 500));
    expect(status(third, 'loop').state).toBe('errored');
    expect(runs(h, 'loop')).toHaveLength(16);
    const started = await third.supervisor.start('loop', 'test', 'fixed it');
    expect(started.unstable.count).toBe(0);
    expect(started.erroredAt).toBeNull();
  });

  it('stops a TradingAssistantX-shaped bot with SIGINT through its tree; restart starts it once more', async () => {
    const { h, root } = setup();
    h.setBots([taxBot(root, { restart: { policy: 'always', delayMs: 100 } })]);
    const cap = await h.open();
    const samples: LiveSample[] = [];
    h.hooks.on('samples', (e) => samples.push(...e.samples));
    const running = await eventually(
      () => (status(cap, 'tax').state === 'running' ? status(cap, 'tax') : undefined),
      'running',
    );
    // The bot's own node starts a moment after the runner: scan until both are there.
    const scanJob = cap.jobs!.find((j) => j.name === 'bots.scan')!;
    await eventually(async () => {
      await scanJob.run({ slot: 0, now: 0, signal: new AbortController().signal });
      return status(cap, 'tax').processes === 2 ? true : undefined;
    }, 'two node processes');
    const value = (name: string) => samples.findLast((s) => s.key === `${name}{bot=tax}`)?.value;
    // bot.up carries how the bot starts: the shipped bot-down rule watches always-on bots only.
    expect(samples.findLast((s) => s.key === 'bot.up{bot=tax,start=always}')?.value).toBe(1);
    expect(value('bot.processes')).toBe(2);
    expect(value('bot.state')).toBe(1);
    // Every metric it produces is in the catalog, with exactly the catalog's labels.
    for (const sample of samples) {
      expect(findMetric(sample.name)?.labels).toEqual(Object.keys(sample.labels));
    }
    expect(new Set(samples.map((s) => s.name)).size).toBe(7);

    // Its SIGINT handler is in place once it prints (a signal before that ends it like any program).
    await eventually(
      () => (cap.supervisor.output('tax', 50).lines.some((l) => l.text.startsWith('📡')) ? true : undefined),
      'first tick',
    );
    const restarted = await cap.supervisor.restart('tax', 'test', '設定変更');
    expect(restarted.pid).not.toBe(running.pid);
    expect(restarted.restarts.count).toBe(1);
    expect(alive(running.pid!)).toBe(false);
    expect(cap.supervisor.output('tax', 500).lines.map((l) => l.text)).toContain('🛑 SIGINT: 停止します');

    await eventually(() => {
      const lines = cap.supervisor.output('tax', 500).lines.map((l) => l.text);
      const starts = lines.filter((t) => t.startsWith('started pid=')).length;
      const lastStart = lines.findLastIndex((t) => t.startsWith('started pid='));
      return starts === 2 && lines.slice(lastStart).some((t) => t.startsWith('📡')) ? true : undefined;
    }, 'the second run ticking');
    const stopped = await cap.supervisor.stop('tax', 'test', 'メンテナンス');
    expect(stopped.state).toBe('stopped');
    expect(stopped.lastExit).toMatchObject({ outcome: 'stopped', code: 0 });
    expect(alive(restarted.pid!)).toBe(false);
    // An always-on bot an operator stopped is not restarted, nor started by the next Nexus Ops.
    await new Promise((r) => setTimeout(r, 600));
    expect(status(cap, 'tax').state).toBe('stopped');
    const next = await h.reopen();
    await new Promise((r) => setTimeout(r, 600));
    expect(status(next, 'tax')).toMatchObject({ state: 'stopped', operatorStopped: true });
    expect(h.audit().map((a) => a.action)).toEqual(expect.arrayContaining(['bot.restart', 'bot.stop']));
    expect(h.audit().find((a) => a.action === 'bot.stop')?.details).toMatchObject({ reason: 'メンテナンス' });
  });

  it('ends a bot that ignores Ctrl+C by force after its grace period', async () => {
    const { h, root } = setup();
    h.setBots([pythonBot(root, 'stubborn', 'stubborn', { stopGraceSeconds: 0.5, start: 'manual' })]);
    const cap = await h.open();
    await eventually(() => (status(cap, 'stubborn').state === 'stopped' ? true : undefined), 'ready');
    const started = await cap.supervisor.start('stubborn', 'test');
    expect(started.state).toBe('starting');
    const pid = await eventually(() => {
      const s = status(cap, 'stubborn');
      return s.state === 'running' &&
        cap.supervisor.output('stubborn', 50).lines.some((l) => l.text.startsWith('tick'))
        ? s.pid
        : undefined;
    }, 'ticking');
    const t0 = Date.now();
    const stopped = await cap.supervisor.stop('stubborn', 'test');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(450);
    expect(stopped.lastExit).toMatchObject({ outcome: 'stopped', signal: 'SIGKILL' });
    expect(alive(pid!)).toBe(false);
    expect(cap.supervisor.output('stubborn', 500).lines.map((l) => l.text)).not.toContain(
      'cleanup: ドライバーを閉じました',
    );
  });

  it('adopts a bot still running after a restart of Nexus Ops instead of starting it again', async () => {
    const { h, root } = setup();
    h.setBots([pythonBot(root, 'jp', 'serve')]);
    const cap = await h.open();
    const before = await eventually(
      () => (status(cap, 'jp').state === 'running' ? status(cap, 'jp') : undefined),
      'running',
    );
    const next = await h.reopen();
    const adopted = await eventually(
      () => (status(next, 'jp').state === 'running' ? status(next, 'jp') : undefined),
      'adopted',
    );
    expect(adopted.pid).toBe(before.pid);
    await new Promise((r) => setTimeout(r, 500));
    expect(runs(h, 'jp')).toHaveLength(1);
    const starts = next.supervisor.output('jp', 1000).lines.filter((l) => l.text.startsWith('started pid='));
    expect(starts).toHaveLength(1);
    // The adopted run is supervised like any other: a graceful stop, its end recorded.
    const stopped = await next.supervisor.stop('jp', 'test');
    expect(stopped.lastExit).toMatchObject({ outcome: 'stopped', code: 0 });
    expect(next.supervisor.output('jp', 5).lines.at(-1)?.text).toBe('cleanup: ドライバーを閉じました');
  });

  it('the emergency stop holds supervised bots (no restart) and resume restores them', async () => {
    const { h, root } = setup();
    h.setBots([pythonBot(root, 'jp', 'serve', { restart: { policy: 'always', delayMs: 100 } })]);
    const cap = await h.open();
    const running = await eventually(
      () => (status(cap, 'jp').state === 'running' ? status(cap, 'jp') : undefined),
      'running',
    );
    const t = createTestStop({
      store: h.store,
      folders: [root],
      stop: { graceSeconds: 0.5, verifySeconds: 1 },
      schedules: cap.pauser,
    });
    t.stop.isStopped();
    const run = await t.stop.trigger({ source: 'button', reason: 'テスト停止' });
    h.hooks.emit('stop.changed', { stopped: true });
    expect(run.pausedSchedules).toEqual(['bot:jp']);
    const held = await eventually(
      () => (status(cap, 'jp').state === 'held' ? status(cap, 'jp') : undefined),
      'held',
    );
    expect(held.held).toBe(true);
    expect(held.lastExit?.outcome).toBe('stopped');
    expect(alive(running.pid!)).toBe(false);
    await new Promise((r) => setTimeout(r, 800));
    expect(status(cap, 'jp').state).toBe('held');
    await expect(cap.supervisor.start('jp', 'test')).rejects.toThrow(/emergency stop/);
    expect(existsSync(join(root, 'EMERGENCY_STOP'))).toBe(true);

    await t.stop.resume({ actor: 'test', reason: '確認済み' });
    h.hooks.emit('stop.changed', { stopped: false });
    const back = await eventually(
      () => (status(cap, 'jp').state === 'running' ? status(cap, 'jp') : undefined),
      'resumed',
    );
    expect(back.held).toBe(false);
    expect(back.pid).not.toBe(running.pid);
    expect(runs(h, 'jp').at(-1)?.trigger).toBe('resume');
  });

  it('a Nexus Ops started while the emergency stop is in force keeps always-on bots held', async () => {
    const { h, root } = setup();
    h.setBots([pythonBot(root, 'jp', 'serve')]);
    const stop = createTestStop({
      store: h.store,
      folders: [root],
      stop: { graceSeconds: 0.2, verifySeconds: 1 },
    });
    await stop.stop.trigger({ source: 'cli', reason: 'アプリ停止中の緊急停止' });
    const cap = await h.open();
    await eventually(() => (status(cap, 'jp').state === 'held' ? true : undefined), 'held at start');
    await new Promise((r) => setTimeout(r, 500));
    expect(runs(h, 'jp')).toHaveLength(0);
    // Resumed from the CLI while this Nexus Ops was closed: the next one starts the bot.
    await stop.stop.resume({ actor: 'cli:test', reason: '再開' });
    const next = await h.reopen();
    await eventually(
      () => (status(next, 'jp').state === 'running' ? true : undefined),
      'started after resume',
    );
  });

  it('starts a scheduled bot at its cron slot in the operator zone and stops a run past its timeout', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 5, 0, 7, 0)); // 09:07 in Tokyo
    const { h, root } = setup({ clock, manualJobs: true });
    h.setBots([
      pythonBot(root, 'sched', 'serve', {
        start: 'schedule',
        cron: '*/10 * * * *',
        timezone: 'Asia/Tokyo',
        timeoutMinutes: 1,
        stopGraceSeconds: 2,
      }),
    ]);
    const cap = await h.open({ clock });
    await eventually(async () => {
      await h.jobs.runDue();
      return status(cap, 'sched').schedule ? true : undefined;
    }, 'loaded');
    expect(status(cap, 'sched')).toMatchObject({
      state: 'stopped',
      schedule: { cron: '*/10 * * * *', timezone: 'Asia/Tokyo', nextRunAt: Date.UTC(2026, 0, 5, 0, 10, 0) },
    });
    expect(h.jobs.status('bots.schedule.sched')?.nextRunAt).toBe(Date.UTC(2026, 0, 5, 0, 10, 0));
    clock.set(Date.UTC(2026, 0, 5, 0, 10, 0));
    await h.jobs.runDue();
    const running = await eventually(async () => {
      await h.jobs.runNow('bots.supervise');
      const s = status(cap, 'sched');
      const ticking = cap.supervisor.output('sched', 20).lines.some((l) => l.text.startsWith('tick'));
      return s.state === 'running' && ticking ? s : undefined;
    }, 'scheduled run');
    expect(runs(h, 'sched')[0]?.trigger).toBe('schedule');
    clock.advance(61_000);
    await h.jobs.runDue();
    const ended = await eventually(async () => {
      await h.jobs.runNow('bots.supervise');
      const s = status(cap, 'sched');
      return s.lastExit ? s : undefined;
    }, 'timeout');
    expect(ended.lastExit).toMatchObject({ outcome: 'timeout', code: 0 });
    expect(alive(running.pid!)).toBe(false);
    // It waits for its next slot instead of restarting.
    expect(ended.state).toBe('stopped');
    expect(ended.nextRestartAt).toBeNull();
    expect(ended.schedule?.nextRunAt).toBe(Date.UTC(2026, 0, 5, 0, 20, 0));
  });

  it('offers restart-bot to other capabilities, and masks the secrets a bot was given in its output', async () => {
    const { h, root } = setup();
    process.env.NEXUS_OPS_TEST_TAX_KEY = 'zq-極秘-4711-abcdef';
    h.setBots([taxBot(root, { env: { TAX_API_KEY: '${env:NEXUS_OPS_TEST_TAX_KEY}' } })]);
    const cap = await h.open();
    const first = await eventually(
      () => (status(cap, 'tax').state === 'running' ? status(cap, 'tax') : undefined),
      'running',
    );
    const output = await eventually(() => {
      const lines = cap.supervisor.output('tax', 100).lines;
      return lines.some((l) => l.text.startsWith('🔑')) ? lines : undefined;
    }, 'key line');
    const keyLine = output.find((l) => l.text.startsWith('🔑'))!.text;
    expect(keyLine).toBe('🔑 APIキー使用中 [masked]');
    expect(JSON.stringify(output)).not.toContain('4711');

    expect(h.actions.names()).toContain('restart-bot');
    await h.actions.run('restart-bot', {
      ruleId: 'health-tax',
      alertId: 'a1',
      reason: '応答なし',
      target: 'tax',
    });
    expect(status(cap, 'tax').pid).not.toBe(first.pid);
    expect(h.audit().find((a) => a.action === 'bot.restart')).toMatchObject({
      actor: 'rule:health-tax',
      details: { bot: 'tax', reason: '応答なし' },
    });
    await expect(
      h.actions.run('restart-bot', { ruleId: 'r', alertId: 'a', reason: 'x', target: 'nosuch' }),
    ).rejects.toThrow(/no bot "nosuch"/);
    delete process.env.NEXUS_OPS_TEST_TAX_KEY;
  });

  it('follows config edits: a new always-on bot starts, a removed one is watched until it ends', async () => {
    const { h, root } = setup();
    h.setBots([pythonBot(root, 'jp', 'serve', { start: 'manual' })]);
    const cap = await h.open();
    await eventually(() => (h.hookEvents.some((e) => e.bot.id === 'jp') ? true : undefined), 'loaded');
    expect(status(cap, 'jp').state).toBe('stopped');
    h.setBots([pythonBot(root, 'jp', 'serve', { start: 'manual' }), taxBot(root)]);
    const tax = await eventually(
      () => (status(cap, 'tax').state === 'running' ? status(cap, 'tax') : undefined),
      'tax',
    );
    expect(status(cap, 'jp').state).toBe('stopped');

    h.setBots([pythonBot(root, 'jp', 'serve', { start: 'manual' })]);
    const orphan = status(cap, 'tax');
    expect(orphan).toMatchObject({ orphaned: true, pid: tax.pid });
    expect(orphan.state === 'running' || orphan.state === 'starting').toBe(true);
    await cap.supervisor.stop('tax', 'test');
    expect(() => status(cap, 'tax')).toThrow(/no bot "tax"/);
    expect(alive(tax.pid!)).toBe(false);
  });

  it('says why a bot cannot start (missing folder, unset variable) and does not retry it every tick', async () => {
    const { h, root } = setup();
    h.setBots([
      pythonBot(join(root, 'まだない'), 'gone', 'serve', { restart: { policy: 'always', delayMs: 0 } }),
      pythonBot(root, 'nokey', 'serve', { env: { KEY: '${env:NEXUS_OPS_TEST_UNSET_VARIABLE}' } }),
    ]);
    const cap = await h.open();
    const gone = await eventually(() => status(cap, 'gone').problem ?? undefined, 'problem');
    expect(gone).toMatch(/working folder .*まだない does not exist/);
    expect(status(cap, 'nokey').problem).toMatch(
      /bots\.nokey\.run\.env: environment variable NEXUS_OPS_TEST_UNSET_VARIABLE is not set/,
    );
    expect(
      cap
        .configIssues?.()
        .map((i) => i.message)
        .join('\n'),
    ).toMatch(/まだない does not exist: this bot cannot start/);
    await new Promise((r) => setTimeout(r, 400));
    expect(status(cap, 'gone')).toMatchObject({
      state: 'stopped',
      restarts: { count: 0 },
      lastExit: { outcome: 'start-failed' },
    });
    expect(runs(h, 'gone')).toHaveLength(0);
    await expect(cap.supervisor.start('nokey', 'test')).rejects.toThrow(/not set/);
  });
});

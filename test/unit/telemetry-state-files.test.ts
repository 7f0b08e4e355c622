/**
 * State files as the real bots write them, in real folders: TradingAssistantX's
 * data/current/<YYYYMMDD-HHMM>/post.yaml and Nexus 02's logs/action_logs/<account>_actions.json
 * (rewritten whole on each action). The first look only takes note; a new post.yaml is one outcome; a
 * rewritten actions file gives its new entries; a half-written file is read again at its next change;
 * a restart of Nexus Ops counts nothing twice.
 */
import { cpSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/core/clock/index.js';
import { telemetryHarness } from '../fixtures/telemetry/harness.js';
import { FIXTURES } from '../fixtures/telemetry/records.js';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

function touch(path: string, at: number): void {
  utimesSync(path, at / 1000, at / 1000);
}

describe('state files', () => {
  it('TradingAssistantX post.yaml and Nexus 02 actions.json become outcomes, each once', () => {
    const clock = new ManualClock(Date.parse('2026-01-05T10:05:00+09:00'));
    const h = telemetryHarness(clock);
    closers.push(() => h.close());
    // Real folders, with spaces and Japanese in their names.
    const tax = join(h.dir, 'ボット TradingAssistantX');
    const nexus = join(h.dir, 'ボット Nexus 02');
    cpSync(join(FIXTURES, 'tax'), tax, { recursive: true });
    cpSync(join(FIXTURES, 'nexus02'), nexus, { recursive: true });
    h.config.current = {
      ...h.config.current,
      bots: h.config.current.bots.map((b) =>
        b.id === 'tax'
          ? { ...b, root: tax, stateFiles: ['data/current/*/post.yaml'] }
          : { ...b, root: nexus, stateFiles: ['logs/action_logs/*_actions.json'] },
      ),
      telemetry: {
        ...h.config.current.telemetry,
        bots: [
          { bot: 'tax', packs: [], outcomes: 'state-files' },
          { bot: 'nexus02', packs: [], outcomes: 'state-files' },
        ],
      },
    };
    expect(h.telemetry.setConfig(h.config.current)).toEqual([]);
    const outcomes = () =>
      Object.fromEntries(
        h.telemetry.kpiViews().map((k) => [k.bot, [k.successes, k.failures, k.consecutiveFailures]]),
      );

    // First look: what is there is history, not today's work.
    h.telemetry.scanStateFiles();
    expect(outcomes()).toEqual({ nexus02: [0, 0, 0], tax: [0, 0, 0] });

    // A new TradingAssistantX run writes its post.yaml: one success of its action.
    const post = join(tax, 'data', 'current', '20260105-1005', 'post.yaml');
    mkdirSync(join(post, '..'), { recursive: true });
    writeFileSync(
      post,
      readFileSync(join(tax, 'data', 'current', '20260105-0600', 'post.yaml'), 'utf8')
        .replace('20260105-0600', '20260105-1005')
        .replace("'2026-01-05T06:00:07.345'", "'2026-01-05T10:04:30.000'"),
    );
    // Nexus 02 rewrites its action log with two new entries (one failed) and a dry run.
    const actions = join(nexus, 'logs', 'action_logs', 'acc1_actions.json');
    const doc = JSON.parse(readFileSync(actions, 'utf8')) as Record<string, unknown>;
    doc['1966012345678911111'] = {
      like: { status: 'success', timestamp: '2026-01-05T10:04:10.100000', meta: null },
    };
    doc['1966012345678922222'] = {
      comment: { status: 'failed', timestamp: '2026-01-05T10:04:40.200000', meta: 'Message: timeout' },
      like: { status: 'dry_run', timestamp: '2026-01-05T10:04:41.000000', meta: null },
    };
    // Half-written first: not JSON yet. It is read again when it changes.
    writeFileSync(actions, JSON.stringify(doc).slice(0, 80));
    touch(actions, clock.now());
    h.telemetry.scanStateFiles();
    expect(outcomes()).toEqual({ nexus02: [0, 0, 0], tax: [1, 0, 0] });
    expect(h.logs.some((l) => l.includes('acc1_actions.json') && l.includes('read again later'))).toBe(true);
    writeFileSync(actions, JSON.stringify(doc));
    touch(actions, clock.now() + 1000);
    h.telemetry.scanStateFiles();
    expect(outcomes()).toEqual({ nexus02: [1, 1, 1], tax: [1, 0, 0] });
    const acc1 = h.telemetry.kpiViews().find((k) => k.bot === 'nexus02')?.accounts[0];
    expect(acc1).toMatchObject({ account: 'acc1', consecutiveFailures: 1 });
    expect(acc1?.actions.map((a) => a.action).sort()).toEqual(['comment', 'like']);

    // Nothing changed: nothing new. A restart: nothing counted twice (the streak and the marks are stored).
    h.telemetry.scanStateFiles();
    h.restart();
    h.telemetry.scanStateFiles();
    expect(h.telemetry.kpiViews().find((k) => k.bot === 'nexus02')?.consecutiveFailures).toBe(1);
    expect(outcomes()).toEqual({ nexus02: [0, 0, 1], tax: [0, 0, 0] });
  });
});

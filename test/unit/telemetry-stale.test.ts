/**
 * A rule that matched a bot before and nothing for its `expectWithinHours` while the bot kept writing
 * is reported as possibly stale (the bot's format changed): in the config issues (app.status) and in
 * telemetry.rules. A bot that went quiet is not a stale rule; a match clears it. Injected clock: a day
 * passes in a moment; the check runs on the publish job.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/core/clock/index.js';
import { telemetryHarness } from '../fixtures/telemetry/harness.js';
import type { LogsRecord } from '../fixtures/telemetry/records.js';

const jst = (text: string) => Date.parse(`${text}+09:00`);
const HOUR = 3_600_000;
const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

let seq = 0;
const nexus = (ts: number, message: string, level: LogsRecord['level'] = 'INFO'): LogsRecord => ({
  id: `n${++seq}`,
  bot: 'nexus02',
  ts,
  level,
  message,
  source: 'log/acc1_20260105_100000.log',
});
const tax = (ts: number, message: string): LogsRecord => ({
  id: `t${++seq}`,
  bot: 'tax',
  ts,
  level: 'INFO',
  stream: 'stdout',
  message,
  source: 'stdout',
});

describe('a rule that stopped matching', () => {
  it('is reported stale after its expected hours while the bot kept writing, and clears at the next match', () => {
    const t0 = jst('2026-01-05T10:00:00');
    const clock = new ManualClock(t0);
    const h = telemetryHarness(clock, {
      telemetry: {
        bots: [
          { bot: 'nexus02', packs: ['nexus02'] },
          { bot: 'tax', packs: ['tradingassistantx'] },
        ],
      },
    });
    closers.push(() => h.close());
    const stale = () => h.telemetry.configIssues().filter((i) => i.message.includes('possibly stale'));
    const staleFor = (id: string) => h.telemetry.ruleStatus().rules.find((r) => r.id === id)?.staleFor;

    // Both rules with expectWithinHours: 24 match once at 10:00 (a success of each bot).
    h.feed([
      nexus(t0, '[acc1] [like] success: 1966012345678901234'),
      tax(t0, '✅ MainWorkflow実行完了 - ExecutionID: exec_1_post - 実行時間: 2341ms - 結果: success'),
    ]);
    // Nexus 02 keeps writing every hour, but its success lines changed shape ("成功" instead of success);
    // its memory line still matches (that rule stays fresh). TradingAssistantX writes nothing more.
    const tick = (hoursAfter: number) => {
      const at = t0 + hoursAfter * HOUR;
      clock.set(at);
      h.feed([
        nexus(at, `[acc1] [like] 成功: 19660123456789${String(hoursAfter).padStart(5, '0')}`),
        nexus(at + 1000, '現在のメモリ使用量: 201.5 MB'),
      ]);
      h.telemetry.publishAll();
    };
    for (let hr = 1; hr <= 24; hr++) tick(hr);
    // 24 h after the last match, to the minute: not yet (more than 24 h are needed).
    expect(stale()).toEqual([]);
    expect(staleFor('nexus-action-success')).toEqual([]);

    tick(24.5);
    const issues = stale();
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe('telemetry.rules (nexus-action-success)');
    expect(issues[0]?.message).toContain('rule nexus-action-success is possibly stale');
    expect(issues[0]?.message).toContain('of nexus02 for 24 h');
    expect(staleFor('nexus-action-success')).toEqual(['nexus02']);
    // The memory rule matched all along; the quiet bot's rule is not stale (the bot stopped writing).
    expect(staleFor('nexus-memory')).toEqual([]);
    expect(staleFor('tax-workflow-success')).toEqual([]);

    // The bot writes a success line the rule knows again: no longer stale.
    clock.set(t0 + 25 * HOUR);
    h.feed([nexus(t0 + 25 * HOUR, '[acc1] [like] success: 1966012345678909999')]);
    h.telemetry.publishAll();
    expect(stale()).toEqual([]);
    expect(staleFor('nexus-action-success')).toEqual([]);
  });

  it('a rule written in the config is reported by its place in telemetry.rules', () => {
    const t0 = jst('2026-01-05T10:00:00');
    const clock = new ManualClock(t0);
    const h = telemetryHarness(clock, {
      telemetry: {
        bots: [{ bot: 'nexus02' }],
        rules: [
          { id: 'order-done', match: 'order done', event: 'success', expectWithinHours: 2 },
          { id: 'any', match: '.', event: 'count', metric: 'custom.lines' },
        ],
      },
    });
    closers.push(() => h.close());
    h.feed([nexus(t0, 'order done 1')]);
    for (let m = 30; m <= 150; m += 30) {
      clock.set(t0 + m * 60_000);
      h.feed([nexus(t0 + m * 60_000, `heartbeat ${m}`)]);
      h.telemetry.publishAll();
    }
    const issues = h.telemetry.configIssues().filter((i) => i.message.includes('possibly stale'));
    expect(issues.map((i) => i.path)).toEqual(['telemetry.rules.0 (order-done)']);
    expect(issues[0]?.message).toContain('for 2 h');
  });
});

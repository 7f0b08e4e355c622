/**
 * Runs seen from the logs alone (issue 12: "a new per-run log file, its last record"): the first records
 * of a new per-run file (`<account>_<YYYYMMDD_HHMMSS>.log`) start a run at the time in its name; the
 * next account's file of the same run is the same run; the run ends at the bot's last record once it has
 * been quiet for 10 minutes. Files from before Nexus Ops watched are history, not runs. Injected clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/core/clock/index.js';
import { type LogFileInfo, runStartsFromLogs } from '../../electron/core/telemetry/index.js';
import { telemetryHarness } from '../fixtures/telemetry/harness.js';
import type { LogsRecord } from '../fixtures/telemetry/records.js';

const jst = (text: string) => Date.parse(`${text}+09:00`);
const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

/** Records as the logs capability announces them (ids and file ids of its database). */
const rec = (id: number, fileId: number, ts: number, message = 'x') => ({
  id,
  ts,
  level: 'INFO',
  botId: 'nexus02',
  message,
  fileId,
});

describe('runStartsFromLogs', () => {
  it('a per-run file whose first records are in the batch starts a run at the time in its name', () => {
    const files = new Map<number, LogFileInfo>([
      [1, { path: 'log/acc1_20260105_100000.log', runStarted: jst('2026-01-05T10:00:00'), records: 2 }],
      // Records stored before this batch: not new.
      [2, { path: 'log/acc2_20260105_080000.log', runStarted: jst('2026-01-05T08:00:00'), records: 9 }],
      // Not a per-run file.
      [3, { path: 'log/app.log', runStarted: null, records: 1 }],
    ]);
    const t = jst('2026-01-05T10:00:02');
    const signals = runStartsFromLogs(
      { records: [rec(10, 1, t), rec(11, 1, t + 500), rec(12, 2, t), rec(13, 3, t)] },
      (id) => files.get(id),
    );
    expect(signals).toEqual([
      {
        kind: 'start',
        bot: 'nexus02',
        at: jst('2026-01-05T10:00:00'),
        from: 'log',
        evidence: 'new log file log/acc1_20260105_100000.log',
      },
    ]);
    // Garbage and unknown files give nothing, and never throw.
    expect(runStartsFromLogs({ records: ['x', null, rec(1, 99, t)] }, (id) => files.get(id))).toEqual([]);
    expect(runStartsFromLogs(42, () => undefined)).toEqual([]);
  });
});

describe("the dead-man's switch from per-run log files", () => {
  it('starts at the new file, keeps one run for the next account file, ends at the last record after 10 quiet minutes', () => {
    const clock = new ManualClock(jst('2026-01-05T09:30:00'));
    const h = telemetryHarness(clock, {
      telemetry: {
        bots: [
          {
            bot: 'nexus02',
            packs: ['nexus02'],
            deadMan: { schedule: { cron: '0 */2 * * *' }, runsFrom: ['log'] },
          },
        ],
      },
    });
    closers.push(() => h.close());
    const state = (at: string) => {
      clock.set(jst(at));
      h.telemetry.checkDeadMen();
      return h.telemetry.deadManState('nexus02');
    };
    // A file of a run from before Nexus Ops watched (read as history at its first start): no run.
    h.telemetry.observeRun({ kind: 'start', bot: 'nexus02', at: jst('2026-01-05T08:00:00'), from: 'log' });
    expect(state('2026-01-05T09:31:00')).toMatchObject({ state: 'up', reason: 'waiting', lastRun: null });

    // 10:00: acc1's file appears; 10:06: acc2's file of the same run.
    h.telemetry.observeRun({ kind: 'start', bot: 'nexus02', at: jst('2026-01-05T10:00:00'), from: 'log' });
    let seq = 0;
    const line = (at: string, message: string): LogsRecord => ({
      id: `r${++seq}`,
      bot: 'nexus02',
      ts: jst(at),
      level: 'INFO',
      message,
      source: 'log/acc1_20260105_100000.log',
    });
    h.feed([line('2026-01-05T10:00:05', '[acc1] [like] success: 1966012345678901234')]);
    expect(state('2026-01-05T10:05:00')).toMatchObject({ state: 'running', reason: 'running' });
    h.telemetry.observeRun({ kind: 'start', bot: 'nexus02', at: jst('2026-01-05T10:06:00'), from: 'log' });
    h.feed([line('2026-01-05T10:20:00', '[acc2] [like] success: 1966012345678905678')]);
    // Still one run (the second file is the same run seen again), not a double start.
    expect(state('2026-01-05T10:25:00')).toMatchObject({ state: 'running', reason: 'running' });
    // Quiet for 9 minutes: still running; for 10: ended at its last record (10:20), outcome unknown.
    expect(state('2026-01-05T10:29:59')).toMatchObject({ state: 'running' });
    const ended = state('2026-01-05T10:30:00');
    expect(ended).toMatchObject({ state: 'up', reason: 'ok' });
    expect(ended?.lastRun).toMatchObject({
      startedAt: jst('2026-01-05T10:00:00'),
      finishedAt: jst('2026-01-05T10:20:00'),
      ok: null,
      from: 'log',
    });
    // The 12:00 run writes no new file: late at the end of its start grace, as from any other signal.
    expect(state('2026-01-05T12:11:00')).toMatchObject({ state: 'late', reason: 'no_start' });
  });
});

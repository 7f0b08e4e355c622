/**
 * The dead-man's switch pauses instead of raising a false alarm: while the emergency stop holds the
 * bots (its runs are prevented on purpose), for a bot whose switch is turned off, and for a bot the
 * operator disabled in `bots:`. The runs the stop prevented are not counted as missed after the resume;
 * the slots after it are judged again. Injected clock: hours pass in a moment.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/core/clock/index.js';
import { seriesKey } from '../../shared/series.js';
import { BOTS_CONFIG, type TelemetryHarness, telemetryHarness } from '../fixtures/telemetry/harness.js';

const jst = (text: string) => Date.parse(`${text}+09:00`);
const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

const EVERY_2H = { schedule: { cron: '0 */2 * * *' } };

function setup(opts: { enabled?: boolean; botEnabled?: boolean } = {}): {
  h: TelemetryHarness;
  clock: ManualClock;
  state: (at: string) => { state: string; reason: string; published: number | undefined };
} {
  const clock = new ManualClock(jst('2026-01-05T00:30:00'));
  const h = telemetryHarness(clock, {
    bots: BOTS_CONFIG.map((b) => (b.id === 'nexus02' ? { ...b, enabled: opts.botEnabled ?? true } : b)),
    telemetry: {
      bots: [{ bot: 'nexus02', deadMan: { ...EVERY_2H, enabled: opts.enabled ?? true } }],
    },
  });
  closers.push(() => h.close());
  return {
    h,
    clock,
    state(at) {
      clock.set(jst(at));
      h.telemetry.checkDeadMen();
      const v = h.telemetry.deadManState('nexus02');
      return {
        state: v?.state ?? 'none',
        reason: v?.reason ?? 'none',
        published: h.latest(seriesKey('bot.dms_state', { bot: 'nexus02' })),
      };
    },
  };
}

describe("the dead-man's switch pauses", () => {
  it('while the emergency stop holds the bots: late before, paused during (however many slots pass), judged again from the resume', () => {
    const { h, state } = setup();
    // The 02:00 run did not start: late at the end of the 10-minute start grace.
    expect(state('2026-01-05T02:09:00')).toMatchObject({ state: 'up', reason: 'waiting' });
    expect(state('2026-01-05T02:11:00')).toEqual({ state: 'late', reason: 'no_start', published: 3 });

    // The emergency stop holds the bots (the stop.changed hook).
    h.telemetry.setStopped(true);
    expect(state('2026-01-05T02:12:00')).toEqual({ state: 'paused', reason: 'emergency_stop', published: 2 });
    // Slots 04:00 and 06:00 pass: still paused, never down for runs the stop prevented.
    expect(state('2026-01-05T06:30:00')).toEqual({ state: 'paused', reason: 'emergency_stop', published: 2 });
    const event = h.events.filter((e) => e.type === 'telemetry.deadman').at(-1);
    expect(event && 'states' in event ? event.states[0]?.reasonText : '').toBe(
      '緊急停止中のため監視を休止しています',
    );

    // Resumed at 06:40: the slots of the stop are not missed runs; the next slot is judged as usual.
    h.telemetry.setStopped(false);
    expect(state('2026-01-05T06:40:00')).toMatchObject({ state: 'up', reason: 'waiting', published: 0 });
    expect(state('2026-01-05T08:11:00')).toMatchObject({ state: 'late', reason: 'no_start', published: 3 });
    // And two missed slots after the resume are down, as always.
    expect(state('2026-01-05T10:11:00')).toMatchObject({ state: 'down', reason: 'missed', published: 4 });
  });

  it('a run that was going when the stop came is not "not finished" while paused', () => {
    const { h, state } = setup();
    h.telemetry.observeRun({
      kind: 'start',
      bot: 'nexus02',
      at: jst('2026-01-05T02:01:00'),
      from: 'process',
    });
    expect(state('2026-01-05T02:30:00')).toMatchObject({ state: 'running' });
    h.telemetry.setStopped(true);
    // Past the 60-minute limit, but the stop holds the bots.
    expect(state('2026-01-05T03:30:00')).toMatchObject({ state: 'paused', reason: 'emergency_stop' });
  });

  it('when its switch is turned off (deadMan.enabled: false): paused, whatever the schedule says', () => {
    const { state } = setup({ enabled: false });
    expect(state('2026-01-05T02:11:00')).toEqual({ state: 'paused', reason: 'disabled', published: 2 });
    expect(state('2026-01-05T06:11:00')).toEqual({ state: 'paused', reason: 'disabled', published: 2 });
  });

  it('when the operator disabled the bot in bots: (enabled: false): paused, not late or down', () => {
    const { h, state } = setup({ botEnabled: false });
    expect(state('2026-01-05T02:11:00')).toEqual({ state: 'paused', reason: 'disabled', published: 2 });
    expect(state('2026-01-05T06:11:00')).toEqual({ state: 'paused', reason: 'disabled', published: 2 });
    // Enabled again: watched from then on (the slots while it was disabled are not missed runs).
    h.config.current = {
      ...h.config.current,
      bots: h.config.current.bots.map((b) => ({ ...b, enabled: true })),
    };
    h.telemetry.setConfig(h.config.current);
    expect(state('2026-01-05T06:20:00')).toMatchObject({ state: 'up', reason: 'waiting' });
    expect(state('2026-01-05T08:11:00')).toMatchObject({ state: 'late', reason: 'no_start' });
  });
});

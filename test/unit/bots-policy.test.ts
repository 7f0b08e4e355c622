/**
 * The restart policy and crash-loop guard against PM2's numbers (ANCHORS.md a.1), driven by a clock a
 * test moves by hand: the backoff sequence, its cap and reset, the unstable-exit window and the trip.
 */
import { describe, expect, it } from 'vitest';
import {
  afterOperatorStart,
  type BotCounters,
  decideAfterExit,
  freshCounters,
  nextBackoff,
  wantsRestart,
} from '../../electron/core/bots/index.js';
import { ManualClock } from '../../electron/core/clock/index.js';
import { type RestartPolicyConfig, restartPolicySchema } from '../../shared/config/bots.js';

const policy = (p: Partial<RestartPolicyConfig> = {}): RestartPolicyConfig => restartPolicySchema.parse(p);

describe('restart policy', () => {
  it('restarts per policy: never, on-failure (not after a clean exit), always; never after a deliberate stop', () => {
    expect(wantsRestart('never', 'failed')).toBe(false);
    expect(wantsRestart('on-failure', 'failed')).toBe(true);
    expect(wantsRestart('on-failure', 'timeout')).toBe(true);
    expect(wantsRestart('on-failure', 'vanished')).toBe(true);
    expect(wantsRestart('on-failure', 'start-failed')).toBe(true);
    expect(wantsRestart('on-failure', 'exited')).toBe(false);
    expect(wantsRestart('always', 'exited')).toBe(true);
    expect(wantsRestart('always', 'stopped')).toBe(false);
  });

  it('grows the delay ×1.5 from the configured start, capped at 15 s (PM2 exp_backoff_restart_delay)', () => {
    const p = policy({ delayMs: 1000 });
    const delays: number[] = [];
    let previous = 0;
    for (let i = 0; i < 10; i++) {
      previous = nextBackoff(previous, 100, p);
      delays.push(previous);
    }
    expect(delays).toEqual([1000, 1500, 2250, 3375, 5062, 7593, 11389, 15000, 15000, 15000]);
  });

  it('goes back to the configured delay after a run of 30 s or more', () => {
    const p = policy({ delayMs: 1000 });
    expect(nextBackoff(11389, 29_999, p)).toBe(15000);
    expect(nextBackoff(11389, 30_000, p)).toBe(1000);
  });

  it('trips the crash-loop guard at the 16th unstable exit in a row, recording the window', () => {
    const clock = new ManualClock();
    const p = policy({ delayMs: 100 });
    let counters: BotCounters = freshCounters();
    const first = clock.now();
    let trippedAt = -1;
    for (let i = 1; i <= 20 && trippedAt < 0; i++) {
      const d = decideAfterExit(counters, { outcome: 'failed', uptimeMs: 300 }, p, clock.now());
      counters = d.counters;
      if (d.errored) {
        trippedAt = i;
        expect(d.restartAt).toBeNull();
      } else {
        expect(d.restartAt).toBe(clock.now() + counters.backoffMs);
        clock.advance(counters.backoffMs + 300);
      }
    }
    expect(trippedAt).toBe(16);
    expect(counters.unstableCount).toBe(16);
    expect(counters.unstableSince).toBe(first);
    expect(counters.unstableLast).toBe(clock.now());
    expect(counters.erroredAt).toBe(clock.now());
  });

  it('a stable run ends the streak; a clean exit under on-failure does not restart but still counts', () => {
    const p = policy();
    let c = freshCounters();
    for (let i = 0; i < 5; i++)
      c = decideAfterExit(c, { outcome: 'failed', uptimeMs: 10 }, p, 1000 + i).counters;
    expect(c.unstableCount).toBe(5);
    const stable = decideAfterExit(c, { outcome: 'failed', uptimeMs: 5000 }, p, 2000);
    expect(stable.counters.unstableCount).toBe(0);
    expect(stable.counters.unstableSince).toBeNull();
    expect(stable.restartAt).not.toBeNull();
    const clean = decideAfterExit(c, { outcome: 'exited', uptimeMs: 10 }, p, 3000);
    expect(clean.restartAt).toBeNull();
    expect(clean.errored).toBe(false);
  });

  it('an operator start clears the guard and the backoff, keeping the restart total', () => {
    const c: BotCounters = {
      restarts: 9,
      restartsSince: 1,
      unstableCount: 16,
      unstableSince: 2,
      unstableLast: 3,
      erroredAt: 3,
      backoffMs: 15000,
    };
    expect(afterOperatorStart(c)).toEqual({
      restarts: 9,
      restartsSince: 1,
      unstableCount: 0,
      unstableSince: null,
      unstableLast: null,
      erroredAt: null,
      backoffMs: 0,
    });
  });
});

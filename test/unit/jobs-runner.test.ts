import { describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../electron/core/clock/index.js';
import { createJobRunner } from '../../electron/core/jobs/index.js';

const noTimer = () => ({ cancel() {} });
const MINUTE = 60_000;

function manualRunner(clock = new ManualClock()) {
  const log: string[] = [];
  const runner = createJobRunner({ clock, log: (m) => log.push(m), setTimer: noTimer });
  return { clock, runner, log };
}

describe('job runner', () => {
  it('runs interval jobs on fixed slots and lives through a day of them in one go', async () => {
    const { clock, runner } = manualRunner();
    const runs: number[] = [];
    runner.add({ name: 'test.tick', schedule: { every: 5 * MINUTE }, run: ({ slot }) => runs.push(slot) });
    const start = clock.now();
    for (let i = 0; i < 288; i++) {
      await runner.runDue();
      clock.advance(5 * MINUTE);
    }
    expect(runs).toHaveLength(288);
    expect(runs[287]).toBe(start + 287 * 5 * MINUTE);
    expect(runner.status('test.tick')).toMatchObject({ runs: 288, failures: 0, skipped: 0 });
  });

  it('keeps one timer per wake-up: jobs ending on a shared slot do not re-arm it, an earlier slot does', async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 1, 9, 0, 0));
    const armed: { ms: number; cancelled: boolean }[] = [];
    const setTimer = (_fn: () => void, ms: number) => {
      const t = { ms, cancelled: false };
      armed.push(t);
      return { cancel: () => (t.cancelled = true) };
    };
    const runner = createJobRunner({ clock, log: () => {}, setTimer });
    for (const name of ['a', 'b', 'c', 'd', 'e']) {
      runner.add({ name: `test.${name}`, schedule: { every: 1000, startAfter: 1000 }, run: () => {} });
    }
    runner.start();
    expect(armed.filter((t) => !t.cancelled)).toEqual([{ ms: 1000, cancelled: false }]);
    for (let s = 1; s <= 10; s++) {
      clock.advance(1000);
      const before = armed.length;
      await runner.runDue();
      // Five jobs ended this second; the next wake-up was armed once, for the next whole second.
      expect(armed.length - before).toBe(1);
      expect(armed.at(-1)).toEqual({ ms: 1000, cancelled: false });
    }
    // A job due sooner than the armed wake-up replaces it.
    runner.add({ name: 'test.soon', schedule: { every: 1000, startAfter: 200 }, run: () => {} });
    expect(armed.at(-2)!.cancelled).toBe(true);
    expect(armed.at(-1)).toEqual({ ms: 200, cancelled: false });
    await runner.close();
    // Nothing left armed: a pending close wait held the whole core for 5 s after close.
    expect(armed.filter((t) => !t.cancelled)).toEqual([]);
  });

  it('runs whole-second interval jobs on whole seconds from their second run, so jobs added moments apart share wake-ups', async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 1, 9, 0, 0, 3));
    const { runner } = manualRunner(clock);
    const slots: Record<string, number[]> = { a: [], b: [], fast: [] };
    runner.add({ name: 'test.a', schedule: { every: 1000 }, run: ({ slot }) => slots.a!.push(slot) });
    clock.advance(4);
    runner.add({ name: 'test.b', schedule: { every: 5000 }, run: ({ slot }) => slots.b!.push(slot) });
    runner.add({ name: 'test.fast', schedule: { every: 250 }, run: ({ slot }) => slots.fast!.push(slot) });
    const t = (s: number, ms = 0) => Date.UTC(2026, 11, 1, 9, 0, s, ms);
    // The first run is not delayed.
    expect(runner.status('test.a')!.nextRunAt).toBe(t(0, 3));
    await runner.runDue();
    expect(runner.status('test.a')!.nextRunAt).toBe(t(1));
    // At least 3/4 of the interval after the first run, on a whole second.
    expect(runner.status('test.b')!.nextRunAt).toBe(t(4));
    // Sub-second intervals keep their exact phase.
    expect(runner.status('test.fast')!.nextRunAt).toBe(t(0, 257));
    for (let s = 1; s <= 8; s++) {
      clock.set(t(s));
      await runner.runDue();
    }
    expect(slots.a).toEqual([t(0, 3), t(1), t(2), t(3), t(4), t(5), t(6), t(7), t(8)]);
    expect(slots.b).toEqual([t(0, 7), t(4)]);
    expect(runner.status('test.b')!.nextRunAt).toBe(t(9));
  });

  it('runs the second run at least 3/4 of the interval after the first, whatever the first phase', async () => {
    // The monitor stores a sample when half an interval has passed since the last one: a second run
    // 501 ms after a first at .499 (what joining the grid at half an interval allowed) came too close
    // once the first run's own lag was added, and a sample went unstored.
    for (let ms = 0; ms < 1000; ms += 37) {
      const clock = new ManualClock(Date.UTC(2026, 11, 1, 9, 0, 0, ms));
      const { runner } = manualRunner(clock);
      runner.add({ name: 'test.sample', schedule: { every: 1000 }, run: () => {} });
      await runner.runDue();
      const next = runner.status('test.sample')!.nextRunAt!;
      expect(next % 1000).toBe(0);
      expect(next - clock.now()).toBeGreaterThanOrEqual(750);
      expect(next - clock.now()).toBeLessThan(1750);
    }
  });

  it('puts a job whose interval changes to whole seconds back on the whole-second grid', async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 1, 9, 0, 0, 7));
    const { runner } = manualRunner(clock);
    let every = 250;
    const slots: number[] = [];
    runner.add({
      name: 'test.adaptive',
      schedule: { every: () => every },
      run: ({ slot }) => slots.push(slot),
    });
    for (let i = 0; i < 3; i++) {
      clock.set(runner.status('test.adaptive')!.nextRunAt!);
      await runner.runDue();
    }
    every = 1000; // idle now: once a second, with the other jobs
    for (let i = 0; i < 3; i++) {
      clock.set(runner.status('test.adaptive')!.nextRunAt!);
      await runner.runDue();
    }
    const t = (ms: number) => Date.UTC(2026, 11, 1, 9, 0, 0, ms);
    // The slot after the change was already due at 757; from then on whole seconds.
    expect(slots).toEqual([t(7), t(257), t(507), t(757), t(2000), t(3000)]);
  });

  it('skips the slots a suspended machine missed instead of running them all at wake', async () => {
    const { clock, runner } = manualRunner();
    let runs = 0;
    runner.add({ name: 'test.tick', schedule: { every: 1000 }, run: () => runs++ });
    await runner.runDue();
    clock.advance(10 * MINUTE);
    await runner.runDue();
    expect(runs).toBe(2);
    expect(runner.status('test.tick')!.skipped).toBe(599);
    expect(runner.status('test.tick')!.lagMs).toBe(10 * MINUTE - 1000);
  });

  it('never overlaps a job with itself: a slot that comes while it runs is skipped and counted', async () => {
    const { clock, runner } = manualRunner();
    let release: () => void = () => {};
    let calls = 0;
    let concurrent = 0;
    let maxConcurrent = 0;
    runner.add({
      name: 'test.slow',
      schedule: { every: 1000 },
      run: async () => {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        if (++calls === 1) {
          await new Promise<void>((r) => {
            release = r;
          });
        }
        concurrent--;
      },
    });
    const first = runner.runDue();
    clock.advance(1000);
    await runner.runDue();
    clock.advance(1000);
    await runner.runDue();
    release();
    await first;
    expect(maxConcurrent).toBe(1);
    expect(runner.status('test.slow')).toMatchObject({ runs: 1, skipped: 2, running: false });
    expect(await runner.runNow('test.slow')).toBe(true);
    expect(runner.status('test.slow')!.runs).toBe(2);
  });

  it('logs and counts a failing job while the others go on', async () => {
    const { clock, runner, log } = manualRunner();
    let good = 0;
    runner.add({
      name: 'test.bad',
      schedule: { every: 1000 },
      run: () => {
        throw new Error('disk on fire');
      },
    });
    runner.add({
      name: 'test.async-bad',
      schedule: { every: 1000 },
      run: async () => Promise.reject(new Error('nope')),
    });
    runner.add({ name: 'test.good', schedule: { every: 1000 }, run: () => good++ });
    for (let i = 0; i < 3; i++) {
      await runner.runDue();
      clock.advance(1000);
    }
    expect(good).toBe(3);
    expect(runner.status('test.bad')).toMatchObject({ runs: 3, failures: 3, lastError: 'disk on fire' });
    expect(runner.status('test.async-bad')).toMatchObject({ failures: 3, lastError: 'nope' });
    expect(log.filter((l) => l.includes('test.bad failed: disk on fire'))).toHaveLength(3);
  });

  it('runs calendar schedules on their slots and reports the next one', async () => {
    const { clock, runner } = manualRunner(new ManualClock(Date.UTC(2026, 0, 5, 0, 0)));
    const slots: number[] = [];
    // Every day at 02:00 UTC.
    const next = (after: number) => {
      const d = new Date(after);
      const slot = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), 2);
      return slot > after ? slot : slot + 86_400_000;
    };
    runner.add({
      name: 'test.daily',
      schedule: { next, describe: 'daily 02:00' },
      run: ({ slot }) => slots.push(slot),
    });
    expect(runner.status('test.daily')!.nextRunAt).toBe(Date.UTC(2026, 0, 5, 2));
    for (let h = 0; h < 24 * 7; h++) {
      clock.advance(3_600_000);
      await runner.runDue();
    }
    expect(slots).toHaveLength(7);
    expect(slots.every((s) => new Date(s).getUTCHours() === 2)).toBe(true);
    expect(runner.list()[0]).toMatchObject({ name: 'test.daily', schedule: 'daily 02:00' });
  });

  it('aborts a job past its timeout and counts it as timed out', async () => {
    const clock = new ManualClock();
    const timers: (() => void)[] = [];
    const runner = createJobRunner({
      clock,
      log: () => {},
      setTimer: (fn) => {
        timers.push(fn);
        return { cancel() {} };
      },
    });
    let aborted = false;
    runner.add({
      name: 'test.hang',
      schedule: { every: 60_000 },
      timeoutMs: 5_000,
      run: ({ signal }) =>
        new Promise<void>((resolve) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve();
          });
        }),
    });
    const run = runner.runDue();
    for (const fire of timers.splice(0)) fire();
    await run;
    expect(aborted).toBe(true);
    expect(runner.status('test.hang')).toMatchObject({ timeouts: 1, failures: 1, running: false });
    expect(runner.status('test.hang')!.lastError).toMatch(/timed out after 5 s/);
  });

  it('with real timers: runs due jobs by itself and stops at close', async () => {
    const runner = createJobRunner({ clock: systemClock, log: () => {} });
    let runs = 0;
    runner.add({ name: 'test.fast', schedule: { every: 20 }, run: () => runs++ });
    runner.start();
    await new Promise((r) => setTimeout(r, 250));
    await runner.close();
    const after = runs;
    await new Promise((r) => setTimeout(r, 60));
    expect(after).toBeGreaterThanOrEqual(3);
    expect(runs).toBe(after);
  });
});

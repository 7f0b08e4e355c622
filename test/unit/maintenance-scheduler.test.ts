import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../electron/core/clock/index.js';
import { createMaintenanceRepo } from '../../electron/core/maintenance/repo.js';
import { cronSchedule, planCatchUp } from '../../electron/core/maintenance/schedule.js';
import {
  ConflictError,
  createScheduler,
  type ResolvedJob,
  type Task,
} from '../../electron/core/maintenance/scheduler.js';
import { type JobConfig, jobSchema } from '../../shared/config/maintenance.js';
import { type Harness, maintenanceHarness, removeDir } from '../helpers/maintenance-harness.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const TZ = 'Asia/Tokyo';
/** 2026-03-01 00:00 JST, a Sunday. JST has no daylight saving: local midnight = 15:00 UTC the day before. */
const START = Date.parse('2026-03-01T00:00:00+09:00');

const harnesses: Harness[] = [];
afterEach(() => {
  for (const h of harnesses.splice(0)) {
    h.close();
    removeDir(h.dir);
  }
});

interface Recorded {
  job: string;
  slot: number;
  trigger: string;
}

function resolved(
  id: string,
  cron: string,
  task: Task,
  opts: { catchUp?: ResolvedJob['catchUp']; tags?: string[]; timeoutMs?: number; enabled?: boolean } = {},
): ResolvedJob {
  const config = jobSchema.parse({
    id,
    kind: 'builtin',
    task: 'health-report',
    schedule: cron,
    tags: opts.tags ?? [],
    enabled: opts.enabled ?? true,
  }) as JobConfig;
  return {
    config,
    name: id,
    timezone: TZ,
    catchUp: opts.catchUp ?? { policy: 'run-once', windowHours: 24 },
    schedule: cronSchedule(cron, TZ),
    timeoutMs: opts.timeoutMs ?? HOUR,
    problem: null,
    task,
    commandText: null,
  };
}

function setup(clock: ManualClock, h?: Harness, botsStopped = () => false) {
  const harness = h ?? maintenanceHarness(clock);
  if (!h) harnesses.push(harness);
  const repo = createMaintenanceRepo(harness.store, () => clock.now());
  const runs: Recorded[] = [];
  const scheduler = createScheduler({
    clock,
    runner: harness.runner,
    repo,
    emit: (e) => harness.events.push(e),
    log: (m) => harness.logs.push(m),
    botsStopped,
  });
  const record =
    (job: string): Task =>
    async (t) => {
      runs.push({ job, slot: t.slot, trigger: t.trigger });
      return { summary: 'ok' };
    };
  return { harness, repo, scheduler, runs, record };
}

/** Expected slots computed without cron: local days in JST (UTC+9, no DST). */
function jstSlots(
  from: number,
  to: number,
  keep: (d: Date) => boolean,
  hour: number,
  minute: number,
): number[] {
  const out: number[] = [];
  for (let day = from - (from % DAY) - 9 * HOUR - DAY; day <= to + DAY; day += DAY) {
    const slot = day + hour * HOUR + minute * MINUTE;
    if (slot > from && slot <= to && keep(new Date(slot + 9 * HOUR))) out.push(slot);
  }
  return out;
}

describe('maintenance scheduler on the core job runner', () => {
  it('leaves no timer behind at close once its jobs are done (a pending one held the whole core for 5 s)', async () => {
    const { scheduler } = setup(new ManualClock(START));
    vi.useFakeTimers();
    try {
      await scheduler.close();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('lives through a simulated month of schedules: every slot once, on time, tagged schedule', async () => {
    const clock = new ManualClock(START);
    const { scheduler, runs, record, harness } = setup(clock);
    scheduler.apply([
      resolved('daily', '0 2 * * *', record('daily')),
      resolved('weekly', '0 2 * * 0', record('weekly')),
      resolved('half-hourly', '*/30 * * * *', record('half-hourly')),
      resolved('first-sunday', '0 1 * * 0#1', record('first-sunday')),
      resolved('monday-9', '0 9 * * 1', record('monday-9')),
    ]);
    await scheduler.start();
    const end = START + 31 * DAY;
    while (clock.now() < end) {
      clock.advance(10 * MINUTE);
      await harness.runner.runDue();
    }
    const slotsOf = (job: string) => runs.filter((r) => r.job === job).map((r) => r.slot);
    expect(slotsOf('daily')).toEqual(jstSlots(START, end, () => true, 2, 0));
    expect(slotsOf('weekly')).toEqual(jstSlots(START, end, (d) => d.getUTCDay() === 0, 2, 0));
    expect(slotsOf('monday-9')).toEqual(jstSlots(START, end, (d) => d.getUTCDay() === 1, 9, 0));
    expect(slotsOf('first-sunday')).toEqual(
      jstSlots(START, end, (d) => d.getUTCDay() === 0 && d.getUTCDate() <= 7, 1, 0),
    );
    const half: number[] = [];
    for (let s = START + 30 * MINUTE; s <= end; s += 30 * MINUTE) half.push(s);
    expect(slotsOf('half-hourly')).toEqual(half);
    expect(runs.every((r) => r.trigger === 'schedule')).toBe(true);
    // Each run is in the history with its slot.
    const stored = harness.store.db
      .prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM maintenance_runs WHERE status = 'ok'")
      .get()!.n;
    expect(stored).toBe(runs.length);
  });

  it('after a 3-day gap runs each missed daily job once, in slot order, tagged with the slot it stands for', async () => {
    const clock = new ManualClock(START);
    const first = setup(clock);
    const jobsOf = (s: ReturnType<typeof setup>) => [
      resolved('rotate', '0 2 * * *', s.record('rotate')),
      resolved('cache', '30 2 * * *', s.record('cache')),
      resolved('backup', '0 3 * * *', s.record('backup')),
      resolved('all', '0 4 * * *', s.record('all'), { catchUp: { policy: 'run-all', windowHours: 96 } }),
      resolved('skip', '0 5 * * *', s.record('skip'), { catchUp: { policy: 'skip', windowHours: 96 } }),
    ];
    first.scheduler.apply(jobsOf(first));
    await first.scheduler.start();
    // One normal day.
    for (let t = 0; t < DAY; t += 10 * MINUTE) {
      clock.advance(10 * MINUTE);
      await first.harness.runner.runDue();
    }
    expect(first.runs.filter((r) => r.trigger === 'schedule')).toHaveLength(5);
    await first.scheduler.close();

    // Nexus Ops closed for three days; it starts at 08:00 on the fourth.
    clock.set(START + DAY + 3 * DAY + 8 * HOUR);
    const h2 = first.harness.restart();
    harnesses.push(h2);
    const second = setup(clock, h2);
    second.scheduler.apply(jobsOf(second));
    await second.scheduler.start();
    const lastDay = START + 4 * DAY;
    // Slots in order: run-all's older ones first, then the day's jobs as their times come.
    expect(second.runs).toEqual([
      { job: 'all', slot: START + 1 * DAY + 4 * HOUR, trigger: 'catch-up' },
      { job: 'all', slot: START + 2 * DAY + 4 * HOUR, trigger: 'catch-up' },
      { job: 'all', slot: START + 3 * DAY + 4 * HOUR, trigger: 'catch-up' },
      { job: 'rotate', slot: lastDay + 2 * HOUR, trigger: 'catch-up' },
      { job: 'cache', slot: lastDay + 2 * HOUR + 30 * MINUTE, trigger: 'catch-up' },
      { job: 'backup', slot: lastDay + 3 * HOUR, trigger: 'catch-up' },
      { job: 'all', slot: lastDay + 4 * HOUR, trigger: 'catch-up' },
    ]);
    const missed = h2.store.db
      .prepare<[], { job_id: string; summary: string }>(
        "SELECT job_id, summary FROM maintenance_runs WHERE status = 'missed' ORDER BY job_id",
      )
      .all();
    expect(missed.map((m) => m.job_id)).toEqual(['backup', 'cache', 'rotate', 'skip']);
    expect(missed.find((m) => m.job_id === 'skip')?.summary).toMatch(/^4 slots missed/);
    expect(missed.find((m) => m.job_id === 'rotate')?.summary).toMatch(/^3 slots missed/);

    // Another restart the same morning: nothing runs twice.
    await second.scheduler.close();
    const h3 = h2.restart();
    harnesses.push(h3);
    const third = setup(clock, h3);
    third.scheduler.apply(jobsOf(third));
    await third.scheduler.start();
    expect(third.runs).toEqual([]);
  });

  it('refuses a second run of a job that is still running, and counts the slots it skipped', async () => {
    const clock = new ManualClock(START);
    const { scheduler, harness } = setup(clock);
    let release: () => void = () => {};
    let concurrent = 0;
    let maxConcurrent = 0;
    scheduler.apply([
      resolved('slow', '*/5 * * * *', async () => {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await new Promise<void>((r) => {
          release = r;
        });
        concurrent--;
        return { summary: 'done' };
      }),
    ]);
    await scheduler.start();
    scheduler.runNow('slow');
    await Promise.resolve();
    expect(() => scheduler.runNow('slow')).toThrow(ConflictError);
    clock.advance(5 * MINUTE);
    await harness.runner.runDue();
    clock.advance(5 * MINUTE);
    await harness.runner.runDue();
    release();
    await new Promise((r) => setTimeout(r, 10));
    expect(maxConcurrent).toBe(1);
    const rows = harness.store.db
      .prepare<[], { status: string; trigger: string }>(
        'SELECT status, trigger FROM maintenance_runs ORDER BY started_at, rowid',
      )
      .all();
    expect(rows.filter((r) => r.status === 'ok')).toEqual([{ status: 'ok', trigger: 'manual' }]);
    expect(rows).toHaveLength(1);
    expect(harness.runner.status('maintenance.slow')!.skipped).toBe(2);
  });

  it('pauses every bot job for the emergency stop and restores exactly those on resume; paused slots are not caught up', async () => {
    const clock = new ManualClock(START);
    let stopped = false;
    const s = setup(clock, undefined, () => stopped);
    s.scheduler.apply([
      resolved('launch', '*/30 * * * *', s.record('launch'), { tags: ['bot'] }),
      resolved('other-bot', '*/30 * * * *', s.record('other-bot'), { tags: ['bot'] }),
      resolved('rotate', '0 2 * * *', s.record('rotate')),
    ]);
    await s.scheduler.start();
    s.scheduler.pause('other-bot'); // the operator's pause: the stop must not undo it
    stopped = true;
    const ids = await s.scheduler.pauseBotSchedules();
    expect(ids).toEqual(['maintenance:launch']);
    expect(() => s.scheduler.runNow('launch')).toThrow(/emergency stop/);
    for (let t = 0; t < 3 * HOUR; t += 10 * MINUTE) {
      clock.advance(10 * MINUTE);
      await s.harness.runner.runDue();
    }
    expect(s.runs.filter((r) => r.job === 'launch')).toEqual([]);
    expect(s.runs.map((r) => r.job)).toEqual(['rotate']);
    stopped = false;
    await s.scheduler.resumeBotSchedules(['maintenance:launch', 'bots:tax']);
    expect(s.scheduler.job('launch').paused).toBe(false);
    expect(s.scheduler.job('other-bot')).toMatchObject({ paused: true, pausedBy: 'operator' });
    // A restart right after the resume does not run the slots that passed while paused.
    await s.scheduler.close();
    const h2 = s.harness.restart();
    harnesses.push(h2);
    const again = setup(clock, h2);
    again.scheduler.apply([resolved('launch', '*/30 * * * *', again.record('launch'), { tags: ['bot'] })]);
    await again.scheduler.start();
    expect(again.runs).toEqual([]);
    clock.advance(30 * MINUTE);
    await h2.runner.runDue();
    expect(again.runs).toHaveLength(1);
  });

  it('skips a bot job while a kill-switch is present (a stop done from the command line)', async () => {
    const clock = new ManualClock(START);
    const s = setup(clock, undefined, () => true);
    s.scheduler.apply([resolved('launch', '*/30 * * * *', s.record('launch'), { tags: ['bot'] })]);
    await s.scheduler.start();
    clock.advance(30 * MINUTE);
    await s.harness.runner.runDue();
    expect(s.runs).toEqual([]);
    const row = s.harness.store.db
      .prepare<[], { status: string; summary: string }>('SELECT status, summary FROM maintenance_runs')
      .get();
    expect(row).toMatchObject({ status: 'skipped', summary: expect.stringMatching(/emergency stop/) });
  });

  it('marks a run left running by a crash as interrupted at the next start', async () => {
    const clock = new ManualClock(START);
    const s = setup(clock);
    s.scheduler.apply([resolved('hang', '0 2 * * *', () => new Promise(() => {}))]);
    await s.scheduler.start();
    s.scheduler.runNow('hang');
    await new Promise((r) => setTimeout(r, 5));
    const h2 = s.harness.restart();
    harnesses.push(h2);
    const again = setup(clock, h2);
    again.scheduler.apply([resolved('hang', '0 2 * * *', again.record('hang'))]);
    await again.scheduler.start();
    const row = h2.store.db
      .prepare<[], { status: string; error: string }>('SELECT status, error FROM maintenance_runs')
      .get();
    expect(row).toMatchObject({ status: 'interrupted', error: expect.stringMatching(/ended during/) });
  });

  it('a config edit while a job runs takes effect after the run, without aborting it', async () => {
    const clock = new ManualClock(START);
    const s = setup(clock);
    let release: () => void = () => {};
    const slow: Task = async () => {
      await new Promise<void>((r) => {
        release = r;
      });
      return { summary: 'done' };
    };
    s.scheduler.apply([resolved('rotate', '0 2 * * *', slow)]);
    await s.scheduler.start();
    s.scheduler.runNow('rotate');
    await new Promise((r) => setTimeout(r, 5));
    s.scheduler.apply([resolved('rotate', '0 4 * * *', slow)]);
    expect(s.scheduler.job('rotate').cron).toBe('0 4 * * *');
    release();
    await new Promise((r) => setTimeout(r, 5));
    const row = s.harness.store.db
      .prepare<[], { status: string }>('SELECT status FROM maintenance_runs')
      .get();
    expect(row?.status).toBe('ok');
    expect(s.harness.runner.status('maintenance.rotate')?.nextRunAt).toBe(START + 4 * HOUR);
  });

  it('wakes from a suspend past a slot: the catch-up policy applies, once', async () => {
    const clock = new ManualClock(START);
    const s = setup(clock);
    s.scheduler.apply([resolved('rotate', '0 2 * * *', s.record('rotate'))]);
    await s.scheduler.start();
    clock.advance(2 * DAY + 5 * HOUR); // slept from 00:00 on day 1 to 05:00 on day 3
    await s.harness.runner.runDue();
    expect(s.runs).toEqual([{ job: 'rotate', slot: START + 2 * DAY + 2 * HOUR, trigger: 'catch-up' }]);
  });
});

describe('catch-up plan (Dagu: look-back window and policy)', () => {
  const daily = cronSchedule('0 2 * * *', TZ);
  const wm = START;
  const now = START + 5 * DAY + 8 * HOUR;
  it('run-once runs the latest slot in the window and records the rest as missed', () => {
    const plan = planCatchUp(daily, wm, now, { policy: 'run-once', windowHours: 48 });
    expect(plan.run).toEqual([START + 5 * DAY + 2 * HOUR]);
    expect(plan.missed).toHaveLength(5);
  });
  it('run-all runs every slot in the window, oldest first', () => {
    expect(planCatchUp(daily, wm, now, { policy: 'run-all', windowHours: 48 }).run).toEqual([
      START + 4 * DAY + 2 * HOUR,
      START + 5 * DAY + 2 * HOUR,
    ]);
  });
  it('skip runs nothing; a window that holds no slot runs nothing', () => {
    expect(planCatchUp(daily, wm, now, { policy: 'skip', windowHours: 48 }).run).toEqual([]);
    expect(planCatchUp(daily, wm, now, { policy: 'run-once', windowHours: 1 }).run).toEqual([]);
  });
  it('never plans a slot at or before the watermark', () => {
    expect(planCatchUp(daily, now, now, { policy: 'run-all', windowHours: 999 })).toEqual({
      run: [],
      missed: [],
    });
  });
  it('computes slots in the zone given, also across a daylight-saving change', () => {
    const ny = cronSchedule('30 2 * * *', 'America/New_York');
    // 2026-03-08: clocks jump from 02:00 to 03:00 in New York; 02:30 does not exist that day.
    const from = Date.parse('2026-03-07T12:00:00-05:00');
    const slots: number[] = [];
    let at = from;
    for (let i = 0; i < 3; i++) {
      at = ny.next(at)!;
      slots.push(at);
    }
    expect(new Date(slots[0]!).toISOString()).toBe('2026-03-08T07:30:00.000Z');
    expect(slots[2]! - slots[1]!).toBe(DAY);
  });
});

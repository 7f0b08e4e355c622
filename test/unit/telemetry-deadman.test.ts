/**
 * The dead-man's switch over a simulated week of a bot that Task Scheduler starts every 2 hours
 * (Nexus 02: start grace 10 min, stop after 1 hour, at least 30 s), its runs seen as its processes
 * appearing and leaving (bot.up on the samples hook) and as run signals with ids: a missed run, a run
 * that never ends, a run that ends after 3 s, a double start and a run too soon after the previous one
 * each give their state and reason at the right minute, and the published state a rule alerts on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/core/clock/index.js';
import type { RunSignal } from '../../electron/core/telemetry/index.js';
import { type LiveSample, seriesKey } from '../../shared/series.js';
import { type TelemetryHarness, telemetryHarness } from '../fixtures/telemetry/harness.js';

const jst = (text: string) => Date.parse(`${text}+09:00`);
const MIN = 60_000;

type Step = { at: number; up?: 0 | 1; signal?: RunSignal };

function upSample(at: number, value: 0 | 1): LiveSample {
  const labels = { bot: 'nexus02', start: 'schedule' };
  return { name: 'bot.up', labels, key: seriesKey('bot.up', labels), ts: at, value };
}

/** The week: a normal run is up at slot + 1 min and gone 20 minutes later; the exceptions below. */
function week(): Step[] {
  const steps: Step[] = [];
  const special = new Set([
    '2026-01-06T10:00',
    '2026-01-07T14:00',
    '2026-01-07T16:00',
    '2026-01-08T08:00',
    '2026-01-09T12:00',
    '2026-01-11T04:00',
  ]);
  for (let t = jst('2026-01-05T00:00:00'); t < jst('2026-01-12T00:00:00'); t += 2 * 3_600_000) {
    const key = new Date(t + 9 * 3_600_000).toISOString().slice(0, 16);
    if (special.has(key)) continue;
    steps.push({ at: t + MIN, up: 1 }, { at: t + 21 * MIN, up: 0 });
  }
  // Jan 6 10:00: missed (nothing). Jan 7 14:00: starts and runs until 17:40 (the 16:00 slot passes meanwhile).
  steps.push({ at: jst('2026-01-07T14:01:00'), up: 1 }, { at: jst('2026-01-07T17:40:00'), up: 0 });
  // Jan 8 08:00: ends after 3 seconds.
  steps.push({ at: jst('2026-01-08T08:00:30'), up: 1 }, { at: jst('2026-01-08T08:00:33'), up: 0 });
  // Jan 9 12:00: two runs at once (two processes, told apart by their run ids).
  const sig = (s: Omit<RunSignal, 'bot' | 'from'> & { kind: RunSignal['kind'] }): RunSignal =>
    ({ ...s, bot: 'nexus02', from: 'process' }) as RunSignal;
  steps.push(
    {
      at: jst('2026-01-09T12:01:00'),
      signal: sig({ kind: 'start', at: jst('2026-01-09T12:01:00'), runId: 'pid-100' }),
    },
    {
      at: jst('2026-01-09T12:02:00'),
      signal: sig({ kind: 'start', at: jst('2026-01-09T12:02:00'), runId: 'pid-200' }),
    },
    {
      at: jst('2026-01-09T12:20:00'),
      signal: sig({
        kind: 'finish',
        at: jst('2026-01-09T12:20:00'),
        runId: 'pid-100',
        ok: true,
        exitCode: 0,
      } as never),
    },
    {
      at: jst('2026-01-09T12:21:00'),
      signal: sig({
        kind: 'finish',
        at: jst('2026-01-09T12:21:00'),
        runId: 'pid-200',
        ok: true,
        exitCode: 0,
      } as never),
    },
  );
  // Jan 10 16:40: a second run 39 minutes after the 16:00 one (Task Scheduler triggered twice).
  steps.push({ at: jst('2026-01-10T16:40:00'), up: 1 }, { at: jst('2026-01-10T16:59:00'), up: 0 });
  // Jan 11 04:00: the run fails (its exit code, as the bots capability reports it).
  steps.push(
    { at: jst('2026-01-11T04:01:00'), up: 1 },
    {
      at: jst('2026-01-11T04:21:30'),
      signal: {
        kind: 'finish',
        bot: 'nexus02',
        from: 'process',
        at: jst('2026-01-11T04:21:30'),
        ok: false,
        exitCode: 1,
      },
    },
    { at: jst('2026-01-11T04:22:00'), up: 0 },
  );
  return steps.sort((a, b) => a.at - b.at);
}

let h: TelemetryHarness;
const byMinute = new Map<
  string,
  { state: string; reason: string; text: string; metric: number | undefined }
>();

beforeAll(() => {
  const clock = new ManualClock(jst('2026-01-04T23:50:00'));
  h = telemetryHarness(clock, {
    ui: { locale: 'ja' },
    telemetry: {
      bots: [
        {
          bot: 'nexus02',
          deadMan: {
            schedule: { cron: '0 */2 * * *' },
            startGraceMinutes: 10,
            maxRunMinutes: 60,
            minRunSeconds: 30,
          },
        },
      ],
    },
  });
  const steps = week();
  let i = 0;
  for (let t = jst('2026-01-04T23:50:00'); t <= jst('2026-01-12T00:30:00'); t += MIN) {
    while (i < steps.length && (steps[i] as Step).at <= t) {
      const s = steps[i++] as Step;
      clock.set(s.at);
      if (s.up !== undefined) h.telemetry.onSamples([upSample(s.at, s.up)]);
      if (s.signal) h.telemetry.observeRun(s.signal);
    }
    clock.set(t);
    h.telemetry.checkDeadMen();
    const st = h.telemetry.deadManState('nexus02');
    const key = new Date(t + 9 * 3_600_000).toISOString().slice(0, 16);
    byMinute.set(key, {
      state: st?.state ?? '?',
      reason: st?.reason ?? '?',
      text: st?.reasonText ?? '',
      metric: h.latest(seriesKey('bot.dms_state', { bot: 'nexus02' })),
    });
  }
}, 60_000);
afterAll(() => h.close());

const at = (minute: string) => {
  const v = byMinute.get(minute);
  return v ? [v.state, v.reason] : undefined;
};

describe("a week of a 2-hourly bot's dead-man's switch", () => {
  it('is up between normal runs and running during them; never late before it started watching', () => {
    expect(at('2026-01-04T23:55')).toEqual(['up', 'waiting']);
    expect(at('2026-01-05T00:01')).toEqual(['running', 'running']);
    expect(at('2026-01-05T00:21')).toEqual(['up', 'ok']);
    expect(at('2026-01-05T01:59')).toEqual(['up', 'ok']);
    expect(byMinute.get('2026-01-05T00:21')?.metric).toBe(0);
    expect(byMinute.get('2026-01-05T00:05')?.metric).toBe(1);
  });

  it('a missed run: late at the end of the start grace, with the slot named, until the next start', () => {
    expect(at('2026-01-06T10:09')).toEqual(['up', 'ok']);
    expect(at('2026-01-06T10:10')).toEqual(['late', 'no_start']);
    expect(byMinute.get('2026-01-06T10:10')?.text).toContain('開始が見えません');
    expect(byMinute.get('2026-01-06T10:10')?.text).toContain('10:00');
    expect(byMinute.get('2026-01-06T10:10')?.metric).toBe(3);
    expect(at('2026-01-06T12:00')).toEqual(['late', 'no_start']);
    expect(at('2026-01-06T12:01')).toEqual(['running', 'running']);
    expect(at('2026-01-06T12:21')).toEqual(['up', 'ok']);
  });

  it('a run that never ends: down one minute past the 60-minute limit, then late for the slot it blocked', () => {
    expect(at('2026-01-07T15:01')).toEqual(['running', 'running']);
    expect(at('2026-01-07T15:02')).toEqual(['down', 'not_finished']);
    expect(byMinute.get('2026-01-07T15:02')?.text).toContain('開始したまま終わりません');
    expect(byMinute.get('2026-01-07T15:02')?.metric).toBe(4);
    expect(at('2026-01-07T17:39')).toEqual(['down', 'not_finished']);
    expect(at('2026-01-07T17:40')).toEqual(['late', 'no_start']);
    expect(at('2026-01-07T18:01')).toEqual(['running', 'running']);
    expect(at('2026-01-07T18:21')).toEqual(['up', 'ok']);
  });

  it('a run that ends after 3 s: down, finished too fast, until a normal run', () => {
    expect(at('2026-01-08T08:00')).toEqual(['up', 'ok']);
    expect(at('2026-01-08T08:01')).toEqual(['down', 'too_fast']);
    expect(byMinute.get('2026-01-08T08:01')?.text).toContain('3 秒');
    expect(at('2026-01-08T09:59')).toEqual(['down', 'too_fast']);
    expect(at('2026-01-08T10:01')).toEqual(['running', 'running']);
    expect(at('2026-01-08T10:21')).toEqual(['up', 'ok']);
  });

  it('a double start: down from the second start until a normal run has finished', () => {
    expect(at('2026-01-09T12:01')).toEqual(['running', 'running']);
    expect(at('2026-01-09T12:02')).toEqual(['down', 'double_start']);
    expect(byMinute.get('2026-01-09T12:02')?.text).toContain('二重起動');
    expect(at('2026-01-09T12:21')).toEqual(['down', 'double_start']);
    expect(at('2026-01-09T14:01')).toEqual(['running', 'running']);
    expect(at('2026-01-09T14:21')).toEqual(['up', 'ok']);
  });

  it('runs too often, and a failed run with its exit code', () => {
    expect(at('2026-01-10T16:39')).toEqual(['up', 'ok']);
    expect(at('2026-01-10T16:40')).toEqual(['down', 'too_often']);
    expect(at('2026-01-10T18:21')).toEqual(['up', 'ok']);
    expect(at('2026-01-11T04:21')).toEqual(['running', 'running']);
    expect(at('2026-01-11T04:22')).toEqual(['down', 'failed']);
    expect(byMinute.get('2026-01-11T04:22')?.text).toContain('終了コード 1');
    expect(at('2026-01-11T06:21')).toEqual(['up', 'ok']);
  });

  it('keeps its runs across a restart of Nexus Ops', () => {
    const before = h.telemetry.deadManState('nexus02');
    h.restart();
    h.telemetry.checkDeadMen();
    const after = h.telemetry.deadManState('nexus02');
    expect(after?.lastRun).toEqual(before?.lastRun);
    expect([after?.state, after?.reason]).toEqual(['up', 'ok']);
  });
});

describe('a start read out of order', () => {
  it('is not a run that came too soon: a workflow logged before the newest start, read after it', () => {
    const clock = new ManualClock(jst('2026-01-04T10:40:00'));
    const dms = telemetryHarness(clock, {
      telemetry: {
        bots: [
          {
            bot: 'tax',
            deadMan: {
              schedule: { everyMinutes: 15 },
              runsFrom: ['log'],
              startGraceMinutes: 5,
              maxRunMinutes: 30,
              minRunSeconds: 5,
              minGapMinutes: 0,
            },
          },
        ],
      },
    });
    try {
      const run = (id: string, start: string, end: string) => {
        dms.telemetry.observeRun({ kind: 'start', bot: 'tax', from: 'log', at: jst(start), runId: id });
        dms.telemetry.observeRun({
          kind: 'finish',
          bot: 'tax',
          from: 'log',
          at: jst(end),
          runId: id,
          ok: true,
        });
      };
      dms.telemetry.checkDeadMen();
      clock.set(jst('2026-01-04T10:46:00'));
      run('exec_0', '2026-01-04T10:45:01', '2026-01-04T10:45:12');
      dms.telemetry.checkDeadMen();
      clock.set(jst('2026-01-04T11:00:30'));
      run('exec_b', '2026-01-04T11:00:01', '2026-01-04T11:00:12');
      // Logged at 10:59:30, read after the 11:00 run (another file, read a moment later).
      run('exec_a', '2026-01-04T10:59:30', '2026-01-04T10:59:40');
      dms.telemetry.checkDeadMen();
      const st = dms.telemetry.deadManState('tax');
      expect([st?.state, st?.reason]).toEqual(['up', 'ok']);
    } finally {
      dms.close();
    }
  });
});

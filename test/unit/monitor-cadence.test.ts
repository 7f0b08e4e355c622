import { describe, expect, it } from 'vitest';
import { systemClock } from '../../electron/core/clock/index.js';
import { startCadence } from '../../electron/core/monitor/cadence.js';

describe('sampler cadence', () => {
  it('skips slots while a cycle overruns instead of piling cycles up, and reports it', async () => {
    let running = 0;
    let maxConcurrent = 0;
    const cadence = startCadence(
      20,
      systemClock,
      async () => {
        running++;
        maxConcurrent = Math.max(maxConcurrent, running);
        await new Promise((r) => setTimeout(r, 90)); // each cycle takes about four slots
        running--;
      },
      () => {},
    );
    await new Promise((r) => setTimeout(r, 500));
    cadence.stop();
    const stats = cadence.stats();
    expect(maxConcurrent).toBe(1);
    expect(stats.skipped).toBeGreaterThan(stats.runs);
    expect(stats.runs).toBeGreaterThanOrEqual(2);
    expect(stats.intervalMs).toBe(20);
  });

  it('keeps running after a cycle fails, handing the error over', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const cadence = startCadence(
      10,
      systemClock,
      async () => {
        calls++;
        if (calls === 1) throw new Error('first cycle broke');
      },
      (err) => errors.push(err),
    );
    await new Promise((r) => setTimeout(r, 120));
    cadence.stop();
    expect(errors).toHaveLength(1);
    expect(calls).toBeGreaterThan(2);
  });
});

import { describe, expect, it } from 'vitest';
import { createSystemSampler, filterDisks } from '../../electron/core/monitor/system.js';
import type { CpuTimes, IoCounters, Platform } from '../../electron/core/platform/types.js';

/** A Windows-shaped platform (drives, PhysicalDrive counters, named NICs): none can run on Linux. */
function windowsLike(
  ioReadings: IoCounters[],
  cpuReadings: CpuTimes[][] = [[{ idleMs: 0, totalMs: 0 }]],
): Platform {
  let reading = 0;
  let cpuReading = 0;
  return {
    kind: 'windows',
    processes: { list: async () => [] },
    killer: { stop: async () => [] },
    cpuTimes: () => cpuReadings[Math.min(cpuReading++, cpuReadings.length - 1)]!,
    memory: async () => ({
      totalBytes: 16e9,
      availableBytes: 4e9,
      swapTotalBytes: 2e9,
      swapFreeBytes: 1.5e9,
    }),
    disks: async () => [
      { mount: 'C:', totalBytes: 500e9, freeBytes: 50e9 },
      { mount: 'D:', totalBytes: 1000e9, freeBytes: 900e9 },
    ],
    io: async () => ioReadings[Math.min(reading++, ioReadings.length - 1)]!,
    taskScheduler: { disable: async () => ({ wasEnabled: false }), enable: async () => {} },
    close: async () => {},
  };
}

const disk = (readBytes: number, writeBytes: number, reads: number, writes: number) => ({
  device: '0 C:',
  readBytes,
  writeBytes,
  reads,
  writes,
});

describe('system sampler', () => {
  it('derives per-second IO rates, skips a counter reset and the loopback, and keeps configured drives', async () => {
    const sample = createSystemSampler(
      windowsLike([
        {
          at: 0,
          disks: [disk(0, 0, 0, 0)],
          nets: [
            { iface: 'Ethernet', rxBytes: 0, txBytes: 0 },
            { iface: 'Loopback Pseudo-Interface 1', rxBytes: 0, txBytes: 0 },
          ],
        },
        {
          at: 2000,
          disks: [disk(4e6, 2e6, 100, 40)],
          nets: [
            { iface: 'Ethernet', rxBytes: 3e6, txBytes: 1e6 },
            { iface: 'Loopback Pseudo-Interface 1', rxBytes: 9e9, txBytes: 9e9 },
          ],
        },
        {
          at: 4000,
          disks: [disk(1e6, 3e6, 10, 50)],
          nets: [{ iface: 'Ethernet', rxBytes: 1e6, txBytes: 2e6 }],
        },
      ]),
      { disks: () => ['c:\\'] },
    );
    const first = await sample(1, true);
    expect(first.metrics.diskIo).toEqual([]);
    expect(first.metrics.disks).toEqual([
      { mount: 'C:', totalBytes: 500e9, freeBytes: 50e9, usedBytes: 450e9, freePct: 10 },
    ]);
    expect(first.metrics.memory).toMatchObject({
      usedBytes: 12e9,
      usedPct: 75,
      swapUsedBytes: 0.5e9,
      swapUsedPct: 25,
    });
    const names = first.samples.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['swap.used_pct', 'disk.free_pct', 'disk.used_bytes']));

    const second = await sample(2, false);
    expect(second.metrics.diskIo).toEqual([
      { device: '0 C:', readBps: 2e6, writeBps: 1e6, readIops: 50, writeIops: 20 },
    ]);
    expect(second.metrics.net).toEqual([{ iface: 'Ethernet', rxBps: 1.5e6, txBps: 0.5e6 }]);
    expect(second.samples.some((s) => s.name === 'disk.free_pct')).toBe(false);
    expect(second.metrics.disks).toHaveLength(1);
    expect(second.snapshot.disks).toEqual([{ mount: 'C:', totalBytes: 500e9, freeBytes: 50e9, freePct: 10 }]);

    const third = await sample(3, false);
    // Read counters went backwards (device re-attached): no rate, not a negative one.
    expect(third.metrics.diskIo[0]).toMatchObject({ readBps: 0, readIops: 0, writeBps: 0.5e6, writeIops: 5 });
    expect(third.samples.find((s) => s.name === 'disk.read_bps')).toMatchObject({
      labels: { device: '0 C:' },
      value: 0,
    });
  });

  it('derives total and per-core busy % from successive CPU times, 0 when no time passed', async () => {
    const io: IoCounters = { at: 0, disks: [], nets: [] };
    const cpu = (a: [number, number], b: [number, number]): CpuTimes[] => [
      { idleMs: a[0], totalMs: a[1] },
      { idleMs: b[0], totalMs: b[1] },
    ];
    const sample = createSystemSampler(
      windowsLike(
        [io],
        [
          cpu([0, 0], [0, 0]), // read when the sampler is created
          cpu([250, 1000], [1000, 1000]), // core 0 75 % busy, core 1 idle
          cpu([250, 1000], [1000, 1000]), // no time passed
        ],
      ),
      { disks: () => [] },
    );
    const first = await sample(1, true);
    expect(first.metrics.cpu).toEqual({ totalPct: 37.5, cores: [75, 0] });
    expect(
      first.samples.filter((s) => s.name.startsWith('cpu.')).map((s) => [s.name, s.labels, s.value]),
    ).toEqual([
      ['cpu.total', {}, 37.5],
      ['cpu.core', { core: '0' }, 75],
      ['cpu.core', { core: '1' }, 0],
    ]);
    expect(first.snapshot.cpuPct).toBe(37.5);
    const second = await sample(2, false);
    expect(second.metrics.cpu).toEqual({ totalPct: 0, cores: [0, 0] });
  });

  it('filterDisks matches drives and mounts loosely and keeps everything when none is configured', () => {
    const all = [
      { mount: 'C:', totalBytes: 1, freeBytes: 1 },
      { mount: '/data', totalBytes: 1, freeBytes: 1 },
    ];
    expect(filterDisks(all, []).map((d) => d.mount)).toEqual(['C:', '/data']);
    expect(filterDisks(all, ['c:/']).map((d) => d.mount)).toEqual(['C:']);
    expect(filterDisks(all, ['/data/']).map((d) => d.mount)).toEqual(['/data']);
  });
});

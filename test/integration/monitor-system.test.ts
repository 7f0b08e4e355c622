import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { schemaMigrations } from '../../electron/core/index.js';
import { createMonitor, type Monitor } from '../../electron/core/monitor/index.js';
import { createPlatform } from '../../electron/core/platform/index.js';
import type { Platform } from '../../electron/core/platform/types.js';
import { openStore, type Store } from '../../electron/core/store/index.js';
import { queryChart, readMark, rollupTiers } from '../../electron/core/store/tiers.js';
import { monitorConfigSchema } from '../../shared/config/monitor.js';
import { seriesKey } from '../../shared/series.js';

const HOUR = 3_600_000;
let dir: string;
let store: Store;
let platform: Platform;
let monitor: Monitor | undefined;
let now = Date.UTC(2026, 5, 1, 12);
const clock = { now: () => now };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nexus-monitor-sys-'));
  const file = join(dir, 'nexus-ops.db');
  store = openStore({ file, clock, migrations: schemaMigrations });
  platform = createPlatform({ clock });
});

afterEach(async () => {
  await monitor?.close();
  await platform.close();
  store.close();
  rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

describe('system metrics through the platform', () => {
  it('produces every system series, the snapshot and the rich metrics, and stores one sample per window', async () => {
    const config = monitorConfigSchema.parse({
      liveIntervalSeconds: 1,
      processIntervalSeconds: 2,
      storeIntervalSeconds: 3,
    });
    monitor = createMonitor({
      clock,
      platform,
      config: () => config,
      db: store.db,
      onError() {},
    });
    const cycles = [];
    for (let i = 0; i < 4; i++) {
      cycles.push(await monitor.sampleOnce());
      now += 1000;
      await new Promise((r) => setTimeout(r, 200));
    }
    const [first, second, third, fourth] = cycles;
    const names = new Set(second!.samples.map((s) => s.name));
    for (const n of [
      'cpu.total',
      'cpu.core',
      'mem.used_pct',
      'mem.used_bytes',
      'mem.available_bytes',
      'disk.read_bps',
      'disk.write_bps',
      'disk.read_iops',
      'disk.write_iops',
      'net.rx_bps',
      'net.tx_bps',
    ]) {
      expect(names.has(n), n).toBe(true);
    }
    // Disk space comes on its own cadence (first cycle), process figures every 2 s.
    expect(first!.samples.some((s) => s.name === 'disk.free_pct' && s.labels.mount === '/')).toBe(true);
    expect(second!.samples.some((s) => s.name === 'disk.free_pct')).toBe(false);
    expect(first!.processes).toBeDefined();
    expect(second!.processes).toBeUndefined();
    expect(third!.processes).toBeDefined();

    const m = fourth!.metrics;
    expect(m.cpu.cores).toHaveLength(os.cpus().length);
    expect(m.memory.totalBytes).toBe(os.totalmem());
    expect(m.memory.usedBytes + m.memory.availableBytes).toBe(m.memory.totalBytes);
    expect(m.disks.find((d) => d.mount === '/')!.totalBytes).toBeGreaterThan(0);
    expect(m.diskIo.length).toBeGreaterThan(0);
    expect(m.net.every((n) => n.iface !== 'lo')).toBe(true);
    expect(fourth!.snapshot).toMatchObject({ ts: fourth!.ts, memTotalBytes: os.totalmem() });
    expect(fourth!.snapshot.disks.length).toBeGreaterThan(0);

    // Stored: the first cycle, then one sample per series per 3 s window.
    expect(first!.toStore.length).toBeGreaterThan(0);
    expect(second!.toStore).toEqual([]);
    expect(third!.toStore).toEqual([]);
    const cpuStored = fourth!.toStore.find((s) => s.name === 'cpu.total')!;
    const cpuLive = [second, third, fourth].map((c) => c!.samples.find((s) => s.name === 'cpu.total')!.value);
    expect(cpuStored.value).toBeCloseTo(cpuLive.reduce((a, b) => a + b, 0) / 3, 1);
    expect(fourth!.toStore.filter((s) => s.name === 'cpu.total')).toHaveLength(1);

    expect(monitor.families()!.families.map((f) => f.name)).toEqual([
      'chrome',
      'python',
      'bot-runner',
      'bot-driver',
      'bot-chrome',
      'bot-relay',
    ]);
    expect(() => monitor!.instances('nope')).toThrow(/no process family/);
  });

  it('rolls up stored history and flags a family whose memory climbs 12 MB/h for 6 h', async () => {
    const start = now - 7 * HOUR;
    const samples = [];
    for (let ts = start; ts < now - 60_000; ts += 30_000) {
      const hours = (ts - start) / HOUR;
      samples.push({
        name: 'proc.rss',
        labels: { family: 'chrome' },
        ts,
        value: 400e6 + hours * 12 * 1024 * 1024,
      });
      samples.push({ name: 'proc.rss', labels: { family: 'python' }, ts, value: 80e6 });
    }
    store.writeSamples(samples);
    const config = monitorConfigSchema.parse({ liveIntervalSeconds: 1 });
    monitor = createMonitor({
      clock,
      platform,
      config: () => config,
      db: store.db,
      onError(e) {
        throw e;
      },
    });
    // The store's rollup job closes the 5-minute buckets; the monitor's leak trend reads them.
    rollupTiers(store.db, now);
    expect(readMark(store.db, 'rollup:5m')).toBeGreaterThan(now - 10 * 60_000);
    const cycle = await monitor.sampleOnce();
    const chrome = cycle.processes!.families.find((f) => f.name === 'chrome')!;
    expect(chrome.leak).toMatchObject({ flagged: true });
    expect(chrome.leak!.mbPerHour).toBeGreaterThan(11);
    expect(chrome.leak!.mbPerHour).toBeLessThan(13);
    expect(cycle.processes!.families.find((f) => f.name === 'python')!.leak).toMatchObject({
      flagged: false,
      mbPerHour: 0,
    });
    expect(cycle.samples).toContainEqual(
      expect.objectContaining({ name: 'proc.leak_mb_per_h', labels: { family: 'chrome' } }),
    );
    // The 24 h chart reads raw; 7 days at 100 px reads the 5-minute tier, whose max keeps the top.
    const key = seriesKey('proc.rss', { family: 'chrome' });
    const week = queryChart(store.db, { keys: [key], from: now - 7 * 24 * HOUR, to: now, maxPoints: 100 });
    expect(week.series[0]!.tier).toBe('1h');
    const top = Math.max(...samples.filter((s) => s.labels.family === 'chrome').map((s) => s.value));
    expect(Math.max(...week.series[0]!.points.map((p) => p.max!))).toBe(top);
  });
});

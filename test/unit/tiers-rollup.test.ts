import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../electron/core/store/migrate.js';
import { coreMigration } from '../../electron/core/store/migrations/001-core.js';
import { tiersMigration } from '../../electron/core/store/migrations/002-tiers.js';
import {
  chooseTier,
  downsamplePoints,
  FIVE_MINUTES,
  ONE_HOUR,
  pruneTiers,
  queryChart,
  readMark,
  rollupTiers,
  runMaintenance,
} from '../../electron/core/store/tiers.js';

const DAY = 24 * ONE_HOUR;
const T0 = Date.UTC(2026, 0, 1);

let dir: string;
let db: Database.Database;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nexus-tiers-'));
  const file = join(dir, 'test.db');
  db = new Database(file);
  db.pragma('journal_mode = WAL');
  migrate(db, [coreMigration, tiersMigration], file);
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

function addSeries(key: string): number {
  return Number(
    db.prepare('INSERT INTO series (key, name, labels) VALUES (?, ?, ?)').run(key, key, '{}').lastInsertRowid,
  );
}

function insertRaw(id: number, points: [number, number][]): void {
  const stmt = db.prepare('INSERT INTO samples (series_id, ts, value) VALUES (?, ?, ?)');
  db.transaction(() => {
    for (const [ts, v] of points) stmt.run(id, ts, v);
  })();
}

/** Deterministic pseudo-random values (no flaky tests). */
function lcg(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    return s / 2_147_483_648;
  };
}

function generate(id: number, from: number, to: number, step: number, seed: number): [number, number][] {
  const rnd = lcg(seed);
  const out: [number, number][] = [];
  for (let ts = from; ts < to; ts += step) out.push([ts, Math.round(rnd() * 1000) / 10]);
  insertRaw(id, out);
  return out;
}

function expected(points: [number, number][], step: number) {
  const buckets = new Map<number, number[]>();
  for (const [ts, v] of points) {
    const b = Math.floor(ts / step) * step;
    const list = buckets.get(b) ?? [];
    list.push(v);
    buckets.set(b, list);
  }
  return [...buckets.entries()].map(([ts, vs]) => ({
    ts,
    min: Math.min(...vs),
    max: Math.max(...vs),
    avg: vs.reduce((a, b) => a + b, 0) / vs.length,
    count: vs.length,
  }));
}

function tierRows(table: string, id: number) {
  return db
    .prepare<[number], { ts: number; min: number; avg: number; max: number; count: number }>(
      `SELECT ts, min, avg, max, count FROM ${table} WHERE series_id = ? ORDER BY ts`,
    )
    .all(id);
}

describe('rollups', () => {
  it('5-minute and hourly rows equal min/avg/max/count computed from raw', () => {
    const a = addSeries('cpu.total');
    const b = addSeries('mem.used_pct');
    const rawA = generate(a, T0, T0 + 3 * ONE_HOUR, 30_000, 1);
    const rawB = generate(b, T0 + 7_000, T0 + 3 * ONE_HOUR, 17_000, 2);
    const now = T0 + 3 * ONE_HOUR + 10 * 60_000;
    rollupTiers(db, now, { graceMs: 0 });

    for (const [id, raw] of [
      [a, rawA],
      [b, rawB],
    ] as const) {
      const five = tierRows('samples_5m', id);
      const want5 = expected(raw, FIVE_MINUTES);
      expect(five.length).toBe(want5.length);
      five.forEach((row, i) => {
        expect(row.ts).toBe(want5[i]!.ts);
        expect(row.min).toBe(want5[i]!.min);
        expect(row.max).toBe(want5[i]!.max);
        expect(row.count).toBe(want5[i]!.count);
        expect(row.avg).toBeCloseTo(want5[i]!.avg, 9);
      });
      const hour = tierRows('samples_1h', id);
      const want1h = expected(raw, ONE_HOUR);
      expect(hour.length).toBe(3);
      hour.forEach((row, i) => {
        expect(row).toMatchObject({
          ts: want1h[i]!.ts,
          min: want1h[i]!.min,
          max: want1h[i]!.max,
          count: want1h[i]!.count,
        });
        expect(row.avg).toBeCloseTo(want1h[i]!.avg, 9);
      });
    }
  });

  it('rolls up only closed buckets (respecting the grace), and catches up later', () => {
    const id = addSeries('cpu.total');
    generate(id, T0, T0 + ONE_HOUR, 10_000, 3);
    const r = rollupTiers(db, T0 + 12 * 60_000, { graceMs: 2 * 60_000 });
    expect(r.fiveMinuteMark).toBe(T0 + 10 * 60_000);
    expect(tierRows('samples_5m', id).map((x) => x.ts)).toEqual([T0, T0 + FIVE_MINUTES]);
    expect(tierRows('samples_1h', id)).toEqual([]);
    rollupTiers(db, T0 + ONE_HOUR + 3 * 60_000, { graceMs: 2 * 60_000 });
    expect(tierRows('samples_5m', id)).toHaveLength(12);
    expect(tierRows('samples_1h', id)).toHaveLength(1);
    expect(tierRows('samples_1h', id)[0]!.count).toBe(360);
  });

  it('re-running a rollup, even after losing its mark (crash), does not double-count', () => {
    const id = addSeries('cpu.total');
    generate(id, T0, T0 + 2 * ONE_HOUR, 30_000, 4);
    const now = T0 + 2 * ONE_HOUR + 5 * 60_000;
    rollupTiers(db, now, { graceMs: 0 });
    const five = tierRows('samples_5m', id);
    const hour = tierRows('samples_1h', id);
    rollupTiers(db, now, { graceMs: 0 });
    // A crash after the rows were written but before the mark moved is the same as a lost mark.
    db.prepare('DELETE FROM tier_marks').run();
    rollupTiers(db, now, { graceMs: 0 });
    expect(tierRows('samples_5m', id)).toEqual(five);
    expect(tierRows('samples_1h', id)).toEqual(hour);
    expect(hour.reduce((n, r) => n + r.count, 0)).toBe(240);
  });

  it('a failed chunk leaves neither rows nor a moved mark', () => {
    const id = addSeries('cpu.total');
    generate(id, T0, T0 + ONE_HOUR, 30_000, 5);
    db.exec(`CREATE TRIGGER boom BEFORE INSERT ON samples_5m WHEN NEW.ts >= ${T0 + 30 * 60_000}
             BEGIN SELECT RAISE(ABORT, 'disk full'); END;`);
    expect(() => rollupTiers(db, T0 + 2 * ONE_HOUR, { graceMs: 0, chunkMs: 30 * 60_000 })).toThrow(
      /disk full/,
    );
    expect(readMark(db, 'rollup:5m')).toBe(T0 + 30 * 60_000);
    expect(tierRows('samples_5m', id)).toHaveLength(6);
    db.exec('DROP TRIGGER boom');
    rollupTiers(db, T0 + 2 * ONE_HOUR, { graceMs: 0, chunkMs: 30 * 60_000 });
    expect(tierRows('samples_5m', id)).toHaveLength(12);
    expect(tierRows('samples_5m', id).reduce((n, r) => n + r.count, 0)).toBe(120);
  });

  it('spreads a long catch-up over several calls with maxChunks and skips empty stretches', () => {
    const id = addSeries('cpu.total');
    generate(id, T0, T0 + ONE_HOUR, 60_000, 6);
    generate(id, T0 + 30 * DAY, T0 + 30 * DAY + ONE_HOUR, 60_000, 7);
    const now = T0 + 30 * DAY + 2 * ONE_HOUR;
    const first = rollupTiers(db, now, { graceMs: 0, maxChunks: 1, chunkMs: 30 * 60_000 });
    expect(first.more).toBe(true);
    let calls = 1;
    while (rollupTiers(db, now, { graceMs: 0, maxChunks: 1, chunkMs: 30 * 60_000 }).more) calls++;
    expect(calls).toBeLessThan(10);
    expect(tierRows('samples_5m', id)).toHaveLength(24);
    expect(tierRows('samples_1h', id)).toHaveLength(2);
  });
});

describe('retention', () => {
  it('prunes raw after 15 days, 5-minute after 90, but never past what is rolled up', () => {
    const id = addSeries('cpu.total');
    generate(id, T0, T0 + 20 * DAY, 10 * 60_000, 8);
    const now = T0 + 20 * DAY;
    // Nothing rolled up yet: raw must stay.
    expect(pruneTiers(db, now).raw).toBe(0);
    const { pruned } = runMaintenance(db, now, { graceMs: 0 });
    expect(pruned.raw).toBeGreaterThan(0);
    const oldestRaw = db.prepare<[], { ts: number }>('SELECT min(ts) AS ts FROM samples').get()!.ts;
    expect(oldestRaw).toBeGreaterThanOrEqual(now - 15 * DAY);
    expect(readMark(db, 'pruned:raw')).toBe(now - 15 * DAY);
    // The rolled-up tiers still hold the whole 20 days.
    expect(tierRows('samples_1h', id)[0]!.ts).toBe(T0);
    expect(tierRows('samples_5m', id)[0]!.ts).toBe(T0);
  });
});

describe('chart query', () => {
  it('chooses raw, 5-minute or hourly by pixel width, and a coarser tier past retention', () => {
    const now = T0 + 100 * DAY;
    expect(chooseTier(db, now - ONE_HOUR, now, 1000)).toBe('raw');
    expect(chooseTier(db, now - 24 * ONE_HOUR, now, 1000)).toBe('raw');
    expect(chooseTier(db, now - 7 * DAY, now, 1000)).toBe('5m');
    expect(chooseTier(db, now - 30 * DAY, now, 1000)).toBe('5m');
    expect(chooseTier(db, now - 90 * DAY, now, 1000)).toBe('1h');
    expect(chooseTier(db, now - 24 * ONE_HOUR, now, 100)).toBe('5m');
    db.prepare("INSERT INTO tier_marks (name, ts) VALUES ('pruned:raw', ?)").run(now - 15 * DAY);
    db.prepare("INSERT INTO tier_marks (name, ts) VALUES ('pruned:5m', ?)").run(now - 90 * DAY);
    expect(chooseTier(db, now - 20 * DAY, now - 19 * DAY, 1000)).toBe('5m');
    expect(chooseTier(db, now - 95 * DAY, now - 94 * DAY, 1000)).toBe('1h');
  });

  it('downsampling to the pixel width keeps a one-sample peak and the minimum', () => {
    const id = addSeries('cpu.total');
    const points: [number, number][] = [];
    for (let i = 0; i < 2880; i++) points.push([T0 + i * 30_000, 10]);
    points[1234]![1] = 99.5;
    points[2000]![1] = 0.5;
    insertRaw(id, points);
    const out = queryChart(db, { keys: ['cpu.total', 'missing'], from: T0, to: T0 + DAY, maxPoints: 400 });
    const s = out.series[0]!;
    expect(s.tier).toBe('raw');
    expect(s.points.length).toBeLessThanOrEqual(400);
    expect(Math.max(...s.points.map((p) => p.max!))).toBe(99.5);
    expect(Math.min(...s.points.map((p) => p.min!))).toBe(0.5);
    expect(out.series[1]!.points).toEqual([]);
  });

  it('reads the 5-minute tier plus the not-yet-rolled tail from raw, keeping the maximum', () => {
    const id = addSeries('cpu.total');
    const points: [number, number][] = [];
    for (let ts = T0; ts < T0 + 7 * DAY; ts += 60_000) points.push([ts, 20]);
    points[5000]![1] = 97; // rolled up into the 5-minute tier
    points[points.length - 3]![1] = 88; // newer than the rollup mark: read from raw
    insertRaw(id, points);
    rollupTiers(db, T0 + 7 * DAY - 10 * 60_000, { graceMs: 0 });
    const to = T0 + 7 * DAY;
    const out = queryChart(db, { keys: ['cpu.total'], from: to - 7 * DAY, to, maxPoints: 1000 });
    const s = out.series[0]!;
    expect(s.tier).toBe('5m');
    expect(s.points.length).toBeLessThanOrEqual(1000);
    const maxes = s.points.map((p) => p.max!);
    expect(Math.max(...maxes)).toBe(97);
    expect(maxes).toContain(88);
    expect(s.points.at(-1)!.ts).toBeGreaterThan(to - 20 * 60_000);
  });

  it('downsamplePoints weights averages by count', () => {
    const out = downsamplePoints(
      [
        { ts: 0, value: 10, min: 5, max: 15, count: 3 },
        { ts: 1, value: 30, min: 30, max: 30, count: 1 },
        { ts: 50, value: 1, min: 1, max: 1, count: 1 },
      ],
      0,
      100,
      2,
    );
    expect(out).toEqual([
      { ts: 0, value: 15, min: 5, max: 30 },
      { ts: 50, value: 1, min: 1, max: 1 },
    ]);
  });
});

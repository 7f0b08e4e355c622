import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/core/clock/index.js';
import { decryptBuffer, encryptBuffer } from '../../electron/core/maintenance/backup.js';
import {
  countFindings,
  daysToZero,
  descendantsOf,
  globToRegExp,
  quoteForCmd,
  spawnPlan,
  versionMatches,
} from '../../electron/core/maintenance/index.js';
import { gatherReport, lineChart, renderReport } from '../../electron/core/maintenance/report.js';
import type { ProcessInfo } from '../../electron/core/platform/index.js';
import { maintenanceConfigSchema } from '../../shared/config/maintenance.js';
import { maintenanceHarness, removeDir } from '../helpers/maintenance-harness.js';

describe('maintenance config', () => {
  it('ships the documents’ times, and the TASK-003 bot launch disabled and tagged bot', () => {
    const cfg = maintenanceConfigSchema.parse({});
    const byId = Object.fromEntries(cfg.jobs.map((j) => [j.id, j]));
    expect(byId['log-rotation']?.schedule).toBe('0 2 * * *');
    expect(byId['cache-cleanup']?.schedule).toBe('30 2 * * *');
    expect(byId.backup?.schedule).toBe('0 3 * * *');
    expect(byId['health-report']?.schedule).toBe('30 3 * * *');
    expect(byId.database?.window).toBe('weekly');
    expect(byId['weekly-report']?.schedule).toBe('0 9 * * 1');
    expect(byId['bot-launch']).toMatchObject({ schedule: '*/30 * * * *', enabled: false, tags: ['bot'] });
    expect(cfg.backup.retentionDays).toBe(30);
    expect(cfg.healthChecks).toMatchObject({ intervalMinutes: 5, failureThreshold: 3 });
  });

  it('names the place of a bad job: both schedule and window, or a duplicate id', () => {
    const both = maintenanceConfigSchema.safeParse({
      jobs: [{ id: 'x', kind: 'builtin', task: 'backup', schedule: '0 3 * * *', window: 'weekly' }],
    });
    expect(both.success).toBe(false);
    expect(JSON.stringify(both.error?.issues)).toMatch(/either `schedule`/);
    const dup = maintenanceConfigSchema.safeParse({
      jobs: [
        { id: 'x', kind: 'builtin', task: 'backup', schedule: '0 3 * * *' },
        { id: 'x', kind: 'builtin', task: 'backup', schedule: '0 4 * * *' },
      ],
    });
    expect(dup.error?.issues[0]).toMatchObject({
      path: ['jobs', 1, 'id'],
      message: 'job id "x" is used twice',
    });
  });
});

describe('audit and version checks', () => {
  it('counts npm audit, pip-audit (both shapes) and falls back to the exit code', () => {
    expect(
      countFindings(
        JSON.stringify({
          metadata: { vulnerabilities: { info: 1, low: 2, high: 1, critical: 0, total: 4 } },
        }),
        1,
      ).findings,
    ).toBe(4);
    expect(
      countFindings(
        JSON.stringify({
          dependencies: [
            { name: 'a', vulns: [{}, {}] },
            { name: 'b', vulns: [] },
          ],
        }),
        1,
      ),
    ).toEqual({ findings: 2, how: 'pip-audit' });
    expect(
      countFindings(`Found 1 known vulnerability\n${JSON.stringify([{ name: 'a', vulns: [{}] }])}`, 1)
        .findings,
    ).toBe(1);
    expect(countFindings('no json here', 0).findings).toBe(0);
    expect(countFindings('crashed', 127)).toEqual({ findings: 1, how: 'exit code 127' });
  });

  it('matches a pinned version by its leading parts', () => {
    expect(versionMatches('131.0.6778.85', '131')).toBe(true);
    expect(versionMatches('131.0.6778.85', '131.0.6778.85')).toBe(true);
    expect(versionMatches('131.0.6778.85', '131.0.6778.86')).toBe(false);
    expect(versionMatches('132.0.1.1', '131')).toBe(false);
  });
});

describe('command plans (Windows argument lists checked exactly)', () => {
  const exists = (p: string) => p === 'C:\\node\\pnpm.CMD' || p === 'C:\\Python\\python.exe';
  const env = {
    PATH: 'C:\\Windows;C:\\node;C:\\Python',
    PATHEXT: '.COM;.EXE;.BAT;.CMD',
    ComSpec: 'C:\\Windows\\system32\\cmd.exe',
  };
  it('runs a .cmd through cmd.exe with quoted arguments, an .exe directly', () => {
    expect(
      spawnPlan({ command: 'pnpm', args: ['dev', '--filter', 'my app'] }, 'win32', env, (p) =>
        exists(p.replace(/\.cmd$/, '.CMD')),
      ),
    ).toEqual({
      file: 'C:\\Windows\\system32\\cmd.exe',
      args: ['/d', '/s', '/c', '"C:\\node\\pnpm.cmd dev --filter "my app""'],
      verbatim: true,
    });
    expect(
      spawnPlan({ command: 'python', args: ['-m', 'reply_bot.multi_main'] }, 'win32', env, (p) =>
        exists(p.replace(/\.exe$/, '.exe')),
      ),
    ).toEqual({
      file: 'C:\\Python\\python.exe',
      args: ['-m', 'reply_bot.multi_main'],
      verbatim: false,
    });
    expect(spawnPlan({ command: 'pnpm', args: ['dev'] }, 'linux', {})).toEqual({
      file: 'pnpm',
      args: ['dev'],
      verbatim: false,
    });
    expect(quoteForCmd('a&b')).toBe('"a&b"');
    expect(quoteForCmd('say "hi"')).toBe('"say ""hi"""');
  });

  it('finds a tree from one snapshot, skipping a reused pid that is older than its parent', () => {
    const p = (pid: number, ppid: number, startTime: number): ProcessInfo => ({
      pid,
      ppid,
      startTime,
      name: 'x',
      cmdline: '',
      state: 'sleeping',
      cpuTimeMs: 0,
      rssBytes: 0,
    });
    const tree = descendantsOf(
      [p(10, 1, 100_000), p(11, 10, 200_000), p(12, 11, 300_000), p(13, 10, 50_000), p(14, 2, 10)],
      10,
    );
    expect(tree.map((x) => x.pid)).toEqual([10, 11, 12]);
  });
});

describe('files, secrets and the report', () => {
  it('globs with *, ? and ** on either separator', () => {
    expect(globToRegExp('log/*.log').test('log/a_20261201.log')).toBe(true);
    expect(globToRegExp('log/*.log').test('log/sub/a.log')).toBe(false);
    expect(globToRegExp('**/twitter-session.yaml').test('data/config/twitter-session.yaml')).toBe(true);
    expect(globToRegExp('**/twitter-session.yaml').test('twitter-session.yaml')).toBe(true);
    expect(globToRegExp('log\\?.txt').test('log/a.txt')).toBe(true);
  });

  it('encrypts so that only the passphrase opens it, and tampering is detected', () => {
    const sealed = encryptBuffer(Buffer.from('auth_token: abc'), 'pass');
    expect(sealed.includes(Buffer.from('abc'))).toBe(false);
    expect(decryptBuffer(sealed, 'pass').toString()).toBe('auth_token: abc');
    expect(() => decryptBuffer(sealed, 'wrong')).toThrow();
    const tampered = Buffer.from(sealed);
    tampered.writeUInt8(tampered.readUInt8(40) ^ 1, 40);
    expect(() => decryptBuffer(tampered, 'pass')).toThrow();
  });

  it('forecasts when a falling disk is full, and nothing for a steady one', () => {
    const DAY = 86_400_000;
    const falling = Array.from({ length: 10 }, (_, i) => ({ ts: i * DAY, value: 100 - 10 * i }));
    expect(daysToZero(falling, 9 * DAY)).toBeCloseTo(1, 5);
    expect(
      daysToZero(
        falling.map((p) => ({ ...p, value: 50 })),
        9 * DAY,
      ),
    ).toBeNull();
  });

  it('renders a self-contained report: inline SVG, no script, escaped text', () => {
    const svg = lineChart(['月', '火'], [{ name: '<CPU>', values: [10, Number.NaN] }], { yMax: 100 });
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('&#60;CPU&#62;');
    const html = renderReport(
      {
        from: 0,
        to: 7 * 86_400_000,
        locale: 'ja',
        days: Array.from({ length: 7 }, (_, i) => i * 86_400_000),
        monitorCoverage: [100, 100, 50, 100, 100, 100, 100],
        botUptime: Array(7).fill(null),
        alerts: [{ severity: 'critical', count: 2, ackMedianMin: 4.5, unacked: 0 }],
        alertsPerDay: { critical: [0, 2, 0, 0, 0, 0, 0], warning: Array(7).fill(0), info: Array(7).fill(0) },
        topRules: [{ rule: '<script>', count: 2 }],
        stops: [],
        jobs: [{ job: 'backup', ok: 6, failed: 1, other: 0, lastStatus: 'ok' }],
        cpu: { avg: Array(7).fill(20), max: Array(7).fill(80) },
        mem: Array(7).fill(50),
        disks: [{ mount: 'C:', freePct: Array(7).fill(40), freeBytesNow: 2 ** 34, daysToFull: 12.3 }],
      },
      8 * 86_400_000,
    );
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('週次運用レポート');
    expect(html).toContain('12.3 日');
    expect((html.match(/<svg/g) ?? []).length).toBe(5);
  });

  it('gathers a week from the database: uptime, resource trends and the disk-full forecast', () => {
    const HOUR = 3_600_000;
    const to = Date.parse('2026-03-09T09:00:00+09:00');
    const h = maintenanceHarness(new ManualClock(to));
    try {
      for (let i = 1; i <= 7 * 24; i++) {
        const ts = to - i * HOUR;
        h.store.writeSamples([
          { name: 'cpu.total', labels: {}, ts, value: 40 },
          { name: 'proc.count', labels: { family: 'bot-runner' }, ts, value: i % 4 === 0 ? 0 : 1 },
          { name: 'disk.free_pct', labels: { mount: 'C:' }, ts, value: 50 },
          // 10 GB free now, falling 1 GB a day.
          { name: 'disk.free_bytes', labels: { mount: 'C:' }, ts, value: 10e9 + (i / 24) * 1e9 },
        ]);
      }
      const d = gatherReport(h.store.db, to, 'en');
      expect(d.monitorCoverage).toEqual(Array(7).fill(100));
      expect(d.botUptime.every((u) => u !== null && Math.abs(u - 75) < 1)).toBe(true);
      expect(d.cpu.avg).toEqual(Array(7).fill(40));
      expect(d.disks[0]?.mount).toBe('C:');
      expect(d.disks[0]?.daysToFull).toBeCloseTo(10, 0);
    } finally {
      h.close();
      removeDir(h.dir);
    }
  });
});

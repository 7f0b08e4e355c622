// Pure checks of the Alerts page's text (no browser): schedules in words, ages, and that every
// translation key the alert UI uses exists in both languages.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeCron, formatAge, formatValue } from '../../renderer/src/pages/alerts/format.js';
import { repoRoot } from '../helpers/headless.js';

describe('maintenance window schedules in words', () => {
  it('reads the documents’ weekly and monthly windows', () => {
    expect(describeCron('0 2 * * 0', 120)).toEqual({
      schedule: { kind: 'weekly', weekdays: [0] },
      start: '02:00',
      end: '04:00',
      endsNextDay: false,
    });
    expect(describeCron('0 1 * * 0#1', 240)).toEqual({
      schedule: { kind: 'nthWeekday', weekday: 0, nth: 1 },
      start: '01:00',
      end: '05:00',
      endsNextDay: false,
    });
  });

  it('reads daily, weekday ranges, last weekday, day of month, seconds field and midnight crossing', () => {
    expect(describeCron('30 23 * * *', 90)).toMatchObject({
      schedule: { kind: 'daily' },
      start: '23:30',
      end: '01:00',
      endsNextDay: true,
    });
    expect(describeCron('0 3 * * 1-5', 30)?.schedule).toEqual({ kind: 'weekly', weekdays: [1, 2, 3, 4, 5] });
    expect(describeCron('0 3 * * 0,6', 30)?.schedule).toEqual({ kind: 'weekly', weekdays: [0, 6] });
    expect(describeCron('0 3 * * 7', 30)?.schedule).toEqual({ kind: 'weekly', weekdays: [0] });
    expect(describeCron('0 3 * * 5L', 30)?.schedule).toEqual({ kind: 'lastWeekday', weekday: 5 });
    expect(describeCron('0 4 1 * *', 60)?.schedule).toEqual({ kind: 'monthDay', day: 1 });
    expect(describeCron('0 0 2 * * 0', 60)).toMatchObject({ start: '02:00', end: '03:00' });
  });

  it('gives up on shapes it cannot say plainly, so the cron text is shown instead', () => {
    expect(describeCron('*/15 * * * *', 5)).toBeNull();
    expect(describeCron('0 2 * 1 0', 60)).toBeNull();
    expect(describeCron('0 2 1 * 0', 60)).toBeNull();
    expect(describeCron('nonsense', 60)).toBeNull();
  });
});

describe('ages and values', () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0);
  it('says how long ago in the operator’s language, never in the future', () => {
    expect(formatAge(now - 12 * 60_000, now, 'ja')).toBe('12 分前');
    expect(formatAge(now - 12 * 60_000, now, 'en')).toBe('12 minutes ago');
    expect(formatAge(now - 3 * 3_600_000 - 5, now, 'ja')).toBe('3 時間前');
    expect(formatAge(now + 1500, now, 'ja')).toBe('0 秒前');
  });
  it('shows percentages, bytes and missing values', () => {
    expect(formatValue(92.345, 'cpu.total', 'ja')).toBe('92.3 %');
    expect(formatValue(12.5, 'disk.free_pct', 'ja')).toBe('12.5 %');
    expect(formatValue(3 * 1024 ** 3, 'proc.rss', 'ja')).toBe('3.0 GB');
    expect(formatValue(null, 'cpu.total', 'ja')).toBe('—');
    expect(formatValue(0, 'bot.family_count', 'en')).toBe('0');
  });
});

describe('translations of the alert UI', () => {
  const i18nDir = join(repoRoot, 'renderer', 'src', 'i18n');
  const load = (lang: string) =>
    JSON.parse(readFileSync(join(i18nDir, lang, 'alerts.json'), 'utf8')) as Record<string, unknown>;
  const ja = load('ja');
  const en = load('en');

  function has(tree: Record<string, unknown>, key: string): boolean {
    const parts = key.split('.');
    let node: unknown = tree;
    for (const [i, part] of parts.entries()) {
      if (typeof node !== 'object' || node === null) return false;
      const obj = node as Record<string, unknown>;
      if (i === parts.length - 1) {
        return [part, `${part}_one`, `${part}_other`].some((k) => typeof obj[k] === 'string');
      }
      node = obj[part];
    }
    return false;
  }

  function sources(): string[] {
    const dir = join(repoRoot, 'renderer', 'src', 'pages', 'alerts');
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.tsx') || f.endsWith('.ts'))
      .map((f) => join(dir, f));
    files.push(join(repoRoot, 'renderer', 'src', 'components', 'Toasts.tsx'));
    files.push(join(repoRoot, 'renderer', 'src', 'components', 'AlertsBadge.tsx'));
    return files.map((f) => readFileSync(f, 'utf8'));
  }

  it('has every literal key the components use, in Japanese and English', () => {
    const used = new Set<string>();
    for (const text of sources()) {
      for (const m of text.matchAll(/\bt\('([a-zA-Z0-9_.-]+)'/g)) if (m[1]) used.add(m[1]);
    }
    expect(used.size).toBeGreaterThan(50);
    const missing = [...used].flatMap((k) => [
      ...(has(ja, k) ? [] : [`ja:${k}`]),
      ...(has(en, k) ? [] : [`en:${k}`]),
    ]);
    expect(missing).toEqual([]);
  });

  it('has the keys built at run time (states, severities, weekdays, transitions) in both languages', () => {
    const dynamic = [
      ...['pending', 'firing', 'acknowledged', 'resolved', 'inactive'].map((s) => `state.${s}`),
      ...['critical', 'warning', 'info'].map((s) => `severity.${s}`),
      ...['ok', 'warning', 'critical'].map((s) => `health.${s}`),
      ...[0, 1, 2, 3, 4, 5, 6].map((d) => `weekday.${d}`),
      ...[1, 2, 3, 4, 5].map((n) => `cron.nth.${n}`),
      ...['1h', '24h', '7d', '30d', 'all'].map((r) => `history.ranges.${r}`),
      ...['rule', 'labels'].map((s) => `silence.scope_${s}`),
      ...['firing', 'acknowledged', 'resolved', 'suppressed', 'notified', 'escalated', 'action-failed'].map(
        (s) => `transition.${s}`,
      ),
    ];
    for (const k of dynamic) {
      expect(has(ja, k), `ja:${k}`).toBe(true);
      expect(has(en, k), `en:${k}`).toBe(true);
    }
  });
});

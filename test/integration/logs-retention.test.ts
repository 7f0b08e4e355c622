import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/core/clock/index.js';
import type { LogsSearchOutput, LogsSources } from '../../shared/api/logs.js';
import { type LogsHarness, openLogsCore, q } from '../helpers/logs-core.js';
import { appendLines, pythonLine } from '../helpers/logs-writers.js';

const DAY = 86_400_000;
const harnesses: LogsHarness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

const LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;

describe('per-level retention (Phase 6: DEBUG 7 d, INFO 30 d, WARNING 90 d, ERROR 1 y, CRITICAL kept)', () => {
  it('prunes each level at its age, removes messages no record uses, and lives through a year in a second', async () => {
    const clock = new ManualClock(new Date(2026, 0, 5, 12, 0, 0).getTime());
    const h = openLogsCore({
      clock,
      config: (dir) => `
bots:
  - id: b
    root: ${q(join(dir, 'bot'))}
    logs:
      - path: '*.log'
`,
    });
    harnesses.push(h);
    const t0 = clock.now() - 60_000;
    appendLines(
      join(h.dir, 'bot', 'app.log'),
      LEVELS.flatMap((level, i) => [
        pythonLine(t0 + i * 10, level, `${level} 固有のメッセージ ${i}`),
        pythonLine(t0 + i * 10 + 1, level, '共通メッセージ'),
      ]),
    );
    h.drain({ discover: true });
    const levelsLeft = async () =>
      (await h.call<LogsSearchOutput>('logs.search', { query: 'メッセージ', limit: 100 })).hits
        .map((r) => r.level)
        .filter((l, i, a) => a.indexOf(l) === i)
        .sort();
    const messages = () =>
      (h.core.store.db.prepare('SELECT count(*) AS n FROM log_messages').get() as { n: number }).n;
    expect(await levelsLeft()).toEqual([...LEVELS].sort());
    const before = messages();

    const steps: [number, string[]][] = [
      [6, ['CRITICAL', 'DEBUG', 'ERROR', 'INFO', 'WARNING']],
      [8, ['CRITICAL', 'ERROR', 'INFO', 'WARNING']],
      [31, ['CRITICAL', 'ERROR', 'WARNING']],
      [91, ['CRITICAL', 'ERROR']],
      [366, ['CRITICAL']],
      [3650, ['CRITICAL']],
    ];
    for (const [days, left] of steps) {
      clock.set(t0 + days * DAY);
      expect(h.logs.pruneNow({ budgetMs: 10_000 }).done).toBe(true);
      expect({ days, left: await levelsLeft() }).toEqual({ days, left });
    }
    // The shared message stayed while a CRITICAL record used it; the others' own messages are gone.
    expect(messages()).toBe(2);
    expect(before).toBe(6);
    expect((await h.call<LogsSearchOutput>('logs.search', { query: '固有', limit: 10 })).hits).toHaveLength(
      1,
    );
  });

  it('does not store lines already past their retention when a file is read late, and counts them', async () => {
    const clock = new ManualClock(new Date(2026, 0, 5, 12, 0, 0).getTime());
    const h = openLogsCore({
      clock,
      config: (dir) => `
bots:
  - id: b
    root: ${q(join(dir, 'bot'))}
    logs:
      - path: '*.log'
logs:
  retentionDays: { debug: 1, info: 2 }
`,
    });
    harnesses.push(h);
    const now = clock.now();
    appendLines(join(h.dir, 'bot', 'old.log'), [
      pythonLine(now - 3 * DAY, 'INFO', '3 日前の INFO'),
      pythonLine(now - 3 * DAY + 1, 'WARNING', '3 日前の WARNING'),
      pythonLine(now - 1.5 * DAY, 'DEBUG', '1.5 日前の DEBUG'),
      pythonLine(now - 1.5 * DAY + 1, 'INFO', '1.5 日前の INFO'),
    ]);
    h.drain({ discover: true });
    const hits = (await h.call<LogsSearchOutput>('logs.search', { query: '日前', limit: 10 })).hits;
    expect(hits.map((r) => r.message).sort()).toEqual(['1.5 日前の INFO', '3 日前の WARNING']);
    const file = (await h.call<LogsSources>('logs.sources')).sources[0]?.files[0];
    expect(file?.records).toBe(2);
    expect((await h.call<LogsSources>('logs.sources')).totals.expired).toBe(2);
  });
});

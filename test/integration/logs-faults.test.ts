import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type LogsHarness, openLogsCore, q } from '../helpers/logs-core.js';
import { appendLines, pythonLine } from '../helpers/logs-writers.js';

const harnesses: LogsHarness[] = [];
const others: Database.Database[] = [];
afterEach(async () => {
  for (const o of others.splice(0)) {
    if (o.inTransaction) o.exec('ROLLBACK');
    o.close();
  }
  for (const h of harnesses.splice(0)) await h.close();
});

describe('logs while the database refuses writes', () => {
  it('stops reading while its writes wait, and once the database is free stores every line once, messages included', async () => {
    const h = openLogsCore({
      config: (dir) => `
bots:
  - id: b
    root: ${q(join(dir, 'bot'))}
    logs:
      - path: '*.log'
`,
    });
    harnesses.push(h);
    const file = join(h.dir, 'bot', 'app.log');
    let seq = 0;
    const batch = (n: number) =>
      appendLines(
        file,
        // Repeated messages too: they share a message row, whose id must survive the wait.
        Array.from({ length: n }, () => {
          seq++;
          return pythonLine(Date.now() + seq, 'INFO', seq % 3 === 0 ? '繰り返しメッセージ' : `行 seq=${seq}`);
        }),
      );
    batch(100);
    h.drain({ discover: true });

    const other = new Database(join(h.dir, 'nexus-ops.db'));
    others.push(other);
    other.exec('BEGIN EXCLUSIVE');
    batch(100);
    h.logs.ingestNow({ discover: true });
    expect(h.core.store.writes.waitingFor('logs')).toBeGreaterThan(0);
    batch(100);
    const r = h.logs.ingestNow();
    expect(r.more).toBe(true);
    expect(r.records).toBe(0); // nothing more is read while writes wait
    other.exec('COMMIT');

    const deadline = Date.now() + 15_000;
    while (h.core.store.writes.waitingFor('logs') > 0 && Date.now() < deadline) {
      h.logs.ingestNow();
      await new Promise((res) => setTimeout(res, 200));
    }
    h.drain();
    const db = h.core.store.db;
    const rows = db
      .prepare<[], { text: string }>(
        'SELECT m.text FROM log_records r JOIN log_messages m ON m.id = r.msg_id',
      )
      .all();
    expect(rows).toHaveLength(300);
    expect(rows.filter((x) => x.text === '繰り返しメッセージ')).toHaveLength(100);
    const ids = new Set(rows.map((x) => x.text).filter((t) => t.startsWith('行')));
    expect(ids.size).toBe(200);
    const orphans = db
      .prepare(
        'SELECT count(*) AS n FROM log_records r LEFT JOIN log_messages m ON m.id = r.msg_id WHERE m.id IS NULL',
      )
      .get() as { n: number };
    expect(orphans.n).toBe(0);
  });
});

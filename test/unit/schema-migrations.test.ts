/**
 * One test per migration (migrate to N-1, seed rows as that version wrote them, migrate to N, assert
 * nothing was lost and the new tables take rows), a guard that the schema only grows, and a snapshot
 * per version so a shipped migration is never edited in place.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { schemaMigrations } from '../../electron/core/index.js';
import {
  emptyDb,
  insertRow,
  schemaShape,
  schemaText,
  tableRows,
  updateToVersion,
} from '../helpers/schema.js';

const SNAPSHOTS = join(import.meta.dirname, '..', 'fixtures', 'schema');
const latest = schemaMigrations.length;

/** Rows each version wrote, inserted right after migrating to it. */
const seeds: Record<number, [table: string, row: Record<string, unknown>][]> = {
  1: [
    ['series', { id: 1, key: 'cpu.total', name: 'cpu.total', labels: '{}' }],
    ['samples', { series_id: 1, ts: 1000, value: 12.5 }],
    ['audit', { ts: 1, actor: 'op', action: 'stop', details: '{}', prev_hash: '', hash: 'h1' }],
    ['meta', { key: 'k', value: 'v' }],
  ],
  2: [
    ['samples_5m', { series_id: 1, ts: 0, min: 1, avg: 2, max: 3, count: 10 }],
    ['tier_marks', { name: 'rollup:5m', ts: 300_000 }],
  ],
  3: [
    [
      'alerts',
      {
        id: 'a1',
        rule_id: 'cpu-high',
        rule_name: 'CPU',
        series_key: 'cpu.total',
        metric: 'cpu.total',
        labels: '{}',
        state: 'firing',
        severity: 'warning',
        op: '>',
        threshold: 80,
        value: 95,
        message: 'm',
        started_at: 1,
        escalation_level: 0,
        updated_at: 1,
      },
    ],
    ['alert_events', { alert_id: 'a1', ts: 1, type: 'firing' }],
    [
      'silences',
      { id: 's1', matchers: '[]', starts_at: 0, ends_at: 10, reason: 'r', created_by: 'op', created_at: 0 },
    ],
  ],
  4: [
    [
      'notify_deliveries',
      {
        message_id: 'm1',
        channel_id: 'slack',
        channel_type: 'slack',
        kind: 'firing',
        severity: 'critical',
        title: 't',
        body: 'b',
        status: 'sent',
        created_at: 1,
        updated_at: 1,
      },
    ],
  ],
  6: [
    [
      'notify_deliveries',
      {
        message_id: 'm2',
        channel_id: 'hook',
        channel_type: 'webhook',
        kind: 'firing',
        severity: 'warning',
        title: 't',
        body: 'b',
        status: 'queued',
        created_at: 2,
        updated_at: 2,
        context: '{"ruleId":"cpu-high"}',
      },
    ],
  ],
  7: [
    [
      'checklist_instances',
      {
        id: 'morning@2026-01-05T09:00',
        template_id: 'morning',
        slot_at: 1,
        local_date: '2026-01-05',
        timezone: 'Asia/Tokyo',
        template: '{}',
        created_at: 1,
      },
    ],
    [
      'checklist_ticks',
      {
        id: 't1',
        instance_id: 'morning@2026-01-05T09:00',
        item_id: 'errors',
        action: 'tick',
        actor: 'op',
        at: 2,
        evidence: '{}',
      },
    ],
  ],
  8: [
    [
      'incidents',
      {
        id: 'INC-1',
        title: '認証エラー',
        category: 'api',
        severity: 'critical',
        status: 'open',
        source: 'manual',
        opened_at: 1,
        created_at: 1,
        updated_at: 1,
        created_by: 'op',
      },
    ],
    ['incident_steps', { incident_id: 'INC-1', step: 'record', done: 1, actor: 'op', at: 2 }],
  ],
  9: [
    [
      'runbook_steps',
      { subject: 'alert:a1', runbook_id: 'level1-api-slow', step: 1, done: 1, actor: 'op', at: 3 },
    ],
  ],
  10: [
    ['bot_state', { bot_id: 'tax', restarts: 2, updated_at: 1 }],
    ['bot_runs', { run_id: 'run-1', bot_id: 'tax', trigger: 'always', started_at: 1, pid: 42 }],
    ['bot_hold', { id: 1, held: 0 }],
  ],
  11: [
    ['maintenance_jobs', { id: 'backup', watermark: 1, updated_at: 1 }],
    [
      'maintenance_runs',
      { id: 'r1', job_id: 'backup', trigger: 'schedule', slot: 1, started_at: 1, status: 'ok' },
    ],
    ['maintenance_checks', { id: 'api', consecutive_failures: 1 }],
  ],
  12: [
    [
      'log_files',
      {
        id: 1,
        bot_id: 'nexus02',
        source: 'log/*.log',
        path: '/bots/n/log/a.log',
        identity: '1:2',
        first_seen: 1,
      },
    ],
    ['log_messages', { id: 1, text: '[like] success: 1966' }],
    ['log_records', { id: 1, ts: 1, level: 20, bot_id: 'nexus02', file_id: 1, msg_id: 1, offset: 0 }],
  ],
  14: [
    [
      'stop_runs',
      {
        id: 'r2',
        source: 'rule',
        actor: 'rule:stop-consecutive-failures',
        reason: '連続5回失敗',
        requested_at: 2,
        status: 'done',
        evidence: '["bot.consecutive_failures{bot=nexus02} = 5"]',
      },
    ],
  ],
  15: [['log_messages', { id: 2, text: '現在のメモリ使用量: 412.3 MB' }]],
  5: [
    [
      'stop_runs',
      { id: 'r1', source: 'button', actor: 'op', reason: 'test', requested_at: 1, status: 'done' },
    ],
  ],
  13: [
    [
      'telemetry_cost',
      { bot: 'tax', provider: 'twitterapi-io', bucket: 900_000, calls: 3, cost_usd: 0.00045 },
    ],
    [
      'telemetry_budget_marks',
      { period: 'day:2026-01-05', pct: 80, fired_at: 1, spent_usd: 24, budget_usd: 30 },
    ],
    ['telemetry_streaks', { bot: 'tax', consecutive_failures: 2, updated_at: 1 }],
    ['telemetry_runs', { id: 'run1', bot: 'nexus02', source: 'process', started_at: 1 }],
    [
      'telemetry_evidence',
      { alert_id: 'a1', rule_id: 'r', metric: 'bot.errors', labels: '{}', at: 1, facts: '[]', records: '[]' },
    ],
    ['telemetry_state_files', { bot: 'tax', path: '/x/post.yaml', mtime_ms: 1 }],
    ['telemetry_rule_stats', { rule_id: 'tax-api-response', bot: 'tax', matches: 1, last_match_at: 1 }],
  ],
};

describe('each migration keeps what the versions before it wrote', () => {
  for (const m of schemaMigrations) {
    it(`${m.version} ${m.name}: migrates a database holding rows of every earlier version`, () => {
      const db = emptyDb();
      updateToVersion(db, m.version - 1);
      const before: Record<string, Record<string, unknown>[]> = {};
      for (let v = 1; v < m.version; v++) {
        for (const [table, row] of seeds[v] ?? []) insertRow(db, table, row);
      }
      for (let v = 1; v < m.version; v++) {
        for (const [table] of seeds[v] ?? []) before[table] = tableRows(db, table);
      }
      updateToVersion(db, m.version);
      expect(db.pragma('user_version', { simple: true })).toBe(m.version);
      // Every row keeps every value it had; a column this version adds starts empty (NULL or its default).
      for (const [table, rows] of Object.entries(before)) {
        const after = tableRows(db, table).map((r) =>
          Object.fromEntries(Object.keys(rows[0] ?? r).map((k) => [k, r[k]])),
        );
        expect(after, table).toEqual(rows);
      }
      // The new version's tables take the rows it writes.
      for (const [table, row] of seeds[m.version] ?? []) {
        expect(() => insertRow(db, table, row), table).not.toThrow();
      }
      db.close();
    });
  }

  it('every shipped migration has seed rows here (add yours when you add one)', () => {
    expect(schemaMigrations.map((m) => m.version).filter((v) => !seeds[v])).toEqual([]);
  });
});

describe('the schema only grows', () => {
  it('no version drops or changes a table, column, index or trigger of the version before it', () => {
    const db = emptyDb();
    let previous = schemaShape(db);
    for (const m of schemaMigrations) {
      updateToVersion(db, m.version);
      const now = schemaShape(db);
      for (const [table, cols] of Object.entries(previous.columns)) {
        for (const [col, type] of Object.entries(cols)) {
          expect(now.columns[table]?.[col], `${m.name}: ${table}.${col}`).toBe(type);
        }
      }
      for (const ix of previous.indexes) expect(now.indexes, `${m.name}: index ${ix}`).toContain(ix);
      for (const tr of previous.triggers) expect(now.triggers, `${m.name}: trigger ${tr}`).toContain(tr);
      previous = now;
    }
    db.close();
  });

  it('a shipped migration is never edited: the schema at each version matches its snapshot', () => {
    const update = process.env.UPDATE_SCHEMA_SNAPSHOTS === '1';
    const db = emptyDb();
    for (const m of schemaMigrations) {
      updateToVersion(db, m.version);
      const file = join(SNAPSHOTS, `${String(m.version).padStart(3, '0')}-${m.name}.sql`);
      const text = schemaText(db);
      if (update || !existsSync(file)) {
        if (!update) {
          throw new Error(
            `no schema snapshot for migration ${m.version} (${m.name}): run UPDATE_SCHEMA_SNAPSHOTS=1 npx vitest run test/unit/schema-migrations.test.ts and commit test/fixtures/schema/`,
          );
        }
        writeFileSync(file, text);
      }
      expect(text, `${m.name} changed after it shipped: add a new migration instead`).toBe(
        readFileSync(file, 'utf8'),
      );
    }
    expect(latest).toBe(schemaMigrations[schemaMigrations.length - 1]?.version);
    db.close();
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { notifyMigration } from '../../electron/core/notify/migrations/004-notify.js';

let dir: string;
let db: Database.Database;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'notify-mig-'));
  db = new Database(join(dir, 'nexus.db'));
  db.transaction(() => notifyMigration.up(db))();
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

const row = {
  message_id: 'm1',
  channel_id: 'slack',
  channel_type: 'slack',
  kind: 'firing',
  severity: 'critical',
  title: 't',
  body: 'b',
  status: 'queued',
  created_at: 1,
  updated_at: 1,
};

function insert(values: Record<string, unknown>): void {
  const cols = Object.keys(values);
  db.prepare(
    `INSERT INTO notify_deliveries (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`,
  ).run(values);
}

describe('migration 004 notify', () => {
  it('is version 4 and creates a STRICT deliveries table with its indexes', () => {
    expect(notifyMigration.version).toBe(4);
    const sql = db
      .prepare<[], { sql: string }>("SELECT sql FROM sqlite_master WHERE name = 'notify_deliveries'")
      .get();
    expect(sql?.sql).toMatch(/\)\s*STRICT$/);
    const indexes = db
      .prepare<[], { name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'notify_deliveries'",
      )
      .all()
      .map((r) => r.name);
    expect(indexes).toEqual(
      expect.arrayContaining([
        'notify_deliveries_by_created',
        'notify_deliveries_by_channel',
        'notify_deliveries_open',
      ]),
    );
  });

  it('accepts a valid row and refuses bad status, kind, severity and types', () => {
    insert(row);
    expect(db.prepare('SELECT count(*) AS n FROM notify_deliveries').get()).toEqual({ n: 1 });
    expect(() => insert({ ...row, status: 'delivered' })).toThrow(/CHECK/);
    expect(() => insert({ ...row, kind: 'page' })).toThrow(/CHECK/);
    expect(() => insert({ ...row, severity: 'fatal' })).toThrow(/CHECK/);
    expect(() => insert({ ...row, created_at: 'yesterday' })).toThrow(
      /cannot store TEXT value in INTEGER column/,
    );
  });
});

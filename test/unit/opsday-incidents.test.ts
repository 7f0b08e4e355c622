import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../electron/core/clock/index.js';
import {
  IncidentRepo,
  incidentsMigration,
  similarIncidents,
  textTrigrams,
} from '../../electron/core/incidents/index.js';
import { createCore, schemaMigrations } from '../../electron/core/index.js';
import { migrate } from '../../electron/core/store/index.js';
import type { Alert } from '../../shared/api/alerts.js';
import type { MethodName, MethodOutput } from '../../shared/api/index.js';

const resourcesDir = resolve(import.meta.dirname, '..', '..', 'resources');
const quiet = { info() {}, warn() {}, error() {} };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

// The stop here must never touch anything else on this machine: its only family matches nothing.
const CONFIG = `stop:
  graceSeconds: 0
  verifySeconds: 1
monitor:
  liveIntervalSeconds: 1
  families:
    - name: opsday-nothing
      cmdline: 'opsday-no-such-process-[0-9a-f]{16}'
      stopOnEmergency: true
notify:
  channels: []
alerts:
  rules:
    - id: api-latency-a
      name: API応答遅延
      expr: cpu.total >= 0
      for: "0"
      severity: warning
      runbook: level1-api-latency
      message: TwitterAPI.io の応答時間が 1 秒を超えています
    - id: api-latency-b
      name: 投稿処理の遅延
      expr: mem.used_pct >= 0
      for: "0"
      severity: warning
      message: 投稿前の TwitterAPI.io 応答時間が長くなっています
`;

function harness(clock: { now(): number } = new ManualClock(Date.parse('2026-02-10T10:00:00+09:00'))) {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-opsday-incidents-'));
  writeFileSync(join(dir, 'config.yaml'), CONFIG);
  const core = createCore({
    dataDir: dir,
    resourcesDir,
    mode: 'headless',
    version: 'test',
    logger: quiet,
    clock,
  });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
  cleanups.push(() => core.close());
  async function call<M extends MethodName>(method: M, input: unknown): Promise<MethodOutput<M>> {
    const r = await core.dispatcher.call(method, input);
    if (!r.ok) throw new Error(`${method}: ${r.error.code}: ${r.error.message}`);
    return r.value as never;
  }
  return { core, clock, call, dir };
}

/** Seeded generator: the same "random" queries every run. */
function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

const CORPUS = [
  ['APIキーの認証エラーで投稿が停止', 'APIキーの有効期限切れにより認証エラーが続き、投稿処理が停止した'],
  ['Chrome起動失敗', 'WebDriverException: Chrome の起動に失敗。プロファイルのロックが残っていた'],
  ['認可エラーの多発', 'アクセストークンの権限不足で 403 が続いた（認可エラー）'],
  ['応答時間の悪化', 'TwitterAPI.io の応答時間が 1500 ms を超え、QPS を下げて回復'],
  ['Disk almost full', 'Log files filled drive C: to 97 %; TimeoutException while writing the cache'],
  ['メモリリーク', 'reply_processor のメモリが 1 時間に 15 MB ずつ増加。停止して再起動'],
] as const;

describe('incident search', () => {
  it('finds 「認証エラー」, 2-character terms inside longer Japanese text, English in any case, and ANDs them', async () => {
    const h = harness();
    const ids: Record<string, string> = {};
    for (const [title, symptoms] of CORPUS) {
      const created = await h.call('incidents.create', { by: 'tester', fields: { title, symptoms } });
      ids[title] = created.id;
    }
    const search = async (q: string) =>
      (await h.call('incidents.search', { q })).incidents.map((i) => i.title).sort();

    expect(await search('認証エラー')).toEqual(['APIキーの認証エラーで投稿が停止']);
    // 2 characters: FTS5 trigram alone finds nothing for these; the substring test does.
    expect(await search('認証')).toEqual(['APIキーの認証エラーで投稿が停止']);
    expect(await search('認可')).toEqual(['認可エラーの多発']);
    expect(await search('停止')).toEqual(['APIキーの認証エラーで投稿が停止', 'メモリリーク'].sort());
    // A short term next to a long one is not dropped: both must hold.
    expect(await search('エラー 投稿')).toEqual(['APIキーの認証エラーで投稿が停止']);
    expect(await search('エラー 403')).toEqual(['認可エラーの多発']);
    expect(await search('timeoutexception')).toEqual(['Disk almost full']);
    expect(await search('C:')).toEqual(['Disk almost full']);
    // The ideographic space separates terms too.
    expect(await search('応答時間　QPS')).toEqual(['応答時間の悪化']);
    expect(await search('存在しない語')).toEqual([]);

    // Against an oracle: 60 random 1-4 character substrings of the corpus, each alone and paired.
    const texts = CORPUS.map(([t, s]) => `${t}\n${s}`);
    const next = rng(14);
    for (let i = 0; i < 60; i++) {
      const text = texts[Math.floor(next() * texts.length)] as string;
      const chars = [...text.replace(/\n/g, '')];
      const len = 1 + Math.floor(next() * 4);
      const start = Math.floor(next() * Math.max(1, chars.length - len));
      const term = chars
        .slice(start, start + len)
        .join('')
        .trim();
      if (!term || /["\s]/.test(term)) continue;
      const lower = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
      const expected = CORPUS.filter(([t, s]) => lower(`${t}\n${s}`).includes(lower(term)))
        .map(([t]) => t)
        .sort();
      expect(await search(term), `query 「${term}」`).toEqual(expected);
    }
  });
});

describe('incidents from alerts and stops, and suggestions', () => {
  it('creates one from a firing alert with its context, suggests it next to a similar alert, and says why', async () => {
    const h = harness();
    await h.core.jobs.runDue();
    const open = (await h.call('alerts.list', {})).alerts;
    const a = open.find((x) => x.ruleId === 'api-latency-a');
    const b = open.find((x) => x.ruleId === 'api-latency-b');
    expect(a?.state).toBe('firing');
    expect(b?.state).toBe('firing');
    if (!a || !b) return;

    const unrelated = await h.call('incidents.create', {
      by: 'tester',
      fields: { title: 'Chrome起動失敗', symptoms: 'プロファイルのロックが残っていた' },
    });
    const incident = await h.call('incidents.create', {
      by: '山田',
      alertId: a.id,
      fields: { root_cause: 'QPS 設定が高すぎた', solution: 'QPS を 150 から 120 に下げた' },
    });
    expect(incident).toMatchObject({
      source: 'alert',
      alertId: a.id,
      ruleId: 'api-latency-a',
      title: 'API応答遅延',
      runbook: 'level1-api-latency',
      category: 'system.hardware',
      root_cause: 'QPS 設定が高すぎた',
    });
    expect(incident.id).toMatch(/^INC-20260210-\d{3}$/);
    expect(incident.steps.find((s) => s.step === 'record')).toMatchObject({ done: true, by: '山田' });
    // The timeline around it has the alerts, and the error log records from the logs capability (none here).
    expect(incident.timeline.some((e) => e.kind === 'alert' && e.ref === a.id)).toBe(true);
    expect(incident.contextSources.find((s) => s.source === 'logs.errors')).toMatchObject({
      entries: 0,
      error: null,
    });

    const forB = await h.call('incidents.similar', { alertId: b.id });
    expect(forB.suggestions.map((s) => s.incident.id)).toEqual([incident.id]);
    const text = forB.suggestions[0]?.reasons.find((r) => r.kind === 'text');
    expect(text?.detail).toMatch(/応答時間|twitterapi/);
    expect(forB.suggestions.map((s) => s.incident.id)).not.toContain(unrelated.id);
    // Its own alert does not suggest the incident made from it.
    expect((await h.call('incidents.similar', { alertId: a.id })).suggestions).toEqual([]);

    // Another alert of the same rule (a later firing) matches by rule first.
    const repo = new IncidentRepo(h.core.store.db);
    const later: Alert = { ...a, id: 'later-alert', message: '別の文面' };
    const byRule = similarIncidents(repo, later, { limit: 3 });
    expect(byRule[0]?.incident.id).toBe(incident.id);
    expect(byRule[0]?.reasons.map((r) => r.kind)).toContain('rule');

    // Post-incident steps are tracked.
    const stepped = await h.call('incidents.step', {
      id: incident.id,
      step: 'impact',
      done: true,
      by: '山田',
      note: '30 分間投稿なし',
    });
    expect(stepped.steps.find((s) => s.step === 'impact')).toMatchObject({
      done: true,
      note: '30 分間投稿なし',
    });
    expect(stepped.stepsDone).toBe(2);
  });

  it('creates one from an emergency stop with the Level 3 runbook and the stop on its timeline', async () => {
    // The stop waits real seconds (grace, verification): the system clock.
    const h = harness(systemClock);
    const run = await h.call('stop.trigger', { source: 'button', actor: 'tester', reason: 'テスト停止' });
    const incident = await h.call('incidents.create', { by: 'tester', stopId: run.id });
    expect(incident).toMatchObject({
      source: 'stop',
      stopId: run.id,
      runbook: 'level3-system-stop',
      severity: 'critical',
    });
    expect(incident.title).toContain('テスト停止');
    expect(incident.timeline.find((e) => e.kind === 'stop')?.ref).toBe(run.id);
    expect(run.counts.targets).toBe(0);
    await h.call('stop.resume', { actor: 'tester', reason: 'test over' });
  }, 20_000);

  it('turns Japanese and English text into the trigrams the index holds, without digits and punctuation', () => {
    expect(textTrigrams('応答時間が 1500 ms')).toEqual(['応答時', '答時間', '時間が']);
    expect(textTrigrams('TwitterAPI.io down')).toEqual([
      'twi',
      'wit',
      'itt',
      'tte',
      'ter',
      'era',
      'rap',
      'api',
      'dow',
      'own',
    ]);
  });
});

describe('incidents migration', () => {
  it('migrates a database holding earlier rows to the incidents schema and loses nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nexus-opsday-migrate-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
    const file = join(dir, 'old.db');
    const db = new Database(file);
    const upTo = schemaMigrations.findIndex((m) => m.version === incidentsMigration.version - 1);
    migrate(db, schemaMigrations.slice(0, upTo + 1), file);
    db.prepare("INSERT INTO series (key, name, labels) VALUES ('cpu.total', 'cpu.total', '{}')").run();
    db.prepare('INSERT INTO samples (series_id, ts, value) VALUES (1, 1000, 42.5)').run();
    db.prepare(
      "INSERT INTO checklist_instances (id, template_id, slot_at, local_date, timezone, template, created_at) VALUES ('morning@2026-01-05T09:00', 'morning', 1, '2026-01-05', 'Asia/Tokyo', '{}', 1)",
    ).run();
    const before = db.pragma('user_version', { simple: true }) as number;
    migrate(db, schemaMigrations, file);
    expect(db.pragma('user_version', { simple: true })).toBe(schemaMigrations.length);
    expect(before).toBeLessThan(schemaMigrations.length);
    expect(db.prepare('SELECT value FROM samples').get()).toEqual({ value: 42.5 });
    expect(db.prepare('SELECT id FROM checklist_instances').get()).toEqual({
      id: 'morning@2026-01-05T09:00',
    });
    db.prepare(
      "INSERT INTO incidents (id, title, category, severity, status, source, opened_at, created_at, updated_at, created_by) VALUES ('INC-20260105-001', '認証エラー', 'application.authentication', 'warning', 'open', 'manual', 1, 1, 1, 't')",
    ).run();
    expect(
      db.prepare('SELECT count(*) AS n FROM incidents_fts WHERE incidents_fts MATCH \'"認証エ"\'').get(),
    ).toEqual({ n: 1 });
    db.prepare(
      "INSERT INTO runbook_steps (subject, runbook_id, step, done, actor, at) VALUES ('alert:x', 'level1-api-latency', 1, 1, 't', 1)",
    ).run();
    db.close();
  });
});

import {
  appendFileSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { systemClock } from '../../electron/core/clock/index.js';
import { createCore, schemaMigrations } from '../../electron/core/index.js';
import { FTS_TEXT_SQL, type LogsCapability } from '../../electron/core/logs/index.js';
import { openStore } from '../../electron/core/store/index.js';
import { writePythonLog } from './logs-corpus.js';

const resourcesDir = resolve(import.meta.dirname, '..', '..', 'resources');
const quiet = { info() {}, warn() {}, error() {} };

function load(): number[] {
  return loadavg().map((v) => Math.round(v * 100) / 100);
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
}

function dbBytes(db: { pragma(s: string, o?: { simple: boolean }): unknown }): number {
  db.pragma('wal_checkpoint(TRUNCATE)');
  const pages = db.pragma('page_count', { simple: true }) as number;
  const size = db.pragma('page_size', { simple: true }) as number;
  const free = db.pragma('freelist_count', { simple: true }) as number;
  return (pages - free) * size;
}

interface IngestRun {
  cpuMs: number;
  wallMs: number;
  loadAverage: number[];
  storedRecords: number;
  distinctMessages: number;
  reportedRecords: number;
  storeBytes: number;
}

/** One pass of the logs capability over the corpus, in a fresh data folder. */
async function ingestOnce(dir: string, root: string, n: number): Promise<IngestRun> {
  const dataDir = join(dir, `app-${n}`);
  mkdirSync(dataDir);
  writeFileSync(
    join(dataDir, 'config.yaml'),
    `bots:\n  - id: nexus02\n    root: '${root}'\n    logs:\n      - path: log/*.log\n`,
  );
  const core = createCore({ dataDir, resourcesDir, mode: 'headless', version: 'bench', logger: quiet });
  const logs = core.capabilities.get('logs') as LogsCapability;
  const loadAverage = load();
  const cpu = process.cpuUsage();
  const t = performance.now();
  let stored = 0;
  for (let i = 0; i < 100_000; i++) {
    const r = logs.ingestNow({ discover: i === 0, budgetMs: 60_000 });
    stored += r.records;
    if (!r.more && r.records === 0 && i > 0) break;
  }
  const wallMs = performance.now() - t;
  const cpuIngest = cpuMs(cpu);
  const counts = core.store.db
    .prepare<[], { records: number; messages: number }>(
      'SELECT (SELECT count(*) FROM log_records) AS records, (SELECT count(*) FROM log_messages) AS messages',
    )
    .get() ?? { records: 0, messages: 0 };
  const storeBytes = dbBytes(core.store.db);
  await core.close();
  rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  return {
    cpuMs: cpuIngest,
    wallMs,
    loadAverage,
    storedRecords: counts.records,
    distinctMessages: counts.messages,
    reportedRecords: stored,
    storeBytes,
  };
}

/** The baseline: read, split and insert every whole line into the same tables and index. */
function baselineOnce(dir: string, file: string, n: number) {
  const dbFile = join(dir, `baseline-${n}.db`);
  const base = openStore({ file: dbFile, clock: systemClock, migrations: schemaMigrations });
  const db = base.db;
  const insMsg = db.prepare('INSERT INTO log_messages (text) VALUES (?)');
  const insFts = db.prepare(`INSERT INTO log_fts (rowid, text) VALUES (?, ${FTS_TEXT_SQL})`);
  const insRec = db.prepare(
    'INSERT INTO log_records (ts, level, bot_id, file_id, msg_id, offset) VALUES (?, 20, ?, 1, ?, ?)',
  );
  const now = Date.now();
  const write = db.transaction((batch: { text: string; offset: number }[]) => {
    for (const l of batch) {
      const id = insMsg.run(l.text).lastInsertRowid;
      insFts.run(id, l.text);
      insRec.run(now, 'nexus02', id, l.offset);
    }
  });
  const loadAverage = load();
  const cpu = process.cpuUsage();
  const t = performance.now();
  const fd = openSync(file, 'r');
  const chunk = Buffer.allocUnsafe(1 << 20);
  let pos = 0;
  let rest = '';
  let batch: { text: string; offset: number }[] = [];
  for (;;) {
    const got = readSync(fd, chunk, 0, chunk.length, pos);
    if (got === 0) break;
    const text = rest + chunk.toString('utf8', 0, got);
    const parts = text.split('\n');
    rest = parts.pop() ?? '';
    for (const p of parts) {
      batch.push({ text: p, offset: pos });
      if (batch.length >= 5000) {
        write(batch);
        batch = [];
      }
    }
    pos += got;
  }
  if (batch.length > 0) write(batch);
  closeSync(fd);
  const wallMs = performance.now() - t;
  const cpuBase = cpuMs(cpu);
  const storeBytes = dbBytes(db);
  base.close();
  for (const suffix of ['', '-wal', '-shm']) rmSync(dbFile + suffix, { force: true });
  return { cpuMs: cpuBase, wallMs, loadAverage, storeBytes };
}

/**
 * Ingest of Python-logging text with 5 % tracebacks, through the logs capability (file → decode →
 * parse → mask → de-duplicate → store + trigram index), next to a baseline measured in the same run
 * that reads the same file, splits it into lines and inserts each line into the same tables and index
 * without parsing, masking or de-duplicating. Throughput is given per CPU second (one core) and per
 * wall second. The two alternate `LOGS_BENCH_REPEAT` times (default 3) over one corpus and the
 * figures are the medians (the upper one of an even count): on a shared machine one pass can run
 * 20 % slow; every pass is listed.
 */
export async function benchLogsIngest(
  lines = Number(process.env.LOGS_BENCH_LINES ?? 1_000_000),
  repeat = Math.max(1, Number(process.env.LOGS_BENCH_REPEAT ?? 3)),
) {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-bench-logs-'));
  try {
    const root = join(dir, 'bot');
    mkdirSync(join(root, 'log'), { recursive: true });
    const file = join(root, 'log', 'alice_20250913_120000.log');
    const records = writePythonLog(file, lines, Date.now());
    const bytes = statSync(file).size;
    const baseBytesEmpty = (() => {
      const s = openStore({ file: join(dir, 'empty.db'), clock: systemClock, migrations: schemaMigrations });
      const b = dbBytes(s.db);
      s.close();
      return b;
    })();

    const ingestRuns: IngestRun[] = [];
    const baselineRuns: ReturnType<typeof baselineOnce>[] = [];
    for (let n = 0; n < repeat; n++) {
      ingestRuns.push(await ingestOnce(dir, root, n));
      baselineRuns.push(baselineOnce(dir, file, n));
    }

    const perSec = (n: number, ms: number) => Math.round(n / (ms / 1000));
    const mid = (values: number[]) => percentile(values, 50);
    const mb = (b: number) => Math.round(((b - baseBytesEmpty) / 1e6) * 10) / 10;
    const ingestCpu = mid(ingestRuns.map((r) => r.cpuMs));
    const baseCpu = mid(baselineRuns.map((r) => r.cpuMs));
    const last = ingestRuns[ingestRuns.length - 1] as IngestRun;
    const storageMB = mb(last.storeBytes);
    return {
      corpus: { lines, records, bytes, avgLineBytes: Math.round(bytes / lines) },
      repeat,
      ingest: {
        storedRecords: last.storedRecords,
        distinctMessages: last.distinctMessages,
        linesPerCpuSecond: perSec(lines, ingestCpu),
        linesPerWallSecond: perSec(lines, mid(ingestRuns.map((r) => r.wallMs))),
        mibPerCpuSecond: Math.round((bytes / 2 ** 20 / (ingestCpu / 1000)) * 10) / 10,
        cpuMs: Math.round(ingestCpu),
        runsLinesPerCpuSecond: ingestRuns.map((r) => perSec(lines, r.cpuMs)),
        loadAverage1mPerRun: ingestRuns.map((r) => r.loadAverage[0]),
        storageMB,
        storageMBPerMillionLines: Math.round((storageMB / (lines / 1e6)) * 10) / 10,
        storageMBPerMillionRecords: Math.round((storageMB / (last.storedRecords / 1e6)) * 10) / 10,
        reportedRecords: last.reportedRecords,
      },
      baseline: {
        what: 'read + split + insert each whole line into log_messages, log_fts and log_records (no parse, mask, de-duplication)',
        linesPerCpuSecond: perSec(lines, baseCpu),
        linesPerWallSecond: perSec(lines, mid(baselineRuns.map((r) => r.wallMs))),
        cpuMs: Math.round(baseCpu),
        runsLinesPerCpuSecond: baselineRuns.map((r) => perSec(lines, r.cpuMs)),
        loadAverage1mPerRun: baselineRuns.map((r) => r.loadAverage[0]),
        storageMB: mb((baselineRuns[baselineRuns.length - 1] as { storeBytes: number }).storeBytes),
      },
      ratioToBaseline: Math.round((baseCpu / ingestCpu) * 100) / 100,
      goals: { linesPerCpuSecond: 50_000, ratioToBaseline: 0.5, storageMBPerMillionLines: 250 },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

function stats(values: number[]) {
  const r = (v: number) => Math.round(v * 10) / 10;
  return {
    n: values.length,
    p50: r(percentile(values, 50)),
    p95: r(percentile(values, 95)),
    max: r(Math.max(...values)),
  };
}

/**
 * Search over 1 M stored Japanese lines: random 1- to 4-character Japanese queries (pieces of stored
 * messages and random characters of the corpus), first page of 100, newest first, through logs.search;
 * next to a baseline in the same run: the same queries as a plain instr() scan over the same tables.
 */
export async function benchLogsSearch(
  lines = Number(process.env.LOGS_BENCH_LINES ?? 1_000_000),
  queries = 200,
) {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-bench-logs-search-'));
  try {
    const root = join(dir, 'bot');
    mkdirSync(join(root, 'log'), { recursive: true });
    writePythonLog(join(root, 'log', 'main_process.log'), lines, Date.now(), 3);
    const dataDir = join(dir, 'app');
    mkdirSync(dataDir);
    writeFileSync(
      join(dataDir, 'config.yaml'),
      `bots:\n  - id: nexus02\n    root: '${root}'\n    logs:\n      - path: log/*.log\n`,
    );
    const core = createCore({ dataDir, resourcesDir, mode: 'headless', version: 'bench', logger: quiet });
    const logs = core.capabilities.get('logs') as LogsCapability;
    for (let i = 0; i < 100_000; i++) {
      const r = logs.ingestNow({ discover: i === 0, budgetMs: 60_000 });
      if (!r.more && r.records === 0 && i > 0) break;
    }
    const db = core.store.db;
    const stored = (db.prepare('SELECT count(*) AS n FROM log_records').get() as { n: number }).n;
    const sample = db
      .prepare<[number], { text: string }>('SELECT text FROM log_messages WHERE id % ? = 0 LIMIT 2000')
      .all(97);
    const r = (() => {
      let s = 12345;
      return () => {
        s = (s * 1103515245 + 12345) & 0x7fffffff;
        return s / 0x7fffffff;
      };
    })();
    const japanese = [...new Set(sample.flatMap((m) => [...m.text]).filter((c) => c.charCodeAt(0) > 0x3000))];
    const qs: string[] = [];
    while (qs.length < queries) {
      const len = 1 + Math.floor(r() * 4);
      let q: string;
      if (r() < 0.6) {
        const chars = [...(sample[Math.floor(r() * sample.length)]?.text ?? '')].filter(
          (c) => c.charCodeAt(0) > 0x3000,
        );
        const at = Math.floor(r() * Math.max(1, chars.length - len));
        q = chars.slice(at, at + len).join('');
      } else q = Array.from({ length: len }, () => japanese[Math.floor(r() * japanese.length)]).join('');
      if (q) qs.push(q);
    }
    const call = async (query: string) => {
      const res = await core.dispatcher.call('logs.search', { query, limit: 100 });
      if (!res.ok) throw new Error(res.error.message);
      return res.value as { hits: unknown[] };
    };
    for (const q of qs.slice(0, 10)) await call(q); // warm the page cache
    const loadSearch = load();
    const times: number[] = [];
    const cpuTimes: number[] = [];
    const byLength: Record<number, number[]> = { 1: [], 2: [], 3: [], 4: [] };
    let withHits = 0;
    for (const q of qs) {
      const t = performance.now();
      const c = process.cpuUsage();
      const res = await call(q);
      const ms = performance.now() - t;
      cpuTimes.push(cpuMs(c));
      times.push(ms);
      byLength[[...q].length]?.push(ms);
      if (res.hits.length > 0) withHits++;
    }
    const scan = db.prepare(
      `SELECT r.id FROM log_records r JOIN log_messages m ON m.id = r.msg_id
       WHERE instr(lower(m.text), ?) > 0 ORDER BY r.ts DESC, r.id DESC LIMIT 100`,
    );
    const loadScan = load();
    const scanTimes: number[] = [];
    for (const q of qs.slice(0, 50)) {
      const t = performance.now();
      scan.all(q);
      scanTimes.push(performance.now() - t);
    }
    await core.close();
    return {
      storedRecords: stored,
      queries: qs.length,
      queriesWithHits: withHits,
      search: { ms: stats(times), cpuMs: stats(cpuTimes), loadAverage: loadSearch },
      byTermLength: Object.fromEntries(Object.entries(byLength).map(([k, v]) => [k, stats(v)])),
      baseline: {
        what: 'plain instr() scan, newest first, limit 100 (first 50 queries)',
        ms: stats(scanTimes),
        loadAverage: loadScan,
      },
      goal: { p95Ms: 100 },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}

/**
 * Latency of new files (picked up by discovery, goal ≤ 2 s) and of lines appended to a known file,
 * measured with the app's real job runner at the shipped intervals: from the write to the record's
 * announcement on the `logs.records` hook.
 */
export async function benchLogsPickup(samples = 20) {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-bench-logs-pickup-'));
  try {
    const root = join(dir, 'bot');
    mkdirSync(join(root, 'log'), { recursive: true });
    const dataDir = join(dir, 'app');
    mkdirSync(dataDir);
    writeFileSync(
      join(dataDir, 'config.yaml'),
      `bots:\n  - id: b\n    root: '${root}'\n    logs:\n      - path: log/*.log\n`,
    );
    const core = createCore({ dataDir, resourcesDir, mode: 'headless', version: 'bench', logger: quiet });
    const seen = new Map<string, number>();
    core.events.subscribe((e) => {
      if (e.type !== 'logs.records') return;
      for (const r of e.records) {
        const m = /tag=(\w+)/.exec(r.message);
        if (m?.[1] && !seen.has(m[1])) seen.set(m[1], performance.now());
      }
    });
    core.start();
    const wait = async (tag: string) => {
      const end = performance.now() + 10_000;
      while (!seen.has(tag) && performance.now() < end) await new Promise((r) => setTimeout(r, 5));
      return seen.get(tag);
    };
    const line = (tag: string) =>
      `${new Date().toISOString().replace('T', ' ').replace('Z', '').replace('.', ',')} - INFO - 新しい行 tag=${tag}\n`;
    const fresh: number[] = [];
    const appended: number[] = [];
    const loadBefore = load();
    const known = join(root, 'log', 'known.log');
    writeFileSync(known, line('warm'));
    await wait('warm');
    for (let i = 0; i < samples; i++) {
      await new Promise((r) => setTimeout(r, 200 + Math.random() * 600));
      const tag = `new${i}`;
      const t = performance.now();
      writeFileSync(join(root, 'log', `acct${i}_20250913_1200${String(i).padStart(2, '0')}.log`), line(tag));
      const at = await wait(tag);
      fresh.push(at === undefined ? Number.POSITIVE_INFINITY : at - t);
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 300));
      const tag2 = `app${i}`;
      const t2 = performance.now();
      appendFileSync(known, line(tag2));
      const at2 = await wait(tag2);
      appended.push(at2 === undefined ? Number.POSITIVE_INFINITY : at2 - t2);
    }
    await core.close();
    return {
      newFile: { ms: stats(fresh), goalMs: 2000 },
      baseline: { what: 'a line appended to a file already followed', ms: stats(appended) },
      intervals: { tailMs: 250, discoverMs: 1000 },
      loadAverage: loadBefore,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}

/**
 * A written line visible to a client of the event stream: the built app (`dist/electron/cli.cjs
 * serve`) follows a bot's log file and a client reads `/api/events` (SSE); lines are written at
 * 100 lines/s. Next to it, in the same run, the time until the line is in the database (polled with a
 * read-only connection): what the push adds.
 */
export async function benchLogsLive(seconds = 10) {
  const { startHeadless } = await import('../helpers/headless.js');
  const dir = mkdtempSync(join(tmpdir(), 'nexus-bench-logs-live-'));
  const root = join(dir, 'bot');
  mkdirSync(join(root, 'log'), { recursive: true });
  const file = join(root, 'log', 'live.log');
  writeFileSync(file, '');
  const app = await startHeadless({
    config: `monitor:\n  liveIntervalSeconds: 1\nbots:\n  - id: b\n    root: '${root}'\n    logs:\n      - path: log/*.log\n`,
  });
  try {
    const written = new Map<string, number>();
    const pushed: number[] = [];
    const ctrl = new AbortController();
    const res = await fetch(`${app.url}/api/events`, {
      headers: { authorization: `Bearer ${app.token}` },
      signal: ctrl.signal,
    });
    const reader = res.body?.getReader();
    let buffer = '';
    const readLoop = (async () => {
      const dec = new TextDecoder();
      for (;;) {
        const chunk = await reader?.read().catch(() => null);
        if (!chunk || chunk.done) return;
        buffer += dec.decode(chunk.value, { stream: true });
        let i = buffer.indexOf('\n\n');
        while (i >= 0) {
          const ev = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          const data = ev.split('\n').find((l) => l.startsWith('data: '));
          if (data?.includes('"logs.records"')) {
            const now = performance.now();
            for (const m of data.matchAll(/tag=(\d+)/g)) {
              const t = written.get(m[1] as string);
              if (t !== undefined) {
                pushed.push(now - t);
                written.delete(m[1] as string);
              }
            }
          }
          i = buffer.indexOf('\n\n');
        }
      }
    })();
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(join(app.dataDir, 'nexus-ops.db'), { readonly: true });
    const inDb = db.prepare<[string], { one: number }>(
      `SELECT 1 AS one FROM log_records r JOIN log_messages m ON m.id = r.msg_id WHERE m.text LIKE ? LIMIT 1`,
    );
    const stored: number[] = [];
    const loadBefore = load();
    const total = seconds * 100;
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    for (let i = 0; i < total; i++) {
      const d = new Date();
      const ts = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())},${pad(d.getMilliseconds(), 3)}`;
      const tag = String(i);
      written.set(tag, performance.now());
      appendFileSync(file, `${ts} - INFO - [acct] ライブ行 tag=${tag}\n`);
      if (i % 50 === 0) {
        // The baseline: until the line is in the database.
        const t = performance.now();
        while (!inDb.get(`%tag=${tag}`) && performance.now() - t < 5000)
          await new Promise((r) => setTimeout(r, 5));
        stored.push(performance.now() - t);
      } else await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 2000));
    ctrl.abort();
    await readLoop.catch(() => {});
    db.close();
    return {
      pushedToClient: { ms: stats(pushed), lost: written.size, goalP95Ms: 1000 },
      baseline: { what: 'write → in the database (read-only poll every 5 ms)', ms: stats(stored) },
      rate: '100 lines/s',
      loadAverage: loadBefore,
    };
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}

import {
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
import { ftsText, type LogsCapability } from '../../electron/core/logs/index.js';
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

/**
 * Ingest of Python-logging text with 5 % tracebacks, through the logs capability (file → decode →
 * parse → mask → de-duplicate → store + trigram index), next to a baseline measured in the same run
 * that reads the same file, splits it into lines and inserts each line into the same tables and index
 * without parsing, masking or de-duplicating. Throughput is given per CPU second (one core) and per
 * wall second; the machine is shared, so the load average is noted.
 */
export async function benchLogsIngest(lines = Number(process.env.LOGS_BENCH_LINES ?? 1_000_000)) {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-bench-logs-'));
  try {
    const root = join(dir, 'bot');
    mkdirSync(join(root, 'log'), { recursive: true });
    const file = join(root, 'log', 'alice_20250913_120000.log');
    const records = writePythonLog(file, lines, Date.now());
    const bytes = statSync(file).size;

    // --- the capability ---
    const dataDir = join(dir, 'app');
    mkdirSync(dataDir);
    writeFileSync(
      join(dataDir, 'config.yaml'),
      `bots:\n  - id: nexus02\n    root: '${root}'\n    logs:\n      - path: log/*.log\n`,
    );
    const core = createCore({ dataDir, resourcesDir, mode: 'headless', version: 'bench', logger: quiet });
    const logs = core.capabilities.get('logs') as LogsCapability;
    const loadBefore = load();
    let cpu = process.cpuUsage();
    let t = performance.now();
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
    const baseBytesEmpty = (() => {
      const s = openStore({ file: join(dir, 'empty.db'), clock: systemClock, migrations: schemaMigrations });
      const b = dbBytes(s.db);
      s.close();
      return b;
    })();
    await core.close();

    // --- the baseline: read, split, insert every line into the same tables and index ---
    const base = openStore({
      file: join(dir, 'baseline.db'),
      clock: systemClock,
      migrations: schemaMigrations,
    });
    const db = base.db;
    const insMsg = db.prepare('INSERT INTO log_messages (text) VALUES (?)');
    const insFts = db.prepare('INSERT INTO log_fts (rowid, text) VALUES (?, ?)');
    const insRec = db.prepare(
      'INSERT INTO log_records (ts, level, bot_id, file_id, msg_id, offset) VALUES (?, 20, ?, 1, ?, ?)',
    );
    const now = Date.now();
    const write = db.transaction((batch: { text: string; offset: number }[]) => {
      for (const l of batch) {
        const id = insMsg.run(l.text).lastInsertRowid;
        insFts.run(id, ftsText(l.text));
        insRec.run(now, 'nexus02', id, l.offset);
      }
    });
    const loadBaseline = load();
    cpu = process.cpuUsage();
    t = performance.now();
    const fd = openSync(file, 'r');
    const chunk = Buffer.allocUnsafe(1 << 20);
    let pos = 0;
    let rest = '';
    let batch: { text: string; offset: number }[] = [];
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, pos);
      if (n === 0) break;
      const text = rest + chunk.toString('utf8', 0, n);
      const parts = text.split('\n');
      rest = parts.pop() ?? '';
      for (const p of parts) {
        batch.push({ text: p, offset: pos });
        if (batch.length >= 5000) {
          write(batch);
          batch = [];
        }
      }
      pos += n;
    }
    if (batch.length > 0) write(batch);
    closeSync(fd);
    const baseWallMs = performance.now() - t;
    const baseCpuMs = cpuMs(cpu);
    const baselineBytes = dbBytes(db);
    base.close();

    const perSec = (n: number, ms: number) => Math.round(n / (ms / 1000));
    return {
      corpus: { lines, records, bytes, avgLineBytes: Math.round(bytes / lines) },
      ingest: {
        storedRecords: counts.records,
        distinctMessages: counts.messages,
        linesPerCpuSecond: perSec(lines, cpuIngest),
        linesPerWallSecond: perSec(lines, wallMs),
        mibPerCpuSecond: Math.round((bytes / 2 ** 20 / (cpuIngest / 1000)) * 10) / 10,
        cpuMs: Math.round(cpuIngest),
        wallMs: Math.round(wallMs),
        loadAverage: loadBefore,
        storageMB: Math.round(((storeBytes - baseBytesEmpty) / 1e6) * 10) / 10,
        storageMBPerMillionLines: Math.round(((storeBytes - baseBytesEmpty) / 1e6 / (lines / 1e6)) * 10) / 10,
        storageMBPerMillionRecords:
          Math.round(((storeBytes - baseBytesEmpty) / 1e6 / (counts.records / 1e6)) * 10) / 10,
        reportedRecords: stored,
      },
      baseline: {
        what: 'read + split + insert each whole line into log_messages, log_fts and log_records (no parse, mask, de-duplication)',
        linesPerCpuSecond: perSec(lines, baseCpuMs),
        linesPerWallSecond: perSec(lines, baseWallMs),
        cpuMs: Math.round(baseCpuMs),
        wallMs: Math.round(baseWallMs),
        loadAverage: loadBaseline,
        storageMB: Math.round(((baselineBytes - baseBytesEmpty) / 1e6) * 10) / 10,
      },
      ratioToBaseline: Math.round((baseCpuMs / cpuIngest) * 100) / 100,
      goals: { linesPerCpuSecond: 50_000, ratioToBaseline: 0.5, storageMBPerMillionLines: 250 },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

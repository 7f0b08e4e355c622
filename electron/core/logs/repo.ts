import type BetterSqlite3 from 'better-sqlite3';

/**
 * A distinct message text, shared by every record that carries it. `id` is its log_messages row, valid
 * only while `epoch` is the repo's current epoch: a rolled-back or replayed write starts a new epoch,
 * so no record ever points at a message row that was not committed.
 */
export interface MessageEntry {
  masked: string;
  id: number;
  epoch: number;
}

export interface RecordRow {
  fileId: number;
  botId: string;
  ts: number;
  level: number;
  msg: MessageEntry;
  account: string | null;
  traceId: string | null;
  logger: string | null;
  /** 1 stdout, 2 stderr, null for files. */
  stream: number | null;
  flags: number;
  /** De-duplication key, or null (captured output and lines without their own time are never duplicates). */
  dup: number | null;
  offset: number;
  fields: string | null;
}

/** A file's row as the batch leaves it; counters are deltas added to the stored ones. */
export interface FileRow {
  id: number;
  botId: string;
  source: string;
  path: string;
  identity: string;
  fingerprint: string | null;
  fingerprintLen: number;
  offset: number;
  discarding: boolean;
  format: string | null;
  encoding: string | null;
  account: string | null;
  runStarted: number | null;
  state: 'active' | 'gone';
  firstSeen: number;
  lastRead: number | null;
  size: number | null;
  lastTs: number | null;
  dupState: string | null;
  lastError: string | null;
  addLines: number;
  addBad: number;
  addExpired: number;
}

export interface StoredRecord {
  id: number;
  row: RecordRow;
}

export interface Batch {
  records: RecordRow[];
  files: FileRow[];
  /** Filled by the write: the records stored (not duplicates), with their ids. */
  stored: StoredRecord[];
  duplicates: number;
}

export interface LogsRepo {
  /** The write op for a batch (runs inside the write path's transaction). */
  writeBatch(db: BetterSqlite3.Database, batch: Batch, direct: boolean): void;
  /** After a write that did not commit (waiting, dropped, thrown): cached message ids are void. */
  invalidateMessages(): void;
  epoch(): number;
  /** Where a file stands among the files holding the same lines (later per-run files own them). */
  setFileRank(fileId: number, rank: number): void;
  maxFileId(): number;
  loadFiles(): FileRowLoaded[];
  /**
   * Deletes records of `level` older than `cutoff`, looking at no more than `limit` records (in time
   * order from where the last step for this level stopped), and messages no record uses any more.
   */
  pruneStep(db: BetterSqlite3.Database, level: number, cutoff: number, limit: number): PruneResult;
}

export interface FileRowLoaded {
  id: number;
  bot_id: string;
  source: string;
  path: string;
  identity: string;
  fingerprint: string | null;
  fingerprint_len: number;
  offset: number;
  discarding: number;
  format: string | null;
  encoding: string | null;
  account: string | null;
  run_started: number | null;
  state: 'active' | 'gone';
  first_seen: number;
  last_ts: number | null;
  dup_state: string | null;
}

/** Lower case for ASCII letters only, as SQLite's lower() (search is case-insensitive for ASCII). */
export function asciiLower(text: string): string {
  return /[A-Z]/.test(text) ? text.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : text;
}

/**
 * What FTS5 indexes for a message: ASCII lower case (SQLite's lower() is ASCII-only, as asciiLower),
 * padded with two U+E000 so every character starts a trigram. Made by SQLite from the bound message:
 * built in JavaScript it was a second copy of every distinct message to allocate and convert.
 */
export const FTS_TEXT_SQL = 'lower(?) || char(57344, 57344)';

export interface PruneResult {
  scanned: number;
  deleted: number;
  /** Message rows deleted with their last record (cached ids of them are void). */
  deletedMessages: number[];
  /** Nothing older than the cutoff is left to look at for this level. */
  done: boolean;
}

/** A de-duplication key's low 30 bits (keys are non-negative integers below 2^53). */
function lowBits(key: number): number {
  return key % 0x40000000;
}

/** De-duplication keys remembered in memory; beyond this they are forgotten and the database asked. */
const RECENT_KEYS = 300_000;

export function createLogsRepo(db: BetterSqlite3.Database): LogsRepo {
  let epoch = 1;
  // Every key stored by this process with a timestamp above `askAbove` is in `recentKeys`, so a key
  // not in it cannot be stored and the database need not be asked (the common case: a new line). A key
  // in it (or an older timestamp) is looked up. Keys of a write that rolled back stay in the set: that
  // only costs a lookup. The set holds the keys' low 30 bits (small integers, which V8 stores without
  // allocating): two keys sharing them only cost a lookup too.
  const recentKeys = new Set<number>();
  let askAbove =
    db.prepare<[], { m: number | null }>('SELECT max(ts) AS m FROM log_records').get()?.m ??
    Number.NEGATIVE_INFINITY;
  let newestKeyTs = askAbove;
  const rank = new Map<number, number>();
  const selDup = db.prepare<[number, number], { id: number; file_id: number }>(
    'SELECT id, file_id FROM log_records WHERE ts = ? AND dup = ? LIMIT 1',
  );
  const insMsg = db.prepare<[string]>('INSERT INTO log_messages (text) VALUES (?)');
  const insFts = db.prepare<[number | bigint, string]>(
    `INSERT INTO log_fts (rowid, text) VALUES (?, ${FTS_TEXT_SQL})`,
  );
  const insRec = db.prepare(
    `INSERT INTO log_records (ts, level, bot_id, file_id, msg_id, account, trace_id, logger, stream, flags, dup, offset, fields)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const reattribute = db.prepare<[number, string | null, number]>(
    'UPDATE log_records SET file_id = ?, account = coalesce(?, account) WHERE id = ?',
  );
  const upsertFile = db.prepare(
    `INSERT INTO log_files (id, bot_id, source, path, identity, fingerprint, fingerprint_len, offset, discarding,
       format, encoding, account, run_started, state, first_seen, last_read, size, lines, records, bad_lines,
       duplicates, expired, last_ts, dup_state, last_error)
     VALUES (@id, @botId, @source, @path, @identity, @fingerprint, @fingerprintLen, @offset, @discarding,
       @format, @encoding, @account, @runStarted, @state, @firstSeen, @lastRead, @size, @addLines, @addRecords,
       @addBad, @addDuplicates, @addExpired, @lastTs, @dupState, @lastError)
     ON CONFLICT (id) DO UPDATE SET path = excluded.path, identity = excluded.identity,
       fingerprint = excluded.fingerprint, fingerprint_len = excluded.fingerprint_len, offset = excluded.offset,
       discarding = excluded.discarding, format = excluded.format, encoding = excluded.encoding,
       state = excluded.state, last_read = excluded.last_read, size = excluded.size,
       lines = lines + excluded.lines, records = records + excluded.records,
       bad_lines = bad_lines + excluded.bad_lines, duplicates = duplicates + excluded.duplicates,
       expired = expired + excluded.expired, last_ts = excluded.last_ts, dup_state = excluded.dup_state,
       last_error = excluded.last_error`,
  );

  const selCursor = db.prepare<[number], { pruned_ts: number; pruned_id: number }>(
    'SELECT pruned_ts, pruned_id FROM log_retention WHERE level = ?',
  );
  const setCursor = db.prepare<[number, number, number]>(
    `INSERT INTO log_retention (level, pruned_ts, pruned_id) VALUES (?, ?, ?)
     ON CONFLICT (level) DO UPDATE SET pruned_ts = excluded.pruned_ts, pruned_id = excluded.pruned_id`,
  );
  const scanOld = db.prepare<
    [number, number, number, number, number],
    { id: number; ts: number; level: number; msg_id: number }
  >(
    `SELECT id, ts, level, msg_id FROM log_records INDEXED BY log_records_by_ts
     WHERE (ts > ? OR (ts = ? AND id > ?)) AND ts < ? ORDER BY ts, id LIMIT ?`,
  );
  const delRecord = db.prepare<[number]>('DELETE FROM log_records WHERE id = ?');
  const msgInUse = db.prepare<[number], { one: number }>(
    'SELECT 1 AS one FROM log_records WHERE msg_id = ? LIMIT 1',
  );
  const delMessage = db.prepare<[number]>('DELETE FROM log_messages WHERE id = ?');
  const delFts = db.prepare<[number]>('DELETE FROM log_fts WHERE rowid = ?');

  function messageId(entry: MessageEntry, current: number): number {
    if (entry.epoch === current) return entry.id;
    const id = Number(insMsg.run(entry.masked).lastInsertRowid);
    insFts.run(id, entry.masked);
    entry.id = id;
    entry.epoch = current;
    return id;
  }

  return {
    writeBatch(_db, batch, direct) {
      // A write replayed from the write path's queue may follow a rollback: trust no cached id.
      if (!direct) epoch++;
      const current = epoch;
      batch.stored = [];
      batch.duplicates = 0;
      const added = new Map<number, { records: number; duplicates: number }>();
      const count = (fileId: number) => {
        let c = added.get(fileId);
        if (!c) {
          c = { records: 0, duplicates: 0 };
          added.set(fileId, c);
        }
        return c;
      };
      try {
        for (const r of batch.records) {
          if (r.dup !== null) {
            const hit =
              r.ts > askAbove && !recentKeys.has(lowBits(r.dup)) ? undefined : selDup.get(r.ts, r.dup);
            if (hit) {
              count(r.fileId).duplicates++;
              batch.duplicates++;
              // Nexus 02 writes a run's lines into the files of earlier runs too: the latest run owns them.
              if ((rank.get(r.fileId) ?? 0) > (rank.get(hit.file_id) ?? 0))
                reattribute.run(r.fileId, r.account, hit.id);
              continue;
            }
          }
          const info = insRec.run(
            r.ts,
            r.level,
            r.botId,
            r.fileId,
            messageId(r.msg, current),
            r.account,
            r.traceId,
            r.logger,
            r.stream,
            r.flags,
            r.dup,
            r.offset,
            r.fields,
          );
          if (r.dup !== null) {
            if (recentKeys.size >= RECENT_KEYS) {
              recentKeys.clear();
              askAbove = newestKeyTs;
            }
            recentKeys.add(lowBits(r.dup));
            if (r.ts > newestKeyTs) newestKeyTs = r.ts;
          }
          batch.stored.push({ id: Number(info.lastInsertRowid), row: r });
          count(r.fileId).records++;
        }
        for (const f of batch.files) {
          const c = added.get(f.id);
          upsertFile.run({
            ...f,
            discarding: f.discarding ? 1 : 0,
            addRecords: c?.records ?? 0,
            addDuplicates: c?.duplicates ?? 0,
          });
        }
      } catch (err) {
        epoch++;
        throw err;
      }
    },
    invalidateMessages() {
      epoch++;
    },
    epoch: () => epoch,
    setFileRank(fileId, r) {
      rank.set(fileId, r);
    },
    maxFileId() {
      return db.prepare<[], { m: number | null }>('SELECT max(id) AS m FROM log_files').get()?.m ?? 0;
    },
    pruneStep(_db, level, cutoff, limit) {
      const cursor = selCursor.get(level) ?? { pruned_ts: -1, pruned_id: 0 };
      const rows = scanOld.all(cursor.pruned_ts, cursor.pruned_ts, cursor.pruned_id, cutoff, limit);
      const result: PruneResult = {
        scanned: rows.length,
        deleted: 0,
        deletedMessages: [],
        done: rows.length < limit,
      };
      const msgs = new Set<number>();
      for (const r of rows) {
        if (r.level !== level) continue;
        delRecord.run(r.id);
        msgs.add(r.msg_id);
        result.deleted++;
      }
      for (const id of msgs) {
        if (msgInUse.get(id)) continue;
        delMessage.run(id);
        delFts.run(id);
        result.deletedMessages.push(id);
      }
      const last = rows[rows.length - 1];
      if (last) setCursor.run(level, last.ts, last.id);
      return result;
    },
    loadFiles() {
      return db
        .prepare<[], FileRowLoaded>(
          `SELECT id, bot_id, source, path, identity, fingerprint, fingerprint_len, offset, discarding, format,
             encoding, account, run_started, state, first_seen, last_ts, dup_state
           FROM log_files WHERE state = 'active' ORDER BY id`,
        )
        .all();
    },
  };
}

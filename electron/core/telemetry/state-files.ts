/**
 * The bots' state files, read when their modification time changes (a job, never a watcher of its own):
 *
 * - TradingAssistantX `data/current/<YYYYMMDD-HHMM>/post.yaml` (executionId, actionType, timestamp,
 *   result{id,url,success}): each new file is one outcome of its actionType;
 * - TwitterBot Nexus 02 `logs/action_logs/<account>_actions.json` (tweet id → action → {status,
 *   timestamp, meta}, rewritten whole on each action): each entry newer than the last one read is one
 *   outcome of that account (status success / failed; dry_run is not an outcome).
 *
 * What was read is remembered per file (stored), so a restart of Nexus Ops neither counts a file twice
 * nor misses the entries written while it was closed. The first look at a bot only takes note of what
 * is there (history is not today's work). A half-written file is read again at the next change.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { wallTimeToEpoch } from './periods.js';
import type { TelemetryEvent } from './types.js';

export interface StateFileMark {
  bot: string;
  path: string;
  mtimeMs: number;
  /** Newest entry time read (Nexus 02), or 0. */
  watermark: number;
}

export type StateFormat = 'tax-post' | 'nexus-actions';

export function formatOf(path: string): StateFormat | undefined {
  const name = basename(path);
  if (name === 'post.yaml') return 'tax-post';
  if (/_actions\.json$/.test(name)) return 'nexus-actions';
  return undefined;
}

/** Expands a glob relative to the bot's root: `*` and `?` within one path segment (no `**`). */
export function expandGlob(root: string, pattern: string): string[] {
  const normalized = pattern.replace(/\\/g, '/');
  const absolute = isAbsolute(pattern) || /^[A-Za-z]:\//.test(normalized);
  const segments = normalized.split('/').filter((s) => s !== '');
  let current = [absolute ? (normalized.startsWith('/') ? '/' : '') : root];
  if (absolute && !normalized.startsWith('/')) current = [`${segments.shift() as string}/`];
  for (const seg of segments) {
    const next: string[] = [];
    if (!/[*?]/.test(seg)) {
      for (const dir of current) next.push(join(dir, seg));
    } else {
      const re = new RegExp(
        `^${seg
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.')}$`,
      );
      for (const dir of current) {
        let names: string[];
        try {
          names = readdirSync(dir);
        } catch {
          continue;
        }
        for (const n of names.sort()) if (re.test(n)) next.push(join(dir, n));
      }
    }
    current = next;
  }
  return current;
}

export interface StateScan {
  events: TelemetryEvent[];
  marks: StateFileMark[];
  /** Files that could not be read this time (half-written, not YAML/JSON): read again later. */
  problems: { path: string; message: string }[];
}

/**
 * Reads the files of one bot that changed since `known`. `baseline`: the first look, marks only.
 */
export function scanStateFiles(opts: {
  bot: string;
  root: string;
  patterns: readonly string[];
  known: ReadonlyMap<string, StateFileMark>;
  baseline: boolean;
  timezone: string;
}): StateScan {
  const out: StateScan = { events: [], marks: [], problems: [] };
  for (const pattern of opts.patterns) {
    for (const path of expandGlob(opts.root, pattern)) {
      const format = formatOf(path);
      if (!format) continue;
      let mtimeMs: number;
      try {
        mtimeMs = Math.floor(statSync(path).mtimeMs);
      } catch {
        continue;
      }
      const prev = opts.known.get(path);
      if (prev && prev.mtimeMs === mtimeMs) continue;
      if (format === 'tax-post') {
        // A post.yaml is one outcome, counted when it first appears (later rewrites add engagement).
        if (prev) {
          out.marks.push({ ...prev, mtimeMs });
          continue;
        }
        if (opts.baseline) {
          out.marks.push({ bot: opts.bot, path, mtimeMs, watermark: 0 });
          continue;
        }
        try {
          const ev = taxPostEvent(opts.bot, path, readFileSync(path, 'utf8'), mtimeMs, opts.timezone);
          if (ev) out.events.push(ev);
          out.marks.push({ bot: opts.bot, path, mtimeMs, watermark: 0 });
        } catch (err) {
          out.problems.push({ path, message: errorText(err) });
        }
      } else {
        try {
          const text = readFileSync(path, 'utf8');
          const since = opts.baseline ? Number.POSITIVE_INFINITY : (prev?.watermark ?? 0);
          const { events, newest } = nexusActionEvents(opts.bot, path, text, since, opts.timezone);
          out.events.push(...events);
          out.marks.push({ bot: opts.bot, path, mtimeMs, watermark: Math.max(prev?.watermark ?? 0, newest) });
        } catch (err) {
          out.problems.push({ path, message: errorText(err) });
        }
      }
    }
  }
  out.events.sort((a, b) => a.ts - b.ts);
  return out;
}

export function taxPostEvent(
  bot: string,
  path: string,
  text: string,
  mtimeMs: number,
  timezone: string,
): TelemetryEvent | undefined {
  const doc = parseYaml(text) as {
    executionId?: unknown;
    actionType?: unknown;
    timestamp?: unknown;
    result?: { success?: unknown; id?: unknown; url?: unknown };
  } | null;
  if (!doc || typeof doc !== 'object') throw new Error('not a YAML mapping');
  const success = doc.result?.success;
  if (typeof success !== 'boolean') throw new Error('result.success is missing (half-written?)');
  const stamp = typeof doc.timestamp === 'string' ? wallTimeToEpoch(doc.timestamp, timezone) : Number.NaN;
  const action = typeof doc.actionType === 'string' ? doc.actionType : undefined;
  return {
    kind: success ? 'success' : 'failure',
    ruleId: 'state:tax-post',
    bot,
    account: undefined,
    action,
    ts: Number.isFinite(stamp) ? stamp : mtimeMs,
    recordId: `file:${path}`,
    text: `post.yaml executionId=${String(doc.executionId ?? '?')} actionType=${action ?? '?'} result.success=${success}${
      typeof doc.result?.id === 'string' ? ` id=${doc.result.id}` : ''
    }`,
    origin: 'state-file',
    ...(typeof doc.executionId === 'string' ? { executionId: doc.executionId } : {}),
  };
}

export function nexusActionEvents(
  bot: string,
  path: string,
  text: string,
  since: number,
  timezone: string,
): { events: TelemetryEvent[]; newest: number } {
  const doc = JSON.parse(text) as unknown;
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('not a JSON object');
  const account = basename(path).replace(/_actions\.json$/, '');
  const events: TelemetryEvent[] = [];
  let newest = 0;
  for (const [tweetId, actions] of Object.entries(doc as Record<string, unknown>)) {
    if (!actions || typeof actions !== 'object') continue;
    for (const [action, entry] of Object.entries(actions as Record<string, unknown>)) {
      if (!entry || typeof entry !== 'object') continue;
      const { status, timestamp } = entry as { status?: unknown; timestamp?: unknown };
      const ts = typeof timestamp === 'string' ? wallTimeToEpoch(timestamp, timezone) : Number.NaN;
      if (!Number.isFinite(ts)) continue;
      if (ts > newest) newest = ts;
      if (ts <= since || (status !== 'success' && status !== 'failed')) continue;
      events.push({
        kind: status === 'success' ? 'success' : 'failure',
        ruleId: 'state:nexus-actions',
        bot,
        account,
        action,
        ts,
        recordId: `file:${path}#${tweetId}/${action}`,
        text: `${basename(path)} ${tweetId} ${action}: ${status}`,
        origin: 'state-file',
      });
    }
  }
  return { events, newest };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

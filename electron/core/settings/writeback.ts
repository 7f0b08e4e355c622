import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type Document, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { SettingsChange } from '../../../shared/api/settings.js';
import { formatConfigIssue } from '../../../shared/config/schema.js';
import { Schedule } from '../checklists/index.js';
import { parseConfigText } from '../config/index.js';

/** What the Settings page may change: a path pattern per setting (`*` = a list index or `#id`). */
const ALLOWED: readonly string[] = [
  'ui.locale',
  ...[
    'enabled',
    'minSeverity',
    'rateLimit',
    'webhookUrl',
    'mention',
    'url',
    'host',
    'port',
    'secure',
    'requireTls',
    'user',
    'password',
    'from',
    'to',
    'accountSid',
    'authToken',
  ].map((f) => `notify.channels.*.${f}`),
  'checklists.timezone',
  'checklists.folder',
  'checklists.disabled',
  'checklists.schedules.*',
  'checklists.reminders.enabled',
  'checklists.reminders.afterMinutes',
  'checklists.reminders.channels',
  'checklists.reminders.severity',
  'alerts.rules.*.enabled',
  'incidents.contextBeforeMinutes',
  'incidents.contextAfterMinutes',
  'incidents.suggestions',
];

export class SettingsError extends Error {}

function allowed(path: readonly (string | number)[]): boolean {
  return ALLOWED.some((pattern) => {
    const parts = pattern.split('.');
    return parts.length === path.length && parts.every((p, i) => p === '*' || p === String(path[i]));
  });
}

/** Resolves `#<id>` segments to list indexes; a rule missing from the list may be added from `addMissing`. */
function resolvePath(
  doc: Document,
  path: readonly (string | number)[],
  addMissing: (listPath: (string | number)[], id: string) => unknown | undefined,
): (string | number)[] {
  const out: (string | number)[] = [];
  for (const segment of path) {
    if (typeof segment === 'string' && segment.startsWith('#')) {
      const id = segment.slice(1);
      const list = doc.getIn(out, true);
      if (!isSeq(list)) {
        throw new SettingsError(`${out.join('.')} is not a list in the config file: add it there first`);
      }
      let index = list.items.findIndex((item) => isMap(item) && item.get('id') === id);
      if (index < 0) {
        const item = addMissing([...out], id);
        if (item === undefined) throw new SettingsError(`${out.join('.')} has no entry with id "${id}"`);
        list.add(doc.createNode(item));
        index = list.items.length - 1;
      }
      out.push(index);
    } else {
      out.push(segment);
    }
  }
  return out;
}

export interface WriteBackResult {
  text: string;
  /** What changed, for the audit trail (secret values left out). */
  summary: string[];
}

/**
 * Applies the changes to the config text with the YAML Document API, so comments, order and
 * formatting of everything else stay as the operator wrote them; then validates the whole result with
 * the config schema (the same validation as a hand edit) plus checks the schema cannot make. Throws
 * SettingsError naming the place and the reason; the file is not touched then.
 */
export function applyChanges(
  text: string,
  file: string,
  changes: readonly SettingsChange[],
  opts: { secretKeys: readonly string[]; shippedRule(id: string): unknown | undefined },
): WriteBackResult {
  const doc = parseDocument(text, { keepSourceTokens: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw new SettingsError(
      `${file}${e?.linePos?.[0] ? `:${e.linePos[0].line}` : ''}: YAML syntax: ${e?.message.split('\n')[0] ?? ''}: fix the file first`,
    );
  }
  const summary: string[] = [];
  for (const change of changes) {
    const path = resolvePath(doc, change.path, (listPath, id) =>
      listPath.join('.') === 'alerts.rules' ? opts.shippedRule(id) : undefined,
    );
    const display = change.path.join('.');
    if (!allowed(path))
      throw new SettingsError(`${display}: not a setting the Settings page changes (edit the file)`);
    if (change.value === null || change.value === undefined) doc.deleteIn(path);
    else {
      const existing = doc.getIn(path, true);
      if (isScalar(existing) && typeof change.value !== 'object') existing.value = change.value;
      else doc.setIn(path, change.value);
    }
    const key = String(path[path.length - 1]);
    const secret = opts.secretKeys.includes(key) && !String(change.value ?? '').includes('${env:');
    summary.push(`${display} = ${secret ? '[secret]' : JSON.stringify(change.value)}`);
  }
  // The file's own style: long lines left as written, and every line the change did not touch kept
  // exactly as the operator wrote it (`[a, b]` or `{ a: 1 }`, padded or not).
  const next = keepWrittenLines(text, doc.toString({ flowCollectionPadding: false, lineWidth: 0 }));
  const result = parseConfigText(next, file);
  if (!result.ok) {
    throw new SettingsError(result.issues.slice(0, 3).map(formatConfigIssue).join('; '));
  }
  for (const [id, cron] of Object.entries(result.config.checklists.schedules)) {
    try {
      new Schedule(cron, 'UTC');
    } catch (err) {
      throw new SettingsError(`checklists.schedules.${id}: ${(err as Error).message}`);
    }
  }
  return { text: next, summary };
}

/**
 * Writes the whole file or nothing: a temporary file in the same folder, flushed to disk, renamed over
 * the config (an editor or a crash never sees half a file). Windows refuses the rename for a moment
 * while another program holds the file: retried briefly.
 */
export function writeFileAtomic(file: string, text: string): void {
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  let mode = 0o600;
  try {
    mode = statSync(file).mode & 0o777;
  } catch {
    // new file: owner-only
  }
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  for (let attempt = 0; ; attempt++) {
    try {
      renameSync(tmp, file);
      return;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (attempt < 5 && (code === 'EPERM' || code === 'EBUSY' || code === 'EACCES')) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50 * (attempt + 1));
        continue;
      }
      try {
        unlinkSync(tmp);
      } catch {
        // already gone
      }
      throw err;
    }
  }
}

/** The command that opens a file in the OS's default application (an argument list, no shell). */
export function openerCommand(
  platform: NodeJS.Platform,
  file: string,
): { command: string; args: string[] } | null {
  if (platform === 'win32') return { command: 'explorer.exe', args: [file] };
  if (platform === 'darwin') return { command: 'open', args: [file] };
  if (platform === 'linux' || platform === 'freebsd') return { command: 'xdg-open', args: [file] };
  return null;
}

/** Spacing inside flow collections and around commas, which the serialiser normalises. */
function flowInsensitive(line: string): string {
  return line.replace(/([[{,])\s+/g, '$1').replace(/\s+([\]},])/g, '$1');
}

/** Each serialised line that only differs from an original line in flow spacing gets the original back. */
function keepWrittenLines(original: string, next: string): string {
  const written = new Map<string, string[]>();
  for (const line of original.split('\n')) {
    const key = flowInsensitive(line);
    const list = written.get(key);
    if (list) list.push(line);
    else written.set(key, [line]);
  }
  return next
    .split('\n')
    .map((line) => {
      const candidates = written.get(flowInsensitive(line));
      return candidates && candidates.length > 0 ? (candidates.shift() as string) : line;
    })
    .join('\n');
}

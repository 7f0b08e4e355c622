import { closeSync, constants, fstatSync, openSync, readSync, type Stats, statSync } from 'node:fs';
import {
  type Document,
  isAlias,
  isCollection,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  visit,
  type YAMLError,
} from 'yaml';
import type { z } from 'zod';
import { type Config, type ConfigIssue, configSchema } from '../../../shared/config/schema.js';

export type YamlPath = readonly (string | number)[];
/** Turns a path inside the config into its line and column (1-based), for messages that name the place. */
export type Locate = (path: YamlPath, opts?: { key?: boolean }) => { line: number; col: number } | undefined;

export type SectionName = keyof Config;
export const SECTION_NAMES = Object.keys(configSchema.shape) as SectionName[];

/** A config file is a few kilobytes; anything past this is a mistake or an attack, never read whole. */
export const MAX_CONFIG_BYTES = 2 * 1024 * 1024;
/**
 * Alias expansions allowed per document (yaml's own default, set explicitly): enough for any real
 * config, and a "billion laughs" document stops at the first hundred instead of exhausting memory.
 */
export const MAX_ALIAS_COUNT = 100;

export type ConfigLoad =
  | {
      ok: true;
      config: Config;
      raw: Record<string, unknown>;
      locate: Locate;
      file: string;
      /** The text as read, for the last good copy and for telling an unchanged file from an edit. */
      text: string;
      /** Things that are not errors but that the operator should see (e.g. a file with no settings). */
      notices: ConfigIssue[];
    }
  | {
      ok: false;
      issues: ConfigIssue[];
      file: string;
      /** The text as read; absent when the file could not be read. */
      text?: string;
      /** Nothing but white space: a save in progress or a truncated file, never a deliberate config. */
      empty?: boolean;
      /**
       * The sections that are valid on their own, as written: what to run on (with the last good config
       * or the defaults for the others) when there is no last good config in memory, so one typo in
       * `ui:` never costs the stop its bot folders.
       */
      partial?: { sections: Partial<Config>; raw: Record<string, unknown>; locate: Locate };
    };

export type ConfigRead =
  | { ok: true; text: string; notices: ConfigIssue[] }
  | { ok: false; issue: ConfigIssue };

function describeKind(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

function notRegular(file: string, st: Stats): ConfigRead {
  return {
    ok: false,
    issue: {
      file,
      message: `the config path is ${describeKind(st)}, not a file: point NEXUS_OPS_CONFIG (or --config) at a YAML file`,
    },
  };
}

function tooBig(file: string, bytes: number): ConfigRead {
  return {
    ok: false,
    issue: {
      file,
      message: `the file is ${(bytes / 1024 / 1024).toFixed(1)} MB; a config file may be at most ${MAX_CONFIG_BYTES / 1024 / 1024} MB: remove what does not belong in it`,
    },
  };
}

/**
 * Reads the config file's text without ever blocking: the path is checked with stat before it is
 * opened (a FIFO would block a read until some writer appears), opened non-blocking, checked again on
 * the descriptor (the path may have been replaced in between), and read up to MAX_CONFIG_BYTES.
 */
export function readConfigText(file: string): ConfigRead {
  let st: Stats;
  try {
    st = statSync(file);
  } catch (err) {
    return { ok: false, issue: { file, message: readErrorMessage(err) } };
  }
  if (!st.isFile()) return notRegular(file, st);
  if (st.size > MAX_CONFIG_BYTES) return tooBig(file, st.size);
  let fd: number;
  try {
    // O_NONBLOCK: should the path have become a FIFO since the stat, open() returns at once.
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    return { ok: false, issue: { file, message: readErrorMessage(err) } };
  }
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile()) return notRegular(file, opened);
    // Read to the end even if the file grew since the stat, but never past the cap.
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(64 * 1024);
      const count = readSync(fd, chunk, 0, chunk.length, null);
      if (count === 0) break;
      chunks.push(chunk.subarray(0, count));
      length += count;
      if (length > MAX_CONFIG_BYTES) return tooBig(file, length);
    }
    return decodeConfigBytes(file, Buffer.concat(chunks, length));
  } catch (err) {
    return { ok: false, issue: { file, message: readErrorMessage(err) } };
  } finally {
    closeSync(fd);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * UTF-8 (with or without BOM) is the format. A file saved by Notepad in the Japanese "ANSI" code page
 * (cp932) is read as such rather than refused, and the operator is told to save it as UTF-8.
 */
function decodeConfigBytes(file: string, bytes: Buffer): ConfigRead {
  try {
    return { ok: true, text: utf8.decode(bytes).replace(/^\uFEFF/, ''), notices: [] };
  } catch {
    const text = new TextDecoder('shift_jis').decode(bytes);
    return {
      ok: true,
      text,
      notices: [
        {
          file,
          severity: 'notice',
          message:
            'the file is not UTF-8; it was read as Shift_JIS (cp932). Save it as UTF-8 so every tool reads the same text',
        },
      ],
    };
  }
}

function readErrorMessage(err: unknown): string {
  const code = (err as { code?: string }).code;
  if (code === 'ENOENT') return 'file not found: create it, or unset NEXUS_OPS_CONFIG to use the default';
  return `cannot read the file (${code ?? String(err)}): check its permissions`;
}

/** Reads and validates one YAML config file. Never throws: every problem comes back with its place. */
export function loadConfigFile(file: string): ConfigLoad {
  const read = readConfigText(file);
  if (!read.ok) return { ok: false, file, issues: [read.issue] };
  const result = parseConfigText(read.text, file);
  if (read.notices.length === 0) return result;
  return result.ok
    ? { ...result, notices: [...read.notices, ...result.notices] }
    : { ...result, issues: [...result.issues, ...read.notices] };
}

type ParsedDoc = { doc: Document.Parsed; lineCounter: LineCounter };

function parse(text: string): ParsedDoc {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  return { doc, lineCounter };
}

/** The document as plain values, or the reason it cannot be expanded (alias bomb). */
function toPlain(doc: Document.Parsed): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? null };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

function locateIn(parsed: ParsedDoc): Locate {
  return (path, opts) => {
    const node = nearestNode(parsed.doc.contents as Node | null, path, opts?.key ?? false);
    const offset = node?.range?.[0];
    if (offset === undefined) return undefined;
    const pos = parsed.lineCounter.linePos(offset);
    return { line: pos.line, col: pos.col };
  };
}

export function parseConfigText(text: string, file: string): ConfigLoad {
  if (text.length > MAX_CONFIG_BYTES) {
    const big = tooBig(file, Buffer.byteLength(text));
    return { ok: false, file, issues: [(big as { issue: ConfigIssue }).issue] };
  }
  if (text.trim() === '') {
    return {
      ok: false,
      file,
      text,
      empty: true,
      issues: [
        {
          file,
          message:
            'the file is empty (a save in progress or a truncated file?): to run on the defaults on purpose, write {} in it',
        },
      ],
    };
  }
  const parsed = parse(text);
  if (parsed.doc.errors.length > 0) {
    const issues = parsed.doc.errors.map((e) => syntaxIssue(e, parsed, file));
    return { ok: false, file, text, issues, partial: sectionsOfBrokenText(text, file, issues) };
  }
  const plain = toPlain(parsed.doc);
  if (!plain.ok) {
    return { ok: false, file, text, issues: [aliasIssue(parsed, file, plain.reason)] };
  }
  const locate = locateIn(parsed);
  const raw = plain.value;
  if (raw === null || (isPlainObject(raw) && Object.keys(raw).length === 0)) {
    return {
      ok: true,
      config: configSchema.parse({}),
      raw: {},
      locate,
      file,
      text,
      notices: [
        {
          file,
          severity: 'notice',
          message:
            'the file has no settings ({} or comments only): every setting is at its default, with no bot folders and the shipped alert rules',
        },
      ],
    };
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const source = isPlainObject(raw) ? raw : {};
    return {
      ok: false,
      file,
      text,
      issues: zodIssues(result.error, file, locate),
      partial: { sections: validSectionsOnly(source), raw: source, locate },
    };
  }
  return {
    ok: true,
    config: result.data,
    raw: raw as Record<string, unknown>,
    locate,
    file,
    text,
    notices: [],
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The top-level sections that are valid by themselves. */
function validSectionsOnly(source: Record<string, unknown>): Partial<Config> {
  const result: Record<string, unknown> = {};
  for (const name of SECTION_NAMES) {
    if (!(name in source)) continue;
    const section = configSchema.shape[name].safeParse(source[name]);
    if (section.success) result[name] = section.data;
  }
  return result as Partial<Config>;
}

/**
 * Each top-level section parsed on its own; a broken, missing or unknown section takes its value from
 * `base` (the defaults unless given).
 */
export function validSections(raw: unknown, base: Config = configSchema.parse({})): Config {
  const source = isPlainObject(raw) ? raw : {};
  return { ...base, ...validSectionsOnly(source) };
}

/**
 * After a syntax error, the sections that still parse: the text is cut at each line that starts a
 * top-level key, and each piece is parsed alone with the other lines blanked, so line numbers stay those
 * of the file. A piece that has its own syntax error (the broken one) is left out; the others are
 * validated like a whole file would be, and their problems reported too.
 */
function sectionsOfBrokenText(
  text: string,
  file: string,
  issues: ConfigIssue[],
): { sections: Partial<Config>; raw: Record<string, unknown>; locate: Locate } {
  const lines = text.split('\n');
  const starts: number[] = [];
  lines.forEach((line, i) => {
    if (/^[^\s#\-.]/.test(line) || /^-[^\s-]/.test(line) || /^\.[^.]/.test(line)) starts.push(i);
  });
  const raw: Record<string, unknown> = {};
  const sections: Record<string, unknown> = {};
  const docsBySection = new Map<string, ParsedDoc>();
  starts.forEach((start, n) => {
    const end = starts[n + 1] ?? lines.length;
    const piece = lines.map((line, i) => (i >= start && i < end ? line : '')).join('\n');
    const parsed = parse(piece);
    if (parsed.doc.errors.length > 0) return;
    const plain = toPlain(parsed.doc);
    if (!plain.ok || !isPlainObject(plain.value)) return;
    for (const [key, value] of Object.entries(plain.value)) {
      if (key in raw) continue;
      raw[key] = value;
      docsBySection.set(key, parsed);
    }
  });
  const locate: Locate = (path, opts) => {
    const doc = docsBySection.get(String(path[0]));
    return doc ? locateIn(doc)(path, opts) : undefined;
  };
  for (const [key, value] of Object.entries(raw)) {
    const schema = (configSchema.shape as Record<string, z.ZodType>)[key];
    if (!schema) {
      const pos = locate([key], { key: true });
      issues.push({ file, ...(pos ?? {}), path: key, message: `unknown section "${key}"` });
      continue;
    }
    const result = schema.safeParse(value);
    if (result.success) sections[key] = result.data;
    else {
      for (const issue of zodIssues(result.error, file, (p, o) => locate([key, ...p], o))) {
        issues.push({ ...issue, path: issue.path === '(top level)' ? key : `${key}.${issue.path}` });
      }
    }
  }
  return { sections: sections as Partial<Config>, raw, locate };
}

/**
 * A syntax error placed at its cause. yaml reports an unclosed quote or bracket where it gave up
 * looking for the end (often the end of the file); the operator needs the place where it was opened.
 */
function syntaxIssue(error: YAMLError, parsed: ParsedDoc, file: string): ConfigIssue {
  const message = firstLine(error.message).replace(/ at line \d+, column \d+:?$/, '');
  const at = error.pos[0];
  const reported = parsed.lineCounter.linePos(at);
  const opener = unclosedOpener(parsed.doc, error, at);
  if (opener) {
    const pos = parsed.lineCounter.linePos(opener.offset);
    return {
      file,
      line: pos.line,
      col: pos.col,
      message: `YAML syntax: ${opener.what} opened here is never closed (the parser gave up at line ${reported.line}, column ${reported.col})`,
    };
  }
  return { file, line: reported.line, col: reported.col, message: `YAML syntax: ${message}` };
}

/** The innermost quoted scalar or flow collection still open where the parser gave up. */
function unclosedOpener(
  doc: Document.Parsed,
  error: YAMLError,
  at: number,
): { offset: number; what: string } | undefined {
  const text = error.message;
  const wantQuote = error.code === 'MISSING_CHAR' && /quote/i.test(text);
  const wantFlow = /flow (sequence|map|collection)/i.test(text) || /end with a [\]}]/.test(text);
  if (!wantQuote && !wantFlow) return undefined;
  let best: { offset: number; what: string } | undefined;
  visit(doc, (_key, node) => {
    const range = (node as { range?: [number, number, number] }).range;
    if (!range || range[0] >= at || range[1] < at) return;
    if (wantQuote && isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE')) {
      const what = node.type === 'QUOTE_DOUBLE' ? 'the " quote' : "the ' quote";
      if (!best || range[0] > best.offset) best = { offset: range[0], what };
    }
    if (wantFlow && isCollection(node) && node.flow) {
      const what = isSeq(node) ? 'the [ bracket' : 'the { brace';
      if (!best || range[0] > best.offset) best = { offset: range[0], what };
    }
  });
  return best;
}

function aliasIssue(parsed: ParsedDoc, file: string, reason: string): ConfigIssue {
  let first: number | undefined;
  visit(parsed.doc, {
    Alias(_key, node) {
      first = node.range?.[0];
      return visit.BREAK;
    },
  });
  const pos = first === undefined ? undefined : parsed.lineCounter.linePos(first);
  return {
    file,
    ...(pos ? { line: pos.line, col: pos.col } : {}),
    message: `YAML aliases expand too far (${reason}; at most ${MAX_ALIAS_COUNT} expansions): write the values out instead of nesting aliases`,
  };
}

function zodIssues(error: z.ZodError, file: string, locate: Locate): ConfigIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    // An unknown key is reported on its parent; point at the key itself.
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const target = keys.length > 0 ? [...path, keys[0] as string] : path;
    const pos = locate(target, { key: keys.length > 0 });
    return {
      file,
      ...(pos ? { line: pos.line, col: pos.col } : {}),
      path: target.join('.') || '(top level)',
      message: issue.message,
    };
  });
}

/** The node at path, or the deepest existing ancestor (a missing key is reported where its parent is). */
function nearestNode(root: Node | null, path: YamlPath, preferKey: boolean): Node | undefined {
  let node: Node | null | undefined = root;
  let found: Node | undefined = root ?? undefined;
  for (const [index, segment] of path.entries()) {
    if (isAlias(node)) return found;
    if (isMap(node)) {
      const items: { key: unknown; value: unknown }[] = node.items;
      const pair = items.find((p) => isScalar(p.key) && p.key.value === segment);
      if (!pair) return found;
      const last = index === path.length - 1;
      const next: Node =
        last && preferKey ? (pair.key as Node) : ((pair.value as Node | null) ?? (pair.key as Node));
      node = next;
      found = next;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment] as Node | undefined;
      if (!node) return found;
      found = node;
    } else {
      return found;
    }
  }
  return found;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { type Config, type ConfigIssue, configSchema } from '../../../shared/config/schema.js';

export type YamlPath = readonly (string | number)[];
/** Turns a path inside the config into its line and column (1-based), for messages that name the place. */
export type Locate = (path: YamlPath, opts?: { key?: boolean }) => { line: number; col: number } | undefined;

export type ConfigLoad =
  | { ok: true; config: Config; raw: unknown; locate: Locate; file: string }
  | {
      ok: false;
      issues: ConfigIssue[];
      file: string;
      /**
       * The sections that are valid on their own, defaults for the others: what to run on when there is
       * no last good config yet, so one typo in `ui:` never costs the stop its bot folders.
       */
      partial?: { config: Config; raw: unknown; locate: Locate };
    };

/** Reads and validates one YAML config file. Never throws: every problem comes back with its place. */
export function loadConfigFile(file: string): ConfigLoad {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    const message =
      code === 'ENOENT'
        ? 'file not found: create it, or unset NEXUS_OPS_CONFIG to use the default'
        : `cannot read the file (${code ?? String(err)}): check its permissions`;
    return { ok: false, file, issues: [{ file, message }] };
  }
  return parseConfigText(text, file);
}

export function parseConfigText(text: string, file: string): ConfigLoad {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      file,
      issues: doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return {
          file,
          ...(pos ? { line: pos.line, col: pos.col } : {}),
          message: `YAML syntax: ${firstLine(e.message)}`,
        };
      }),
    };
  }
  const raw: unknown = doc.toJS() ?? {};
  const locate: Locate = (path, opts) => {
    const node = nearestNode(doc.contents as Node | null, path, opts?.key ?? false);
    const offset = node?.range?.[0];
    if (offset === undefined) return undefined;
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, col: pos.col };
  };
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      file,
      issues: zodIssues(parsed.error, file, locate),
      partial: { config: validSections(raw), raw, locate },
    };
  }
  return { ok: true, config: parsed.data, raw, locate, file };
}

/** Parses each top-level section on its own; a broken or unknown section falls back to its defaults. */
export function validSections(raw: unknown): Config {
  const source = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const result: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(configSchema.shape)) {
    const section = schema.safeParse(source[key]);
    result[key] = section.success ? section.data : schema.parse(undefined);
  }
  return result as Config;
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

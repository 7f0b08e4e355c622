/**
 * Extraction rules: compiled one by one (a bad rule is reported with its place, the others run), and
 * applied to records. A rule matches the message by an RE2 pattern (linear time whatever the line:
 * shared/regex) and/or a JSON field, and turns the record into one event with bounded labels.
 */
import type { ExtractionRule } from '../../../shared/config/telemetry.js';
import { extractionRuleSchema } from '../../../shared/config/telemetry.js';
import { compileSafeRegex, type SafeRegex } from '../../../shared/regex/index.js';
import { requiredLiteral } from './literal.js';
import type { TelemetryEvent, TelemetryRecord } from './types.js';

export interface CompiledRule {
  readonly rule: ExtractionRule;
  readonly index: number;
  readonly re: SafeRegex | undefined;
  /**
   * Text every match of `re` contains (from the pattern: `requiredLiteral`): a message without it is
   * not searched. Undefined when the pattern gives none; the regex then always runs.
   */
  readonly literal: string | undefined;
  /** The regex's last answers by message (bounded: `MESSAGE_ANSWERS`); messages repeat a lot. */
  readonly answers: Map<string, Readonly<Record<string, string>> | null>;
  readonly fieldRe: SafeRegex | undefined;
  readonly levels: ReadonlySet<string> | undefined;
  /** `rule.stream`, here so that the checks every record meets read one shape of object. */
  readonly stream: 'stdout' | 'stderr' | undefined;
}

export interface RuleProblem {
  index: number;
  ruleId: string | undefined;
  /** Path inside the rule, for the config file's line. */
  path: (string | number)[];
  message: string;
}

export function compileRules(raw: readonly unknown[]): { rules: CompiledRule[]; problems: RuleProblem[] } {
  const rules: CompiledRule[] = [];
  const problems: RuleProblem[] = [];
  const seen = new Set<string>();
  raw.forEach((item, index) => {
    const parsed = extractionRuleSchema.safeParse(item);
    const id =
      item && typeof item === 'object' && typeof (item as { id?: unknown }).id === 'string'
        ? (item as { id: string }).id
        : undefined;
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
        problems.push({
          index,
          ruleId: id,
          path,
          message: `${path.length ? `${path.join('.')}: ` : ''}${issue.message}`,
        });
      }
      return;
    }
    const rule = parsed.data;
    if (seen.has(rule.id)) {
      problems.push({ index, ruleId: rule.id, path: ['id'], message: `rule id "${rule.id}" is used twice` });
      return;
    }
    seen.add(rule.id);
    rules.push({
      rule,
      index,
      // Validated by the schema already (safeRegexProblem): these cannot throw.
      re: rule.match === undefined ? undefined : compileSafeRegex(rule.match),
      literal: rule.match === undefined ? undefined : requiredLiteral(rule.match),
      answers: new Map(),
      fieldRe: rule.field?.match === undefined ? undefined : compileSafeRegex(rule.field.match),
      levels: rule.levels ? new Set(rule.levels) : undefined,
      stream: rule.stream,
    });
  });
  return { rules, problems };
}

function walk(fields: Readonly<Record<string, unknown>> | undefined, path: string): unknown {
  let cur: unknown = fields;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

const METADATA = 'metadata.';

/**
 * A dotted path into structured fields: `metadata.status`. The logs capability's JSON parser lifts the
 * keys of a Phase 6 record's `metadata` object into the record's fields, so `metadata.status` also
 * finds a lifted `status` (the path the config documents works on what the logs capability stores).
 */
export function fieldAt(fields: Readonly<Record<string, unknown>> | undefined, path: string): unknown {
  const direct = walk(fields, path);
  if (direct !== undefined || !path.startsWith(METADATA) || !fields || 'metadata' in fields) return direct;
  return walk(fields, path.slice(METADATA.length));
}

function numberOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text.replace(/,/g, ''));
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Answers kept per rule. A bot repeats many lines word for word (a memory reading, a limit reached),
 * and RE2 in JavaScript costs microseconds per line that carries the rule's literal. The answer is a
 * function of the message alone; callers copy it, never change it.
 */
const MESSAGE_ANSWERS = 1024;

function messageGroups(
  r: CompiledRule,
  re: SafeRegex,
  message: string,
): Readonly<Record<string, string>> | null {
  let g = r.answers.get(message);
  if (g === undefined) {
    g = re.groups(message);
    if (r.answers.size >= MESSAGE_ANSWERS) r.answers.clear();
    r.answers.set(message, g);
  }
  return g;
}

/** The captures of a record under a rule, or null when the rule does not match it. */
export function matchRule(r: CompiledRule, record: TelemetryRecord): Record<string, string> | null {
  if (r.levels && (record.level === undefined || !r.levels.has(record.level))) return null;
  if (r.stream !== undefined && record.stream !== r.stream) return null;
  if (r.literal !== undefined && !record.message.includes(r.literal)) return null;
  const rule = r.rule;
  if (!rule.field && r.re) {
    const g = messageGroups(r, r.re, record.message);
    return g ? { ...g } : null;
  }
  let groups: Record<string, string> = {};
  if (rule.field) {
    const v = fieldAt(record.fields, rule.field.path);
    if (v === undefined || v === null) return null;
    if (rule.field.equals !== undefined && v !== rule.field.equals) return null;
    if (r.fieldRe) {
      const g = r.fieldRe.groups(String(v));
      if (!g) return null;
      groups = { ...g };
    }
    if (typeof v === 'number' || typeof v === 'string') groups.field = String(v);
  }
  if (r.re) {
    const g = messageGroups(r, r.re, record.message);
    if (!g) return null;
    groups = { ...groups, ...g };
  }
  return groups;
}

function labelFrom(template: string | undefined, groups: Record<string, string>): string | undefined {
  if (template === undefined) return undefined;
  if (!template.startsWith('$')) return template;
  const v = groups[template.slice(1)];
  return v === undefined || v === '' ? undefined : v;
}

/** The event a matching rule makes of a record. */
export function eventOf(
  r: CompiledRule,
  record: TelemetryRecord,
  groups: Record<string, string>,
): TelemetryEvent {
  const rule = r.rule;
  const account = labelFrom(rule.labels.account ?? '$account', groups) ?? record.account;
  const action = labelFrom(rule.labels.action ?? '$action', groups);
  const ev: TelemetryEvent = {
    kind: rule.event,
    ruleId: rule.id,
    bot: record.bot,
    account,
    action,
    ts: record.ts,
    recordId: record.id,
    text: record.detail ? `${record.message}\n${firstLines(record.detail, 6)}` : record.message,
    origin: 'log',
  };
  const status = numberOf(groups.status);
  if (status !== undefined) ev.status = status;
  const value = numberOf(groups.value ?? groups.ms);
  if (value !== undefined) ev.value = value;
  const qps = numberOf(groups.qps);
  if (qps !== undefined) ev.qps = qps;
  if (rule.provider) ev.provider = rule.provider;
  if (rule.metric) ev.metric = rule.metric;
  if (rule.run) ev.run = rule.run;
  const exec = groups.exec ?? record.executionId;
  if (exec) ev.executionId = exec;
  return ev;
}

function firstLines(text: string, n: number): string {
  const lines = text.split('\n');
  // A traceback's last line names the exception: keep the head and that line.
  if (lines.length <= n) return text;
  return [...lines.slice(0, n - 1), '…', lines[lines.length - 1]].join('\n');
}

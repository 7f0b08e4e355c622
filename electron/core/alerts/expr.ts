import { compileSafeRegex, type SafeRegex } from '../../../shared/regex/index.js';
/**
 * Rule expressions and durations.
 *
 * Grammar (whitespace between tokens is free):
 *
 *   expr      := operand op number
 *   operand   := selector
 *              | 'forecast' '(' selector ',' duration [ ',' duration ] ')'
 *              | window_fn '(' selector '[' duration ']' ')'
 *   window_fn := 'increase' | 'rate' | 'avg_over_time' | 'max_over_time' | 'min_over_time'
 *   selector  := metric [ '{' [ matcher { ',' matcher } [','] ] '}' ]
 *   metric    := segment { '.' segment }        segment := [a-z_][a-z0-9_]*   (at least two segments)
 *   matcher   := label ( '=' | '!=' | '=~' | '!~' ) value
 *   label     := [A-Za-z_][A-Za-z0-9_]*
 *   value     := "double-quoted" (\" and \\ escapes) | 'single-quoted' | bare  [^,}\s"']+
 *   op        := '>' | '>=' | '<' | '<=' | '==' | '!='
 *   number    := -?digits[.digits][e±digits]     (a trailing % is allowed and ignored: `> 90%`)
 *   duration  := '0' | ( digits[.digits] ( 'ms' | 's' | 'm' | 'h' | 'd' | 'w' ) )+     e.g. 30s 5m 1h30m
 *
 * Regex matchers (`=~`, `!~`) are anchored at both ends, as in Prometheus: `family=~"bot-.*"`.
 * A selector matches every stored series of that metric whose labels satisfy all matchers; a matcher
 * on a label the series lacks sees the empty string.
 *
 * `forecast(m, H[, L])` fits a straight line (least squares) through the series' stored samples of the
 * last L (default 6h) and yields the value it predicts H from now; the rule compares that prediction
 * (so `forecast(disk.free_pct, 24h) < 20` holds when the trend reaches 20 % within 24 h, or already
 * has). It is re-fitted at most every 5 minutes per series and needs at least 10 samples spanning a
 * quarter of L; with fewer the series counts as "no data" (nothing changes).
 *
 * Windowed functions read the series' samples of the last range, as Prometheus does:
 * `increase(m[1h])` is how much a counter grew (a drop is a restart of the counter: counting starts
 * again from its new value), `rate(m[5m])` the same per second, `avg_over_time`, `max_over_time` and
 * `min_over_time` a gauge's average, peak or low. So "more than 5 Chrome start failures in 1 hour" is
 * `increase(bot.chrome_start_failures[1h]) > 5`. The window is filled from stored samples at start.
 */

export type CompareOp = '>' | '>=' | '<' | '<=' | '==' | '!=';
export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  label: string;
  op: MatchOp;
  value: string;
  /** Compiled for =~ and !~. */
  re?: SafeRegex;
}

export interface Selector {
  metric: string;
  matchers: Matcher[];
}

export interface ParsedExpr {
  selector: Selector;
  op: CompareOp;
  threshold: number;
  forecast?: { horizonMs: number; lookbackMs: number };
  window?: { fn: WindowFn; rangeMs: number };
}

export const windowFns = ['increase', 'rate', 'avg_over_time', 'max_over_time', 'min_over_time'] as const;
export type WindowFn = (typeof windowFns)[number];

/** The windowed function over points (oldest first) of the last range; undefined with too few points. */
export function applyWindow(
  fn: WindowFn,
  points: readonly { ts: number; value: number }[],
  rangeMs: number,
): number | undefined {
  if (points.length === 0) return undefined;
  switch (fn) {
    case 'avg_over_time': {
      let sum = 0;
      for (const p of points) sum += p.value;
      return sum / points.length;
    }
    case 'max_over_time': {
      let max = Number.NEGATIVE_INFINITY;
      for (const p of points) if (p.value > max) max = p.value;
      return max;
    }
    case 'min_over_time': {
      let min = Number.POSITIVE_INFINITY;
      for (const p of points) if (p.value < min) min = p.value;
      return min;
    }
    case 'increase':
    case 'rate': {
      if (points.length < 2) return undefined;
      let grew = 0;
      for (let i = 1; i < points.length; i++) {
        const prev = (points[i - 1] as { value: number }).value;
        const cur = (points[i] as { value: number }).value;
        grew += cur >= prev ? cur - prev : cur;
      }
      return fn === 'increase' ? grew : grew / (rangeMs / 1000);
    }
  }
}

export class ExprError extends Error {
  constructor(
    message: string,
    /** 0-based character offset in the expression. */
    readonly offset: number,
  ) {
    super(message);
  }
}

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** `15m` → 900000. Throws with a readable reason for `15x`, `-5m`, `5` (no unit). */
export function parseDuration(text: string | number): number {
  if (text === 0 || text === '0') return 0;
  if (typeof text === 'number') {
    throw new Error(`duration ${text} has no unit: write e.g. "${text}s" or "${text}m"`);
  }
  const s = text.trim();
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/y;
  let pos = 0;
  let total = 0;
  while (pos < s.length) {
    part.lastIndex = pos;
    const m = part.exec(s);
    if (!m) {
      throw new Error(
        `bad duration "${text}": use a number and a unit (ms, s, m, h, d, w), e.g. 30s, 15m, 6h, 1h30m`,
      );
    }
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    pos = part.lastIndex;
  }
  if (s.length === 0) throw new Error('empty duration');
  return Math.round(total);
}

export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  let rest = ms;
  let out = '';
  for (const [u, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${u}`;
      rest -= n * size;
    }
  }
  return rest > 0 ? `${out}${rest}ms` : out;
}

class Cursor {
  pos = 0;
  constructor(readonly text: string) {}
  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos] as string)) this.pos++;
  }
  peek(s: string): boolean {
    this.skipSpace();
    return this.text.startsWith(s, this.pos);
  }
  eat(s: string): boolean {
    if (!this.peek(s)) return false;
    this.pos += s.length;
    return true;
  }
  expect(s: string, what: string): void {
    if (!this.eat(s)) throw new ExprError(`expected ${what} at "${this.rest()}"`, this.pos);
  }
  match(re: RegExp): string | undefined {
    this.skipSpace();
    const sticky = new RegExp(re.source, `${re.flags.replace('y', '')}y`);
    sticky.lastIndex = this.pos;
    const m = sticky.exec(this.text);
    if (!m) return undefined;
    this.pos = sticky.lastIndex;
    return m[0];
  }
  rest(): string {
    const r = this.text.slice(this.pos).trim();
    return r.length > 20 ? `${r.slice(0, 20)}…` : r || '(end)';
  }
  atEnd(): boolean {
    this.skipSpace();
    return this.pos >= this.text.length;
  }
}

const METRIC_RE = /[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+/;
const LABEL_RE = /[A-Za-z_][A-Za-z0-9_]*/;
const NUMBER_RE = /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/;
const DURATION_RE = /(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+|0(?![\d.])/;

export function parseExpr(text: string): ParsedExpr {
  const c = new Cursor(text);
  let forecast: ParsedExpr['forecast'];
  let window: ParsedExpr['window'];
  let selector: Selector;
  const fnName = /^([a-z_]+)\s*\(/.exec(text.slice(c.pos).trimStart())?.[1];
  if (fnName && (windowFns as readonly string[]).includes(fnName)) {
    c.eat(fnName);
    c.expect('(', '"("');
    selector = parseSelector(c);
    c.expect('[', '"[" and a range (e.g. [1h])');
    const rangeMs = durationToken(c, 'a range such as 5m or 1h');
    c.expect(']', '"]"');
    c.expect(')', '")"');
    if (rangeMs < 1000) throw new ExprError(`${fnName} needs a range of at least 1s`, c.pos);
    window = { fn: fnName as WindowFn, rangeMs };
  } else if (c.peek('forecast') && /^forecast\s*\(/.test(text.slice(c.pos))) {
    c.eat('forecast');
    c.expect('(', '"("');
    selector = parseSelector(c);
    c.expect(',', '"," and a horizon (e.g. 24h)');
    const horizonMs = durationToken(c, 'a horizon such as 24h');
    let lookbackMs = 6 * 3_600_000;
    if (c.eat(',')) lookbackMs = durationToken(c, 'a look-back such as 6h');
    c.expect(')', '")"');
    if (horizonMs <= 0) throw new ExprError('forecast horizon must be more than 0', c.pos);
    if (lookbackMs < 60_000) throw new ExprError('forecast look-back must be at least 1m', c.pos);
    forecast = { horizonMs, lookbackMs };
  } else {
    selector = parseSelector(c);
  }
  const opStart = c.pos;
  const op = c.match(/>=|<=|==|!=|>|</) as CompareOp | undefined;
  if (!op) {
    const bad = c.match(/[=<>!~]+/);
    throw new ExprError(
      bad
        ? `bad operator "${bad}": use > >= < <= == !=`
        : `expected an operator (> >= < <= == !=) at "${c.rest()}"`,
      opStart,
    );
  }
  const num = c.match(NUMBER_RE);
  if (num === undefined) throw new ExprError(`expected a number after "${op}" at "${c.rest()}"`, c.pos);
  c.eat('%');
  if (!c.atEnd()) throw new ExprError(`unexpected "${c.rest()}" after the threshold`, c.pos);
  const threshold = Number(num);
  if (!Number.isFinite(threshold)) throw new ExprError(`bad number "${num}"`, c.pos);
  if (forecast) return { selector, op, threshold, forecast };
  if (window) return { selector, op, threshold, window };
  return { selector, op, threshold };
}

function durationToken(c: Cursor, what: string): number {
  const start = c.pos;
  const d = c.match(DURATION_RE);
  if (d === undefined) {
    const junk = c.match(/[^,)\s]+/);
    throw new ExprError(
      junk ? `bad duration "${junk}": use e.g. 30s, 15m, 6h, 24h` : `expected ${what} at "${c.rest()}"`,
      start,
    );
  }
  return parseDuration(d);
}

function parseSelector(c: Cursor): Selector {
  const start = c.pos;
  const metric = c.match(METRIC_RE);
  if (!metric) {
    const word = c.match(/[^\s{<>=!,()]+/);
    throw new ExprError(
      word
        ? `bad metric name "${word}": lower-case words joined by dots, e.g. cpu.total, disk.free_pct`
        : `expected a metric name at "${c.rest()}"`,
      start,
    );
  }
  const matchers: Matcher[] = [];
  if (c.eat('{')) {
    while (!c.eat('}')) {
      const label = c.match(LABEL_RE);
      if (!label) throw new ExprError(`expected a label name at "${c.rest()}"`, c.pos);
      const op = c.match(/=~|!~|!=|=/) as MatchOp | undefined;
      if (!op) throw new ExprError(`expected = != =~ or !~ after "${label}"`, c.pos);
      const value = parseLabelValue(c);
      const m: Matcher = { label, op, value };
      if (op === '=~' || op === '!~') {
        try {
          m.re = compileSafeRegex(value, { whole: true });
        } catch (err) {
          throw new ExprError(`bad regular expression "${value}": ${(err as Error).message}`, c.pos);
        }
      }
      matchers.push(m);
      if (!c.eat(',') && !c.peek('}')) throw new ExprError(`expected "," or "}" at "${c.rest()}"`, c.pos);
    }
  }
  return { metric, matchers };
}

function parseLabelValue(c: Cursor): string {
  c.skipSpace();
  const q = c.text[c.pos];
  if (q === '"' || q === "'") {
    let out = '';
    let i = c.pos + 1;
    while (i < c.text.length && c.text[i] !== q) {
      if (c.text[i] === '\\' && i + 1 < c.text.length) {
        out += c.text[i + 1];
        i += 2;
      } else {
        out += c.text[i];
        i++;
      }
    }
    if (i >= c.text.length) throw new ExprError('unterminated quoted label value', c.pos);
    c.pos = i + 1;
    return out;
  }
  const bare = c.match(/[^,}\s"']+/);
  if (bare === undefined) throw new ExprError(`expected a label value at "${c.rest()}"`, c.pos);
  return bare;
}

export function matchLabels(matchers: readonly Matcher[], labels: Readonly<Record<string, string>>): boolean {
  for (const m of matchers) {
    const v = labels[m.label] ?? '';
    switch (m.op) {
      case '=':
        if (v !== m.value) return false;
        break;
      case '!=':
        if (v === m.value) return false;
        break;
      case '=~':
        if (!m.re?.test(v)) return false;
        break;
      case '!~':
        if (m.re?.test(v)) return false;
        break;
    }
  }
  return true;
}

export function compare(op: CompareOp, value: number, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}

/** Compiles matchers given as data (silences, maintenance windows). Throws on a bad regex. */
export function compileMatchers(list: readonly { label: string; op: MatchOp; value: string }[]): Matcher[] {
  return list.map((m) =>
    m.op === '=~' || m.op === '!~' ? { ...m, re: compileSafeRegex(m.value, { whole: true }) } : { ...m },
  );
}

export function selectorText(s: Selector): string {
  if (s.matchers.length === 0) return s.metric;
  return `${s.metric}{${s.matchers.map((m) => `${m.label}${m.op}${JSON.stringify(m.value)}`).join(',')}}`;
}

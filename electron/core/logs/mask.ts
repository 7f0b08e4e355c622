import { MASK, maskSecrets } from '../secrets/index.js';
import { compileOperatorPattern, type OperatorPattern } from './patterns.js';

export interface Masker {
  mask(text: string): string;
  /** Masks every string inside a fields object (JSON metadata, regex groups). */
  maskFields(fields: Record<string, unknown>): Record<string, unknown>;
}

/** Words that, in a cookie or session header, mean the value is a credential. */
export const COOKIE = /\b((?:Set-)?Cookie:\s*)[^\r\n]+/gi;
export const SESSION_ID =
  /\b((?:session|sess|sid|jsessionid|phpsessid|csrf(?:token)?|xsrf-token|auth_token|ct0)=)[^\s;&,"']+/gi;
/** What every COOKIE match holds. */
const COOKIE_WORD = /cookie:/i;

/**
 * Masking before storage: the shared secrets masker (API keys, bearer and basic credentials, name=value
 * pairs with sensitive names, known token shapes, long hex/base64 runs) plus cookies and session ids,
 * plus the operator's patterns (`logs.mask`, RE2). What is stored is masked, so search, the UI, exports
 * and notifications built from stored records never see the secret.
 */
export function createMasker(extra: readonly OperatorPattern[]): Masker {
  function mask(text: string): string {
    let out = maskSecrets(text);
    // Each pattern runs only on text holding what every match of it needs (a replace allocates even
    // when nothing matches): most lines have a ':' somewhere, few a 'cookie:', few an '='.
    if (COOKIE_WORD.test(out)) out = out.replace(COOKIE, `$1${MASK}`);
    if (out.includes('=')) out = out.replace(SESSION_ID, `$1${MASK}`);
    for (const re of extra) out = maskWith(re, out);
    return out;
  }
  function maskValue(v: unknown): unknown {
    if (typeof v === 'string') return mask(v);
    if (Array.isArray(v)) return v.map(maskValue);
    if (v && typeof v === 'object') return maskFields(v as Record<string, unknown>);
    return v;
  }
  function maskFields(fields: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(fields)) {
      // A field named like a secret is masked whatever its value looks like.
      out[k] = /(?:key|token|secret|password|passwd|cookie|session|authorization)$/i.test(k)
        ? MASK
        : maskValue(v);
    }
    return out;
  }
  return { mask, maskFields };
}

/** Replaces each match (or only its `secret` group) with [masked]. */
function maskWith(re: OperatorPattern, text: string): string {
  if (!re.test(text)) return text;
  const hasSecretGroup = 'secret' in re.namedGroups();
  let out = '';
  let last = 0;
  for (const m of re.matchAll(text)) {
    const match = m as RegExpMatchArray & { groups?: Record<string, string | undefined> };
    const start = match.index ?? 0;
    const whole = match[0] ?? '';
    if (whole.length === 0) continue;
    if (hasSecretGroup && match.groups?.secret) {
      const inner = whole.indexOf(match.groups.secret);
      out += text.slice(last, start + inner) + MASK;
      last = start + inner + match.groups.secret.length;
    } else {
      out += text.slice(last, start) + MASK;
      last = start + whole.length;
    }
  }
  return out + text.slice(last);
}

/** Compiles `logs.mask`; broken patterns are reported, the others used. */
export function compileMaskPatterns(patterns: readonly string[]): {
  patterns: OperatorPattern[];
  errors: { index: number; message: string }[];
} {
  const out: OperatorPattern[] = [];
  const errors: { index: number; message: string }[] = [];
  patterns.forEach((p, index) => {
    const c = compileOperatorPattern(p);
    if ('re' in c) out.push(c.re);
    else errors.push({ index, message: c.error });
  });
  return { patterns: out, errors };
}

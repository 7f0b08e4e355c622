/**
 * Secrets never leave core in clear: not in logs, the UI, the API or the database. This module masks
 * free text (command lines, error messages, log lines), single values, and config objects, and
 * resolves `${env:NAME}` references at the moment a secret is needed.
 *
 * maskSecrets runs on every process command line the monitor shows, so every pattern is compiled once
 * and each is a single linear pass.
 */

export const MASK = '[masked]';

// Sensitive parameter names, matched at the END of a name so `--password-store=basic` or `token_url`
// stay readable while `--db-password`, `GEMINI_API_KEY`, `authToken` and `X-Api-Key` are masked.
// Short words (pass, pwd, auth, sig, key) count only as a whole name or after a separator.
const SENSITIVE_NAME =
  /(?:api[_-]?key|apikey|api[_-]?secret|secret[_-]?key|secret|access[_-]?key|private[_-]?key|token|password|passwd|passphrase|credentials?|authorization|webhook[_-]?url)$|(?:^|[_.-])(?:pass|pwd|auth|sig|key)$/i;

// scheme://user:password@host → scheme://user:[masked]@host
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@]+):[^\s/@]+@/gi;
const SLACK_WEBHOOK = /\b(hooks\.slack\.com\/(?:services|workflows|triggers))\/[A-Za-z0-9/_-]+/gi;
const DISCORD_WEBHOOK = /\b(discord(?:app)?\.com\/api\/webhooks)\/[A-Za-z0-9/_-]+/gi;
const BEARER = /\b(Bearer|Token)\s+[A-Za-z0-9._~+/=-]{8,}/g;
// "Basic authentication" stays; a base64 credential has a digit, '+', '/' or '='.
const BASIC = /\b(Basic)\s+(?=[A-Za-z0-9+/]*[0-9+/=])[A-Za-z0-9+/]{8,}={0,2}/g;

// name=value / name: value / "name": "value" (query strings, env assignments, JSON, headers, --flag=value,
// and Windows switches /password:value or /token=value)
const ASSIGNMENT =
  /(^|[\s?&;,{("'])((?:-{1,2}|\/)?[A-Za-z_][\w.-]*)(["']?\s*(?:=|:(?!\/\/))\s*)("[^"]*"|'[^']*'|[^\s&"',;})]+)/g;
// --name value (CLI flags whose value follows after a space)
const FLAG_VALUE = /(^|\s)(--?[A-Za-z][\w.-]*)(\s+)("[^"]*"|'[^']*'|[^\s"'-][^\s]*)/g;

// Known token shapes, matched anywhere.
const TOKEN_SHAPES = new RegExp(
  [
    'AIza[0-9A-Za-z_-]{35}', // Google / Gemini API key
    'xox[abposr]-[A-Za-z0-9-]{10,}', // Slack tokens
    'xapp-[A-Za-z0-9-]{10,}',
    'gh[pousr]_[A-Za-z0-9]{30,}', // GitHub tokens
    'github_pat_[A-Za-z0-9_]{30,}',
    'sk-[A-Za-z0-9_-]{20,}', // OpenAI / Anthropic style
    'SK[0-9a-fA-F]{32}', // Twilio API key
    'AKIA[0-9A-Z]{16}', // AWS access key id
    'eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]+', // JWT
  ].join('|'),
  'g',
);
// Long hex (Twilio auth tokens are 32 hex digits), not after '/', '\\' or '.', so hashes inside paths
// stay readable.
const LONG_HEX = /(?<![\w/\\.-])(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{32,}(?![\w-])/gi;
// Long base64-like runs without separators and with digits, upper and lower case letters. Separators
// ('/', '_', '-', '.') end a run, so paths and identifiers such as TwitterBot_Nexus_02 stay readable.
const LONG_BASE64 =
  /(?<![A-Za-z0-9+])(?=[A-Za-z0-9+]*[0-9])(?=[A-Za-z0-9+]*[a-z])(?=[A-Za-z0-9+]*[A-Z])[A-Za-z0-9+]{32,}={0,2}(?![A-Za-z0-9+])/g;

/** The bare name of a flag or switch: --api-key, -p, /password → api-key, p, password. */
function stripDashes(name: string): string {
  return name.replace(/^(?:-+|\/)/, '');
}

function maskAssignment(match: string, lead: string, name: string, sep: string, value: string): string {
  if (!SENSITIVE_NAME.test(stripDashes(name)) || value === MASK || value === `"${MASK}"`) return match;
  const quote = value.startsWith('"') ? '"' : value.startsWith("'") ? "'" : '';
  return `${lead}${name}${sep}${quote}${MASK}${quote}`;
}

function maskFlag(match: string, lead: string, name: string, space: string, value: string): string {
  if (!SENSITIVE_NAME.test(stripDashes(name)) || value === MASK) return match;
  return `${lead}${name}${space}${MASK}`;
}

// What the token patterns need somewhere in the text: every token shape is a run of at least 11 of
// these characters, every long hex or base64 run one of 32 of these.
const TOKEN_RUN = /[A-Za-z0-9_-]{11}/;
const LONG_RUN = /[A-Za-z0-9+]{32}/;
// A word every SENSITIVE_NAME holds: an assignment or a flag without one is never masked.
const SENSITIVE_WORD = /key|secret|token|pass|pwd|auth|sig|credential|webhook/i;

/** The same pattern without `g`: `test` tells whether `replace` would find anything, without allocating. */
function anyOf(re: RegExp): RegExp {
  return new RegExp(re.source, re.flags.replace('g', ''));
}
const TOKEN_SHAPES_ANY = anyOf(TOKEN_SHAPES);
const LONG_HEX_ANY = anyOf(LONG_HEX);
const LONG_BASE64_ANY = anyOf(LONG_BASE64);

/** Masks credentials in free text: URLs, command lines, error messages, headers, log lines. */
export function maskSecrets(text: string): string {
  if (!text) return text;
  // Each pattern runs only on text holding what every one of its matches needs (log ingest masks
  // every distinct line, and most lines hold none of it); the result is that of running them all.
  let out = text;
  if (out.includes('://')) out = out.replace(URL_CREDENTIALS, `$1:${MASK}@`);
  if (out.includes('/'))
    out = out.replace(SLACK_WEBHOOK, `$1/${MASK}`).replace(DISCORD_WEBHOOK, `$1/${MASK}`);
  if (out.includes('Bearer') || out.includes('Token')) out = out.replace(BEARER, `$1 ${MASK}`);
  if (out.includes('Basic')) out = out.replace(BASIC, `$1 ${MASK}`);
  if (SENSITIVE_WORD.test(out)) {
    if (out.includes('=') || out.includes(':')) out = out.replace(ASSIGNMENT, maskAssignment);
    if (out.includes('-')) out = out.replace(FLAG_VALUE, maskFlag);
  }
  if (TOKEN_RUN.test(out) && TOKEN_SHAPES_ANY.test(out)) out = out.replace(TOKEN_SHAPES, MASK);
  if (LONG_RUN.test(out)) {
    if (LONG_HEX_ANY.test(out)) out = out.replace(LONG_HEX, MASK);
    if (LONG_BASE64_ANY.test(out)) out = out.replace(LONG_BASE64, MASK);
  }
  return out;
}

/** maskSecrets without the checks: every pattern on the whole text (what tests compare it with). */
export function maskSecretsUnchecked(text: string): string {
  if (!text) return text;
  return text
    .replace(URL_CREDENTIALS, `$1:${MASK}@`)
    .replace(SLACK_WEBHOOK, `$1/${MASK}`)
    .replace(DISCORD_WEBHOOK, `$1/${MASK}`)
    .replace(BEARER, `$1 ${MASK}`)
    .replace(BASIC, `$1 ${MASK}`)
    .replace(ASSIGNMENT, maskAssignment)
    .replace(FLAG_VALUE, maskFlag)
    .replace(TOKEN_SHAPES, MASK)
    .replace(LONG_HEX, MASK)
    .replace(LONG_BASE64, MASK);
}

/**
 * A secret shown just enough to recognise it: `hoo…[masked]`; a URL keeps its origin
 * (`https://hooks.slack.com/…[masked]`); short secrets are masked entirely.
 */
export function maskValue(secret: string): string {
  if (!secret) return secret;
  if (/^https?:\/\//i.test(secret)) {
    try {
      return `${new URL(secret).origin}/…${MASK}`;
    } catch {
      // not a parseable URL: fall through to the generic form
    }
  }
  if (secret.length < 8) return MASK;
  return `${secret.slice(0, 3)}…${MASK}`;
}

/**
 * Replaces every occurrence of the given known secret values (e.g. a channel's resolved webhook URL
 * and password) and then masks the usual shapes. Use on error messages from a send.
 */
export function maskKnown(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s.length >= 4) out = out.split(s).join(MASK);
  }
  return maskSecrets(out);
}

/**
 * A deep copy of a config object for display: values under a secret key (case-insensitive; whole
 * subtrees for objects such as headers) are shown with maskValue unless they hold `${env:NAME}`
 * references or are one of `publicValues` (e.g. a provider's default endpoint); every other string
 * goes through maskSecrets.
 */
export function redactConfig<T>(
  obj: T,
  secretKeys: readonly string[],
  publicValues: readonly string[] = [],
): T {
  const keys = new Set(secretKeys.map((k) => k.toLowerCase()));
  const known = new Set(publicValues);
  const walk = (value: unknown, secret: boolean): unknown => {
    if (typeof value === 'string') {
      if (!secret || known.has(value)) return maskSecrets(value);
      // `${env:NAME}` references are safe and useful to show, e.g. "Bearer ${env:HOOK_TOKEN}".
      return value.includes('${env:') ? maskSecrets(value) : maskValue(value);
    }
    if (Array.isArray(value)) return value.map((v) => walk(v, secret));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = walk(v, secret || keys.has(k.toLowerCase()));
      return out;
    }
    return value;
  };
  return walk(obj, false) as T;
}

const ENV_REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;

export class MissingEnvError extends Error {
  constructor(readonly variable: string) {
    super(`environment variable ${variable} is not set`);
  }
}

/** Replaces each `${env:NAME}` in value with the variable's value; throws MissingEnvError if unset or empty. */
export function resolveEnvRefs(value: string, env: Record<string, string | undefined>): string {
  if (!value.includes('${env:')) return value;
  return value.replace(ENV_REF, (_m, name: string) => {
    const v = env[name];
    if (v === undefined || v === '') throw new MissingEnvError(name);
    return v;
  });
}

/** resolveEnvRefs over every string of a plain object (a channel config). */
export function resolveEnvRefsDeep<T>(obj: T, env: Record<string, string | undefined>): T {
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return resolveEnvRefs(value, env);
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = walk(v);
      return out;
    }
    return value;
  };
  return walk(obj) as T;
}

import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tokenFile } from '../cli/index.js';

/** Shorter tokens can be guessed by any local page or process that tries long enough. */
export const MIN_TOKEN_LENGTH = 16;

/** A token that must not be used, with the reason and the fix. */
export class TokenError extends Error {}

/**
 * The headless API token: NEXUS_OPS_TOKEN when set (at least 16 characters); otherwise one generated
 * on first start and kept in the data directory, readable by this user only. `source` says which, so
 * the login link (which carries the token) is printed only when the token is new.
 */
export function loadOrCreateToken(
  dataDir: string,
  fromEnv: string | undefined,
): { token: string; source: 'env' | 'file' | 'new'; file: string } {
  const file = tokenFile(dataDir);
  if (fromEnv !== undefined && fromEnv.trim().length > 0) {
    const token = fromEnv.trim();
    if (token.length < MIN_TOKEN_LENGTH) {
      throw new TokenError(
        `NEXUS_OPS_TOKEN is ${token.length} characters long; it must have at least ${MIN_TOKEN_LENGTH} (e.g. the output of \`openssl rand -hex 16\`), or unset it to use the token Nexus Ops generates`,
      );
    }
    return { token, source: 'env', file };
  }
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    if (token.length >= MIN_TOKEN_LENGTH) return { token, source: 'file', file };
  }
  mkdirSync(dataDir, { recursive: true });
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { token, source: 'new', file };
}

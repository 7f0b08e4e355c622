import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The headless API token: NEXUS_OPS_TOKEN when set; otherwise one generated on first start and kept in
 * the data directory, readable by this user only.
 */
export function loadOrCreateToken(
  dataDir: string,
  fromEnv: string | undefined,
): { token: string; source: 'env' | 'file' | 'new'; file: string } {
  const file = join(dataDir, 'api-token');
  if (fromEnv && fromEnv.trim().length > 0) return { token: fromEnv.trim(), source: 'env', file };
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    if (token.length >= 16) return { token, source: 'file', file };
  }
  mkdirSync(dataDir, { recursive: true });
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { token, source: 'new', file };
}

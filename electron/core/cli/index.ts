/**
 * What every command-line door (stop, bot, backup) needs to talk to the running app as an operator:
 * the API token the app uses, and who is acting, for the audit trail.
 */
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';

/** Where the headless API token is kept when NEXUS_OPS_TOKEN is not set. */
export function tokenFile(dataDir: string): string {
  return join(dataDir, 'api-token');
}

/** NEXUS_OPS_TOKEN when set, else the token the app keeps in the data directory; null when neither. */
export function readApiToken(dataDir: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.NEXUS_OPS_TOKEN?.trim()) return env.NEXUS_OPS_TOKEN.trim();
  try {
    const token = readFileSync(tokenFile(dataDir), 'utf8').trim();
    return token.length > 0 ? token : null;
  } catch {
    return null;
  }
}

/** `--actor` when given, else `cli:<the OS user>`. */
export function cliActor(actor: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (actor?.trim()) return actor.trim();
  let user = env.USER ?? env.USERNAME;
  if (!user) {
    try {
      user = userInfo().username;
    } catch {
      user = 'unknown';
    }
  }
  return `cli:${user}`;
}

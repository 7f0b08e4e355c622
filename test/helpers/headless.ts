import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '..', '..');
export const cliPath = join(repoRoot, 'dist', 'electron', 'cli.cjs');

export interface Headless {
  url: string;
  /** The dashboard link with the token (built from the known token when the printed one has none). */
  loginUrl: string;
  /** The link as printed on stdout. */
  printedUrl: string;
  port: number;
  token: string;
  dataDir: string;
  configFile: string;
  child: ChildProcess;
  output(): string;
  /** Calls an API method over HTTP with the token; returns the parsed Result body. */
  call<T = unknown>(
    method: string,
    input?: unknown,
  ): Promise<{ ok: boolean; value?: T; error?: { code: string; message: string } }>;
  close(): Promise<void>;
}

export function makeTempDir(prefix = 'nexus-ops-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Starts headless mode as a real child process on a free port, with its own temporary data directory
 * and config (the same environment variables the app uses), and waits for the dashboard URL.
 */
export async function startHeadless(
  opts: { config?: string; env?: NodeJS.ProcessEnv; dataDir?: string } = {},
): Promise<Headless> {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run npm run build first`);
  const dataDir = opts.dataDir ?? makeTempDir();
  const configFile = join(dataDir, 'config.yaml');
  writeFileSync(configFile, opts.config ?? 'monitor:\n  liveIntervalSeconds: 1\n');
  // opts.env may set NEXUS_OPS_TOKEN itself, or unset it (undefined) so that the app generates one.
  const envToken =
    opts.env && 'NEXUS_OPS_TOKEN' in opts.env ? opts.env.NEXUS_OPS_TOKEN : randomBytes(16).toString('hex');
  const child = spawn(process.execPath, [cliPath, 'serve', '--port', '0'], {
    env: {
      ...process.env,
      NEXUS_OPS_DATA_DIR: dataDir,
      NEXUS_OPS_CONFIG: configFile,
      NEXUS_OPS_TOKEN: envToken,
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const printedUrl = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`headless mode did not start:\n${out}`)), 30_000);
    const check = () => {
      const m = /Dashboard: (\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`headless mode exited with ${code}:\n${out}`));
    });
  });
  // The printed link carries the token only when the token was created by this start.
  const url = new URL(printedUrl);
  const base = `${url.protocol}//${url.host}`;
  const token = url.searchParams.get('token') ?? envToken ?? '';
  const loginUrl = `${base}/?token=${encodeURIComponent(token)}`;
  return {
    url: base,
    loginUrl,
    printedUrl,
    port: Number(url.port),
    token,
    dataDir,
    configFile,
    child,
    output: () => out,
    async call<T>(method: string, input: unknown = {}) {
      const res = await fetch(`${base}/api/call/${method}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(input),
      });
      return (await res.json()) as { ok: boolean; value?: T; error?: { code: string; message: string } };
    },
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
}

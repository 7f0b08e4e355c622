import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * The real Prometheus stack from Debian (`prometheus`, `prometheus-alertmanager`,
 * `prometheus-node-exporter`), started on 127.0.0.1 by the tests and the bench. Debian names the
 * binaries prometheus-alertmanager and prometheus-node-exporter; upstream tarballs alertmanager and
 * node_exporter: both are looked for.
 */

export function findBinary(...names: string[]): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/local/bin'];
  for (const name of names) {
    for (const dir of dirs) {
      const file = join(dir, name);
      if (dir && existsSync(file)) return file;
    }
  }
  return undefined;
}

export const binaries = {
  prometheus: findBinary('prometheus'),
  promtool: findBinary('promtool'),
  alertmanager: findBinary('prometheus-alertmanager', 'alertmanager'),
  nodeExporter: findBinary('prometheus-node-exporter', 'node_exporter'),
};

/** Why a test that needs these binaries is skipped, or undefined when they are all present. */
export function missing(...wanted: (keyof typeof binaries)[]): string | undefined {
  const absent = wanted.filter((w) => !binaries[w]);
  return absent.length === 0
    ? undefined
    : `skipped: ${absent.join(', ')} not installed (apt-get install prometheus prometheus-alertmanager prometheus-node-exporter; .ci/run does it)`;
}

/** A port nothing listens on now, on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** promtool with arguments (and stdin); returns the exit code and the output. */
export function promtool(args: string[], input?: string): { code: number; output: string } {
  if (!binaries.promtool) throw new Error('promtool is not installed');
  const r = spawnSync(binaries.promtool, args, { input, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

export interface Server {
  url: string;
  port: number;
  dir: string;
  child: ChildProcess;
  output(): string;
  close(): Promise<void>;
}

async function startServer(
  binary: string | undefined,
  what: string,
  args: (dir: string, port: number) => string[],
  files: Record<string, string>,
  readyPath: string,
): Promise<Server> {
  if (!binary) throw new Error(`${what} is not installed`);
  const dir = mkdtempSync(join(tmpdir(), `nexus-ops-${what}-`));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const port = await freePort();
  const child = spawn(binary, args(dir, port), { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}:\n${out}`);
    try {
      const res = await fetch(`${url}${readyPath}`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${what} did not become ready on ${url}:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    dir,
    child,
    output: () => out,
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
}

/** Prometheus with this prometheus.yml (and other files, e.g. a token file or a rule file). */
export function startPrometheus(config: string, files: Record<string, string> = {}): Promise<Server> {
  return startServer(
    binaries.prometheus,
    'prometheus',
    (dir, port) => [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { 'prometheus.yml': config, ...files },
    '/-/ready',
  );
}

/** Alertmanager with this alertmanager.yml, clustering off (it would bind 0.0.0.0:9094). */
export function startAlertmanager(config: string): Promise<Server> {
  return startServer(
    binaries.alertmanager,
    'alertmanager',
    (dir, port) => [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { 'alertmanager.yml': config },
    '/-/ready',
  );
}

export function startNodeExporter(): Promise<Server> {
  return startServer(
    binaries.nodeExporter,
    'node-exporter',
    (_dir, port) => [`--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    {},
    '/metrics',
  );
}

/** One instant query through Prometheus' HTTP API. */
export async function query(
  prometheus: string,
  expr: string,
  at?: number,
): Promise<{ metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }[]> {
  const params = new URLSearchParams({ query: expr });
  if (at !== undefined) params.set('time', String(at / 1000));
  const res = await fetch(`${prometheus}/api/v1/query?${params}`);
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data?: {
      result: { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }[];
    };
  };
  if (body.status !== 'success') throw new Error(`query ${expr}: ${body.error ?? res.status}`);
  return body.data?.result ?? [];
}

/** Polls until `probe` returns a value (not undefined). */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 30_000,
  pollMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}${lastError ? `: ${lastError instanceof Error ? lastError.message : String(lastError)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

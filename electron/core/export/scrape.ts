import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What `GET /metrics` answers; the same on the app's port and on the separate listener. */
export interface ScrapeAnswer {
  status: 200 | 401 | 404 | 503;
  contentType: string;
  body: string;
  /** Extra response headers (WWW-Authenticate on 401). */
  headers: Record<string, string>;
}

/** The scrape token as the config yields it: a usable token, or why /metrics cannot be served. */
export type ScrapeGate =
  | { state: 'off' }
  | { state: 'ready'; token: string }
  | { state: 'misconfigured'; problem: string };

/** The shortest scrape token accepted: a guessable token would open the metrics to the LAN. */
export const MIN_TOKEN_LENGTH = 16;

const TEXT = 'text/plain; charset=utf-8';

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** `Bearer <token>` (case-insensitive scheme, as RFC 6750 allows), or ''. */
export function bearerOf(header: string): string {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1] ?? '';
}

/**
 * Checks the request's bearer token against the gate and renders the exposition when it matches.
 * The API token is not accepted here and the scrape token opens nothing else.
 */
export async function answerScrape(
  gate: ScrapeGate,
  authorization: string,
  render: () => Promise<{ contentType: string; body: string }>,
): Promise<ScrapeAnswer> {
  if (gate.state === 'off') {
    return {
      status: 404,
      contentType: TEXT,
      body: 'Metrics export is off: set export.metrics.enabled: true and export.metrics.scrapeToken in the config.\n',
      headers: {},
    };
  }
  if (gate.state === 'misconfigured') {
    return {
      status: 503,
      contentType: TEXT,
      body: `Metrics export is not ready: ${gate.problem}\n`,
      headers: {},
    };
  }
  const presented = bearerOf(authorization);
  if (!presented || !sameSecret(presented, gate.token)) {
    return {
      status: 401,
      contentType: TEXT,
      body: 'Missing or wrong scrape token: send Authorization: Bearer <export.metrics.scrapeToken>.\n',
      headers: { 'www-authenticate': 'Bearer realm="nexus-ops-metrics"' },
    };
  }
  const { contentType, body } = await render();
  return { status: 200, contentType, body, headers: {} };
}

export interface MetricsListener {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/** True for addresses only this PC can reach. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * The separate listener for `export.metrics.listen`: `GET /metrics` only, nothing of the API or the
 * dashboard, on the address the operator chose.
 */
export function startMetricsListener(
  host: string,
  port: number,
  answer: (authorization: string) => Promise<ScrapeAnswer>,
): Promise<MetricsListener> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': TEXT }).end('Only GET /metrics is served here.\n');
      return;
    }
    answer(req.headers.authorization ?? '').then(
      (a) => {
        res.writeHead(a.status, { 'content-type': a.contentType, ...a.headers });
        res.end(req.method === 'HEAD' ? undefined : a.body);
      },
      (err: unknown) => {
        res
          .writeHead(500, { 'content-type': TEXT })
          .end(`${err instanceof Error ? err.message : String(err)}\n`);
      },
    );
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `export.metrics.listen: ${host}:${port} is already in use: choose another port`
            : err.code === 'EADDRNOTAVAIL'
              ? `export.metrics.listen: ${host} is not an address of this PC`
              : `export.metrics.listen: cannot listen on ${host}:${port}: ${err.message}`,
        ),
      );
    });
    server.listen(port, host, () => {
      const bound = (server.address() as AddressInfo).port;
      const shown = host.includes(':') ? `[${host}]` : host;
      resolve({
        host,
        port: bound,
        url: `http://${shown}:${bound}/metrics`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

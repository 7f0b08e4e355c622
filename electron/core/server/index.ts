export { tokenFile } from '../cli/index.js';
export { loadOrCreateToken, MIN_TOKEN_LENGTH, TokenError } from './token.js';

import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie, setCookie } from 'hono/cookie';
import { streamSSE } from 'hono/streaming';
import type { ApiEvent } from '../../../shared/api/index.js';
import type { Dispatcher, EventBus } from '../api/index.js';
import { metricsResponse } from '../export/index.js';

export const TOKEN_COOKIE = 'nexus_ops_token';

/** The page's Content-Security-Policy: nothing but our own origin; no inline script, no eval. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface ServerOptions {
  dispatcher: Dispatcher;
  events: EventBus;
  token: string;
  port: number;
  /** Built renderer (index.html and assets). */
  staticDir: string;
  version: string;
}

export interface RunningServer {
  port: number;
  url: string;
  /** URL that carries the token once; the page then keeps it in an HttpOnly cookie. */
  loginUrl: string;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

/** Largest request body the API reads: the biggest legitimate call (a silence, a query) is a few kB. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Where a request is meant to go, checked before anything else reads it: the Host header must name
 * this server exactly as it is reached (`127.0.0.1:<port>` or `localhost:<port>`, lower case), and an
 * absolute-form target (`POST http://other.example/api/... HTTP/1.1`) must name it too. Anything else is
 * a request for another server (or a DNS-rebinding page) and is answered 421 Misdirected Request.
 * Returns the reason to refuse, or undefined.
 */
export function misdirected(
  host: string | undefined,
  target: string | undefined,
  hosts: Set<string>,
): string | undefined {
  if (!host || !hosts.has(host)) return 'Host not allowed';
  const url = target ?? '/';
  if (url.startsWith('/')) return undefined;
  let named: string;
  try {
    named = new URL(url).host;
  } catch {
    return 'request target not allowed';
  }
  return hosts.has(named) ? undefined : 'request target names another host';
}

/**
 * The browser's word on where a state-changing request comes from. A page on another origin (another
 * port on 127.0.0.1 is "same-site" and carries the SameSite=Strict cookie) is refused; a request
 * without these headers is not from a browser page (the CLI, curl) and must carry the token anyway.
 */
export function foreignOrigin(
  headers: { origin?: string; secFetchSite?: string },
  hosts: Set<string>,
): string | undefined {
  const site = headers.secFetchSite?.toLowerCase();
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return `Sec-Fetch-Site: ${site}`;
  }
  if (headers.origin !== undefined) {
    let host: string | undefined;
    try {
      const origin = new URL(headers.origin);
      host = origin.protocol === 'http:' ? origin.host : undefined;
    } catch {
      host = undefined;
    }
    if (!host || !hosts.has(host)) return `Origin: ${headers.origin}`;
  }
  return undefined;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function createApp(opts: Omit<ServerOptions, 'port'>, allowedHosts: () => Set<string>) {
  const app = new Hono();

  // DNS-rebinding guard: a page on another name that resolves to 127.0.0.1 is refused. The node server
  // checks the raw request first (startServer); this covers app.fetch called directly.
  app.use('*', async (c, next) => {
    const hosts = allowedHosts();
    const host = c.req.header('host') ?? '';
    if (!hosts.has(host) || !hosts.has(new URL(c.req.url).host)) return c.text('Host not allowed', 421);
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Cross-Origin-Resource-Policy', 'same-origin');
  });

  app.get('/api/health', (c) => c.json({ ok: true, version: opts.version }));
  // Prometheus scrapes: the scrape token (export.metrics.scrapeToken) is checked by the export capability.
  app.get('/metrics', (c) => metricsResponse(opts.dispatcher, c.req.raw));

  app.use('/api/*', async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const bearer = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    const presented = bearer || getCookie(c, TOKEN_COOKIE) || '';
    if (!presented || !sameSecret(presented, opts.token)) {
      return c.json({ ok: false, error: { code: 'unauthorized', message: 'missing or wrong token' } }, 401);
    }
    await next();
  });

  // Every call may change state (stop, resume, ack, silence): only from our own page or a non-browser client.
  app.use('/api/call/*', async (c, next) => {
    const foreign = foreignOrigin(
      { origin: c.req.header('origin'), secFetchSite: c.req.header('sec-fetch-site') },
      allowedHosts(),
    );
    if (foreign) {
      return c.json(
        {
          ok: false,
          error: {
            code: 'unauthorized',
            message: `cross-origin request refused (${foreign}): call the API from the Nexus Ops page or a command-line client`,
          },
        },
        403,
      );
    }
    await next();
  });

  app.use(
    '/api/call/*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => {
        c.header('Connection', 'close');
        return c.json(
          {
            ok: false,
            error: {
              code: 'invalid_input',
              message: `request body larger than ${MAX_BODY_BYTES / 1024 / 1024} MB: no API call needs that much; send less`,
            },
          },
          413,
        );
      },
    }),
  );

  app.post('/api/call/:method', async (c) => {
    if (!(c.req.header('content-type') ?? '').startsWith('application/json')) {
      return c.json(
        {
          ok: false,
          error: { code: 'invalid_input', message: 'send JSON (Content-Type: application/json)' },
        },
        415,
      );
    }
    let input: unknown;
    try {
      input = await c.req.json();
    } catch {
      return c.json({ ok: false, error: { code: 'invalid_input', message: 'body is not valid JSON' } }, 400);
    }
    const result = await opts.dispatcher.call(c.req.param('method'), input);
    const status = result.ok
      ? 200
      : result.error.code === 'unknown_method'
        ? 404
        : result.error.code === 'invalid_input'
          ? 400
          : 200;
    return c.json(result, status);
  });

  app.get('/api/events', (c) =>
    streamSSE(c, async (stream) => {
      const queue: ApiEvent[] = [];
      let wake: (() => void) | undefined;
      const unsubscribe = opts.events.subscribe((event) => {
        // A client that stops reading must not grow our memory without bound.
        if (queue.length > 1000) queue.shift();
        queue.push(event);
        wake?.();
      });
      let closed = false;
      stream.onAbort(() => {
        closed = true;
        unsubscribe();
        wake?.();
      });
      await stream.writeSSE({ event: 'hello', data: '{}' });
      while (!closed) {
        const next = queue.shift();
        if (next) {
          await stream.writeSSE({ event: 'message', data: JSON.stringify(next) });
          continue;
        }
        let keepAlive: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          wake = resolve;
          keepAlive = setTimeout(resolve, 15_000);
          keepAlive.unref();
        });
        clearTimeout(keepAlive);
        wake = undefined;
        if (queue.length === 0 && !closed) await stream.writeSSE({ event: 'ping', data: '{}' });
      }
    }),
  );

  // The login link carries the token once; it becomes an HttpOnly, SameSite=Strict cookie.
  app.get('/', async (c, next) => {
    const token = c.req.query('token');
    if (token !== undefined) {
      if (!sameSecret(token, opts.token)) return c.text('Wrong token', 401);
      setCookie(c, TOKEN_COOKIE, token, { httpOnly: true, sameSite: 'Strict', path: '/' });
      return c.redirect('/', 302);
    }
    await next();
  });

  app.use('*', async (c, next) => {
    await next();
    if ((c.res.headers.get('content-type') ?? '').startsWith('text/html')) {
      c.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
      c.header('X-Frame-Options', 'DENY');
    }
  });
  app.use('*', serveStatic({ root: opts.staticDir }));
  app.get('*', serveStatic({ root: opts.staticDir, path: 'index.html' }));
  return app;
}

/** Headless mode's HTTP server: 127.0.0.1 only, token required for the API. */
export function startServer(opts: ServerOptions): Promise<RunningServer> {
  let hosts = new Set<string>();
  const app = createApp(opts, () => hosts);
  const listener = getRequestListener(app.fetch);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    // Before the adapter parses the target: it answers 400 to a Host it cannot map (LOCALHOST:port).
    const refused = misdirected(req.headers.host, req.url, hosts);
    if (refused) {
      res.writeHead(421, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }).end(refused);
      return;
    }
    void listener(req, res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(
          new Error(
            `port ${opts.port} on 127.0.0.1 is already in use: another Nexus Ops may be running; set NEXUS_OPS_PORT or --port to another port`,
          ),
        );
      } else reject(err);
    });
    server.listen(opts.port, HOST, () => {
      const port = (server.address() as AddressInfo).port;
      hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
      const url = `http://${HOST}:${port}/`;
      resolve({
        port,
        url,
        loginUrl: `${url}?token=${encodeURIComponent(opts.token)}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

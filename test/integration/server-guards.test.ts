import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser.js';
import { cliPath, type Headless, makeTempDir, startHeadless } from '../helpers/headless.js';

/**
 * The local API under the outside tests' hostile requests (issue 10, items 9, 10, 11): oversized
 * bodies, cross-origin form posts from another port, absolute-form targets, odd Host headers, short
 * tokens, and the token in captured logs. Everything over real HTTP against the built app.
 */

let app: Headless;
beforeAll(async () => {
  app = await startHeadless({ config: 'monitor:\n  liveIntervalSeconds: 1\n' });
});
afterAll(async () => {
  await app?.close();
});

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request exactly as written on the wire (request line and headers), over a fresh socket. */
function rawRequest(port: number, head: string, body = ''): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString('utf8');
    });
    socket.on('end', () => {
      const [statusLine = '', ...rest] = text.split('\r\n');
      const blank = rest.indexOf('');
      const headers: Record<string, string> = {};
      for (const line of rest.slice(0, blank)) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({
        status: Number(statusLine.split(' ')[1]),
        headers,
        body: rest.slice(blank + 1).join('\r\n'),
      });
    });
    socket.on('error', reject);
    socket.write(`${head.replace(/\n/g, '\r\n')}\r\nConnection: close\r\n\r\n${body}`);
  });
}

function post(path: string, headers: Record<string, string>, body: string | Buffer): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: app.port, path, method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => {
        text += d.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const auth = () => ({ authorization: `Bearer ${app.token}`, 'content-type': 'application/json' });

describe('request bodies are capped (item 9)', () => {
  it('answers 413 with a JSON error to a body over 1 MB, announced or chunked', async () => {
    const big = JSON.stringify({ reason: 'x'.repeat(1024 * 1024 + 10) });
    const announced = await post('/api/call/app.status', auth(), big);
    expect(announced.status).toBe(413);
    expect(JSON.parse(announced.body)).toMatchObject({
      ok: false,
      error: { code: 'invalid_input', message: expect.stringMatching(/larger than 1 MB/) },
    });

    const chunked = await new Promise<RawAnswer>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: app.port, path: '/api/call/app.status', method: 'POST', headers: auth() },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => {
            text += d.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        },
      );
      req.on('error', reject);
      // no Content-Length: the body arrives in pieces
      for (let i = 0; i < 20; i++) req.write('x'.repeat(64 * 1024));
      req.end();
    });
    expect(chunked.status).toBe(413);
    expect(chunked.body).toMatch(/larger than 1 MB/);
  });

  it('still takes a large but legitimate body', async () => {
    const res = await post('/api/call/app.status', auth(), `{}${' '.repeat(900 * 1024)}`);
    expect(res.status).toBe(200);
  });
});

describe('state-changing calls only from our own page (item 10)', () => {
  it('refuses another origin or a cross-site fetch, even with the token', async () => {
    const fromOtherPort = await post(
      '/api/call/alerts.list',
      { ...auth(), origin: `http://127.0.0.1:${app.port + 1}` },
      '{}',
    );
    expect(fromOtherPort.status).toBe(403);
    expect(JSON.parse(fromOtherPort.body).error.message).toMatch(/cross-origin request refused \(Origin:/);
    const sameSite = await post('/api/call/alerts.list', { ...auth(), 'sec-fetch-site': 'same-site' }, '{}');
    expect(sameSite.status).toBe(403);
    const nullOrigin = await post('/api/call/alerts.list', { ...auth(), origin: 'null' }, '{}');
    expect(nullOrigin.status).toBe(403);
  });

  it('takes calls from its own page and from clients that are not browsers', async () => {
    const own = await post(
      '/api/call/alerts.list',
      { ...auth(), origin: `http://localhost:${app.port}`, 'sec-fetch-site': 'same-origin' },
      '{}',
    );
    expect(own.status).toBe(200);
    const cli = await post('/api/call/alerts.list', auth(), '{}');
    expect(cli.status).toBe(200);
  });

  it('answers 421 to an absolute-form target for another host and to LOCALHOST:port', async () => {
    const other = await rawRequest(
      app.port,
      `GET http://evil.example/api/health HTTP/1.1\nHost: 127.0.0.1:${app.port}`,
    );
    expect(other.status).toBe(421);
    const ours = await rawRequest(
      app.port,
      `GET http://127.0.0.1:${app.port}/api/health HTTP/1.1\nHost: 127.0.0.1:${app.port}`,
    );
    expect(ours.status).toBe(200);
    const upper = await rawRequest(app.port, `GET /api/health HTTP/1.1\nHost: LOCALHOST:${app.port}`);
    expect(upper.status).toBe(421);
    const otherPort = await rawRequest(app.port, `GET /api/health HTTP/1.1\nHost: 127.0.0.1:${app.port + 1}`);
    expect(otherPort.status).toBe(421);
  });

  describe('in a real browser', () => {
    let browser: Browser;
    let attacker: Server;
    let attackerUrl: string;
    beforeAll(async () => {
      browser = await launchBrowser();
      // A page on another port of 127.0.0.1: the same site, so the SameSite=Strict cookie goes along.
      attacker = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html>
<form id="f" method="POST" action="http://127.0.0.1:${app.port}/api/call/alerts.silence" enctype="text/plain">
<input name='{"ruleId":"x","reason":"csrf","by":"attacker","durationMinutes":60,"pad":"' value='"}'>
</form><script>document.getElementById('f').submit()</script>`);
      });
      await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
      attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`;
    });
    afterAll(async () => {
      await browser?.close();
      attacker?.closeAllConnections();
      await new Promise<void>((resolve) => attacker?.close(() => resolve()));
    });

    it('a form posted from another port carries the cookie and is refused by the origin check', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(app.loginUrl); // the operator is logged in: the cookie is set
      expect((await context.cookies()).some((c) => c.name === 'nexus_ops_token')).toBe(true);
      // Exactly the forged POST: the dashboard behind the login URL may still be loading
      // `alerts.silences` (a 200 GET-like call whose URL shares the prefix).
      const answer = page.waitForResponse(
        (r) => new URL(r.url()).pathname === '/api/call/alerts.silence' && r.request().method() === 'POST',
      );
      await page.goto(attackerUrl);
      const res = await answer;
      expect(res.status()).toBe(403);
      expect(await res.text()).toMatch(/cross-origin request refused \(Sec-Fetch-Site: same-site\)/);
      const silences = await app.call<{ silences: unknown[] }>('alerts.silences', {});
      expect(silences.value?.silences).toEqual([]);
      await context.close();
    });
  });
});

describe('the API token (item 11)', () => {
  it('refuses a NEXUS_OPS_TOKEN shorter than 16 characters with the fix', () => {
    let stderr = '';
    let status: number | null = null;
    const dataDir = makeTempDir();
    try {
      execFileSync(process.execPath, [cliPath, 'serve', '--port', '0'], {
        env: { ...process.env, NEXUS_OPS_DATA_DIR: dataDir, NEXUS_OPS_TOKEN: 'short-token' },
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 30_000,
      });
    } catch (err) {
      const e = err as { status: number | null; stderr: Buffer };
      status = e.status;
      stderr = e.stderr.toString();
    } finally {
      rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    }
    expect(status).toBe(2);
    expect(stderr).toMatch(/NEXUS_OPS_TOKEN is 11 characters long; it must have at least 16/);
  });

  it('prints the login link once, when the token is created; later the plain URL and `nexus-ops token`', async () => {
    const dataDir = makeTempDir();
    const env = { NEXUS_OPS_TOKEN: undefined };
    const first = await startHeadless({ dataDir, env });
    let token: string | null;
    try {
      token = new URL(first.printedUrl).searchParams.get('token');
      expect(token?.length).toBeGreaterThanOrEqual(16);
      expect(first.output()).toMatch(/printed only this once/);
    } finally {
      await first.close();
    }

    const second = await startHeadless({ dataDir, env });
    try {
      expect(second.printedUrl).toBe(`${second.url}/`);
      expect(second.output()).not.toContain(token);
      expect(second.output()).toMatch(/`nexus-ops token`/);
      const shown = execFileSync(process.execPath, [cliPath, 'token', '--port', String(second.port)], {
        env: { ...process.env, NEXUS_OPS_DATA_DIR: dataDir, NEXUS_OPS_TOKEN: '' },
        encoding: 'utf8',
      });
      expect(shown.trim()).toBe(`http://127.0.0.1:${second.port}/?token=${token}`);
      const login = await fetch(shown.trim(), { redirect: 'manual' });
      expect(login.status).toBe(302);
    } finally {
      await second.close();
      rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    }
  });
});

import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Headless, startHeadless } from '../helpers/headless.js';

let app: Headless;
beforeAll(async () => {
  app = await startHeadless({ config: 'monitor:\n  liveIntervalSeconds: 1\n  storeIntervalSeconds: 1\n' });
});
afterAll(async () => {
  await app?.close();
});

function rawGet(
  port: number,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('headless mode', () => {
  it('prints a dashboard URL on 127.0.0.1, without a token it did not create', () => {
    expect(app.printedUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(app.output()).not.toContain(app.token);
    expect(app.output()).toMatch(/`nexus-ops token`/);
  });

  it('answers health without a token', async () => {
    const res = await fetch(`${app.url}/api/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true });
  });

  it('refuses the API without a token or with a wrong one', async () => {
    const call = (auth?: string) =>
      fetch(`${app.url}/api/call/app.status`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
        body: '{}',
      });
    expect((await call()).status).toBe(401);
    expect((await call('Bearer wrong-token')).status).toBe(401);
    expect((await call(`Bearer ${app.token}x`)).status).toBe(401);
    expect((await call(`Bearer ${app.token}`)).status).toBe(200);
    const events = await fetch(`${app.url}/api/events`);
    expect(events.status).toBe(401);
  });

  it('refuses a foreign Host header (DNS rebinding guard), even with the token', async () => {
    const res = await rawGet(app.port, '/api/health', { host: 'attacker.example:80' });
    expect(res.status).toBe(421);
    const withToken = await rawGet(app.port, '/', {
      host: `evil.test:${app.port}`,
      authorization: `Bearer ${app.token}`,
    });
    expect(withToken.status).toBe(421);
    const ok = await rawGet(app.port, '/api/health', { host: `localhost:${app.port}` });
    expect(ok.status).toBe(200);
  });

  it('validates inputs with the shared schemas', async () => {
    const bad = await app.call('series.query', { keys: [], from: -1, to: 'now' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    const unknown = await app.call('no.such.method', {});
    expect(unknown).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
  });

  it('returns a current snapshot with real numbers', async () => {
    type Snapshot = {
      cpuPct: number;
      memUsedPct: number;
      memTotalBytes: number;
      disks: { mount: string; freePct: number }[];
    };
    let snapshot: Snapshot | null = null;
    for (let i = 0; i < 50 && !snapshot; i++) {
      const r: { value?: Snapshot | null } = await app.call<Snapshot | null>('system.snapshot');
      snapshot = r.value ?? null;
      if (!snapshot) await new Promise((res) => setTimeout(res, 100));
    }
    expect(snapshot).not.toBeNull();
    expect(snapshot!.cpuPct).toBeGreaterThanOrEqual(0);
    expect(snapshot!.cpuPct).toBeLessThanOrEqual(100);
    expect(snapshot!.memUsedPct).toBeGreaterThan(0);
    expect(snapshot!.memTotalBytes).toBeGreaterThan(100 * 1024 * 1024);
    expect(snapshot!.disks.find((d) => d.mount === '/')?.freePct).toBeGreaterThan(0);
  });

  it('delivers new samples over the push channel, and stores them', async () => {
    const controller = new AbortController();
    const res = await fetch(`${app.url}/api/events`, {
      headers: { authorization: `Bearer ${app.token}` },
      signal: controller.signal,
    });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const deadline = Date.now() + 15_000;
    let sample: { type: string; ts: number; samples: { key: string; value: number }[] } | undefined;
    while (!sample && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      for (const block of text.split('\n\n')) {
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (block.includes('event: message') && data) {
          const event = JSON.parse(data);
          if (event.type === 'samples') sample = event;
        }
      }
    }
    controller.abort();
    expect(sample).toBeDefined();
    const cpu = sample!.samples.find((s) => s.key === 'cpu.total');
    expect(cpu?.value).toBeGreaterThanOrEqual(0);
    expect(cpu?.value).toBeLessThanOrEqual(100);

    const history = await app.call<{ series: { key: string; points: { ts: number; value: number }[] }[] }>(
      'series.query',
      { keys: ['cpu.total'], from: sample!.ts - 60_000, to: sample!.ts + 1, maxPoints: 100 },
    );
    expect(history.ok).toBe(true);
    expect(history.value!.series[0]!.points.some((p) => p.ts === sample!.ts)).toBe(true);
  });

  it('sets an HttpOnly cookie from the login link and redirects to a token-free URL', async () => {
    const res = await fetch(app.loginUrl, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/');
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    const page = await fetch(`${app.url}/`);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    const wrong = await fetch(`${app.url}/?token=nope`, { redirect: 'manual' });
    expect(wrong.status).toBe(401);
  });
});

describe('headless mode with a broken config', () => {
  it('starts on defaults and reports the file, line and problem', async () => {
    const broken = await startHeadless({ config: 'monitor:\n  liveIntervalSeconds: often\n' });
    try {
      const status = await broken.call<{ configIssues: { file: string; line: number; message: string }[] }>(
        'app.status',
      );
      expect(status.value!.configIssues[0]).toMatchObject({ file: broken.configFile, line: 2 });
      expect(broken.output()).toMatch(/config\.yaml:2:\d+/);
    } finally {
      await broken.close();
    }
  });
});

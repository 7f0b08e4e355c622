import { mkdtempSync, rmSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createTcpServer, type Socket, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SMTPServer } from 'smtp-server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/core/clock/index.js';
import {
  BACKOFF_MS,
  createNotifier,
  type Notifier,
  type NotifyDeliveryEvent,
  type NotifyMessage,
} from '../../electron/core/notify/index.js';
import { notifyMigration } from '../../electron/core/notify/migrations/004-notify.js';
import { deliveryContextMigration } from '../../electron/core/notify/migrations/006-delivery-context.js';
import { type NotifyConfigInput, notifyConfigSchema } from '../../shared/config/notify.js';

const SLACK_SECRET = 'XyZ12aBcD34eFgH56iJkL78m';
const HOOK_TOKEN = 'hook-token-5b1f0c9e';
const SMTP_USER = 'nexus';
const SMTP_PASSWORD = 'smtp-pass-Qw3rTy-771';
const WRONG_SMTP_PASSWORD = 'wrong-pass-Zx9Cv-442';
const TWILIO_SID = 'AC0123456789abcdef0123456789abcdef';
const TWILIO_TOKEN = 'f00dbabe0123456789abcdef01234567';
const TWILIO_BASIC = Buffer.from(`${TWILIO_SID}:${TWILIO_TOKEN}`).toString('base64');

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let http: Server;
let httpBase: string;
const received: Received[] = [];
const held: ServerResponse[] = [];
/** While set, the SMS endpoint answers 503 for this recipient. */
let smsDownFor: string | null = null;

let smtp: SMTPServer;
let smtpPort: number;
const mails: string[] = [];

let silentTcp: TcpServer;
let silentPort: number;
const silentSockets: Socket[] = [];

let deadPort: number;

function listen(server: Server | TcpServer): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

beforeAll(async () => {
  http = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '';
      received.push({
        method: req.method ?? '',
        url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      if (url.startsWith('/slow')) {
        held.push(res);
        return;
      }
      if (url.startsWith('/echo')) {
        // A receiver that repeats what it got in its error, as some proxies do: secrets must still not leak.
        res.writeHead(500).end(`cannot deliver ${url} with authorization ${req.headers.authorization ?? ''}`);
        return;
      }
      if (url.startsWith('/gone')) {
        res.writeHead(404).end('no_service');
        return;
      }
      if (
        url.includes('/Messages.json') &&
        smsDownFor &&
        new URLSearchParams(received.at(-1)?.body).get('To') === smsDownFor
      ) {
        res.writeHead(503).end('busy');
        return;
      }
      if (url.includes('/Messages.json')) {
        res.writeHead(201, { 'content-type': 'application/json' }).end('{"sid":"SM123","status":"queued"}');
        return;
      }
      res.writeHead(200).end('ok');
    });
  });
  httpBase = `http://127.0.0.1:${await listen(http)}`;

  smtp = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD)
        return callback(null, { user: SMTP_USER });
      // Echoes the password in the 535 reply: the notifier must mask it before recording.
      return callback(new Error(`Invalid username or password (${auth.password})`));
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push(Buffer.concat(chunks).toString());
        callback();
      });
    },
  });
  smtpPort = await new Promise<number>((resolve) => {
    smtp.listen(0, '127.0.0.1', () => resolve((smtp.server.address() as AddressInfo).port));
  });

  // Accepts TCP connections and never says a word: an SMTP server that hangs before its greeting.
  silentTcp = createTcpServer((socket) => silentSockets.push(socket));
  silentPort = await listen(silentTcp);

  const dead = createTcpServer();
  deadPort = await listen(dead);
  await new Promise<void>((resolve) => dead.close(() => resolve()));
});

afterAll(async () => {
  for (const res of held) res.destroy();
  http.closeAllConnections();
  await new Promise<void>((resolve) => http.close(() => resolve()));
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  for (const s of silentSockets) s.destroy();
  await new Promise<void>((resolve) => silentTcp.close(() => resolve()));
});

let dir: string;
let db: Database.Database;
let clock: ManualClock;
let events: NotifyDeliveryEvent[];
let logs: string[];
let desktopShown: { title: string; body: string; severity: string }[];
let notifier: Notifier | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'notify-int-'));
  db = new Database(join(dir, 'nexus.db'));
  db.pragma('journal_mode = WAL');
  db.transaction(() => {
    notifyMigration.up(db);
    deliveryContextMigration.up(db);
  })();
  clock = new ManualClock();
  events = [];
  logs = [];
  desktopShown = [];
  received.length = 0;
  mails.length = 0;
});

afterEach(async () => {
  await notifier?.close(2000);
  notifier = undefined;
  db.close();
  rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

const env = {
  SLACK_WEBHOOK_URL: '', // set per test from httpBase
  HOOK_TOKEN,
  SMTP_PASSWORD,
  WRONG_SMTP_PASSWORD,
  TWILIO_ACCOUNT_SID: TWILIO_SID,
  TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
};

function start(cfg: NotifyConfigInput, slackPath = '/slack'): Notifier {
  notifier = createNotifier({
    db,
    clock,
    desktop: { notify: (n) => desktopShown.push(n) },
    config: notifyConfigSchema.parse(cfg),
    onEvent: (e) => events.push(e),
    env: { ...env, SLACK_WEBHOOK_URL: `${httpBase}${slackPath}/services/T0001/B0001/${SLACK_SECRET}` },
    log: (m) => logs.push(m),
  });
  return notifier;
}

function smsChannel(id: string, path: string) {
  return {
    id,
    type: 'sms' as const,
    url: `${httpBase}${path}/2010-04-01/Accounts/{accountSid}/Messages.json`,
    accountSid: '${env:TWILIO_ACCOUNT_SID}',
    authToken: '${env:TWILIO_AUTH_TOKEN}',
    from: '+15005550006',
    to: ['+819011112222', '+819033334444'],
  };
}

function emailChannel(id: string, port: number, passwordVar = 'SMTP_PASSWORD') {
  return {
    id,
    type: 'email' as const,
    host: '127.0.0.1',
    port,
    user: SMTP_USER,
    password: `\${env:${passwordVar}}`,
    from: 'nexus-ops@example.com',
    to: ['ops@company.com', 'dev@company.com'],
  };
}

const incident: NotifyMessage = {
  kind: 'firing',
  severity: 'critical',
  title: 'Disk C: free space below 5%',
  body: 'disk.free_pct{mount=C:} = 4.2 (threshold 5)',
  channels: [],
  alertId: 'alert-42',
};

/** Minimal MIME reading: unfolded headers, and the text/plain part decoded. */
function parseMail(raw: string): { subject: string; to: string; text: string } {
  const [head = '', ...rest] = raw.split(/\r\n\r\n/);
  const headers = head.replace(/\r\n[ \t]+/g, ' ');
  const header = (name: string) => new RegExp(`^${name}: (.*)$`, 'mi').exec(headers)?.[1] ?? '';
  const boundary = /boundary="?([^";]+)"?/i.exec(header('Content-Type'))?.[1];
  const body = rest.join('\r\n\r\n');
  const parts = boundary ? body.split(`--${boundary}`) : [`${head}\r\n\r\n${body}`];
  const plain = parts.find((p) => /Content-Type: text\/plain/i.test(p)) ?? '';
  const [partHead = '', ...partBody] = plain.replace(/^\r\n/, '').split(/\r\n\r\n/);
  let text = partBody.join('\r\n\r\n');
  if (/Content-Transfer-Encoding: quoted-printable/i.test(partHead)) {
    text = Buffer.from(
      text
        .replace(/=\r\n/g, '')
        .replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
      'latin1',
    ).toString('utf8');
  } else if (/Content-Transfer-Encoding: base64/i.test(partHead)) {
    text = Buffer.from(text.replace(/\s+/g, ''), 'base64').toString('utf8');
  }
  return { subject: header('Subject'), to: header('To'), text: text.replace(/\r\n/g, '\n') };
}

function everythingRecorded(): string {
  const rows = db.prepare('SELECT * FROM notify_deliveries').all();
  return JSON.stringify({ rows, events, logs });
}

function expectNoSecrets(text: string): void {
  for (const secret of [
    SLACK_SECRET,
    HOOK_TOKEN,
    SMTP_PASSWORD,
    WRONG_SMTP_PASSWORD,
    TWILIO_TOKEN,
    TWILIO_BASIC,
  ]) {
    expect(text, `leaked ${secret.slice(0, 4)}…`).not.toContain(secret);
  }
}

describe('notification delivery to real receivers on 127.0.0.1', () => {
  it('delivers one critical alert to desktop, Slack, webhook, SMS and e-mail', async () => {
    const n = start({
      channels: [
        { id: 'desktop', type: 'desktop' },
        { id: 'slack', type: 'slack', webhookUrl: '${env:SLACK_WEBHOOK_URL}' },
        {
          id: 'hook',
          type: 'webhook',
          url: `${httpBase}/hook`,
          headers: { Authorization: 'Bearer ${env:HOOK_TOKEN}' },
        },
        smsChannel('sms', ''),
        emailChannel('mail', smtpPort),
      ],
    });
    n.send({ ...incident, channels: ['desktop', 'slack', 'hook', 'sms', 'mail'] });
    await n.idle();

    expect(
      n
        .deliveries()
        .map((d) => [d.channelId, d.status, d.attempts])
        .sort(),
    ).toEqual([
      ['desktop', 'sent', 1],
      ['hook', 'sent', 1],
      ['mail', 'sent', 1],
      ['slack', 'sent', 1],
      ['sms', 'sent', 1],
    ]);

    expect(desktopShown).toEqual([
      { title: 'CRITICAL: Disk C: free space below 5%', body: incident.body, severity: 'critical' },
    ]);

    const slack = received.find((r) => r.url.startsWith('/slack/'));
    expect(slack?.url).toBe(`/slack/services/T0001/B0001/${SLACK_SECRET}`);
    expect(slack?.headers['content-type']).toBe('application/json');
    const slackJson = JSON.parse(slack?.body ?? '{}') as { text: string; blocks: unknown[] };
    expect(slackJson.text).toBe('<!channel> :rotating_light: CRITICAL: Disk C: free space below 5%');
    expect(JSON.stringify(slackJson.blocks)).toContain('disk.free_pct{mount=C:} = 4.2 (threshold 5)');

    const hook = received.find((r) => r.url === '/hook');
    expect(hook?.headers.authorization).toBe(`Bearer ${HOOK_TOKEN}`);
    expect(JSON.parse(hook?.body ?? '{}')).toEqual({
      kind: 'firing',
      severity: 'critical',
      title: incident.title,
      body: incident.body,
      alertId: 'alert-42',
      at: new Date(clock.now()).toISOString(),
      rule: null,
      labels: {},
      value: null,
      threshold: null,
      state: null,
      url: null,
      runbook: null,
    });

    const sms = received.filter((r) => r.url.includes('/Messages.json'));
    expect(sms).toHaveLength(2);
    for (const r of sms) {
      expect(r.method).toBe('POST');
      expect(r.url).toBe(`/2010-04-01/Accounts/${TWILIO_SID}/Messages.json`);
      expect(r.headers.authorization).toBe(`Basic ${TWILIO_BASIC}`);
      expect(r.headers['content-type']).toBe('application/x-www-form-urlencoded');
    }
    const forms = sms.map((r) => Object.fromEntries(new URLSearchParams(r.body)));
    expect(forms.map((f) => f.To).sort()).toEqual(['+819011112222', '+819033334444']);
    for (const f of forms) {
      expect(f.From).toBe('+15005550006');
      expect(f.Body).toBe(
        '[Nexus Ops] CRITICAL: Disk C: free space below 5% - disk.free_pct{mount=C:} = 4.2 (threshold 5)',
      );
    }

    expect(mails).toHaveLength(1);
    const mail = parseMail(mails[0]!);
    expect(mail.subject).toBe('[Nexus Ops] CRITICAL: Disk C: free space below 5%');
    expect(mail.to).toContain('ops@company.com');
    expect(mail.to).toContain('dev@company.com');
    expect(mail.text).toContain('CRITICAL: Disk C: free space below 5%');
    expect(mail.text).toContain(incident.body);
    expect(mail.text).toContain('Alert: alert-42');
    expect(mails[0]).toContain('text/html');

    expectNoSecrets(everythingRecorded());
  });

  it('retries a dead receiver with backoff until it records a failure, while other channels keep delivering', async () => {
    const n = start({
      channels: [
        { id: 'dead', type: 'webhook', url: `http://127.0.0.1:${deadPort}/hook` },
        { id: 'hook', type: 'webhook', url: `${httpBase}/hook` },
      ],
      maxAttempts: 5,
    });
    n.send({ ...incident, channels: ['dead', 'hook'] });
    await n.idle();
    let dead = n.deliveries({ channelId: 'dead' })[0]!;
    expect(dead).toMatchObject({
      status: 'retrying',
      attempts: 1,
      nextAttemptAt: clock.now() + BACKOFF_MS[0]!,
    });
    expect(dead.lastError).toContain('ECONNREFUSED');
    expect(n.deliveries({ channelId: 'hook' })[0]).toMatchObject({ status: 'sent' });

    for (const [i, wait] of BACKOFF_MS.entries()) {
      clock.advance(wait);
      // The engine keeps sending while the dead channel is retrying.
      n.send({ ...incident, kind: 'repeat', channels: ['hook'], title: `repeat ${i}` });
      n.tick();
      await n.idle();
    }
    dead = n.deliveries({ channelId: 'dead' })[0]!;
    expect(dead.status).toBe('failed');
    expect(dead.attempts).toBe(5);
    expect(dead.lastError).toMatch(/ECONNREFUSED.*gave up after 5 attempts/);
    expect(n.deliveries({ channelId: 'hook' }).every((d) => d.status === 'sent')).toBe(true);
    expect(received.filter((r) => r.url === '/hook')).toHaveLength(5);
    expect(n.deliveries()).toHaveLength(6);
    expect(events.filter((e) => e.delivery.channelId === 'dead').map((e) => e.delivery.status)).toEqual([
      'queued',
      'retrying',
      'retrying',
      'retrying',
      'retrying',
      'failed',
    ]);
  });

  it('retries SMS only for the recipients that were not reached', async () => {
    const n = start({ channels: [smsChannel('sms', '')] });
    smsDownFor = '+819033334444';
    try {
      n.send({ ...incident, channels: ['sms'] });
      await n.idle();
      const first = n.deliveries()[0]!;
      expect(first).toMatchObject({ status: 'retrying', attempts: 1 });
      expect(first.lastError).toContain('1 of 2 recipients failed (1 reached)');
      expect(first.lastError).toContain('HTTP 503 busy');
      smsDownFor = null;
      clock.advance(BACKOFF_MS[0]!);
      n.tick();
      await n.idle();
    } finally {
      smsDownFor = null;
    }
    expect(n.deliveries()[0]).toMatchObject({ status: 'sent', attempts: 2 });
    const to = received.map((r) => new URLSearchParams(r.body).get('To'));
    expect(to.filter((t) => t === '+819011112222')).toHaveLength(1);
    expect(to.filter((t) => t === '+819033334444')).toHaveLength(2);
  });

  it('times out a receiver that never answers, HTTP and SMTP alike', async () => {
    const n = start({
      channels: [
        { id: 'slow-hook', type: 'webhook', url: `${httpBase}/slow` },
        emailChannel('silent-mail', silentPort),
      ],
      timeout: '300ms',
      maxAttempts: 1,
    });
    n.send({ ...incident, channels: ['slow-hook', 'silent-mail'] });
    await n.idle();
    const byChannel = Object.fromEntries(n.deliveries().map((d) => [d.channelId, d]));
    expect(byChannel['slow-hook']).toMatchObject({ status: 'failed' });
    expect(byChannel['slow-hook']?.lastError).toContain('no answer within 300 ms');
    expect(byChannel['silent-mail']).toMatchObject({ status: 'failed' });
    expect(byChannel['silent-mail']?.lastError).toMatch(/SMTP 127\.0\.0\.1:\d+: .*(timeout|no answer)/i);
  });

  it('does not retry a receiver that refuses the message (HTTP 4xx, SMTP 5xx)', async () => {
    const n = start({
      channels: [
        { id: 'gone', type: 'webhook', url: `${httpBase}/gone` },
        emailChannel('bad-login', smtpPort, 'WRONG_SMTP_PASSWORD'),
      ],
    });
    n.send({ ...incident, channels: ['gone', 'bad-login'] });
    await n.idle();
    const byChannel = Object.fromEntries(n.deliveries().map((d) => [d.channelId, d]));
    expect(byChannel.gone).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastError: `POST 127.0.0.1:${new URL(httpBase).port}: HTTP 404 no_service`,
    });
    expect(byChannel['bad-login']).toMatchObject({ status: 'failed', attempts: 1 });
    expect(byChannel['bad-login']?.lastError).toContain('535');
    expect(byChannel['bad-login']?.lastError).toContain('[masked]');
    expect(mails).toHaveLength(0);
    expectNoSecrets(everythingRecorded());
  });

  it('never records secrets, even when a receiver echoes them back', async () => {
    const n = start(
      {
        channels: [
          { id: 'slack', type: 'slack', webhookUrl: '${env:SLACK_WEBHOOK_URL}' },
          smsChannel('sms', '/echo'),
          {
            id: 'hook',
            type: 'webhook',
            url: `${httpBase}/echo/in?token=\${env:HOOK_TOKEN}`,
            headers: { Authorization: 'Bearer ${env:HOOK_TOKEN}' },
          },
        ],
      },
      '/echo',
    );
    n.send({ ...incident, channels: ['slack', 'sms', 'hook'] });
    await n.idle();
    // The receivers did get the secrets (so the echo really contained them)...
    expect(received.some((r) => r.url.includes(SLACK_SECRET))).toBe(true);
    expect(received.some((r) => r.headers.authorization === `Basic ${TWILIO_BASIC}`)).toBe(true);
    expect(received.some((r) => r.url.includes(HOOK_TOKEN))).toBe(true);
    // ...and their 500 replies were recorded masked.
    const all = n.deliveries();
    expect(all).toHaveLength(3);
    for (const d of all) {
      expect(d.status).toBe('retrying');
      expect(d.lastError).toContain('HTTP 500 cannot deliver');
      expect(d.lastError).toContain('[masked]');
    }
    expectNoSecrets(everythingRecorded());
  });

  it('test() sends a real test message and reports the outcome', async () => {
    const n = start({
      channels: [{ id: 'slack', type: 'slack', webhookUrl: '${env:SLACK_WEBHOOK_URL}', enabled: false }],
    });
    const result = await n.test('slack');
    expect(result).toMatchObject({ kind: 'test', status: 'sent', attempts: 1 });
    const body = JSON.parse(received.at(-1)?.body ?? '{}') as { text: string };
    expect(body.text).toBe(':information_source: INFO: Nexus Ops test notification [test]');
  });
});

/**
 * The weekly report (TASK-003: 週次レポート, Monday 09:00) written to the reports folder and its summary
 * mailed through the real notify capability's e-mail channel to a real SMTP receiver on 127.0.0.1.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/core/clock/index.js';
import { schemaMigrations } from '../../electron/core/index.js';
import {
  createMaintenanceCapability,
  type MaintenanceCapability,
} from '../../electron/core/maintenance/index.js';
import { createNotifyCapability } from '../../electron/core/notify/index.js';
import { createPlatform } from '../../electron/core/platform/index.js';
import type { RunView } from '../../shared/api/maintenance.js';
import { type Harness, maintenanceHarness, removeDir } from '../helpers/maintenance-harness.js';

const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

interface Mail {
  from: string;
  to: string[];
  raw: string;
}

async function smtpReceiver(): Promise<{ port: number; mails: Mail[] }> {
  const mails: Mail[] = [];
  const smtp = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString(),
        });
        callback();
      });
    },
  });
  const port = await new Promise<number>((resolve) => {
    smtp.listen(0, '127.0.0.1', () => resolve((smtp.server.address() as AddressInfo).port));
  });
  cleanup.push(() => new Promise<void>((r) => smtp.close(() => r())));
  return { port, mails };
}

/** Unfolded headers, RFC 2047 words decoded, and the text/plain part decoded. */
function readMail(raw: string): { subject: string; text: string } {
  const [head = '', ...rest] = raw.split(/\r\n\r\n/);
  const headers = head.replace(/\r\n[ \t]+/g, ' ');
  const header = (name: string) => new RegExp(`^${name}: (.*)$`, 'mi').exec(headers)?.[1] ?? '';
  const words = (s: string) =>
    s
      .replace(/\?=\s+=\?/g, '?==?')
      .replace(/=\?utf-8\?([bq])\?([^?]*)\?=/gi, (_m, enc: string, data: string) =>
        enc.toLowerCase() === 'b'
          ? Buffer.from(data, 'base64').toString('utf8')
          : Buffer.from(
              data
                .replace(/_/g, ' ')
                .replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
              'latin1',
            ).toString('utf8'),
      );
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
  return { subject: words(header('Subject')), text: text.replace(/\r\n/g, '\n') };
}

async function runJob(h: Harness, cap: MaintenanceCapability, jobId: string): Promise<RunView> {
  const { runId } = (await cap.handlers['maintenance.run']!({ jobId })) as { runId: string };
  const until = Date.now() + 60_000;
  for (;;) {
    const run = h.events
      .flatMap((e) =>
        e.type === 'maintenance.run' && e.run.id === runId && e.run.status !== 'running' ? [e.run] : [],
      )
      .at(-1);
    if (run) return run;
    if (Date.now() > until) throw new Error(`run of ${jobId} did not finish`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('weekly report by e-mail', () => {
  it('writes the HTML report and mails its summary through a real SMTP receiver', async () => {
    const receiver = await smtpReceiver();
    // Monday 09:00 in Tokyo, the shipped slot.
    const clock = new ManualClock(Date.parse('2026-03-09T09:00:00+09:00'));
    const h = maintenanceHarness(clock, {
      ui: { locale: 'ja' },
      notify: {
        channels: [
          {
            id: 'email-management',
            type: 'email',
            host: '127.0.0.1',
            port: receiver.port,
            from: 'nexus-ops@example.com',
            to: ['ops@company.com', 'admin@company.com'],
          },
        ],
      },
      maintenance: {
        jobs: [
          { id: 'weekly-report', kind: 'builtin', task: 'weekly-report', schedule: '0 9 * * 1' },
          {
            id: 'flaky',
            kind: 'command',
            command: process.execPath,
            args: ['-e', 'process.exit(3)'],
            schedule: '0 5 * * *',
          },
        ],
        report: { mailChannels: ['email-management'] },
      },
    });
    cleanup.push(() => {
      h.close();
      removeDir(h.dir);
    });
    const notify = createNotifyCapability(h.ctx, { desktop: { notify() {} } as never });
    const cap = createMaintenanceCapability(h.ctx, {
      platform: createPlatform(),
      jobs: h.runner,
      notifier: notify.notifier,
      migrations: schemaMigrations,
    });
    for (const job of cap.jobs ?? []) h.runner.add(job);

    // Two failed job runs in the week the report covers.
    clock.advance(-2 * 86_400_000);
    expect((await runJob(h, cap, 'flaky')).status).toBe('failed');
    clock.advance(86_400_000);
    expect((await runJob(h, cap, 'flaky')).status).toBe('failed');
    clock.advance(86_400_000);

    const run = await runJob(h, cap, 'weekly-report');
    expect(run.status).toBe('ok');
    expect(run.output).toMatch(/summary sent to email-management/);
    const file = /written (.+\.html)/.exec(run.output)?.[1];
    expect(file && existsSync(file)).toBe(true);
    expect(file).toBe(join(h.dir, 'reports', 'weekly-20260309.html'));
    const html = readFileSync(file!, 'utf8');
    expect(html).toMatch(/<svg/);
    expect(html).not.toMatch(/<script/i);

    await notify.notifier.idle();
    expect(receiver.mails).toHaveLength(1);
    const mail = receiver.mails[0]!;
    expect(mail.from).toBe('nexus-ops@example.com');
    expect(mail.to.sort()).toEqual(['admin@company.com', 'ops@company.com']);
    const { subject, text } = readMail(mail.raw);
    expect(subject).toContain('週次運用レポート weekly-20260309');
    expect(text).toContain('failed job runs: 2');
    expect(text).toContain('emergency stops: 0');
    expect(text).toContain(`report: ${file}`);
    const deliveries = notify.notifier.deliveries().filter((d) => d.channelId === 'email-management');
    expect(deliveries.map((d) => d.status)).toEqual(['sent']);
  }, 60_000);
});

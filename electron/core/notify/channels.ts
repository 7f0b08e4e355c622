import nodemailer from 'nodemailer';
import type { ChannelConfig } from '../../../shared/config/notify.js';
import {
  desktopNotification,
  emailHtml,
  emailSubject,
  emailText,
  type Outgoing,
  slackPayload,
  smsBody,
  webhookPayload,
} from './format.js';
import type { DesktopNotifyPort } from './types.js';

/** A failed attempt. `permanent` ends retries (HTTP 4xx, SMTP 5xx, missing secret). */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly retryAfterMs?: number,
    /** Recipients still to reach (SMS), when some of them already got the message. */
    readonly pendingTo?: string[],
  ) {
    super(message);
  }
}

export interface SendContext {
  outgoing: Outgoing;
  timeoutMs: number;
  fetchImpl: typeof fetch;
  desktop: DesktopNotifyPort;
  /** Recipients still to reach; null means all of the channel's recipients. */
  pendingTo: string[] | null;
}

/** Secret values of a resolved channel, to be scrubbed from anything we record. */
export function secretValues(ch: ChannelConfig): string[] {
  const out: string[] = [];
  const addUrl = (url: string) => {
    out.push(url);
    try {
      const u = new URL(url);
      if (u.pathname.length > 8) out.push(u.pathname);
      if (u.search.length > 1) out.push(u.search.slice(1));
    } catch {
      // not a URL: the whole value is already listed
    }
  };
  switch (ch.type) {
    case 'slack':
      addUrl(ch.webhookUrl);
      break;
    case 'webhook':
      addUrl(ch.url);
      out.push(...Object.values(ch.headers));
      break;
    case 'email':
      if (ch.password) out.push(ch.password);
      break;
    case 'sms':
      out.push(ch.authToken, Buffer.from(`${ch.accountSid}:${ch.authToken}`).toString('base64'));
      break;
    case 'desktop':
      break;
  }
  return out.filter((s) => s.length > 0);
}

/** Sends one message on one channel whose `${env:...}` references are already resolved. */
export async function deliver(ch: ChannelConfig, ctx: SendContext): Promise<void> {
  switch (ch.type) {
    case 'desktop':
      try {
        ctx.desktop.notify(desktopNotification(ctx.outgoing));
      } catch (err) {
        throw new DeliveryError(`desktop notification failed: ${errorText(err)}`, false);
      }
      return;
    case 'slack':
      await postHttp(ctx, ch.webhookUrl, { 'content-type': 'application/json' }, () =>
        JSON.stringify(slackPayload(ctx.outgoing, ch.mention)),
      );
      return;
    case 'webhook':
      await postHttp(ctx, ch.url, { ...ch.headers, 'content-type': 'application/json' }, () =>
        JSON.stringify(webhookPayload(ctx.outgoing)),
      );
      return;
    case 'sms':
      await sendSms(ch, ctx);
      return;
    case 'email':
      await sendEmail(ch, ctx);
      return;
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'invalid URL';
  }
}

function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds, 3600) * 1000 : undefined;
}

async function postHttp(
  ctx: SendContext,
  url: string,
  headers: Record<string, string>,
  body: () => string,
): Promise<void> {
  const where = `POST ${hostOf(url)}`;
  let res: Response;
  try {
    res = await ctx.fetchImpl(url, {
      method: 'POST',
      headers,
      body: body(),
      signal: AbortSignal.timeout(ctx.timeoutMs),
    });
  } catch (err) {
    if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
      throw new DeliveryError(`${where}: no answer within ${ctx.timeoutMs} ms`, false);
    }
    throw new DeliveryError(`${where}: ${errorText(err)}`, false);
  }
  let text = '';
  try {
    text = await res.text();
  } catch {
    // the body timed out or broke; the status line is what matters
  }
  if (res.ok) return;
  // 408 and 429 are worth retrying; other 4xx (bad token, unknown channel, bad number) are not.
  const permanent = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
  const detail = text.replace(/\s+/g, ' ').trim().slice(0, 300);
  throw new DeliveryError(
    `${where}: HTTP ${res.status}${detail ? ` ${detail}` : ''}`,
    permanent,
    parseRetryAfter(res.headers.get('retry-after')),
  );
}

/** Twilio's Messages API shape: one form-encoded POST per recipient, HTTP Basic accountSid:authToken. */
async function sendSms(ch: Extract<ChannelConfig, { type: 'sms' }>, ctx: SendContext): Promise<void> {
  const url = ch.url.replace('{accountSid}', encodeURIComponent(ch.accountSid));
  const authorization = `Basic ${Buffer.from(`${ch.accountSid}:${ch.authToken}`).toString('base64')}`;
  const recipients = ctx.pendingTo ?? ch.to;
  const text = smsBody(ctx.outgoing);
  const results = await Promise.allSettled(
    recipients.map((to) =>
      postHttp(ctx, url, { 'content-type': 'application/x-www-form-urlencoded', authorization }, () =>
        new URLSearchParams({ To: to, From: ch.from, Body: text }).toString(),
      ),
    ),
  );
  const failed: { to: string; err: DeliveryError }[] = [];
  results.forEach((r, i) => {
    if (r.status === 'rejected') {
      const err =
        r.reason instanceof DeliveryError ? r.reason : new DeliveryError(errorText(r.reason), false);
      failed.push({ to: recipients[i]!, err });
    }
  });
  if (failed.length === 0) return;
  const reached = recipients.length - failed.length;
  const message = `${failed.length} of ${recipients.length} recipients failed (${reached} reached): ${failed
    .map((f) => f.err.message)
    .join('; ')}`;
  const retryAfter = Math.max(0, ...failed.map((f) => f.err.retryAfterMs ?? 0));
  throw new DeliveryError(
    message,
    failed.every((f) => f.err.permanent),
    retryAfter || undefined,
    failed.map((f) => f.to),
  );
}

interface SmtpError {
  message?: string;
  responseCode?: number;
  code?: string;
}

async function sendEmail(ch: Extract<ChannelConfig, { type: 'email' }>, ctx: SendContext): Promise<void> {
  const t = ctx.timeoutMs;
  const transport = nodemailer.createTransport({
    host: ch.host,
    port: ch.port,
    secure: ch.secure ?? ch.port === 465,
    requireTLS: ch.requireTls,
    auth: ch.user ? { user: ch.user, pass: ch.password ?? '' } : undefined,
    connectionTimeout: t,
    greetingTimeout: t,
    socketTimeout: t,
    dnsTimeout: t,
  });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DeliveryError(`SMTP ${ch.host}:${ch.port}: no answer within ${t} ms`, false)),
      t,
    );
  });
  try {
    const sending = transport.sendMail({
      from: ch.from,
      to: ctx.pendingTo ?? ch.to,
      subject: emailSubject(ctx.outgoing),
      text: emailText(ctx.outgoing),
      html: emailHtml(ctx.outgoing),
    });
    // After a time-out the conversation may still fail later; that outcome no longer matters.
    sending.catch(() => {});
    const info = await Promise.race([sending, deadline]);
    const rejected = (info.rejected ?? []).map(String);
    if (rejected.length > 0) {
      throw new DeliveryError(
        `SMTP ${ch.host}: recipients rejected: ${rejected.join(', ')}`,
        true,
        undefined,
        rejected,
      );
    }
  } catch (err) {
    if (err instanceof DeliveryError) throw err;
    const e = err as SmtpError;
    const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500;
    throw new DeliveryError(`SMTP ${ch.host}:${ch.port}: ${e.message ?? String(err)}`, permanent);
  } finally {
    clearTimeout(timer);
    transport.close();
  }
}

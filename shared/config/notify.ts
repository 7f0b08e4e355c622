import { z } from 'zod';

/**
 * The `notify:` section: where alerts, escalations and emergency-stop reports are delivered.
 *
 * Secret fields (webhook URLs, SMTP password, provider tokens, header values) may be written as
 * `${env:NAME}`; core resolves them from the environment at send time, so the YAML need not hold
 * secrets. Resolution of a missing variable fails that delivery with a clear message.
 */

export const notifySeverities = ['critical', 'warning', 'info'] as const;
export type NotifySeverity = (typeof notifySeverities)[number];

export const severityRank: Record<NotifySeverity, number> = { info: 0, warning: 1, critical: 2 };

/** True for a value holding `${env:NAME}`, alone or inside a string such as `https://host/${env:TOKEN}`. */
export function hasEnvRef(value: string): boolean {
  return value.includes('${env:');
}

const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** '30m' → 1 800 000. Throws on anything else (the schema validates first). */
export function parseDurationMs(text: string): number {
  const m = DURATION.exec(text.trim());
  if (!m) throw new Error(`bad duration "${text}" (use e.g. 30s, 10m, 2h)`);
  return Number(m[1]) * (UNIT_MS[m[2]!] ?? 0);
}

const duration = z.string().regex(DURATION, 'a duration such as 30s, 10m or 2h');

/** A plain http(s) URL, or a string with `${env:NAME}` to be resolved at send time. */
const urlOrEnv = z.string().refine((v) => hasEnvRef(v) || /^https?:\/\/[^\s]+$/.test(v), {
  message: 'an http(s) URL or ${env:NAME}',
});

const channelId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lower-case letters, digits, "-" and "_" (e.g. slack-ops)');

const channelBase = {
  id: channelId,
  enabled: z.boolean().default(true),
  /** Messages below this severity are recorded as suppressed on this channel, not sent. */
  minSeverity: z.enum(notifySeverities).default('info'),
  /** At most one message per window on this channel; the rest are recorded as rate_limited. */
  rateLimit: duration.optional(),
};

export const desktopChannelSchema = z.strictObject({
  ...channelBase,
  type: z.literal('desktop'),
});

export const slackChannelSchema = z.strictObject({
  ...channelBase,
  type: z.literal('slack'),
  /** Incoming webhook URL (https://hooks.slack.com/services/...): a secret, use ${env:NAME}. */
  webhookUrl: urlOrEnv,
  /** Prefixed to critical messages, as in the documents' format. '' for none. */
  mention: z.string().default('@channel'),
});

export const emailChannelSchema = z.strictObject({
  ...channelBase,
  type: z.literal('email'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(587),
  /** TLS from the first byte (port 465). Otherwise STARTTLS is used when the server offers it. */
  secure: z.boolean().optional(),
  /** Refuse to send when the server does not offer STARTTLS. */
  requireTls: z.boolean().default(false),
  user: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  from: z.string().min(3),
  to: z.array(z.string().regex(/^[^\s@]+@[^\s@]+$/, 'an e-mail address')).min(1),
});

export const webhookChannelSchema = z.strictObject({
  ...channelBase,
  type: z.literal('webhook'),
  url: urlOrEnv,
  /** Extra request headers, e.g. Authorization: "Bearer ${env:HOOK_TOKEN}". Values are treated as secrets. */
  headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, 'a header name'), z.string()).default({}),
});

export const TWILIO_MESSAGES_URL = 'https://api.twilio.com/2010-04-01/Accounts/{accountSid}/Messages.json';

/** The documents: SMS at most every 30 minutes (sms_emergency.rate_limiting: "30分間隔"). */
export const SMS_DEFAULT_RATE_LIMIT = '30m';

export const smsChannelSchema = z.strictObject({
  ...channelBase,
  type: z.literal('sms'),
  rateLimit: duration.default(SMS_DEFAULT_RATE_LIMIT),
  /** Provider endpoint with Twilio's request shape; `{accountSid}` is replaced at send time. */
  url: urlOrEnv.default(TWILIO_MESSAGES_URL),
  accountSid: z.string().min(1),
  authToken: z.string().min(1),
  from: z.string().min(1),
  to: z.array(z.string().min(3)).min(1),
});

export const channelSchema = z.discriminatedUnion('type', [
  desktopChannelSchema,
  slackChannelSchema,
  emailChannelSchema,
  webhookChannelSchema,
  smsChannelSchema,
]);

export const notifyConfigSchema = z
  .strictObject({
    channels: z.array(channelSchema).default([]),
    /** Attempts per message and channel (first try included) before it is recorded as failed. */
    maxAttempts: z.number().int().min(1).max(20).default(5),
    /** Time-out of one HTTP request or SMTP conversation. */
    timeout: duration.default('10s'),
    /**
     * Where people open the dashboard (ends with "/"); alert messages link to the alert there. Default
     * `http://127.0.0.1:<server.port>/` (the PC itself).
     */
    dashboardUrl: z.url().optional(),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.channels.forEach((ch, i) => {
      if (seen.has(ch.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['channels', i, 'id'],
          message: `duplicate channel id "${ch.id}"`,
        });
      }
      seen.add(ch.id);
    });
  });

export type NotifyConfig = z.infer<typeof notifyConfigSchema>;
export type NotifyConfigInput = z.input<typeof notifyConfigSchema>;
export type ChannelConfig = z.infer<typeof channelSchema>;
export type ChannelType = ChannelConfig['type'];

/**
 * Keys whose values are secrets wherever they appear in the notify section (for redactConfig). `url`
 * covers generic webhooks (Zapier, Teams and the like carry their token in the URL) and a custom SMS
 * endpoint; the default SMS endpoint is in NOTIFY_PUBLIC_VALUES.
 */
export const NOTIFY_SECRET_KEYS = ['webhookUrl', 'url', 'password', 'authToken', 'headers'] as const;

/**
 * Values under a secret key that hold nothing secret and are worth showing as they are: the Twilio
 * endpoint template (`{accountSid}` is filled in only at send time).
 */
export const NOTIFY_PUBLIC_VALUES: readonly string[] = [TWILIO_MESSAGES_URL];

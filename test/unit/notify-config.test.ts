import { describe, expect, it } from 'vitest';
import { MASK, redactConfig } from '../../electron/core/secrets/index.js';
import {
  NOTIFY_PUBLIC_VALUES,
  NOTIFY_SECRET_KEYS,
  notifyConfigSchema,
  parseDurationMs,
  TWILIO_MESSAGES_URL,
} from '../../shared/config/notify.js';

describe('notify config schema', () => {
  it('fills defaults: SMS 30 min rate limit and the Twilio endpoint, 5 attempts, 10 s time-out', () => {
    const cfg = notifyConfigSchema.parse({
      channels: [
        { id: 'desktop', type: 'desktop' },
        {
          id: 'sms-oncall',
          type: 'sms',
          accountSid: '${env:TWILIO_ACCOUNT_SID}',
          authToken: '${env:TWILIO_AUTH_TOKEN}',
          from: '+15005550006',
          to: ['+819012345678'],
        },
      ],
    });
    expect(cfg.maxAttempts).toBe(5);
    expect(cfg.timeout).toBe('10s');
    expect(cfg.channels[0]).toEqual({ id: 'desktop', type: 'desktop', enabled: true, minSeverity: 'info' });
    const sms = cfg.channels[1];
    expect(sms?.type).toBe('sms');
    if (sms?.type !== 'sms') throw new Error('unreachable');
    expect(sms.rateLimit).toBe('30m');
    expect(sms.url).toBe(TWILIO_MESSAGES_URL);
    expect(parseDurationMs(sms.rateLimit)).toBe(30 * 60_000);
  });

  it('defaults the Slack mention to @channel and accepts ${env:...} for the webhook URL', () => {
    const cfg = notifyConfigSchema.parse({
      channels: [{ id: 'slack', type: 'slack', webhookUrl: '${env:SLACK_WEBHOOK_URL}' }],
    });
    expect(cfg.channels[0]).toMatchObject({ mention: '@channel', webhookUrl: '${env:SLACK_WEBHOOK_URL}' });
  });

  it('rejects bad input with the path of the problem', () => {
    const cases: [unknown, string][] = [
      [{ channels: [{ id: 'slack', type: 'slack', webhookUrl: 'not a url' }] }, 'channels.0.webhookUrl'],
      [{ channels: [{ id: 'x', type: 'pager' }] }, 'channels.0.type'],
      [{ channels: [{ id: 'd', type: 'desktop', rateLimit: '30 minutes' }] }, 'channels.0.rateLimit'],
      [{ channels: [{ id: 'Bad Id', type: 'desktop' }] }, 'channels.0.id'],
      [{ channels: [{ id: 'd', type: 'desktop', colour: 'red' }] }, 'channels.0'],
      [{ channels: [{ id: 'm', type: 'email', host: 'h', from: 'a@b', to: ['nobody'] }] }, 'channels.0.to.0'],
      [
        {
          channels: [
            { id: 'd', type: 'desktop' },
            { id: 'd', type: 'desktop' },
          ],
        },
        'channels.1.id',
      ],
    ];
    for (const [input, path] of cases) {
      const r = notifyConfigSchema.safeParse(input);
      expect(r.success, JSON.stringify(input)).toBe(false);
      const paths = r.error?.issues.map((i) => i.path.join('.')) ?? [];
      expect(paths, JSON.stringify(input)).toContain(path);
    }
  });

  it('parses durations', () => {
    expect(parseDurationMs('500ms')).toBe(500);
    expect(parseDurationMs('10s')).toBe(10_000);
    expect(parseDurationMs('2h')).toBe(7_200_000);
    expect(() => parseDurationMs('soon')).toThrow('bad duration');
  });
});

describe('notify config display (redactConfig with NOTIFY_SECRET_KEYS)', () => {
  const cfg = notifyConfigSchema.parse({
    channels: [
      { id: 'zapier', type: 'webhook', url: 'https://hooks.zapier.com/hooks/catch/123456/abcdef/' },
      { id: 'teams', type: 'webhook', url: 'https://contoso.webhook.office.com/webhookb2/0a1b2c3d@4e5f' },
      { id: 'hook-env', type: 'webhook', url: '${env:HOOK_URL}' },
      {
        id: 'sms-default',
        type: 'sms',
        accountSid: '${env:TWILIO_ACCOUNT_SID}',
        authToken: '${env:TWILIO_AUTH_TOKEN}',
        from: '+15005550006',
        to: ['+819012345678'],
      },
      {
        id: 'sms-gateway',
        type: 'sms',
        url: 'https://sms.example.jp/send/k3y-in-path',
        accountSid: 'AC1',
        authToken: 'token-value-here',
        from: '+15005550006',
        to: ['+819012345678'],
      },
    ],
  });
  const shown = (id: string) =>
    redactConfig(
      cfg.channels.find((c) => c.id === id),
      NOTIFY_SECRET_KEYS,
      NOTIFY_PUBLIC_VALUES,
    ) as Record<string, unknown>;

  it('never shows a generic webhook URL in clear, only its origin', () => {
    expect(shown('zapier').url).toBe(`https://hooks.zapier.com/…${MASK}`);
    expect(shown('teams').url).toBe(`https://contoso.webhook.office.com/…${MASK}`);
    expect(JSON.stringify(shown('teams'))).not.toContain('0a1b2c3d');
    expect(shown('hook-env').url).toBe('${env:HOOK_URL}');
  });

  it("shows the SMS provider's default endpoint template, and masks a custom one", () => {
    expect(shown('sms-default').url).toBe(TWILIO_MESSAGES_URL);
    expect(shown('sms-gateway').url).toBe(`https://sms.example.jp/…${MASK}`);
    expect(shown('sms-gateway').authToken).toBe(`tok…${MASK}`);
  });
});

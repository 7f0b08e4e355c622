import { describe, expect, it } from 'vitest';
import {
  MASK,
  MissingEnvError,
  maskKnown,
  maskSecrets,
  maskValue,
  redactConfig,
  resolveEnvRefs,
  resolveEnvRefsDeep,
} from '../../electron/core/secrets/index.js';

const GEMINI_KEY = 'AIzaSyA1234567890abcdefghijklmnopqrstuv';
const TWILIO_TOKEN = '0123456789abcdef0123456789abcdef';

describe('maskSecrets on command lines', () => {
  it('masks a python --api-key=... and keeps the rest readable', () => {
    const line = `C:\\Python312\\python.exe -u reply_bot\\multi_main.py --api-key=${GEMINI_KEY} --log-level INFO`;
    expect(maskSecrets(line)).toBe(
      `C:\\Python312\\python.exe -u reply_bot\\multi_main.py --api-key=${MASK} --log-level INFO`,
    );
  });

  it('masks a flag whose value follows after a space', () => {
    expect(maskSecrets('python3 main.py --api-key sk-proj-abcdefghijklmnopqrstuvwxyz0123 --dry-run')).toBe(
      `python3 main.py --api-key ${MASK} --dry-run`,
    );
    expect(maskSecrets('mysql --user=root --password hunter2 db')).toBe(
      `mysql --user=root --password ${MASK} db`,
    );
  });

  it('leaves a real Chrome command line untouched', () => {
    const chrome =
      '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=renderer ' +
      '--user-data-dir="C:\\bots\\TwitterBot_Nexus_02\\chrome_profiles\\account_07" --lang=ja ' +
      '--password-store=basic --remote-debugging-port=9222 --disable-features=Translate,OptimizationHints ' +
      '--field-trial-handle=3,i,12345678901234567,9876543210987654321,262144 --mojo-platform-channel-handle=2864 /prefetch:1';
    expect(maskSecrets(chrome)).toBe(chrome);
  });

  it('leaves a tsx bot command line untouched', () => {
    const line =
      'node C:\\bots\\x\\node_modules\\tsx\\dist\\cli.mjs src/index.ts --config=config/prod.yaml --max_tokens=1000';
    expect(maskSecrets(line)).toBe(line);
  });

  it('masks Windows-style switches /name:value and /name=value', () => {
    expect(maskSecrets('net use Z: \\\\srv\\share /user:bot /password:hunter2 /persistent:no')).toBe(
      `net use Z: \\\\srv\\share /user:bot /password:${MASK} /persistent:no`,
    );
    expect(maskSecrets('C:\\bots\\sync.exe /token=abc /apikey:"s3cr3t value" /verbose')).toBe(
      `C:\\bots\\sync.exe /token=${MASK} /apikey:"${MASK}" /verbose`,
    );
    expect(maskSecrets('tool.exe /user=bot /pwd=pw1 /auth:xyz /config:prod.yaml')).toBe(
      `tool.exe /user=bot /pwd=${MASK} /auth:${MASK} /config:prod.yaml`,
    );
  });

  it('keeps paths and harmless switches readable', () => {
    const line = 'robocopy C:\\data /token/dir D:\\backup /MIR /LOG:C:\\logs\\copy.log /prefetch:1';
    expect(maskSecrets(line)).toBe(line);
  });

  it('masks environment-style assignments by name, not by look', () => {
    expect(maskSecrets(`GEMINI_API_KEY=abc TWILIO_AUTH_TOKEN=xyz DB_PASS=p LOG_LEVEL=INFO bypass=1`)).toBe(
      `GEMINI_API_KEY=${MASK} TWILIO_AUTH_TOKEN=${MASK} DB_PASS=${MASK} LOG_LEVEL=INFO bypass=1`,
    );
  });
});

describe('maskSecrets on URLs, headers and messages', () => {
  it('masks URL credentials and query tokens', () => {
    expect(maskSecrets('https://user:hunter2@example.com/x?token=abc123&page=2')).toBe(
      `https://user:${MASK}@example.com/x?token=${MASK}&page=2`,
    );
    expect(maskSecrets('GET /v1/models?key=AIzaXYZ&alt=json')).toBe(`GET /v1/models?key=${MASK}&alt=json`);
  });

  it('masks Slack webhook paths', () => {
    expect(
      maskSecrets('POST https://hooks.slack.com/services/T0AB12CD/B0EF34GH/abcdEFGHijklMNOPqrstUVWX failed'),
    ).toBe(`POST https://hooks.slack.com/services/${MASK} failed`);
  });

  it('masks Bearer and Basic credentials but not the words', () => {
    expect(maskSecrets('Authorization: Bearer eyJhbGciOi.abc.def')).not.toContain('eyJhbGciOi');
    expect(maskSecrets('Basic authentication failed; got Basic dXNlcjpwYXNzd29yZA==')).toBe(
      `Basic authentication failed; got Basic ${MASK}`,
    );
  });

  it('masks JSON and header forms', () => {
    expect(maskSecrets('{"password":"p@ss w0rd","user":"bob"}')).toBe(`{"password":"${MASK}","user":"bob"}`);
    expect(maskSecrets('X-Api-Key: abcdef')).toBe(`X-Api-Key: ${MASK}`);
  });

  it('masks known token shapes and long hex anywhere, but not hashes inside paths', () => {
    expect(maskSecrets(`key ${GEMINI_KEY} rejected`)).toBe(`key ${MASK} rejected`);
    expect(maskSecrets(`auth token ${TWILIO_TOKEN} rejected`)).toBe(`auth token ${MASK} rejected`);
    expect(maskSecrets('slack xoxb-1234567890-abcdefghij')).toBe(`slack ${MASK}`);
    const path = '/var/cache/3f786850e387550fdab836ed7e6dc881de23001b/data.bin';
    expect(maskSecrets(path)).toBe(path);
  });

  it('masks long random-looking runs but not paths or identifiers', () => {
    expect(maskSecrets('oauth 1234567890-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789 ok')).toBe(
      `oauth 1234567890-${MASK} ok`,
    );
    const readable = [
      '/opt/TwitterBot_Nexus_02/src/data/current/state.yaml',
      '/echo/2010-04-01/Accounts/list/Messages/OptimizationGuideModelDownloading',
      'TwitterBot_Nexus_02-reply-bot-production-instance-01',
      '--enable-features=NetworkServiceInProcess2,OptimizationGuideModelDownloading',
    ];
    for (const text of readable) expect(maskSecrets(text)).toBe(text);
  });

  it('keeps plain text as it is', () => {
    const text = 'CPU usage 93% for 15 min on host BOT-PC-02 (threshold 90%)';
    expect(maskSecrets(text)).toBe(text);
    expect(maskSecrets('')).toBe('');
  });
});

describe('maskValue', () => {
  it('shows a recognisable prefix or the origin of a URL', () => {
    expect(maskValue('hooks-secret-value')).toBe(`hoo…${MASK}`);
    expect(maskValue('https://hooks.slack.com/services/T/B/X')).toBe(`https://hooks.slack.com/…${MASK}`);
    expect(maskValue('short')).toBe(MASK);
  });
});

describe('maskKnown', () => {
  it('removes exact secret values wherever they occur', () => {
    expect(maskKnown('server said: bad path /hook/s3cr3t-path-value', ['/hook/s3cr3t-path-value'])).toBe(
      `server said: bad path ${MASK}`,
    );
  });
});

describe('redactConfig', () => {
  it('masks secret keys, keeps env references readable, and masks secret-looking text elsewhere', () => {
    const cfg = {
      channels: [
        { id: 'slack', webhookUrl: 'https://hooks.slack.com/services/T1/B2/XYZ' },
        { id: 'mail', host: 'smtp.example.com', password: 'plain-password' },
        { id: 'sms', authToken: '${env:TWILIO_AUTH_TOKEN}' },
        {
          id: 'hook',
          url: 'https://example.com/in?token=abc',
          headers: { Authorization: 'Bearer abcdefghijkl' },
        },
      ],
    };
    const out = redactConfig(cfg, ['webhookUrl', 'password', 'authToken', 'headers']);
    expect(out.channels[0]).toEqual({ id: 'slack', webhookUrl: `https://hooks.slack.com/…${MASK}` });
    expect(out.channels[1]).toEqual({ id: 'mail', host: 'smtp.example.com', password: `pla…${MASK}` });
    expect(out.channels[2]).toEqual({ id: 'sms', authToken: '${env:TWILIO_AUTH_TOKEN}' });
    expect(out.channels[3]).toEqual({
      id: 'hook',
      url: `https://example.com/in?token=${MASK}`,
      headers: { Authorization: `Bea…${MASK}` },
    });
    expect(cfg.channels[1]).toHaveProperty('password', 'plain-password');
  });
});

describe('${env:NAME} resolution', () => {
  const env = { SLACK_URL: 'https://hooks.slack.com/services/T/B/X', TOKEN: 't0k', EMPTY: '' };

  it('resolves whole and embedded references', () => {
    expect(resolveEnvRefs('${env:SLACK_URL}', env)).toBe(env.SLACK_URL);
    expect(resolveEnvRefs('Bearer ${env:TOKEN}', env)).toBe('Bearer t0k');
    expect(resolveEnvRefs('no reference', env)).toBe('no reference');
  });

  it('fails on a missing or empty variable, naming it', () => {
    expect(() => resolveEnvRefs('${env:NOPE}', env)).toThrow(MissingEnvError);
    expect(() => resolveEnvRefs('${env:EMPTY}', env)).toThrow('environment variable EMPTY is not set');
  });

  it('resolves every string of a channel, nested ones included, without touching the original', () => {
    const ch = {
      id: 'h',
      url: '${env:SLACK_URL}',
      headers: { Authorization: 'Bearer ${env:TOKEN}' },
      to: ['a'],
    };
    expect(resolveEnvRefsDeep(ch, env)).toEqual({
      id: 'h',
      url: env.SLACK_URL,
      headers: { Authorization: 'Bearer t0k' },
      to: ['a'],
    });
    expect(ch.url).toBe('${env:SLACK_URL}');
  });
});

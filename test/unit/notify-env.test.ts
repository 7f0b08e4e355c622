import { describe, expect, it } from 'vitest';
import { missingEnvIssues } from '../../electron/core/notify/capability.js';
import { notifyConfigSchema } from '../../shared/config/notify.js';

describe('unset ${env:NAME} references', () => {
  const config = notifyConfigSchema.parse({
    channels: [
      { id: 'slack', type: 'slack', webhookUrl: '${env:SLACK_URL}' },
      { id: 'off', type: 'slack', enabled: false, webhookUrl: '${env:NEVER_SET}' },
      { id: 'hook', type: 'webhook', url: 'https://example.com/${env:HOOK_PATH}?k=${env:HOOK_KEY}' },
    ],
  });
  const locate = (path: readonly (string | number)[]) =>
    path[2] === 0 ? { line: 12, col: 19 } : path[2] === 2 ? { line: 20, col: 12 } : undefined;

  it('names each unset variable of an enabled channel with its place and the fix', () => {
    const issues = missingEnvIssues(config, { HOOK_PATH: 'x' }, '/data/config.yaml', locate);
    expect(issues.map((i) => [i.path, i.line, i.message.split(':')[0]])).toEqual([
      ['notify.channels.0.webhookUrl', 12, '${env'],
      ['notify.channels.2.url', 20, '${env'],
    ]);
    expect(issues[0]!.message).toMatch(/SLACK_URL\} is not set: set the environment variable SLACK_URL/);
    expect(issues[1]!.message).toMatch(/HOOK_KEY/);
  });

  it('says nothing once they are set, or for a disabled channel', () => {
    expect(missingEnvIssues(config, { SLACK_URL: 'u', HOOK_PATH: 'p', HOOK_KEY: 'k' }, 'c', locate)).toEqual(
      [],
    );
  });
});

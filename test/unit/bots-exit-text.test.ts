import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exitErrorText } from '../../renderer/src/pages/bots/exit-text.js';

const ja = JSON.parse(readFileSync('renderer/src/i18n/ja/bots.json', 'utf8')) as {
  exitError: Record<string, string>;
};
const t = (key: string, options?: Record<string, unknown>) =>
  (ja.exitError[key.replace('exitError.', '')] ?? key).replace('{{path}}', String(options?.path ?? ''));

describe("a run's exit reason in the operator's language", () => {
  it("puts the supervisor's own reasons in Japanese and leaves an OS message as it is", () => {
    expect(exitErrorText('the relay ended without recording the exit (killed?)', t)).toBe(
      ja.exitError.relayKilled,
    );
    expect(
      exitErrorText('the relay ended before starting the bot: see C:\\データ\\bots\\tax\\relay.log', t),
    ).toContain('C:\\データ\\bots\\tax\\relay.log');
    expect(exitErrorText('spawn pnpm ENOENT', t)).toBe('spawn pnpm ENOENT');
  });
});

/**
 * The `bots:` section: the two shipped presets (commented out in default.yaml) load as the real bots
 * run; the first form `bots: { folders }` still loads; the supervised defaults are PM2's numbers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { botsConfigSchema } from '../../shared/config/bots.js';
import { configSchema } from '../../shared/config/schema.js';

const defaultYaml = readFileSync(join(import.meta.dirname, '../../resources/config/default.yaml'), 'utf8');

/** default.yaml with the bot presets uncommented (the lines `#  - id:` … up to the next section). */
function uncommentedPresets(): string {
  const lines = defaultYaml.split('\n');
  const start = lines.indexOf('bots: []');
  expect(start).toBeGreaterThan(0);
  const out = [...lines];
  out[start] = 'bots:';
  for (let i = start + 1; i < lines.length && lines[i]!.startsWith('#'); i++) out[i] = lines[i]!.slice(1);
  return out.join('\n');
}

describe('bots config', () => {
  it('ships no bot enabled, and both presets load when uncommented', () => {
    expect(configSchema.parse(parse(defaultYaml)).bots).toEqual([]);
    const config = configSchema.parse(parse(uncommentedPresets()));
    const [tax, nexus] = config.bots;
    expect(tax).toMatchObject({
      id: 'tax',
      name: 'TradingAssistantX',
      root: 'C:\\bots\\TradingAssistantX',
      run: {
        mode: 'supervised',
        command: 'pnpm',
        args: ['start'],
        start: 'always',
        restart: { policy: 'on-failure', delayMs: 1000, maxDelayMs: 15000, resetAfterSeconds: 30 },
        stopGraceSeconds: 15,
        output: { maxSizeMB: 10, daily: true, retainFiles: 30, retainDays: 30 },
      },
    });
    expect(
      new RegExp(tax!.processes!.cmdline!, 'i').test(
        'node C:\\bots\\TradingAssistantX\\node_modules\\tsx\\dist\\cli.mjs src/main.ts',
      ),
    ).toBe(true);
    expect(
      new RegExp(tax!.processes!.cmdline!, 'i').test(
        'node C:\\x\\node_modules\\tsx\\dist\\cli.mjs src\\dev.ts --action post',
      ),
    ).toBe(true);
    expect(nexus).toMatchObject({
      id: 'nexus02',
      run: { mode: 'external', tasks: ['\\TwitterBot_Nexus_02'] },
      logs: [{ path: 'log/*.log', format: 'python', encoding: 'auto' }],
    });
    expect(
      new RegExp(nexus!.processes!.cmdline!, 'i').test(
        'python -m reply_bot.multi_main --config .\\config\\accounts_1.yaml --live-run',
      ),
    ).toBe(true);
  });

  it('still loads the first form, bots: { folders }, as external bots', () => {
    expect(
      botsConfigSchema.parse({ folders: ['C:\\bots\\TwitterBot_Nexus_02', '/srv/bots/tax'] }),
    ).toMatchObject([
      {
        id: 'TwitterBot_Nexus_02',
        root: 'C:\\bots\\TwitterBot_Nexus_02',
        run: { mode: 'external', tasks: [] },
      },
      { id: 'tax', root: '/srv/bots/tax', run: { mode: 'external' } },
    ]);
  });

  it('fills supervised defaults: PM2 numbers, 10 s stop grace, 10 MB daily capture kept 30 files / 30 days', () => {
    const [bot] = botsConfigSchema.parse([
      { id: 'b', root: '/b', run: { mode: 'supervised', command: 'python3' } },
    ]);
    expect(bot!.run).toEqual({
      mode: 'supervised',
      command: 'python3',
      args: [],
      env: {},
      start: 'always',
      restart: {
        policy: 'on-failure',
        delayMs: 1000,
        maxDelayMs: 15000,
        resetAfterSeconds: 30,
        minUptimeSeconds: 1,
        maxUnstableRestarts: 16,
      },
      stopGraceSeconds: 10,
      output: { maxSizeMB: 10, daily: true, retainFiles: 30, retainDays: 30 },
    });
  });

  it('names the place of a schedule without cron and of an unknown key', () => {
    const r = botsConfigSchema.safeParse([
      { id: 's', root: '/s', run: { mode: 'supervised', command: 'x', start: 'schedule' } },
      { id: 't', root: '/t', run: { mode: 'supervised', command: 'x', output: { maxSizeMb: 5 } } },
    ]);
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toContain('0.run.cron');
    expect(paths.some((p) => p.startsWith('1.run.output'))).toBe(true);
  });
});

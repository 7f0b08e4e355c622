/**
 * Automatic triggers are ordinary alert rules: a process rule with `action: emergency-stop` (here
 * "more than 2 bot-chrome processes", the shipped stop-chrome-runaway rule with a low threshold) fires
 * in the real alert engine and stops the fake Nexus 02 through the stop's rule action.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAlerts } from '../../electron/core/alerts/index.js';
import { systemClock } from '../../electron/core/clock/index.js';
import { createPlatform } from '../../electron/core/platform/index.js';
import type { Stop } from '../../electron/core/stop/index.js';
import { parseDefaultFamilies } from '../../shared/config/monitor.js';
import { seriesKey } from '../../shared/series.js';
import { createTestStop, openTestStore, scopedClassify } from '../fixtures/fake-bot/harness.js';
import { isAlive, startFakeBot, waitUntil } from '../fixtures/fake-bot/index.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('rule action emergency-stop', () => {
  it('a firing process rule stops the bots, recorded as source rule with the rule and alert ids', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'nexus-ops-stop-rule-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
    const bot = await startFakeBot({ browsers: 1 });
    cleanups.push(() => bot.cleanup());
    const store = openTestStore(dataDir);
    cleanups.push(() => store.close());

    let stop: Stop | undefined;
    const alerts = createAlerts({
      db: store.db,
      clock: systemClock,
      notifier: { send: () => {} },
      actions: { 'emergency-stop': (ctx) => stop!.ruleAction(ctx) },
    });
    const errors = alerts.setConfig({
      rules: [
        {
          id: 'stop-chrome-runaway',
          expr: 'proc.count{family="bot-chrome"} > 2',
          for: 0,
          severity: 'critical',
          action: 'emergency-stop',
        },
      ],
      maintenanceWindows: [],
    });
    expect(errors).toEqual([]);
    const t = createTestStop({ store, folders: [bot.folder], stop: { graceSeconds: 2 } });
    stop = t.stop;

    // The monitor's metric, counted with the same classifier the stop uses.
    const classify = scopedClassify(parseDefaultFamilies(), () => [bot.folder]);
    const chromes =
      classify(await createPlatform({ clock: systemClock }).processes.list()).get('bot-chrome') ?? [];
    expect(chromes.length).toBeGreaterThan(2);
    const labels = { family: 'bot-chrome' };
    alerts.evaluate([
      {
        key: seriesKey('proc.count', labels),
        name: 'proc.count',
        labels,
        ts: systemClock.now(),
        value: chromes.length,
      },
    ]);

    await waitUntil(() => t.stop.status().latest?.status === 'done', 'the rule-triggered stop', 30_000);
    const run = t.stop.status().latest!;
    expect(run).toMatchObject({
      source: 'rule',
      actor: 'rule:stop-chrome-runaway',
      ruleId: 'stop-chrome-runaway',
    });
    expect(run.alertId).toBe(alerts.active()[0]?.id);
    expect(isAlive(bot.runnerPid)).toBe(false);
    expect(alerts.active()[0]?.actionState).toBe('done');
  });
});

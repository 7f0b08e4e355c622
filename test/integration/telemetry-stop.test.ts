/**
 * The loop closed inside a real core (real SQLite file, the shipped rules, the real Linux platform):
 * Nexus 02 log records in their real format enter telemetry's door; 3 failures in a row raise the
 * warning, the 5th fires the shipped stop-consecutive-failures rule, whose action runs the real
 * emergency stop of the fake Nexus 02 (python3 + Chromium). The stop's record names the rule and the
 * value; telemetry's evidence for that alert names the five records.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertsCapability } from '../../electron/core/alerts/index.js';
import { type Core, createCore } from '../../electron/core/index.js';
import type { StopCapability } from '../../electron/core/stop/index.js';
import { recordsFromLogs, type TelemetryCapability } from '../../electron/core/telemetry/index.js';
import type { Evidence } from '../../shared/api/telemetry.js';
import { scopedFamiliesYaml } from '../fixtures/fake-bot/harness.js';
import { isAlive, startFakeBot, waitUntil } from '../fixtures/fake-bot/index.js';
import { formatAsctime, pythonLogRecords } from '../fixtures/telemetry/records.js';

const resourcesDir = resolve(import.meta.dirname, '..', '..', 'resources');
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function failures(from: number, n: number, start: number): ReturnType<typeof pythonLogRecords> {
  const lines: string[] = [];
  for (let i = 0; i < n; i++)
    lines.push(
      `${formatAsctime(start + i * 1000)} - WARNING - [acc1] [like] failed: 19660123456789${String(from + i).padStart(5, '0')}: Message: element click intercepted`,
    );
  return pythonLogRecords(lines.join('\n'), {
    bot: 'nexus02',
    source: 'log/acc1_20260105_100000.log',
    idPrefix: `rec-${from}-`,
  });
}

describe('automatic emergency stop from log records', () => {
  it('5 failures in a row stop the real bot; the stop names the rule and the value, the evidence the records', async () => {
    const bot = await startFakeBot({ browsers: 1 });
    cleanups.push(() => bot.cleanup());
    const dir = mkdtempSync(join(tmpdir(), 'nexus-ops-telemetry-stop-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
    const configFile = join(dir, 'config.yaml');
    writeFileSync(
      configFile,
      [
        'monitor:',
        '  liveIntervalSeconds: 1',
        scopedFamiliesYaml(bot.folder),
        'bots:',
        `  - id: nexus02`,
        `    root: ${JSON.stringify(bot.folder)}`,
        'stop:',
        '  graceSeconds: 2',
        '  verifySeconds: 2',
        'telemetry:',
        '  bots:',
        '    - bot: nexus02',
        '      packs: [nexus02]',
        '',
      ].join('\n'),
    );
    const logs: string[] = [];
    const core: Core = createCore({
      dataDir: dir,
      configFile,
      resourcesDir,
      mode: 'headless',
      version: 'test',
      logger: { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(`ERROR ${m}`) },
    });
    core.start();
    cleanups.push(() => core.close());
    expect(core.status().configIssues.filter((i) => i.severity !== 'notice')).toEqual([]);
    const telemetry = core.capabilities.get('telemetry') as TelemetryCapability;
    const alerts = (core.capabilities.get('alerts') as AlertsCapability).alerts;
    const stop = (core.capabilities.get('stop') as StopCapability).stop;

    const t0 = Date.now() - 60_000;
    // A success first: the streak starts from it.
    telemetry.ingest(
      recordsFromLogs(
        pythonLogRecords(`${formatAsctime(t0)} - INFO - [acc1] [like] success: 1966000000000000001`, {
          bot: 'nexus02',
          source: 'log/acc1_20260105_100000.log',
          idPrefix: 'ok-',
        }),
      ),
    );
    const first = failures(1, 3, t0 + 1000);
    telemetry.ingest(recordsFromLogs(first));
    await alerts.idle();
    const warning = alerts.active().find((a) => a.ruleId === 'consecutive-failures');
    expect(warning).toMatchObject({
      state: 'firing',
      severity: 'warning',
      value: 3,
      labels: { bot: 'nexus02' },
    });
    expect(stop.isStopped()).toBe(false);
    expect(isAlive(bot.runnerPid)).toBe(true);

    const rest = failures(4, 2, t0 + 4000);
    telemetry.ingest(recordsFromLogs(rest));
    await waitUntil(() => stop.status().latest?.status === 'done', 'the rule-triggered stop', 30_000);
    const run = stop.status().latest!;
    expect(run).toMatchObject({
      source: 'rule',
      ruleId: 'stop-consecutive-failures',
      actor: 'rule:stop-consecutive-failures',
    });
    expect(run.reason).toContain('連続5回失敗');
    expect(run.reason).toContain('nexus02 が 5 回連続で失敗しました');
    expect(isAlive(bot.runnerPid)).toBe(false);
    const fired = alerts.active().find((a) => a.ruleId === 'stop-consecutive-failures');
    expect(fired?.id).toBe(run.alertId);
    expect(stop.history(10)[0]?.ruleId).toBe('stop-consecutive-failures');

    // What the stop was based on: the value and the five failure records, by id and text.
    const reply = await core.dispatcher.call('telemetry.evidence', { alertId: run.alertId });
    expect(reply.ok).toBe(true);
    const evidence = (reply as { ok: true; value: Evidence }).value;
    expect(evidence.ruleId).toBe('stop-consecutive-failures');
    expect(evidence.facts[0]).toBe('bot.consecutive_failures{bot=nexus02} = 5');
    expect(evidence.records.map((r) => r.id)).toEqual([...first, ...rest].map((r) => r.id));
    expect(evidence.records[4]?.text).toContain('[acc1] [like] failed: 1966012345678900005');
    // The stop's own record names the values and the five records, in its result and its history.
    expect(run.evidence[0]).toBe('bot.consecutive_failures{bot=nexus02} = 5');
    for (const r of [...first, ...rest])
      expect(run.evidence.some((e) => e.startsWith(`log ${r.id} `))).toBe(true);
    expect(stop.history(10)[0]?.evidence).toEqual(run.evidence);

    // The dead-man's switch and the streak see the stop: a resume starts a new streak.
    await stop.resume({ actor: 'test', reason: 'checked the bot' });
    expect(telemetry.telemetry.kpiViews().find((k) => k.bot === 'nexus02')?.consecutiveFailures).toBe(0);
  }, 90_000);
});

/**
 * The whole pipeline from a bot's write to the emergency stop, with nothing fed by hand: two
 * bot-shaped python3 processes, each running from its folder under a parent whose path has a space
 * and Japanese characters, write log files in the real formats (Nexus 02's Python logging into its
 * per-run files, one of them cp932 as Python writes on Japanese Windows; TradingAssistantX's console
 * lines); a real core (createCore, SQLite file in a temp data dir, the bots' `logs:` and
 * `telemetry.bots` in its config) tails, parses and stores them, and telemetry reads what was stored.
 * The KPIs and the cost are checked against values computed from the lines written; the 5th failure in
 * a row in the file makes the shipped rule run the real emergency stop, which stops both writers and
 * keeps the rule, the value and the five records with its run.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertsCapability } from '../../electron/core/alerts/index.js';
import { type Core, createCore } from '../../electron/core/index.js';
import type { StopCapability } from '../../electron/core/stop/index.js';
import type { TelemetryCapability } from '../../electron/core/telemetry/index.js';
import { waitUntil } from '../fixtures/fake-bot/index.js';
import { type BotWriter, startBotWriter, WRITER_TZ } from '../fixtures/telemetry/bot-writer.js';
import { formatAsctime } from '../fixtures/telemetry/records.js';

const resourcesDir = resolve(import.meta.dirname, '..', '..', 'resources');
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** TwitterAPI.io's price per billed call (the shipped provider). */
const PRICE = 0.00015;
const CONSOLE = 'logs/console.log';

function yamlString(s: string): string {
  return JSON.stringify(s);
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('bot log file → tail → parse → telemetry → emergency stop', () => {
  it('KPIs and cost equal the lines written; the 5th failure in the file stops both bots with the rule and its evidence', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nexus-ops-telemetry-pipeline-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
    const parent = join(dir, 'ボット 置き場');
    const nexusRoot = join(parent, 'TwitterBot Nexus 02');
    const taxRoot = join(parent, 'Trading Assistant Ｘ');
    const dataDir = join(dir, 'app data');
    mkdirSync(dataDir, { recursive: true });

    const nexus: BotWriter = await startBotWriter(nexusRoot);
    cleanups.push(() => nexus.kill());
    const tax: BotWriter = await startBotWriter(taxRoot);
    cleanups.push(() => tax.kill());

    const configFile = join(dataDir, 'config.yaml');
    writeFileSync(
      configFile,
      [
        'monitor:',
        '  liveIntervalSeconds: 1',
        // Only this test's writers (their command lines name the parent folder) are the stop's to end.
        '  families:',
        '    - name: bot-runner',
        "      exe: 'python(?:\\d+(?:\\.\\d+)*)?'",
        `      cmdline: ${yamlString(escapeRegex(parent))}`,
        '      stopOnEmergency: true',
        'logs:',
        `  timezone: ${WRITER_TZ}`,
        'bots:',
        '  - id: nexus02',
        `    root: ${yamlString(nexusRoot)}`,
        '    logs:',
        "      - path: 'log/*.log'",
        '  - id: tax',
        `    root: ${yamlString(taxRoot)}`,
        '    logs:',
        "      - path: 'logs/console.log'",
        '        format: console',
        'stop:',
        '  graceSeconds: 2',
        '  verifySeconds: 2',
        'telemetry:',
        `  timezone: ${WRITER_TZ}`,
        '  bots:',
        '    - bot: nexus02',
        '      packs: [nexus02]',
        // Its runs from its per-run log files alone (no process signals here).
        "      deadMan: { schedule: { cron: '0 */2 * * *' }, runsFrom: [log] }",
        '    - bot: tax',
        '      packs: [tradingassistantx]',
        '',
      ].join('\n'),
    );
    const logs: string[] = [];
    const core: Core = createCore({
      dataDir,
      configFile,
      resourcesDir,
      mode: 'headless',
      version: 'test',
      logger: { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(`ERROR ${m}`) },
    });
    core.start();
    cleanups.push(() => core.close());
    expect(core.status().configIssues.filter((i) => i.severity !== 'notice')).toEqual([]);
    const telemetry = (core.capabilities.get('telemetry') as TelemetryCapability).telemetry;
    const alerts = (core.capabilities.get('alerts') as AlertsCapability).alerts;
    const stop = (core.capabilities.get('stop') as StopCapability).stop;
    const kpi = (bot: string) => telemetry.kpiViews().find((k) => k.bot === bot);

    // Nexus 02 names each account's file of a run with the run's start (local time, to the second).
    await new Promise((r) => setTimeout(r, 1010 - (Date.now() % 1000)));
    const runStart = Math.floor(Date.now() / 1000) * 1000;
    const stamp = formatAsctime(runStart).slice(0, 19).replace(/[-:]/g, '').replace(' ', '_');
    const ACC1 = `log/acc1_${stamp}.log`;
    const ACC2 = `log/acc2_${stamp}.log`;

    // What the bots write, and what it should come to (counted from these lines, not by telemetry).
    const nexusLines: { file: string; level: 'INFO' | 'WARNING'; message: string; cp932?: true }[] = [
      { file: ACC1, level: 'INFO', message: 'ヘッドレスモードでWebDriverを起動します。' },
      { file: ACC1, level: 'INFO', message: '[acc1] [like] target: 1966012345678901234' },
      { file: ACC1, level: 'INFO', message: '[acc1] [like] success: 1966012345678901234' },
      { file: ACC1, level: 'INFO', message: '[acc1] [like] success: 1966012345678902345' },
      { file: ACC2, level: 'INFO', message: '[acc2] [comment] success: 1966012345678903456', cp932: true },
      { file: ACC2, level: 'INFO', message: '現在のメモリ使用量: 212.5 MB', cp932: true },
    ];
    for (const l of nexusLines) await nexus.python(l.file, l.level, l.message, l.cp932 ? 'cp932' : 'utf-8');
    const successesWritten = nexusLines.filter((l) => / success: /.test(l.message)).length;
    await waitUntil(
      () => kpi('nexus02')?.successes === successesWritten && kpi('nexus02')?.memoryBytes !== null,
      'the successes and the memory line read from the files',
      20_000,
    );
    // The cp932 file really is cp932 (not UTF-8), and its Japanese line was decoded: the memory rule
    // matches 現在のメモリ使用量 only in the decoded text.
    const acc2Bytes = readFileSync(join(nexusRoot, ACC2));
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(acc2Bytes)).toThrow();
    expect(new TextDecoder('shift_jis').decode(acc2Bytes)).toContain('現在のメモリ使用量: 212.5 MB');
    expect(kpi('nexus02')?.memoryBytes).toBe(Math.round(212.5 * 1024 * 1024));
    expect(
      kpi('nexus02')
        ?.accounts.map((a) => a.account)
        .sort(),
    ).toEqual(['acc1', 'acc2']);
    expect(kpi('nexus02')?.consecutiveFailures).toBe(0);
    // The new per-run files started one run (the second account's file is the same run), at the time in
    // the first file's name.
    expect(telemetry.deadManState('nexus02')).toMatchObject({
      state: 'running',
      lastRun: { from: 'log', startedAt: runStart, finishedAt: null },
    });

    // TradingAssistantX: one workflow with its API answers (each answer a billed call).
    const taxLines = [
      '⚡ MainWorkflow実行開始 - ExecutionID: exec_1767560400004_post',
      '🌐 HTTP GET リクエスト: https://api.twitterapi.io/twitter/tweet/advanced_search?query=FX',
      '📡 レスポンス: 200 OK',
      '🌐 HTTP GET リクエスト: https://api.twitterapi.io/twitter/user/info?userName=ForexLive',
      '📡 レスポンス: 429 Too Many Requests',
      '🔄 Rate limit - リトライ 1/3 (4000ms後)',
      '🌐 HTTP GET リクエスト: https://api.twitterapi.io/twitter/user/info?userName=ForexLive',
      '📡 レスポンス: 200 OK',
      '📋 HTTP Response: {"status":"success","tweet_id":"1950597666943148435"}',
      '✅ MainWorkflow実行完了 - ExecutionID: exec_1767560400004_post - 実行時間: 7341ms - 結果: success',
    ];
    for (const line of taxLines) await tax.console(CONSOLE, line);
    const billed = taxLines.filter((l) => /^📡 レスポンス: \d{3}|^📋 HTTP Response: /.test(l)).length;
    const taxSuccesses = taxLines.filter((l) => l.includes('結果: success')).length;
    await waitUntil(
      () =>
        telemetry.costView().bots.find((b) => b.bot === 'tax')?.dayCalls === billed &&
        kpi('tax')?.successes === taxSuccesses,
      'the billed calls and the end of the workflow read from the console file',
      20_000,
    );
    const cost = telemetry.costView();
    const taxCost = cost.bots.find((b) => b.bot === 'tax');
    expect(taxCost?.dayCalls).toBe(billed);
    expect(taxCost?.dayUsd).toBeCloseTo(billed * PRICE, 9);
    expect(cost.day.spentUsd).toBeCloseTo(billed * PRICE, 9);
    expect(cost.bots.find((b) => b.bot === 'nexus02')?.dayCalls ?? 0).toBe(0);
    expect(kpi('tax')?.successes).toBe(taxSuccesses);
    expect(kpi('tax')?.counters.rateLimitAnswers).toBe(1);

    // Three failures in a row: the warning, no stop yet.
    const failure = (n: number) =>
      `[acc1] [like] failed: 19660123456789${String(n).padStart(5, '0')}: Message: element click intercepted`;
    for (let n = 1; n <= 3; n++) await nexus.python(ACC1, 'WARNING', failure(n));
    await waitUntil(() => kpi('nexus02')?.consecutiveFailures === 3, 'three failures from the file', 20_000);
    await alerts.idle();
    expect(alerts.active().find((a) => a.ruleId === 'consecutive-failures')).toMatchObject({
      state: 'firing',
      severity: 'warning',
      value: 3,
      labels: { bot: 'nexus02' },
    });
    expect(stop.isStopped()).toBe(false);
    expect(nexus.alive() && tax.alive()).toBe(true);
    // The successes still count (they are in the rate window); failures too.
    expect(kpi('nexus02')).toMatchObject({ successes: successesWritten, failures: 3 });

    // The 4th and the 5th: the shipped stop rule fires and the real emergency stop runs.
    for (let n = 4; n <= 5; n++) await nexus.python(ACC1, 'WARNING', failure(n));
    await waitUntil(() => stop.status().latest?.status === 'done', 'the rule-triggered stop', 40_000);
    const run = stop.status().latest!;
    expect(run).toMatchObject({
      source: 'rule',
      ruleId: 'stop-consecutive-failures',
      actor: 'rule:stop-consecutive-failures',
    });
    expect(run.reason).toContain('連続5回失敗');
    expect(run.reason).toContain('nexus02 が 5 回連続で失敗しました');
    expect(run.evidence[0]).toBe('bot.consecutive_failures{bot=nexus02} = 5');
    // The five records behind it, as stored from the file (ids of the logs database), in the order written.
    const records = run.evidence.filter((e) => e.startsWith('log '));
    expect(records).toHaveLength(5);
    expect(records.map((e, i) => e.includes(failure(i + 1)))).toEqual([true, true, true, true, true]);
    expect(stop.history(10)[0]?.evidence).toEqual(run.evidence);
    const reply = await core.dispatcher.call('telemetry.evidence', { alertId: run.alertId });
    expect(reply.ok).toBe(true);
    // Both bots' processes were ended by the stop.
    await waitUntil(() => !nexus.alive() && !tax.alive(), 'both writers stopped', 20_000);
    expect(kpi('nexus02')?.consecutiveFailures).toBe(5);
    expect(logs.filter((l) => l.startsWith('ERROR'))).toEqual([]);
  }, 120_000);
});

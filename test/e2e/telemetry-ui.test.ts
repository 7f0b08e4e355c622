/**
 * The telemetry parts in Chromium (`#/telemetry`, until they move to the Bots page and the Overview),
 * against a real core fed today's output of both bots in their real formats: KPI tiles per bot with the
 * values core computed, the cost summary and the burn-down against the budget with its forecast, the
 * dead-man's switch badges with their reasons; in Japanese and in English. Screenshots are written to
 * test-results/ to be looked at.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Core, createCore } from '../../electron/core/index.js';
import { type RunningServer, startServer } from '../../electron/core/server/index.js';
import { recordsFromLogs, type TelemetryCapability } from '../../electron/core/telemetry/index.js';
import { generateDay } from '../fixtures/telemetry/records.js';
import { launchBrowser, screenshotDir } from '../helpers/browser.js';
import { repoRoot } from '../helpers/headless.js';

const TOKEN = 'e2e-telemetry-token-0123456789';
let dir: string;
let core: Core;
let server: RunningServer;
let browser: Browser;
let page: Page;
let telemetry: TelemetryCapability;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nexus-ops-telemetry-ui-'));
  const configFile = join(dir, 'config.yaml');
  writeFileSync(
    configFile,
    [
      'monitor:',
      '  liveIntervalSeconds: 5',
      'bots:',
      `  - { id: tax, name: TradingAssistantX, root: ${JSON.stringify(join(dir, 'tax'))} }`,
      `  - { id: nexus02, name: TwitterBot Nexus 02, root: ${JSON.stringify(join(dir, 'nexus02'))} }`,
      'telemetry:',
      '  bots:',
      '    - bot: tax',
      '      packs: [tradingassistantx]',
      '      deadMan:',
      '        schedule: { everyMinutes: 15 }',
      '        runsFrom: [log]',
      '        startGraceMinutes: 5',
      '        maxRunMinutes: 30',
      '        minRunSeconds: 20',
      '        minGapMinutes: 0',
      '    - bot: nexus02',
      '      packs: [nexus02]',
      '      deadMan:',
      "        schedule: { cron: '0 */2 * * *' }",
      '',
    ].join('\n'),
  );
  core = createCore({
    dataDir: dir,
    configFile,
    resourcesDir: resolve(repoRoot, 'resources'),
    mode: 'headless',
    version: 'e2e',
    logger: { info() {}, warn() {}, error() {} },
  });
  telemetry = core.capabilities.get('telemetry') as TelemetryCapability;
  // Today (Asia/Tokyo) up to the start of this quarter hour, both bots, in their real formats. The
  // generated TradingAssistantX runs start on quarter hours: one from this quarter would be newer than
  // the workflow below, or still running when it starts, whenever the test runs just after one.
  const now = Date.now();
  const dayStart = now - ((now + 9 * 3_600_000) % 86_400_000);
  const quarterStart = now - (now % 900_000);
  const { records } = generateDay(dayStart, 5);
  telemetry.ingest(recordsFromLogs(records.filter((r) => r.ts < quarterStart)));
  // A TradingAssistantX workflow that ended after 7 seconds (its dead-man's switch says too fast) and a
  // Nexus 02 run going on now.
  const exec = `exec_${now - 60_000}_post`;
  telemetry.ingest(
    recordsFromLogs([
      {
        id: 'w1',
        bot: 'tax',
        ts: now - 60_000,
        level: 'INFO',
        stream: 'stdout',
        message: `⚡ MainWorkflow実行開始 - ExecutionID: ${exec}`,
        source: 'stdout',
      },
      {
        id: 'w2',
        bot: 'tax',
        ts: now - 53_000,
        level: 'INFO',
        stream: 'stdout',
        message: `✅ MainWorkflow実行完了 - ExecutionID: ${exec} - 実行時間: 7000ms - 結果: success`,
        source: 'stdout',
      },
    ]),
  );
  telemetry.observeRun({ kind: 'start', bot: 'nexus02', at: now - 4 * 60_000, from: 'process' });
  core.start();
  server = await startServer({
    dispatcher: core.dispatcher,
    events: core.events,
    token: TOKEN,
    port: 0,
    staticDir: join(repoRoot, 'dist', 'renderer'),
    version: 'e2e',
  });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1400, height: 1600 } });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await core?.close();
  if (dir) rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

describe('telemetry components in Chromium', () => {
  it('shows each bot with its KPI tiles, dead-man state and reason, and the cost against the budget (ja)', async () => {
    await page.goto(`${server.url}?token=${TOKEN}`);
    await page.getByTestId('nav-telemetry').click();
    await page.getByTestId('telemetry-page').waitFor();
    const kpis = telemetry.telemetry.kpiViews();
    for (const bot of ['tax', 'nexus02']) {
      const section = page.locator(`[data-testid="telemetry-bot"][data-bot="${bot}"]`);
      await section.waitFor();
      const k = kpis.find((x) => x.bot === bot);
      await expect
        .poll(() => section.getByTestId('kpi-actions').locator('.kpi-value').innerText())
        .toBe(String(k?.actionsPerHour));
      await expect
        .poll(() => section.getByTestId('kpi-streak').locator('.kpi-value').innerText())
        .toBe(String(k?.consecutiveFailures));
    }
    const tax = page.locator('[data-testid="dms-badge"][data-bot="tax"]');
    await expect.poll(() => tax.getAttribute('data-state')).toBe('down');
    expect(await tax.getAttribute('data-reason')).toBe('too_fast');
    expect(await tax.innerText()).toContain('終了が早すぎます');
    const nexus = page.locator('[data-testid="dms-badge"][data-bot="nexus02"]');
    expect(await nexus.getAttribute('data-state')).toBe('running');
    expect(await nexus.innerText()).toContain('実行中');
    // Cost: the same figure as core's, and the burn-down with its forecast line.
    // (The cost may still move while the replayed records settle: compare each time with core's figure.
    // The page gets it from the publish every 5 s, so wait across a few of them. The day's records
    // are generated up to now, so the figure passes $1 a few hours into the Tokyo day.)
    await expect
      .poll(
        async () => {
          const spent = telemetry.telemetry.costView().day.spentUsd;
          // As the page writes dollars: four digits below $1, cents from $1 (later in the day), ja-JP.
          const digits = spent !== 0 && spent < 1 ? 4 : 2;
          const text = spent.toLocaleString('ja-JP', {
            minimumFractionDigits: digits,
            maximumFractionDigits: digits,
          });
          return (await page.getByTestId('cost-day').innerText()).includes(`$${text}`);
        },
        { timeout: 20_000 },
      )
      .toBe(true);
    const chart = page.getByTestId('cost-burn-down');
    // Early in the Tokyo day little is spent and the remaining-budget line is flat: a path of zero
    // height, which Playwright calls hidden. Ask for drawn paths, not visible boxes.
    const paths = chart.locator('.recharts-line path');
    await paths.first().waitFor({ state: 'attached' });
    expect(await paths.count()).toBe(2);
    for (const d of await paths.evaluateAll((els) => els.map((e) => e.getAttribute('d') ?? ''))) {
      expect(d).toMatch(/^M[\d.]+,[\d.]+L[\d.]+,[\d.]+/);
    }
    expect(await chart.innerText()).toContain('予算残高');
    await page.screenshot({ path: join(screenshotDir, 'telemetry-ja.png'), fullPage: true });
  });

  it('in English, with the month burn-down', async () => {
    await page.getByTestId('language-select').selectOption('en');
    await page.getByTestId('burn-down-month').click();
    await expect.poll(() => page.getByTestId('cost-burn-down').getAttribute('data-span')).toBe('month');
    const tax = page.locator('[data-testid="dms-badge"][data-bot="tax"]');
    await expect.poll(() => tax.innerText()).toContain('Finished too fast');
    expect(await page.getByTestId('telemetry-page').innerText()).toContain('Consecutive failures');
    await page.screenshot({ path: join(screenshotDir, 'telemetry-en.png'), fullPage: true });
    await page.getByTestId('language-select').selectOption('ja');
  });
});

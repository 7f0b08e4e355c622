/**
 * The Overview as the operator's home, in Chromium against headless mode with a real supervised python
 * bot: each bot's state in the operator's language with its dead-man's switch (when it has one), every
 * block linking to its page (Bots, Bot metrics, Maintenance), the emergency stop's result linking to
 * the Level 3 runbook, and an alert linking to its log records. Japanese and English screenshots go to
 * test-results/ to be looked at.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BotStatus } from '../../shared/api/bots.js';
import type { DmsStateView } from '../../shared/api/telemetry.js';
import { scopedFamiliesYaml } from '../fixtures/fake-bot/harness.js';
import { launchBrowser, screenshotDir } from '../helpers/browser.js';
import { type Headless, makeTempDir, repoRoot, startHeadless } from '../helpers/headless.js';
import { pythonExe } from '../helpers/python.js';

/** The UI's own words, read from its translation files (the test never restates them). */
function strings(lang: 'ja' | 'en', ns: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(repoRoot, 'renderer/src/i18n', lang, `${ns}.json`), 'utf8'));
}
function word(lang: 'ja' | 'en', ns: string, path: string): string {
  let v: unknown = strings(lang, ns);
  for (const k of path.split('.')) v = (v as Record<string, unknown>)[k];
  if (typeof v !== 'string') throw new Error(`${lang}/${ns}.json has no ${path}`);
  return v;
}

let tmp: string;
let app: Headless;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  tmp = makeTempDir('nexus-ops-overview-');
  const root = join(tmp, 'ボット 置き場');
  mkdirSync(root, { recursive: true });
  // A quiet python bot (one line a second, Ctrl+C ends it cleanly): the Logs page shows its lines
  // without a flood on a machine other tests share.
  const bot = join(root, '返信ボット.py');
  writeFileSync(
    bot,
    [
      'import sys, time',
      'print("started 返信ボット", flush=True)',
      'try:',
      '    n = 0',
      '    while True:',
      '        n += 1',
      '        print(f"tick {n} 稼働中", flush=True)',
      '        time.sleep(1)',
      'except KeyboardInterrupt:',
      '    sys.exit(0)',
      '',
    ].join('\n'),
  );
  const q = (s: string) => JSON.stringify(s);
  app = await startHeadless({
    config: [
      'monitor:',
      '  liveIntervalSeconds: 1',
      '  processIntervalSeconds: 1',
      // The emergency stop below must only ever touch this test's bots.
      scopedFamiliesYaml(root).trimEnd(),
      'stop:',
      '  graceSeconds: 1',
      '  verifySeconds: 1',
      'bots:',
      '  - id: jp',
      '    name: 返信ボット',
      `    root: ${q(root)}`,
      '    run:',
      '      mode: supervised',
      `      command: ${q(pythonExe())}`,
      `      args: [${q(bot)}]`,
      '      restart: { policy: always, delayMs: 500 }',
      '  - id: watched',
      '    name: 監視だけのボット',
      `    root: ${q(root)}`,
      '    run: { mode: external }',
      '    processes:',
      "      cmdline: 'overview-e2e-no-such-bot-[0-9a-f]{16}'",
      'telemetry:',
      '  bots:',
      '    - bot: jp',
      '      deadMan:',
      '        schedule: { everyMinutes: 60 }',
      '        runsFrom: [process]',
      // A rule that always fires (CPU is never below 0 %): an alert to follow to its log records.
      'alerts:',
      '  rules:',
      '    - id: e2e-overview',
      '      name: 概要テスト用アラート',
      "      expr: 'cpu.total >= 0'",
      '      for: "0"',
      '      severity: warning',
      '',
    ].join('\n'),
  });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
}, 90_000);

afterAll(async () => {
  // Supervised bots outlive Nexus Ops on purpose: stop ours before the app goes.
  await app?.call('stop.resume', { actor: 'e2e', reason: 'テスト終了' });
  await app?.call('bots.stop', { id: 'jp' });
  await browser?.close();
  await app?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

const botLine = (id: string) => page.locator(`[data-testid="ov-bot"][data-bot="${id}"]`);

async function deadMan(bot: string): Promise<DmsStateView | undefined> {
  const r = await app.call<{ states: DmsStateView[] }>('telemetry.deadman');
  return r.value?.states.find((s) => s.bot === bot);
}

describe('the Overview in Chromium', () => {
  it('shows each bot’s state in Japanese with its dead-man’s switch, and links to the Bots page', async () => {
    await page.goto(app.loginUrl);
    const bots = page.getByTestId('ov-bots');
    await bots.waitFor();
    expect(await bots.locator('h2 a').getAttribute('href')).toBe('#/bots');

    await expect.poll(() => botLine('jp').getAttribute('data-state'), { timeout: 30_000 }).toBe('running');
    expect(await botLine('jp').getByTestId('ov-bot-state').innerText()).toBe(
      word('ja', 'bots', 'state.running'),
    );
    expect(await botLine('jp').getByTestId('ov-bot-state').innerText()).not.toBe('running');
    const watched = await app.call<BotStatus>('bots.get', { id: 'watched' });
    expect(await botLine('watched').getByTestId('ov-bot-state').innerText()).toBe(
      word('ja', 'bots', `state.${watched.value?.state}`),
    );

    // The bot with telemetry.bots[].deadMan shows its switch: the state core reports, in Japanese, and
    // since when; the bot without one shows none.
    const dms = botLine('jp').getByTestId('dms-badge');
    await dms.locator('.pill').waitFor({ timeout: 15_000 });
    await expect
      .poll(async () => {
        const core = await deadMan('jp');
        const shown = await dms.getAttribute('data-state');
        return core !== undefined && shown === core.state;
      })
      .toBe(true);
    const state = (await dms.getAttribute('data-state')) ?? '';
    expect(await dms.locator('.pill').innerText()).toBe(word('ja', 'telemetry', `dms.state.${state}`));
    expect(await botLine('jp').getByTestId('ov-bot-dms-since').innerText()).toMatch(
      /^\d{4}\/\d{1,2}\/\d{1,2} \d{1,2}:\d{2}:\d{2} から$/,
    );
    expect(await botLine('watched').getByTestId('ov-bot-dms').count()).toBe(0);

    // Cost links to the Bot metrics page, maintenance to the Maintenance page.
    expect(await page.locator('[data-testid="ov-cost"] h2 a').getAttribute('href')).toBe('#/telemetry');
    expect(await page.locator('[data-testid="ov-maintenance"] h2 a').getAttribute('href')).toBe(
      '#/maintenance',
    );
    // The maintenance windows stay: the soonest one core knows is named there.
    const windows = await app.call<{
      windows: { name: string; enabled: boolean; nextStart: number | null }[];
    }>('alerts.maintenance');
    const soonest = (windows.value?.windows ?? [])
      .filter((w) => w.enabled && w.nextStart !== null)
      .sort((a, b) => (a.nextStart ?? 0) - (b.nextStart ?? 0))[0];
    expect(soonest).toBeDefined();
    await expect
      .poll(() => page.getByTestId('ov-maintenance').innerText())
      .toContain(soonest?.name ?? '(none)');
    await page.waitForTimeout(500);
    await page.screenshot({ path: join(screenshotDir, 'overview-ja.png'), fullPage: true });

    await bots.locator('h2 a').click();
    await page.getByTestId('bots-page').waitFor();
    await page.getByTestId('nav-overview').click();
    await page.locator('[data-testid="ov-cost"] h2 a').click();
    await page.getByTestId('telemetry-page').waitFor();
    expect(await page.getByTestId('telemetry-page').innerText()).toContain(
      word('ja', 'telemetry', 'cost.day'),
    );
  });

  it('links an alert to its log records: the Logs page opens filtered for that alert', async () => {
    await page.getByTestId('nav-alerts').click();
    const row = page.locator('[data-testid="alert-row"][data-rule="e2e-overview"]');
    await row.waitFor({ timeout: 30_000 });
    const alertId = await row.getAttribute('data-alert-id');
    const link = row.getByTestId('alert-logs');
    expect(await link.getAttribute('href')).toBe(`#/logs?alert=${encodeURIComponent(alertId ?? '')}`);
    await page.screenshot({ path: join(screenshotDir, 'overview-alert-logs-link-ja.png'), fullPage: true });
    await link.click();
    await page.getByTestId('logs-page').waitFor();
    const origin = page.getByTestId('log-origin');
    await origin.waitFor({ timeout: 30_000 });
    expect(await origin.innerText()).toContain('概要テスト用アラート');
    await page.screenshot({ path: join(screenshotDir, 'overview-alert-logs-ja.png'), fullPage: true });
  });

  it('links the emergency stop’s result to the Level 3 runbook, ticked for that stop', async () => {
    await page.getByTestId('nav-overview').click();
    await page.getByTestId('emergency-stop').click();
    const panel = page.getByTestId('stop-result');
    await expect.poll(() => panel.getAttribute('data-state'), { timeout: 30_000 }).toBe('done');
    const latest = await app.call<{ latest: { id: string } | null }>('stop.status');
    const stopId = latest.value?.latest?.id ?? '';
    expect(stopId).not.toBe('');
    const runbookLink = panel.getByTestId('stop-result-runbook');
    const runbookHref = `#/incidents/runbook/level3-system-stop?subject=${encodeURIComponent(`stop:${stopId}`)}`;
    expect(await runbookLink.getAttribute('href')).toBe(runbookHref);
    // The Overview follows the bots' pushes: the stop holds the supervised bot.
    await expect.poll(() => botLine('jp').getAttribute('data-state'), { timeout: 20_000 }).toBe('held');
    expect(await botLine('jp').getByTestId('ov-bot-state').innerText()).toBe(
      word('ja', 'bots', 'state.held'),
    );
    await page.screenshot({ path: join(screenshotDir, 'overview-stop-result-ja.png'), fullPage: true });

    await runbookLink.click();
    const runbook = page.locator('[data-testid="runbook"][data-runbook="level3-system-stop"]');
    await runbook.waitFor();
    expect(await runbook.getByTestId('runbook-subject').innerText()).toContain(`stop:${stopId}`);
    expect(await runbook.getByTestId('runbook-step').count()).toBeGreaterThan(0);

    // The stop history links the same runbook, for the latest stop and for each row.
    await page.getByTestId('nav-stop-history').click();
    const historyLink = page.getByTestId('stop-history-runbook');
    await historyLink.waitFor();
    expect(await historyLink.getAttribute('href')).toBe(runbookHref);
    expect(await page.getByTestId('stop-row-runbook').first().getAttribute('href')).toBe(runbookHref);
    await page.screenshot({ path: join(screenshotDir, 'overview-stop-history-ja.png'), fullPage: true });
    await historyLink.click();
    await runbook.waitFor();
  });

  it('reads the same in English', async () => {
    await page.getByTestId('language-select').selectOption('en');
    await page.getByTestId('nav-overview').click();
    await expect
      .poll(() => botLine('jp').getByTestId('ov-bot-state').innerText())
      .toBe(word('en', 'bots', 'state.held'));
    const state = (await botLine('jp').getByTestId('dms-badge').getAttribute('data-state')) ?? '';
    expect(await botLine('jp').locator('[data-testid="dms-badge"] .pill').innerText()).toBe(
      word('en', 'telemetry', `dms.state.${state}`),
    );
    expect(await botLine('jp').getByTestId('ov-bot-dms-since').innerText()).toMatch(/^since \d/);
    await page.waitForTimeout(500);
    await page.screenshot({ path: join(screenshotDir, 'overview-en.png'), fullPage: true });

    await app.call('stop.resume', { actor: 'e2e', reason: 'e2e done' });
    await expect.poll(() => botLine('jp').getAttribute('data-state'), { timeout: 20_000 }).toBe('running');
    await page.getByTestId('nav-stop-history').click();
    await page.getByTestId('stop-history-runbook').waitFor();
    await page.screenshot({ path: join(screenshotDir, 'overview-stop-history-en.png'), fullPage: true });
    await page.getByTestId('nav-alerts').click();
    await page.getByTestId('alert-logs').first().waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(screenshotDir, 'overview-alerts-en.png'), fullPage: true });
    await page.getByTestId('language-select').selectOption('ja');
  });
});

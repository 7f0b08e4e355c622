import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshotDir } from '../helpers/browser.js';
import { type Headless, makeTempDir, startHeadless } from '../helpers/headless.js';
import { pythonExe } from '../helpers/python.js';

const SLEEPERS = 3;
/**
 * Other suites on this machine may run their own fake bots at the same time: the family here keeps the
 * shipped bot-runner name and flags but only matches this run's module name, so its count is exact.
 */
const MODULE = `reply_bot.e2e_${randomBytes(4).toString('hex')}`;

let tmp: string;
let app: Headless;
let browser: Browser;
let page: Page;
const sleepers: ChildProcess[] = [];

beforeAll(async () => {
  tmp = makeTempDir('nexus-ops-monitor-ui-');
  const bots = join(tmp, 'bots');
  mkdirSync(bots, { recursive: true });
  // `-m reply_bot.…` after `-c` only lands in argv, but the command line is what the bot-runner
  // family matches (python -m reply_bot.*, as the real bot shows it).
  for (let i = 0; i < SLEEPERS; i++) {
    const child = spawn(pythonExe(), ['-c', 'import time; time.sleep(120)', '-m', MODULE], {
      cwd: bots,
      stdio: 'ignore',
    });
    sleepers.push(child);
  }
  app = await startHeadless({
    config: [
      'monitor:',
      '  liveIntervalSeconds: 1',
      '  processIntervalSeconds: 1',
      '  storeIntervalSeconds: 1',
      '  families:',
      '    - name: bot-runner',
      "      exe: 'python(?:\\d+(?:\\.\\d+)*)?'",
      `      cmdline: '(?:^|\\s)-m\\s+${MODULE.replace('.', '\\.')}\\b'`,
      '      stopOnEmergency: true',
      '    - name: python',
      "      exe: 'python(?:\\d+(?:\\.\\d+)*)?'",
      '    - name: chrome',
      "      exe: 'chrome|chromium'",
      'bots:',
      `  folders: [${JSON.stringify(bots)}]`,
      '',
    ].join('\n'),
  });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
}, 60_000);

afterAll(async () => {
  for (const child of sleepers) if (child.exitCode === null) child.kill('SIGKILL');
  await browser?.close();
  await app?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

function familyRow(p: Page, family: string) {
  return p.locator(`[data-testid="family-row"][data-family="${family}"]`);
}

describe('monitoring pages in Chromium against headless mode', () => {
  it('lists the bot-runner family with its three processes and expands it', async () => {
    await page.goto(app.loginUrl);
    await page.getByTestId('nav-processes').click();
    await page.getByTestId('processes-page').waitFor();
    // the families above were accepted (a rejected config would fall back to the shipped ones)
    await page.getByTestId('health').waitFor();
    expect(await page.getByTestId('config-warning').count()).toBe(0);

    const row = familyRow(page, 'bot-runner');
    await row.waitFor({ timeout: 30_000 });
    await expect.poll(() => row.getByTestId('family-count').innerText(), { timeout: 30_000 }).toBe('3');
    // bot-runner is stopped by the emergency stop in the shipped defaults
    expect(await row.getByTestId('family-emergency').count()).toBe(1);

    await row.getByTestId('family-expand').click();
    expect(await row.getByTestId('family-expand').getAttribute('aria-expanded')).toBe('true');
    const table = page.locator('[data-testid="instances-table"][data-family="bot-runner"]');
    await table.waitFor({ timeout: 15_000 });
    await expect.poll(() => table.getByTestId('instance-row').count(), { timeout: 15_000 }).toBe(SLEEPERS);
    const pids: number[] = [];
    for (const r of await table.getByTestId('instance-row').all())
      pids.push(Number(await r.getAttribute('data-pid')));
    expect(pids.sort()).toEqual(sleepers.map((c) => c.pid).sort());
    const cmdline = await table.getByTestId('instance-cmdline').first().getAttribute('title');
    expect(cmdline).toContain(MODULE);

    // sorting by count puts the largest family first and keeps the rest in descending order
    await page.getByTestId('sort-count').click();
    const counts = (await page.getByTestId('family-count').allInnerTexts()).map(Number);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    expect(await page.getByTestId('sort-count').locator('xpath=..').getAttribute('aria-sort')).toBe(
      'descending',
    );

    await page.screenshot({ path: join(screenshotDir, 'processes.png'), fullPage: true });
  });

  it('shows current figures and history charts, live on 1 h and from the store on 6 h', async () => {
    await page.getByTestId('nav-system').click();
    await page.getByTestId('system-page').waitFor();
    await page.getByTestId('sys-cpu-total').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('sys-core').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('sys-sampler').innerText()).toMatch(/\d+ ms/);

    // 1 h: the CPU chart grows with the metrics push, no reload needed
    const cpuChart = page.getByTestId('chart-cpu').getByTestId('history-chart');
    await expect.poll(() => cpuChart.getAttribute('data-state'), { timeout: 15_000 }).toBe('ready');
    const before = Number(await cpuChart.getAttribute('data-points'));
    await expect
      .poll(async () => Number(await cpuChart.getAttribute('data-points')), { timeout: 15_000 })
      .toBeGreaterThan(before);

    await page.getByTestId('range-6h').click();
    expect(await page.getByTestId('range-6h').getAttribute('aria-pressed')).toBe('true');
    for (const id of ['chart-cpu', 'chart-memory']) {
      const chart = page.getByTestId(id).getByTestId('history-chart');
      await expect.poll(() => chart.getAttribute('data-range')).toBe('6h');
      await expect.poll(() => chart.getAttribute('data-state'), { timeout: 15_000 }).toBe('ready');
      expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThan(0);
      expect(await chart.locator('.recharts-line path').count()).toBeGreaterThan(0);
    }

    // hovering shows the local time and a value with its unit
    const box = await cpuChart.locator('.recharts-surface').boundingBox();
    expect(box).not.toBeNull();
    if (box) await page.mouse.move(box.x + box.width - 20, box.y + box.height / 2);
    const tooltip = cpuChart.getByTestId('chart-tooltip');
    await tooltip.waitFor({ timeout: 5_000 });
    expect(await tooltip.innerText()).toMatch(/\d{2}:\d{2}:\d{2}[\s\S]*%/);

    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(screenshotDir, 'system.png'), fullPage: true });
  });
});

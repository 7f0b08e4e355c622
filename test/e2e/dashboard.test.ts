import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshotDir } from '../helpers/browser.js';
import { type Headless, startHeadless } from '../helpers/headless.js';

let app: Headless;
let browser: Browser;
let page: Page;
let burner: ChildProcess | undefined;

beforeAll(async () => {
  app = await startHeadless({ config: 'monitor:\n  liveIntervalSeconds: 1\n' });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
});
afterAll(async () => {
  burner?.kill('SIGKILL');
  await browser?.close();
  await app?.close();
});

async function cpuFigure(p: Page): Promise<number> {
  const text = await p.getByTestId('cpu-value').innerText();
  return Number.parseFloat(text);
}

describe('dashboard in Chromium against headless mode', () => {
  it('shows a live CPU figure between 0 and 100 that changes over time', async () => {
    await page.goto(app.loginUrl);
    await page.getByTestId('cpu-value').waitFor({ timeout: 20_000 });
    expect(page.url()).not.toContain('token='); // the token left the address bar
    const first = await cpuFigure(page);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(first).toBeLessThanOrEqual(100);

    // Load one core so the next samples differ from an idle machine's.
    burner = spawn(process.execPath, ['-e', 'const end = Date.now() + 8000; while (Date.now() < end) {}']);
    const seen = new Set<number>([first]);
    for (let i = 0; i < 40 && seen.size < 3; i++) {
      await page.waitForTimeout(500);
      const v = await cpuFigure(page);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(100);
      seen.add(v);
    }
    expect(seen.size).toBeGreaterThanOrEqual(3);
    await expect
      .poll(() => page.getByTestId('live-chart').getAttribute('data-points').then(Number))
      .toBeGreaterThan(2);
    await expect.poll(async () => (await page.getByTestId('health').innerText()).length).toBeGreaterThan(0);
    expect(await page.getByTestId('nav-overview').innerText()).toBe('概要');
    await page.screenshot({ path: join(screenshotDir, 'overview-ja.png'), fullPage: true });
  });

  it('switches to English and keeps the choice after a reload', async () => {
    await page.getByTestId('language-select').selectOption('en');
    await expect.poll(() => page.getByTestId('nav-overview').innerText()).toBe('Overview');
    await expect.poll(() => page.locator('h3').first().innerText()).toBe('CPU usage');
    await page.reload();
    await page.getByTestId('cpu-value').waitFor();
    expect(await page.getByTestId('nav-overview').innerText()).toBe('Overview');
    await page.waitForTimeout(1500);
    await page.screenshot({ path: join(screenshotDir, 'overview-en.png'), fullPage: true });
  });

  it('runs under the strict CSP without violations', async () => {
    const violations: string[] = [];
    page.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) violations.push(msg.text());
    });
    await page.reload();
    await page.getByTestId('cpu-value').waitFor();
    await page.waitForTimeout(500);
    expect(violations).toEqual([]);
  });
});

import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshotDir } from '../helpers/browser.js';
import { type Headless, startHeadless } from '../helpers/headless.js';

// A rule that is always true (CPU is never below 0 %), so it fires 2 s after the first samples.
const CONFIG = `monitor:
  liveIntervalSeconds: 1
alerts:
  rules:
    - id: e2e-cpu
      name: E2E CPU テスト
      expr: 'cpu.total >= 0'
      for: 2s
      severity: warning
      message: 'CPU 使用率 {{value}} % (しきい値 {{threshold}})'
  # Shown on the page, but limited to another rule so the test never runs inside a window.
  maintenanceWindows:
    - id: weekly
      name: 週次メンテナンス
      cron: '0 2 * * 0'
      durationMinutes: 120
      matchers: [{ label: rule, value: some-other-rule }]
`;

const OPERATOR = '山田 太郎';
const NOTE = '負荷試験中のため確認済み';

let app: Headless;
let browser: Browser;
let page: Page;
const cspViolations: string[] = [];

beforeAll(async () => {
  app = await startHeadless({ config: CONFIG });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
  });
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

function alertRow(p: Page) {
  return p.locator('[data-testid="alert-row"][data-rule="e2e-cpu"]');
}

// Expressions as strings: this tsconfig has no DOM types, and the code runs in the page anyway.
function focusedTestId(p: Page): Promise<string | null> {
  return p.evaluate<string | null>("document.activeElement?.getAttribute('data-testid') ?? null");
}

async function stateOf(p: Page): Promise<string | null> {
  return alertRow(p).getByTestId('alert-state').getAttribute('data-state');
}

describe('alerts page in Chromium against headless mode', () => {
  it('shows the firing alert, acknowledges it, and keeps it acknowledged after a reload', async () => {
    await page.goto(app.loginUrl);
    await page.getByTestId('nav-alerts').click();
    await page.getByTestId('alerts-page').waitFor();

    await alertRow(page).waitFor({ timeout: 30_000 });
    await expect.poll(() => stateOf(page), { timeout: 30_000 }).toBe('firing');
    expect(await alertRow(page).getByTestId('alert-rule').innerText()).toBe('E2E CPU テスト');
    expect(await page.getByTestId('alerts-warning').count()).toBe(1);
    // the badge in the navigation counts it, coloured by its severity
    const badge = page.getByTestId('nav-alerts').getByTestId('alerts-badge');
    await expect.poll(() => badge.innerText()).toBe('1');
    expect(await badge.getAttribute('data-severity')).toBe('warning');

    // The dialog is a real modal: focus goes in, Esc closes it and gives focus back.
    const ackButton = alertRow(page).getByTestId('alert-ack-button');
    await ackButton.click();
    const dialog = page.getByTestId('ack-dialog');
    await dialog.waitFor();
    expect(await focusedTestId(page)).toBe('ack-name');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await focusedTestId(page)).toBe('alert-ack-button');
    expect(await stateOf(page)).toBe('firing');

    await ackButton.click();
    await page.getByTestId('ack-name').fill(OPERATOR);
    await page.getByTestId('ack-note').fill(NOTE);
    await page.getByTestId('ack-submit').click();
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => stateOf(page)).toBe('acknowledged');
    expect(await alertRow(page).getByTestId('alert-ack').innerText()).toContain(OPERATOR);

    // core recorded who and why, not just the page
    const listed = await app.call<{
      alerts: { ruleId: string; state: string; ackBy: string; ackNote: string }[];
    }>('alerts.list');
    const stored = listed.value?.alerts.find((a) => a.ruleId === 'e2e-cpu');
    expect(stored).toMatchObject({ state: 'acknowledged', ackBy: OPERATOR, ackNote: NOTE });

    await page.reload();
    await alertRow(page).waitFor({ timeout: 20_000 });
    expect(await stateOf(page)).toBe('acknowledged');
    const ackText = await alertRow(page).getByTestId('alert-ack').innerText();
    expect(ackText).toContain(OPERATOR);
    expect(ackText).toContain(NOTE);
    expect(await alertRow(page).getByTestId('alert-ack-button').count()).toBe(0);
    // the operator's name is remembered for the next dialog
    expect(await page.evaluate<string | null>("localStorage.getItem('nexus-ops.operator')")).toBe(OPERATOR);
    // and the history lists it
    await expect.poll(() => page.getByTestId('history-row').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('maintenance-row').innerText()).toContain('毎週日曜 02:00-04:00');

    await page.waitForTimeout(500);
    await page.screenshot({ path: join(screenshotDir, 'alerts.png'), fullPage: true });
    expect(cspViolations).toEqual([]);
  });

  it('silences the rule from the alert, marks it suppressed, and ends the silence early', async () => {
    await alertRow(page).getByTestId('alert-silence-button').click();
    const dialog = page.getByTestId('silence-dialog');
    await dialog.waitFor();
    expect(await page.getByTestId('silence-rule').inputValue()).toBe('e2e-cpu');
    await page.getByTestId('silence-duration-240').check({ force: true });
    await page.getByTestId('silence-reason').fill('E2E: 負荷試験中');
    expect(await page.getByTestId('silence-by').inputValue()).toBe(OPERATOR);
    await page.getByTestId('silence-submit').click();
    await dialog.waitFor({ state: 'detached' });

    const silenceRow = page.getByTestId('silence-row');
    await silenceRow.waitFor();
    expect(await silenceRow.innerText()).toContain('E2E: 負荷試験中');
    await alertRow(page).getByTestId('alert-suppressed').waitFor({ timeout: 15_000 });
    const silences = await app.call<{
      silences: { ruleId: string | null; endsAt: number; startsAt: number }[];
    }>('alerts.silences');
    const created = silences.value?.silences.find((s) => s.ruleId === 'e2e-cpu');
    expect(created).toBeDefined();
    expect((created?.endsAt ?? 0) - (created?.startsAt ?? 0)).toBe(4 * 3_600_000);

    await silenceRow.getByTestId('silence-end').click();
    await page.getByTestId('end-silence-submit').click();
    await silenceRow.waitFor({ state: 'detached' });
    await alertRow(page).getByTestId('alert-suppressed').waitFor({ state: 'detached', timeout: 15_000 });
  });
});

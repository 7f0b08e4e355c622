import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshotDir } from '../helpers/browser.js';
import { type Headless, startHeadless } from '../helpers/headless.js';

// The morning slot at local midnight, so it has started whenever the test runs; a rule that always
// fires (CPU is never below 0 %) naming the Level 1 runbook; a stop whose only family matches nothing.
const CONFIG = `monitor:
  liveIntervalSeconds: 1
  families:
    - name: opsday-nothing
      cmdline: 'opsday-no-such-process-[0-9a-f]{16}'
      stopOnEmergency: true
stop:
  graceSeconds: 0
  verifySeconds: 1
checklists:
  schedules:
    morning: "0 0 * * *"
alerts:
  rules:
    - id: e2e-latency
      name: API応答遅延（E2E）
      expr: 'cpu.total >= 0'
      for: "0"
      severity: warning
      runbook: level1-api-latency
      message: 'TwitterAPI.io の応答時間が長くなっています（E2E）'
  maintenanceWindows: []
`;

const OPERATOR = '山田 太郎';

let app: Headless;
let browser: Browser;
let page: Page;
const cspViolations: string[] = [];

beforeAll(async () => {
  app = await startHeadless({ config: CONFIG });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
  });
  await page.goto(app.loginUrl);
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

function morning(p: Page) {
  return p.locator('[data-testid="checklist"][data-instance^="morning@"]');
}

describe('the operator’s day in Chromium against headless mode', () => {
  it('ticks the morning checklist item by item, with the evidence next to each', async () => {
    await page.getByTestId('nav-checklists').click();
    await page.getByTestId('checklists-page').waitFor();
    await page.getByTestId('operator-name').fill(OPERATOR);
    await morning(page).waitFor();
    const items = morning(page).getByTestId('checklist-item');
    expect(await items.count()).toBe(4);
    // Live evidence is shown next to the items: alerts fired overnight is read from the alert engine.
    await expect.poll(() => morning(page).locator('[data-source="alerts.fired"]').count()).toBeGreaterThan(0);
    // Error records overnight come from the logs capability: none here.
    expect(await morning(page).locator('[data-source="logs.errors"]').getAttribute('data-verdict')).toBe(
      'pass',
    );
    await page.screenshot({ path: join(screenshotDir, 'opsday-checklists-before-ja.png'), fullPage: true });

    for (let i = 0; i < 4; i++) {
      // A controlled box: it turns checked when core has recorded the tick.
      await items.nth(i).getByTestId('checklist-tick').click();
      await expect.poll(() => items.nth(i).getAttribute('data-done')).toBe('true');
    }
    await expect.poll(() => morning(page).getAttribute('data-state')).toBe('done');
    expect(await items.first().getByTestId('checklist-last').innerText()).toContain(OPERATOR);

    // Recorded in core, with who ticked.
    const today = await app.call<{
      instances: { templateId: string; state: string; items: { last: { by: string } | null }[] }[];
    }>('checklists.today');
    const m = today.value?.instances.find((i) => i.templateId === 'morning');
    expect(m?.state).toBe('done');
    expect(m?.items.every((i) => i.last?.by === OPERATOR)).toBe(true);
    await page.screenshot({ path: join(screenshotDir, 'opsday-checklists-ja.png'), fullPage: true });

    await page.getByTestId('tab-history').click();
    await page.getByTestId('history-days').waitFor();
    expect(await page.locator('[data-testid="history-slot"][data-state="done"]').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(screenshotDir, 'opsday-history-ja.png'), fullPage: true });
  });

  it('opens the runbook from a firing alert and ticks a step for that alert', async () => {
    await page.getByTestId('nav-alerts').click();
    const row = page.locator('[data-testid="alert-row"][data-rule="e2e-latency"]');
    await row.waitFor({ timeout: 30_000 });
    await row.getByTestId('alert-runbook').waitFor();
    await page.screenshot({ path: join(screenshotDir, 'opsday-alert-runbook-link-ja.png'), fullPage: true });
    await row.getByTestId('alert-runbook').click();
    const runbook = page.locator('[data-testid="runbook"][data-runbook="level1-api-latency"]');
    await runbook.waitFor();
    const steps = runbook.getByTestId('runbook-step');
    expect(await steps.count()).toBe(3);
    expect(await steps.first().innerText()).toContain('QPS設定確認・調整');
    expect(await runbook.getByTestId('runbook-subject').innerText()).toMatch(/alert:/);
    await steps.first().locator('input').click();
    await expect.poll(() => steps.first().getAttribute('data-done')).toBe('true');
    // Kept after a reload (stored per subject).
    await page.reload();
    await page.locator('[data-testid="runbook-step"][data-step="1"][data-done="true"]').waitFor();
    await page.screenshot({ path: join(screenshotDir, 'opsday-runbook-ja.png'), fullPage: true });
  });

  it('creates an incident from an emergency stop, with the stop on its timeline', async () => {
    const stop = await app.call<{ id: string; counts: { targets: number } }>('stop.trigger', {
      source: 'button',
      actor: OPERATOR,
      reason: 'E2E 停止テスト',
    });
    expect(stop.ok).toBe(true);
    expect(stop.value?.counts.targets).toBe(0);
    await page.getByTestId('nav-overview').click();
    await page.getByTestId('ov-stop-incident').waitFor();
    await page.screenshot({ path: join(screenshotDir, 'opsday-overview-ja.png'), fullPage: true });
    await page.getByTestId('ov-stop-incident').click();
    await page.getByTestId('incident-new').waitFor();
    await page.getByTestId('incident-create').click();
    const detail = page.getByTestId('incident-detail');
    await detail.waitFor();
    expect(await detail.getAttribute('data-id')).toMatch(/^INC-\d{8}-\d{3}$/);
    await page.locator('[data-testid="incident-timeline"] li[data-kind="stop"]').first().waitFor();
    // The Level 3 runbook is embedded, its steps ticked for this incident.
    await page.locator('[data-testid="runbook"][data-runbook="level3-system-stop"]').waitFor();
    await page.screenshot({ path: join(screenshotDir, 'opsday-incident-ja.png'), fullPage: true });

    // Found again by a 2-character term of its title.
    await page.getByTestId('nav-incidents').click();
    await page.getByTestId('incident-search').fill('停止');
    await page.getByTestId('incident-search-button').click();
    await page.getByTestId('incident-row').first().waitFor();
    await app.call('stop.resume', { actor: OPERATOR, reason: 'E2E 終了' });
  });

  it('switches to English through the Settings page: the config’s ui.locale and the UI agree', async () => {
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('settings-page').waitFor();
    await page.screenshot({ path: join(screenshotDir, 'opsday-settings-ja.png'), fullPage: true });
    await page.getByTestId('settings-language').selectOption('en');
    await expect.poll(() => page.getByTestId('nav-settings').innerText()).toBe('Settings');
    await expect
      .poll(async () => (await app.call<{ locale: string }>('app.status')).value?.locale, { timeout: 10_000 })
      .toBe('en');
    await page.screenshot({ path: join(screenshotDir, 'opsday-settings-en.png'), fullPage: true });

    // A bad value is refused with its reason, and nothing is written.
    const refused = await app.call('settings.update', {
      changes: [{ path: ['checklists', 'reminders', 'afterMinutes'], value: 0 }],
      by: 'e2e',
    });
    expect(refused.ok).toBe(false);

    for (const [nav, shot] of [
      ['nav-overview', 'opsday-overview-en.png'],
      ['nav-checklists', 'opsday-checklists-en.png'],
      ['nav-incidents', 'opsday-incidents-en.png'],
      ['nav-alerts', 'opsday-alerts-en.png'],
    ] as const) {
      await page.getByTestId(nav).click();
      await page.waitForTimeout(800);
      await page.screenshot({ path: join(screenshotDir, shot), fullPage: true });
    }
    await page.goto(`${app.url}/#/incidents/runbook/level3-system-stop`);
    await page.locator('[data-testid="runbook"]').waitFor();
    expect(await page.locator('[data-testid="runbook-step"]').first().innerText()).toContain(
      'Run the emergency stop',
    );
    await page.screenshot({ path: join(screenshotDir, 'opsday-runbook-en.png'), fullPage: true });
    expect(cspViolations).toEqual([]);
  });
});

/**
 * The red button end to end: headless mode with a fake Nexus 02 running, Chromium clicks the button
 * once (no dialog), the live result panel reports the run, the stopped banner appears, the bot's
 * processes are gone and the operator's Chromium is not; resume with a reason clears the banner and
 * the kill-switch; the history page lists the run.
 *
 * Needs the stop wired into core (stop.* methods, events, config section `stop`) and the components
 * placed in App.tsx, then `npm run build`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scopedFamiliesYaml } from '../fixtures/fake-bot/harness.js';
import {
  descendants,
  type FakeBot,
  isAlive,
  type OperatorChrome,
  startFakeBot,
  startOperatorChromium,
} from '../fixtures/fake-bot/index.js';
import { launchBrowser, screenshotDir } from '../helpers/browser.js';
import { type Headless, startHeadless } from '../helpers/headless.js';

/** Families scoped to this test's bot folder: other tests' fake bots on this machine are not ours to stop. */
function config(folder: string): string {
  return `monitor:
  liveIntervalSeconds: 1
${scopedFamiliesYaml(folder)}bots:
  folders: [${JSON.stringify(folder)}]
stop:
  graceSeconds: 3
ui:
  locale: en
`;
}

let bot: FakeBot;
let operator: OperatorChrome;
let headless: Headless;
let browser: Browser;

beforeAll(async () => {
  bot = await startFakeBot();
  operator = await startOperatorChromium();
  headless = await startHeadless({ config: config(bot.folder) });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await headless?.close();
  await operator?.cleanup();
  await bot?.cleanup();
});

describe('emergency stop button', () => {
  it('stops the bot with one click, shows the result and the banner, and resumes', async () => {
    const botTree = [bot.runnerPid, ...descendants(bot.runnerPid)];
    const operatorTree = [operator.pid, ...descendants(operator.pid)];
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await page.goto(headless.loginUrl);
    await page.getByTestId('emergency-stop').click();

    const panel = page.getByTestId('stop-result');
    await expect.poll(() => panel.getAttribute('data-state'), { timeout: 30_000 }).toBe('done');
    expect(Number(await page.getByTestId('stop-count-targets').textContent())).toBeGreaterThanOrEqual(
      botTree.length,
    );
    expect(await page.getByTestId('stop-count-survivors').textContent()).toBe('0');
    await page.getByTestId('stopped-banner').waitFor({ state: 'visible', timeout: 10_000 });
    await page.screenshot({ path: join(screenshotDir, 'stop-result.png') });

    for (const pid of botTree) expect(isAlive(pid), `bot pid ${pid}`).toBe(false);
    for (const pid of operatorTree) expect(isAlive(pid), `operator pid ${pid}`).toBe(true);
    const killSwitch = join(bot.folder, 'EMERGENCY_STOP');
    expect(JSON.parse(readFileSync(killSwitch, 'utf8'))).toMatchObject({ source: 'button' });
    const status = await headless.call<{ health: string }>('app.status');
    expect(status.value?.health).toBe('stopped');

    await page.getByTestId('resume-reason').fill('e2e: cause fixed');
    await page.getByTestId('resume-submit').click();
    await page.getByTestId('stopped-banner').waitFor({ state: 'detached', timeout: 10_000 });
    expect(existsSync(killSwitch)).toBe(false);

    await page.goto(`${headless.url}/#/stop-history`);
    const row = page.getByTestId('stop-history-row').first();
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toContain('e2e: cause fixed');
    await page.screenshot({ path: join(screenshotDir, 'stop-history.png') });
  });
});

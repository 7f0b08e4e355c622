/**
 * The Bots page in Chromium against headless mode with real bots: a TradingAssistantX-shaped node bot
 * (always on), a python3 bot in a crash loop, a scheduled bot and an external one. The page shows each
 * state, uptime, restarts, the crash-loop window, the next scheduled run and the output (stderr marked);
 * restart / stop / start ask first and act; the emergency stop holds the bot and resume brings it back.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BotStatus } from '../../shared/api/bots.js';
import { jpBot, taxBotCli } from '../fixtures/bots/harness.js';
import { scopedFamiliesYaml } from '../fixtures/fake-bot/harness.js';
import { launchBrowser, screenshotDir } from '../helpers/browser.js';
import { type Headless, makeTempDir, startHeadless } from '../helpers/headless.js';
import { pythonExe } from '../helpers/python.js';

let tmp: string;
let app: Headless;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  tmp = makeTempDir('nexus-ops-bots-ui-');
  const root = join(tmp, 'ボット');
  mkdirSync(root, { recursive: true });
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
      '  - id: tax',
      '    name: TradingAssistantX',
      `    root: ${q(root)}`,
      '    run:',
      '      mode: supervised',
      `      command: ${q(process.execPath)}`,
      `      args: [${q(taxBotCli)}]`,
      '      stopGraceSeconds: 3',
      '      restart: { policy: always, delayMs: 500 }',
      '    processes:',
      '      exe: node',
      "      cmdline: 'tax_bot[\\\\/](cli|main)\\.mjs'",
      '  - id: loop',
      '    name: 返信ボット (試験)',
      `    root: ${q(root)}`,
      '    run:',
      '      mode: supervised',
      `      command: ${q(pythonExe())}`,
      `      args: [${q(jpBot)}, loop]`,
      '      restart: { policy: on-failure, delayMs: 0, maxUnstableRestarts: 5 }',
      '  - id: sched',
      '    name: 定期投稿',
      `    root: ${q(root)}`,
      '    run:',
      '      mode: supervised',
      `      command: ${q(pythonExe())}`,
      `      args: [${q(jpBot)}, serve]`,
      '      start: schedule',
      "      cron: '0 */2 * * *'",
      '      timezone: Asia/Tokyo',
      '      timeoutMinutes: 60',
      '  - id: nexus02',
      '    name: TwitterBot Nexus 02',
      `    root: ${q(root)}`,
      '    run: { mode: external }',
      '    processes:',
      "      cmdline: 'reply_bot\\.multi_main --config nothing-here'",
      '',
    ].join('\n'),
  });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1400, height: 1300 } });
}, 90_000);

afterAll(async () => {
  await app?.call('bots.stop', { id: 'tax' });
  await browser?.close();
  await app?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

const card = (id: string) => page.locator(`[data-testid="bot-card"][data-bot="${id}"]`);

async function botStatus(id: string): Promise<BotStatus> {
  const r = await app.call<BotStatus>('bots.get', { id });
  if (!r.ok) throw new Error(r.error?.message);
  return r.value!;
}

async function confirmAction(
  id: string,
  action: 'start' | 'stop' | 'restart',
  reason: string,
  shot?: string,
) {
  await card(id).getByTestId(`bot-${action}`).click();
  const dialog = page.getByTestId('bot-confirm');
  await dialog.waitFor();
  await dialog.getByTestId('bot-confirm-reason').fill(reason);
  if (shot) await page.screenshot({ path: join(screenshotDir, shot) });
  await dialog.getByTestId('bot-confirm-submit').click();
  await dialog.waitFor({ state: 'detached', timeout: 30_000 });
}

describe('the Bots page in Chromium', () => {
  it('shows every bot with its state, crash-loop window, next run and live output', async () => {
    await page.goto(app.loginUrl);
    await page.getByTestId('nav-bots').click();
    await page.getByTestId('bots-page').waitFor();
    await expect.poll(() => page.getByTestId('bot-card').count(), { timeout: 15_000 }).toBe(4);

    await expect.poll(() => card('tax').getAttribute('data-state'), { timeout: 20_000 }).toBe('running');
    expect(await card('tax').getByTestId('bot-state').innerText()).toBe('稼働中');
    expect(Number(await card('tax').getByTestId('bot-pid').innerText())).toBe((await botStatus('tax')).pid);
    await expect
      .poll(() => card('tax').getByTestId('bot-uptime').innerText(), { timeout: 5_000 })
      .toMatch(/\d+ 秒/);

    await expect.poll(() => card('loop').getAttribute('data-state'), { timeout: 30_000 }).toBe('errored');
    expect(await card('loop').getByTestId('bot-state').innerText()).toBe('クラッシュループ');
    expect(await card('loop').getByTestId('bot-unstable').innerText()).toMatch(
      /^5 \/ 5 回（\d{2}:\d{2}:\d{2} 〜 \d{2}:\d{2}:\d{2}）$/,
    );
    expect(await card('loop').getByRole('alert').innerText()).toContain('再起動を止めました');
    expect(await card('loop').getByTestId('bot-last-exit').innerText()).toContain('異常終了 · コード 1');

    const nextRun = (await botStatus('sched')).schedule!.nextRunAt!;
    expect(new Date(nextRun).getUTCHours() % 2).toBe(1); // even hours in Tokyo (UTC+9)
    expect(await card('sched').getByTestId('bot-next-run').innerText()).toContain('Asia/Tokyo');
    expect(await card('sched').getAttribute('data-state')).toBe('stopped');
    expect(await card('nexus02').getByText('監視のみ').count()).toBe(1);
    expect(await card('nexus02').getByTestId('bot-start').count()).toBe(0);
    expect(await card('tax').getByTestId('bot-logs-link').getAttribute('href')).toBe('#/logs?bot=tax');

    await card('tax').getByTestId('bot-output-toggle').click();
    const output = card('tax').getByTestId('bot-output');
    await expect.poll(() => output.innerText(), { timeout: 10_000 }).toContain('✅ MainWorkflow実行完了');
    expect(await output.locator('.line.stderr').first().innerText()).toContain('❌ MainWorkflow実行エラー');
    // It follows the bot: new ticks arrive through the push.
    const ticks = async () => (await output.innerText()).match(/📡 レスポンス/g)?.length ?? 0;
    const before = await ticks();
    await expect.poll(ticks, { timeout: 10_000 }).toBeGreaterThan(before);
    // It shows the newest lines (scrolled to the end) as they come.
    const fromEnd = () => output.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
    await expect.poll(fromEnd, { timeout: 5_000 }).toBeLessThan(5);
    await page.screenshot({ path: join(screenshotDir, 'bots.png'), fullPage: true });
  });

  it('restarts, stops and starts a bot after asking, each recorded', async () => {
    const first = (await botStatus('tax')).pid;
    await confirmAction('tax', 'restart', '設定を変えたため', 'bots-confirm.png');
    await expect.poll(async () => (await botStatus('tax')).pid, { timeout: 20_000 }).not.toBe(first);
    await expect.poll(() => card('tax').getAttribute('data-state'), { timeout: 20_000 }).toBe('running');
    await expect.poll(() => card('tax').getByTestId('bot-restarts').innerText()).toMatch(/^1 回（.+ 以降）$/);

    await confirmAction('tax', 'stop', '点検');
    await expect.poll(() => card('tax').getAttribute('data-state'), { timeout: 20_000 }).toBe('stopped');
    expect(await card('tax').getByTestId('bot-last-exit').innerText()).toContain('停止操作');
    expect(await card('tax').getByTestId('bot-pid').innerText()).toBe('—');

    await confirmAction('tax', 'start', '点検終了');
    await expect.poll(() => card('tax').getAttribute('data-state'), { timeout: 20_000 }).toBe('running');
  });

  it('shows the hold of the emergency stop and the bot back after resume', async () => {
    const before = (await botStatus('tax')).pid;
    const stop = await app.call('stop.trigger', { source: 'button', reason: 'e2e 緊急停止' });
    expect(stop.ok).toBe(true);
    await page.getByTestId('bots-held').waitFor({ timeout: 15_000 });
    await expect.poll(() => card('tax').getAttribute('data-state'), { timeout: 20_000 }).toBe('held');
    expect(await card('tax').getByTestId('bot-start').isDisabled()).toBe(true);
    await page.screenshot({ path: join(screenshotDir, 'bots-held.png'), fullPage: true });

    const resumed = await app.call('stop.resume', { actor: 'e2e', reason: '確認済み' });
    expect(resumed.ok).toBe(true);
    await expect.poll(() => card('tax').getAttribute('data-state'), { timeout: 20_000 }).toBe('running');
    expect((await botStatus('tax')).pid).not.toBe(before);
    expect(await page.getByTestId('bots-held').count()).toBe(0);

    await page.getByTestId('language-select').selectOption('en');
    await expect.poll(() => card('tax').getByTestId('bot-state').innerText()).toBe('Running');
    await page.screenshot({ path: join(screenshotDir, 'bots-en.png'), fullPage: true });
    await page.getByTestId('language-select').selectOption('ja');
  });
});

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshotDir } from '../helpers/browser.js';
import { type Headless, makeTempDir, startHeadless } from '../helpers/headless.js';

let app: Headless;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  const tmp = makeTempDir('nexus-ops-maint-ui-');
  const bot = join(tmp, 'TradingAssistantX');
  mkdirSync(join(bot, 'data', 'config'), { recursive: true });
  mkdirSync(join(bot, 'data', 'learning'), { recursive: true });
  writeFileSync(join(bot, 'data', 'config', 'twitter-session.yaml'), 'auth_token: do-not-copy\n');
  // Enough files that the backup takes a moment and shows its progress.
  for (let i = 0; i < 4000; i++) writeFileSync(join(bot, 'data', 'learning', `p-${i}.yaml`), `score: ${i}\n`);
  app = await startHeadless({
    config: [
      'monitor:',
      '  liveIntervalSeconds: 1',
      'bots:',
      '  - id: tax',
      '    name: TradingAssistantX',
      `    root: ${JSON.stringify(bot)}`,
      'maintenance:',
      '  jobs:',
      '    - { id: backup, name: データベース・設定ファイルバックアップ, kind: builtin, task: backup, schedule: "0 3 * * *", onFailure: critical }',
      '    - { id: log-rotation, name: ログローテーション・古いログ削除, kind: builtin, task: log-rotation, schedule: "0 2 * * *" }',
      '    - { id: database, name: データベースメンテナンス, kind: builtin, task: database, window: weekly }',
      '    - { id: weekly-report, name: 週次レポート, kind: builtin, task: weekly-report, schedule: "0 9 * * 1" }',
      `    - { id: hello, name: 出力テスト, kind: command, command: ${JSON.stringify(process.execPath)}, args: ["-e", "console.log('こんにちは token=abc123secretvalue')"], schedule: "*/30 * * * *" }`,
      '    - { id: bot-launch, name: TradingAssistantX 30分間隔実行, kind: command, command: pnpm, args: [dev], schedule: "*/30 * * * *", tags: [bot], enabled: false }',
      '  backup:',
      '    pagesPerStep: 1',
      '',
    ].join('\n'),
  });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

const row = (job: string) => page.locator(`[data-testid="job-row"][data-job="${job}"]`);

describe('maintenance page in Chromium against headless mode', () => {
  it('lists the jobs with their schedule in words, runs a backup with progress, and shows history and verification', async () => {
    await page.goto(app.loginUrl);
    await page.getByTestId('nav-maintenance').click();
    await page.getByTestId('maintenance-page').waitFor();
    await row('backup').waitFor();
    expect(await row('backup').getByTestId('job-schedule').innerText()).toBe('毎日 03:00');
    expect(await row('hello').getByTestId('job-schedule').innerText()).toBe('30 分ごと');
    expect(await row('database').getByTestId('job-schedule').innerText()).toMatch(/weekly.*毎週日曜日 02:00/);
    expect(await row('bot-launch').innerText()).toMatch(/無効/);

    // A small database is copied in well under a second: note the progress the moment it appears
    // rather than hoping a poll lands inside the run.
    await page.evaluate(() => {
      const w = window as unknown as { sawBackupProgress?: boolean };
      w.sawBackupProgress = false;
      const seen = () =>
        document.querySelector('[data-testid="job-row"][data-job="backup"] [data-testid="job-progress"]') !==
        null;
      new MutationObserver((_records, observer) => {
        if (!seen()) return;
        w.sawBackupProgress = true;
        observer.disconnect();
      }).observe(document.body, { childList: true, subtree: true });
    });
    await row('backup').getByTestId('job-run').click();
    await page.waitForFunction(
      () => (window as unknown as { sawBackupProgress?: boolean }).sawBackupProgress,
      null,
      {
        timeout: 20_000,
      },
    );
    await page.screenshot({ path: join(screenshotDir, 'maintenance-backup-progress.png'), fullPage: true });
    await expect
      .poll(() => row('backup').getByTestId('run-status').getAttribute('data-status'), { timeout: 120_000 })
      .toBe('ok');
    const backupRow = page.getByTestId('backup-row').first();
    await expect
      .poll(() => backupRow.getByTestId('backup-verification').getAttribute('data-status'))
      .toBe('ok');
    expect(await backupRow.innerText()).toMatch(/機密ファイル 1 件は除外/);

    // Command output in the history, secrets masked.
    await row('hello').getByTestId('job-run').click();
    await expect
      .poll(() => row('hello').getByTestId('run-status').getAttribute('data-status'), { timeout: 20_000 })
      .toBe('ok');
    await page.getByTestId('history-row').first().click();
    const output = await page.getByTestId('run-output').innerText();
    expect(output).toContain('こんにちは');
    expect(output).not.toContain('abc123secretvalue');
    await page.screenshot({ path: join(screenshotDir, 'maintenance-page.png'), fullPage: true });
  }, 180_000);

  it('restores after a confirmation that names what will be replaced', async () => {
    const backupRow = page.getByTestId('backup-row').first();
    const id = await backupRow.getAttribute('data-backup');
    await backupRow.getByTestId('backup-restore').click();
    const dialog = page.getByTestId('restore-dialog');
    await dialog.waitFor();
    const replaces = await dialog.getByTestId('restore-replaces').innerText();
    expect(replaces).toContain(`${app.dataDir}/nexus-ops.db`);
    expect(replaces).toContain(id!);
    expect(await dialog.getByTestId('restore-submit').isDisabled()).toBe(true);
    await dialog.getByLabel('担当者名').fill('山田 太郎');
    await dialog.getByTestId('restore-confirm-input').fill(id!);
    await page.screenshot({ path: join(screenshotDir, 'maintenance-restore-dialog.png') });
    await dialog.getByTestId('restore-submit').click();
    await dialog.getByTestId('restore-done').waitFor({ timeout: 60_000 });
    expect(await dialog.getByTestId('restore-done').innerText()).toMatch(/整合性チェック: ok/);
    await page.keyboard.press('Escape');
    await page.getByTestId('restored-banner').waitFor();
  }, 120_000);

  it('writes a weekly report that opens from the page, and shows the schedule in English', async () => {
    await row('weekly-report').getByTestId('job-run').click();
    await page.getByTestId('report-open').first().waitFor({ timeout: 30_000 });
    await page.getByTestId('report-open').first().click();
    const frame = page.frameLocator('[data-testid="report-dialog"] iframe');
    await frame.locator('h1').waitFor();
    expect(await frame.locator('h1').innerText()).toBe('Nexus Ops 週次運用レポート');
    expect(await frame.locator('svg').count()).toBeGreaterThanOrEqual(4);
    await page.screenshot({ path: join(screenshotDir, 'maintenance-report.png') });
    await page.keyboard.press('Escape');

    await page.getByTestId('language-select').selectOption('en');
    await expect.poll(() => row('backup').getByTestId('job-schedule').innerText()).toBe('Every day at 03:00');
    expect(await row('hello').getByTestId('job-schedule').innerText()).toBe('Every 30 minutes');
    await page.screenshot({ path: join(screenshotDir, 'maintenance-page-en.png'), fullPage: true });
    await page.getByTestId('language-select').selectOption('ja');
  }, 60_000);
});

import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshotDir } from '../helpers/browser.js';
import { type Headless, makeTempDir, startHeadless } from '../helpers/headless.js';
import { q } from '../helpers/logs-core.js';
import { CaptureWriter, pythonLine } from '../helpers/logs-writers.js';

let app: Headless;
let browser: Browser;
let page: Page;
let root: string;
let logFile: string;
let capture: CaptureWriter;

beforeAll(async () => {
  const dataDir = makeTempDir('nexus logs e2e テスト-');
  root = join(dataDir, 'TwitterBot_Nexus_02');
  mkdirSync(join(root, 'log'), { recursive: true });
  logFile = join(root, 'log', 'alice_20250913_120000.log');
  const now = Date.now();
  const lines = [
    pythonLine(now - 60_000, 'INFO', '[alice] セッション開始: config/accounts_1.yaml (--live-run)'),
    pythonLine(now - 50_000, 'INFO', '[alice] [like] success: 1966512345678901234'),
    pythonLine(now - 40_000, 'WARNING', '[alice] [comment] hourly limit reached'),
    pythonLine(now - 30_000, 'ERROR', '[alice] 認証エラー: ログインできません'),
    'Traceback (most recent call last):',
    '  File "reply_bot/login_assist.py", line 40, in login',
    '    raise AuthError("認証に失敗しました")',
    'reply_bot.errors.AuthError: 認証に失敗しました',
    pythonLine(now - 20_000, 'INFO', '[alice] 現在のメモリ使用量: 412 MB'),
    pythonLine(now - 10_000, 'DEBUG', '[alice] profile-lock acquired'),
  ];
  writeFileSync(logFile, `${lines.join('\n')}\n`);
  capture = new CaptureWriter(dataDir, 'tax');
  capture.write('o', '🚀 TradingAssistantX 起動: スケジューラを開始します');
  capture.write(
    'o',
    '✅ MainWorkflow実行完了 - ExecutionID: exec_1757732400000_post - 実行時間: 2341ms - 結果: success',
  );
  capture.write(
    'e',
    '❌ MainWorkflow実行エラー - ExecutionID: exec_1757732400000_post - エラー: 429 Too Many Requests',
  );
  app = await startHeadless({
    dataDir,
    config: `monitor:
  liveIntervalSeconds: 1
alerts:
  rules:
    - id: e2e-logs
      name: E2E ログ確認
      expr: 'cpu.total >= 0'
      for: 1s
      severity: warning
      message: 'テスト用アラート'
bots:
  - id: nexus02
    name: TwitterBot Nexus 02
    root: ${q(root)}
    logs:
      - path: log/*.log
  - id: tax
    name: TradingAssistantX
    root: ${q(join(dataDir, 'tax'))}
    run: { mode: supervised, command: pnpm, args: [start] }
`,
  });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
});
afterAll(async () => {
  capture?.close();
  await browser?.close();
  await app?.close();
});

function rows(p: Page) {
  return p.getByTestId('log-list').getByTestId('log-row');
}

describe('Logs page in Chromium against headless mode', () => {
  it('shows the records in local time with level colours, then tails new lines as they are written', async () => {
    await page.goto(app.loginUrl);
    await page.getByTestId('nav-logs').click();
    await page.getByTestId('logs-page').waitFor();
    await expect.poll(() => rows(page).count(), { timeout: 20_000 }).toBe(9);
    expect(await page.getByTestId('log-live').isVisible()).toBe(true);
    const error = rows(page).filter({ hasText: '認証エラー' });
    expect(await error.getAttribute('data-level')).toBe('ERROR');
    expect(await error.getByTestId('log-message').innerText()).toContain('AuthError: 認証に失敗しました');

    // A line written now reaches the page without a reload (pushed, no polling).
    appendFileSync(logFile, `${pythonLine(Date.now(), 'ERROR', '[alice] 新しいエラー: タイムアウト')}\n`);
    capture.write('o', '📡 レスポンス: 200 OK');
    await rows(page).filter({ hasText: '新しいエラー' }).waitFor({ timeout: 10_000 });
    await rows(page).filter({ hasText: 'レスポンス: 200 OK' }).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(screenshotDir, 'logs-live.png'), fullPage: true });
  });

  it('pauses while scrolled up, counts what arrives, and resumes at the bottom', async () => {
    // Enough lines to scroll.
    const now = Date.now();
    appendFileSync(
      logFile,
      `${Array.from({ length: 60 }, (_, i) => pythonLine(now + i, 'INFO', `[alice] 処理 ${i} 件目を完了しました`)).join('\n')}\n`,
    );
    await rows(page).filter({ hasText: '処理 59 件目' }).waitFor({ timeout: 10_000 });
    // The operator scrolls up with the mouse wheel.
    await page.getByTestId('log-list').hover();
    await page.mouse.wheel(0, -5000);
    await page.getByTestId('log-paused').waitFor();
    const before = await rows(page).count();
    appendFileSync(logFile, `${pythonLine(Date.now(), 'WARNING', '[alice] 一時停止中に届いた行')}\n`);
    await expect.poll(() => page.getByTestId('log-paused').innerText(), { timeout: 10_000 }).toContain('1');
    expect(await rows(page).count()).toBe(before);
    await page.screenshot({ path: join(screenshotDir, 'logs-paused.png') });
    await page.getByTestId('log-paused').click();
    await rows(page).filter({ hasText: '一時停止中に届いた行' }).waitFor();
    await page.getByTestId('log-live').waitFor();
  });

  it('searches Japanese with a 2-character term, highlights it, and opens a record’s context', async () => {
    await page.getByTestId('log-query').fill('認証');
    await page.getByTestId('log-search').click();
    await expect.poll(() => rows(page).count(), { timeout: 10_000 }).toBe(1);
    const marks = await rows(page).first().locator('mark').allInnerTexts();
    expect(marks.length).toBeGreaterThanOrEqual(2);
    expect(new Set(marks)).toEqual(new Set(['認証']));
    await rows(page).first().click();
    await page.getByTestId('log-context').waitFor();
    const context = page.getByTestId('log-context');
    expect(await context.innerText()).toContain('reply_bot.errors.AuthError');
    expect(await context.getByTestId('log-context-row').count()).toBeGreaterThan(3);
    await page.screenshot({ path: join(screenshotDir, 'logs-search-context.png'), fullPage: true });
    await page.getByTestId('log-context-close').click();
  });

  it('opens from a bot link (#/logs?bot=tax) and shows all records of one execution id', async () => {
    await page.goto(`${app.url}/#/logs?bot=tax`);
    await page.getByTestId('logs-page').waitFor();
    await expect.poll(() => rows(page).count(), { timeout: 10_000 }).toBe(4);
    expect(await page.getByTestId('log-bot').inputValue()).toBe('tax');
    const failed = rows(page).filter({ hasText: '実行エラー' });
    expect(await failed.getAttribute('data-level')).toBe('ERROR');
    await failed.click();
    const trace = page.getByTestId('log-trace');
    await trace.waitFor();
    expect(await trace.getByTestId('log-context-row').count()).toBe(2);
    expect(await page.getByTestId('log-trace-title').innerText()).toContain('exec_1757732400000_post');
    // The sources panel says where reading stands.
    await page.getByTestId('log-sources').locator('summary').click();
    await expect.poll(() => page.getByTestId('log-source-file').count()).toBeGreaterThanOrEqual(2);
    await page.screenshot({ path: join(screenshotDir, 'logs-bot-trace.png'), fullPage: true });
  });

  it('opens from an alert link (#/logs?alert=<id>) on the alert’s time range', async () => {
    let alertId = '';
    await expect
      .poll(
        async () => {
          const r = await app.call<{ alerts: { id: string; ruleId: string; state: string }[] }>(
            'alerts.list',
            {},
          );
          alertId = r.value?.alerts.find((a) => a.ruleId === 'e2e-logs' && a.state === 'firing')?.id ?? '';
          return alertId;
        },
        { timeout: 30_000 },
      )
      .not.toBe('');
    await page.goto(`${app.url}/#/logs?alert=${encodeURIComponent(alertId)}`);
    await page.getByTestId('log-origin').waitFor();
    expect(await page.getByTestId('log-origin').innerText()).toContain('E2E ログ確認');
    // From ten minutes before the alert: the records written since the test began are in range.
    await expect.poll(() => rows(page).count(), { timeout: 10_000 }).toBeGreaterThan(10);
    await page.screenshot({ path: join(screenshotDir, 'logs-from-alert.png') });
  });
});

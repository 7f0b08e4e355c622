import type { ExtractionRuleInput } from '../../../shared/config/telemetry.js';

/**
 * The shipped extraction rules, for the lines the two real bots write today (BOTS.md, and their
 * public code). The first rule that matches a record wins, so specific lines come before the generic
 * ERROR rule. The same list is in resources/config/default.yaml (a unit test compares them).
 *
 * TradingAssistantX (console, emoji, no timestamps; errors on stderr):
 *   `⚡ MainWorkflow実行開始 - ExecutionID: exec_…_post`
 *   `✅ MainWorkflow実行完了 - ExecutionID: exec_…_post - 実行時間: 2341ms - 結果: success`
 *   `❌ MainWorkflow実行エラー - ExecutionID: … - 実行時間: Nms - エラー: …`
 *   `🌐 HTTP GET リクエスト: …` then `📡 レスポンス: 200 OK` (GET), `📋 HTTP Response: …` (POST)
 *   `⏱️ QPS制限により待機: Nms (現在QPS: n/200)`, `🔄 Rate limit - リトライ i/n (Nms後)`,
 *   `⚠️ 日次予算警告: $x / $5 (tweet)`, `❌ postでエラー: … Request timeout after 10000ms`
 * TwitterBot Nexus 02 (Python logging `%(asctime)s - %(levelname)s - %(message)s`):
 *   `[account] [like] success: 1966…`, `[like] failed: <id>: <error>`,
 *   `[comment] hourly limit reached (5/5). stop.`, `[profile-lock] timeout waiting: <lock file>`,
 *   `WebDriverを再起動しました（起動回数: N）`, `WebDriverの初期化中にエラーが発生しました: …`,
 *   `現在のメモリ使用量: 412.3 MB`, and ERROR records with tracebacks.
 */
const TAX = 'tradingassistantx';
const NEXUS = 'nexus02';
const EXEC = '(?P<exec>exec_\\d+_(?P<action>[a-z_]+))';
/** `[account] ` before the action tag, when the bot's logging adds it. */
const ACCOUNT = '(?:\\[(?P<account>[^\\]\\s]+)\\] )?';

export const defaultExtractionRules: ExtractionRuleInput[] = [
  {
    id: 'tax-workflow-start',
    pack: TAX,
    match: `⚡ MainWorkflow実行開始 - ExecutionID: ${EXEC}`,
    event: 'run',
    run: 'start',
  },
  {
    id: 'tax-workflow-success',
    pack: TAX,
    match: `✅ MainWorkflow実行完了 - ExecutionID: ${EXEC} - 実行時間: (?P<value>\\d+)ms - 結果: success`,
    event: 'success',
    run: 'finish',
    expectWithinHours: 24,
  },
  {
    id: 'tax-workflow-error',
    pack: TAX,
    match: `❌ MainWorkflow実行エラー - ExecutionID: ${EXEC}`,
    event: 'failure',
    run: 'finish-error',
  },
  { id: 'tax-api-request', pack: TAX, match: '🌐 HTTP (?:GET|POST) リクエスト', event: 'api-request' },
  {
    id: 'tax-api-response',
    pack: TAX,
    match: '📡 レスポンス: (?P<status>\\d{3})',
    event: 'api-call',
    provider: 'twitterapi-io',
    expectWithinHours: 24,
  },
  {
    id: 'tax-api-post-response',
    pack: TAX,
    match: '📋 HTTP Response: ',
    event: 'api-call',
    provider: 'twitterapi-io',
  },
  {
    id: 'tax-api-timeout',
    pack: TAX,
    match: 'でエラー:.*(?:Request timeout after (?P<ms>\\d+)ms|REQUEST_TIMEOUT)',
    event: 'api-error',
    provider: 'twitterapi-io',
  },
  {
    id: 'tax-qps-wait',
    pack: TAX,
    match: '⏱️ QPS制限により待機: (?P<ms>\\d+)ms(?: \\(現在QPS: (?P<qps>\\d+)/\\d+\\))?',
    event: 'qps-wait',
  },
  {
    id: 'tax-rate-limit-retry',
    pack: TAX,
    match: '🔄 Rate limit - リトライ \\d+/\\d+',
    event: 'rate-limit-answer',
  },
  {
    id: 'tax-budget-warning',
    pack: TAX,
    match: '⚠️ (?:日次|月次)予算警告: \\$(?P<value>[\\d.]+)',
    event: 'budget-warning',
  },
  {
    id: 'nexus-action-success',
    pack: NEXUS,
    match: `^${ACCOUNT}\\[(?P<action>[a-z_]+)\\] success: `,
    event: 'success',
    expectWithinHours: 24,
  },
  {
    id: 'nexus-action-failed',
    pack: NEXUS,
    match: `^${ACCOUNT}\\[(?P<action>[a-z_]+)\\] failed: `,
    event: 'failure',
  },
  {
    id: 'nexus-hourly-limit',
    pack: NEXUS,
    match: `^${ACCOUNT}\\[(?P<action>[a-z_]+)\\] hourly limit reached`,
    event: 'action-limit',
  },
  {
    id: 'nexus-profile-lock-timeout',
    pack: NEXUS,
    match: `^${ACCOUNT}\\[profile-lock\\] timeout waiting: `,
    event: 'profile-lock-timeout',
  },
  {
    id: 'nexus-webdriver-restart',
    pack: NEXUS,
    match: 'WebDriverを再起動しました（起動回数: (?P<value>\\d+)）',
    event: 'webdriver-restart',
  },
  {
    id: 'nexus-chrome-start-failure',
    pack: NEXUS,
    match: 'WebDriverの(?:初期化中|セットアップ中|再起動中)にエラー',
    levels: ['ERROR', 'CRITICAL'],
    event: 'chrome-start-failure',
  },
  {
    id: 'nexus-memory',
    pack: NEXUS,
    match: '現在のメモリ使用量: (?P<value>\\d+(?:\\.\\d+)?) MB',
    event: 'memory',
    expectWithinHours: 24,
  },
  {
    id: 'error-record',
    description: 'Any ERROR or CRITICAL record of any bot (a Python traceback comes with its record).',
    match: '\\S',
    levels: ['ERROR', 'CRITICAL'],
    event: 'error',
  },
];

import type { AlertRuleInput } from '../../../shared/config/alerts.js';

/**
 * The shipped rules. Thresholds and durations come from the customer's documents:
 * - Phase 6 運用設計, infrastructure_monitoring.alerting_thresholds: CPU > 90 % 15 分 critical,
 *   > 80 % 30 分 warning; memory > 95 % 10 分 critical, > 85 % 30 分 warning; disk < 5 % 即座
 *   critical, < 20 % warning with 24 時間前予告; technical_alerts: メモリリーク検出
 *   "memory_growth_rate > 10MB/hour for 6h" warning; process_monitoring: zombie_processes.
 * - TASK-003 STEP-2 緊急停止システム: API制限違反, $100/日超過, 連続5回失敗, TwitterAPI.io障害, as
 *   ordinary rules with `action: emergency-stop` over the metrics bot telemetry publishes
 *   (electron/core/telemetry), and the STEP-1/2 thresholds (AlertThresholds) as warnings; コスト管理体制
 *   budget warnings (80 % of the day, 90 % of the month).
 * - Phase 6 business_impact_alerts 投稿成功率低下 (success_rate < 90% for 15m, critical) and
 *   application_health Chrome起動失敗 (chrome_startup_failures > 5 in 1h, critical).
 * - The dead-man's switch per bot (late: warning, down: critical) for scheduled bots.
 * Clear thresholds (hysteresis) are ours: 5 points inside the trigger for percentages.
 * The same list is in resources/config/default.yaml (keep both in step; a unit test compares them
 * when that file exists).
 */
export const defaultRules: AlertRuleInput[] = [
  {
    id: 'cpu-critical',
    name: 'CPU使用率異常',
    expr: 'cpu.total > 90',
    for: '15m',
    clear: 85,
    severity: 'critical',
    message: 'CPU使用率 {{value}}% が {{for}} 以上 90% を超えています',
  },
  {
    id: 'cpu-warning',
    name: 'CPU使用率高',
    expr: 'cpu.total > 80',
    for: '30m',
    clear: 75,
    severity: 'warning',
    message: 'CPU使用率 {{value}}% が {{for}} 以上 80% を超えています',
  },
  {
    id: 'memory-critical',
    name: 'メモリ使用率異常',
    expr: 'mem.used_pct > 95',
    for: '10m',
    clear: 90,
    severity: 'critical',
    message: 'メモリ使用率 {{value}}% が {{for}} 以上 95% を超えています',
  },
  {
    id: 'memory-warning',
    name: 'メモリ使用率高',
    expr: 'mem.used_pct > 85',
    for: '30m',
    clear: 80,
    severity: 'warning',
    message: 'メモリ使用率 {{value}}% が {{for}} 以上 85% を超えています',
  },
  {
    id: 'disk-critical',
    name: 'ディスク空き容量不足',
    expr: 'disk.free_pct < 5',
    for: '0',
    clear: 7,
    severity: 'critical',
    message: 'ディスク {{labels.mount}} の空き容量が {{value}}% です（5% 未満）',
  },
  {
    id: 'disk-warning',
    name: 'ディスク空き容量低下',
    expr: 'disk.free_pct < 20',
    for: '0',
    clear: 22,
    severity: 'warning',
    message: 'ディスク {{labels.mount}} の空き容量が {{value}}% です（20% 未満）',
  },
  {
    id: 'disk-forecast',
    name: 'ディスク空き容量 24時間前予告',
    expr: 'forecast(disk.free_pct, 24h, 6h) < 20',
    for: '15m',
    clear: 22,
    severity: 'warning',
    message:
      'ディスク {{labels.mount}} の空き容量は直近 6 時間の傾向から 24 時間以内に 20% を下回る見込みです（予測 {{value}}%）',
    notes: 'Linear fit over the last 6 h of disk.free_pct, re-fitted every 5 minutes.',
  },
  {
    id: 'bot-down',
    name: '常時稼働ボットの停止',
    // Only bots declared always-on (supervised, start: always) have this series: with no bot configured
    // nothing can fire, and a bot that runs on a schedule is not "down" between two runs (its
    // dead-man's switch watches it instead).
    expr: 'bot.up{start="always"} == 0',
    for: '5m',
    severity: 'warning',
    message: '常時稼働のボット {{labels.bot}} が {{for}} 以上動いていません',
    runbook: 'level3-system-stop',
  },
  {
    id: 'bot-crash-loop',
    name: 'ボットのクラッシュループ',
    // The supervisor stopped restarting it (16 exits right after starting, PM2's numbers).
    expr: 'bot.errored > 0',
    for: '0',
    severity: 'critical',
    message: 'ボット {{labels.bot}} が起動直後の終了を繰り返したため再起動を止めました（クラッシュループ）',
  },
  {
    id: 'memory-leak',
    name: 'メモリリーク検出',
    expr: 'proc.leak_mb_per_h{family=~".*"} > 10',
    // The series is already the growth sustained over the 6 h window (monitor.leak.windowHours).
    for: '15m',
    clear: 5,
    severity: 'warning',
    message: '{{labels.family}} のメモリが {{value}} MB/時 の割合で増え続けています（6 時間以上）',
  },
  {
    id: 'zombie-processes',
    name: 'ゾンビプロセス検出',
    expr: 'proc.zombies > 0',
    for: '1m',
    severity: 'warning',
    message: '{{labels.family}} にゾンビプロセスが {{value}} 個あります',
  },
  {
    id: 'hung-processes',
    name: '応答なしプロセス検出',
    expr: 'proc.hung > 0',
    for: '1m',
    severity: 'warning',
    message: '{{labels.family}} に応答しないプロセスが {{value}} 個あります',
  },
  {
    id: 'stop-chrome-runaway',
    name: 'Chrome プロセス暴走（緊急停止）',
    expr: 'proc.count{family="bot-chrome"} > 60',
    for: '2m',
    severity: 'critical',
    action: 'emergency-stop',
    message: 'ボットの Chrome プロセスが {{value}} 個あります（上限 60）: 緊急停止します',
    notes:
      'A headless Chrome tree is 6-8 processes and the bots drive one tree per running config; 60 is about 8 trees at once, far beyond normal use: orphaned Chrome left by hard-killed Python (BOTS.md) or a spawn loop. 2 minutes rides out a restart overlap.',
    runbook: 'level3-system-stop',
  },
  {
    id: 'stop-api-limit',
    name: 'API制限違反（緊急停止）',
    expr: 'bot.qps_violations > 0',
    for: '0',
    severity: 'critical',
    action: 'emergency-stop',
    message: '{{labels.bot}} の API 呼び出しが制限を超えました（QPS 210 超過 {{value}} 回）: 緊急停止します',
    notes:
      'TASK-003 緊急停止 trigger API制限違反: a second with more than telemetry.kpis.qpsViolation (AlertThresholds.qpsViolation: 210) calls, counted over 5 minutes (TwitterAPI.io allows 200 QPS).',
    runbook: 'level3-system-stop',
  },
  {
    id: 'stop-api-rate-limited',
    name: 'API レート制限応答の多発（緊急停止）',
    expr: 'increase(bot.rate_limit_answers[5m]) >= 10',
    for: '0',
    severity: 'critical',
    action: 'emergency-stop',
    message: '{{labels.bot}} が 5 分間に {{value}} 回レート制限の応答を受けました: 緊急停止します',
    notes:
      'TASK-003 緊急停止 trigger API制限違反, as the provider answers it: 429 responses and the bot\'s "Rate limit - リトライ" lines, 10 in 5 minutes.',
  },
  {
    id: 'stop-cost-spike',
    name: '異常なコスト増加（緊急停止）',
    expr: 'cost.day_usd > 100',
    for: '0',
    severity: 'critical',
    action: 'emergency-stop',
    message: '本日の API コストが ${{value}} です（$100/日超過）: 緊急停止します',
    notes:
      'TASK-003 緊急停止 trigger: 異常なコスト増加（$100/日超過）. All bots together, the day in telemetry.timezone; the cost counts across restarts of the bots and of Nexus Ops.',
    runbook: 'level3-system-stop',
  },
  {
    id: 'stop-consecutive-failures',
    name: '連続5回失敗（緊急停止）',
    expr: 'bot.consecutive_failures >= 5',
    for: '0',
    severity: 'critical',
    action: 'emergency-stop',
    message: '{{labels.bot}} が {{value}} 回連続で失敗しました: 緊急停止します',
    notes:
      'TASK-003 緊急停止 trigger: 連続5回失敗. A success resets the streak, and so does a resume after an emergency stop.',
    runbook: 'level3-system-stop',
  },
  {
    id: 'stop-api-outage',
    name: 'TwitterAPI.io 障害（緊急停止）',
    expr: 'bot.api_outage > 0',
    for: '1m',
    severity: 'critical',
    action: 'emergency-stop',
    message:
      'TwitterAPI.io の障害を検知しました（{{labels.bot}} の呼び出しの半数以上が失敗）: 緊急停止します',
    notes:
      'TASK-003 緊急停止 trigger: TwitterAPI.io障害検知. bot.api_outage is 1 while at least half of the calls of the last 5 minutes (5 or more) got a 5xx answer or none (telemetry.kpis.outage*).',
    runbook: 'level3-system-stop',
  },
  {
    id: 'api-error-rate',
    name: 'APIエラー率上昇',
    expr: 'bot.api_error_rate_pct >= 10',
    for: '5m',
    severity: 'warning',
    message: '{{labels.bot}} の API エラー率が {{value}}% です（10% 以上）',
    notes:
      'TASK-003 STEP-1 monitoring.alerts.api_error_rate: 10 (AlertThresholds.apiErrorRate), over 15 minutes.',
  },
  {
    id: 'api-response-time',
    name: 'API応答遅延',
    expr: 'bot.response_time_ms >= 1000',
    for: '5m',
    severity: 'warning',
    message: '{{labels.bot}} の API 応答時間 (p95) が {{value}} ms です（1 秒以上）',
    notes:
      'TASK-003 STEP-1 monitoring.alerts.response_time: 1000 (AlertThresholds.responseTimeMs); the 95th percentile over 15 minutes.',
    runbook: 'level1-api-latency',
  },
  {
    id: 'api-qps',
    name: 'QPS 制限超過',
    expr: 'bot.qps > 210',
    for: '0',
    severity: 'warning',
    message: '{{labels.bot}} の QPS が {{value}} です（210 超過）',
    notes: 'TASK-003 STEP-2 AlertThresholds.qpsViolation: 210.',
  },
  {
    id: 'api-cost-daily',
    name: '日次コスト警告',
    expr: 'cost.day_usd >= 50',
    for: '0',
    severity: 'warning',
    message: '本日の API コストが ${{value}} です（$50/日以上）',
    notes:
      'TASK-003 STEP-1 monitoring.alerts.cost_threshold: 50 (AlertThresholds.dailyCostUsd), all bots together.',
  },
  {
    id: 'budget-daily-80',
    name: '日次予算 80% 到達',
    expr: 'cost.budget_day_pct >= 80',
    for: '0',
    severity: 'warning',
    message: '本日の API コストが日次予算の {{value}}% に達しました',
    notes:
      'TASK-003 コスト管理体制 alerts.daily_80_percent (daily_limit_usd 30). Fires once per day: the share only grows during a day and falls to 0 at midnight in telemetry.timezone.',
  },
  {
    id: 'budget-monthly-90',
    name: '月次予算 90% 到達',
    expr: 'cost.budget_month_pct >= 90',
    for: '0',
    severity: 'warning',
    message: '今月の API コストが月次予算の {{value}}% に達しました',
    notes: 'TASK-003 コスト管理体制 alerts.monthly_90_percent (monthly_limit_usd 800). Fires once per month.',
  },
  {
    id: 'consecutive-failures',
    name: '連続失敗',
    expr: 'bot.consecutive_failures >= 3',
    for: '0',
    severity: 'warning',
    message: '{{labels.bot}} が {{value}} 回連続で失敗しています',
    notes: 'TASK-003 STEP-2 AlertThresholds.consecutiveFailures: 3 (the warning before the stop at 5).',
  },
  {
    id: 'success-rate',
    name: '投稿成功率低下',
    expr: 'bot.success_rate_pct < 90',
    for: '15m',
    severity: 'critical',
    message: '{{labels.bot}} の成功率が {{value}}% です（90% 未満が 15 分続いています）',
    notes:
      'Phase 6 business_impact_alerts 投稿成功率低下: "success_rate < 90% for 15m", critical. The rate needs telemetry.kpis.minOutcomesForRate outcomes in its window.',
  },
  {
    id: 'chrome-start-failures',
    name: 'Chrome起動失敗',
    expr: 'increase(bot.chrome_start_failures[1h]) > 5',
    for: '0',
    severity: 'critical',
    message:
      '{{labels.bot}} の Chrome (WebDriver) が 1 時間に {{value}} 回起動に失敗しました: Chrome 環境を確認してください',
    notes: 'Phase 6 application_health Chrome起動失敗: "chrome_startup_failures > 5 in 1h", critical.',
  },
  {
    id: 'deadman-late',
    name: 'ボットの実行遅延',
    expr: 'bot.dms_state == 3',
    for: '0',
    severity: 'warning',
    message: '{{labels.bot}} の予定の実行が始まっていません（死活監視: 遅延）',
    notes:
      "The dead-man's switch (telemetry.bots[].deadMan): a slot passed its start grace without a start. The reason is on the Bots page.",
  },
  {
    id: 'deadman-down',
    name: 'ボットの停止・異常',
    expr: 'bot.dms_state == 4',
    for: '0',
    severity: 'critical',
    message:
      '{{labels.bot}} の死活監視が停止状態です（実行が続けて行われない・終わらない・早すぎる・失敗・多すぎる）',
    notes:
      "The dead-man's switch: two slots missed, a run over maxRunMinutes, a run shorter than minRunSeconds, a failed run (or failure rate), or runs too often. Replaces counting bot processes for scheduled bots.",
  },
  {
    id: 'checklist-overdue',
    name: 'チェックリスト期限超過',
    expr: 'app.checklist_overdue > 0',
    for: '0',
    severity: 'warning',
    enabled: false,
    message:
      'チェックリスト {{labels.slot}} の未完了項目が {{value}} 件あります（予定時刻から 30 分以上経過）',
    notes:
      'TASK-003 STEP-5 日次運用チェックリスト: a reminder goes out by itself at +30 min (checklists.reminders); enable this rule to escalate an overdue checklist like an alert (alerts.escalation).',
  },
  // Maintenance (electron/core/maintenance): job results, backups, health checks, weekly scans.
  {
    id: 'job-failed-critical',
    name: '保守ジョブ失敗（重大）',
    expr: 'job.failed{severity="critical"} > 0',
    for: '0',
    severity: 'critical',
    message: '保守ジョブ {{labels.job}} が失敗しました（履歴を確認してください）',
    notes: 'maintenance: a job with onFailure critical failed or timed out (backup by default).',
  },
  {
    id: 'job-failed-warning',
    name: '保守ジョブ失敗',
    expr: 'job.failed{severity="warning"} > 0',
    for: '0',
    severity: 'warning',
    message: '保守ジョブ {{labels.job}} が失敗しました',
    notes: 'maintenance: a job with onFailure warning failed or timed out.',
  },
  {
    id: 'job-failed-info',
    name: '保守ジョブ失敗（情報）',
    expr: 'job.failed{severity="info"} > 0',
    for: '0',
    severity: 'info',
    message: '保守ジョブ {{labels.job}} が失敗しました',
    notes: 'maintenance: a job with onFailure info failed or timed out.',
  },
  {
    id: 'backup-verify-failed',
    name: 'バックアップ検証失敗',
    expr: 'backup.verify_failed > 0',
    for: '0',
    severity: 'critical',
    message: '直近のバックアップの検証に失敗しました: 復元できない可能性があります',
    notes: 'maintenance: the newest backup did not restore into a temporary folder identically.',
  },
  {
    id: 'backup-stale',
    name: '検証済みバックアップなし',
    expr: 'backup.last_verified_age_s > 93600',
    for: '0',
    severity: 'warning',
    message: '検証済みのバックアップが {{value}} 秒以上作られていません（日次 + 2 時間）',
    notes: 'maintenance: daily backup (TASK-003) plus 2 h of grace (ours).',
  },
  {
    id: 'check-failing',
    name: 'ヘルスチェック連続失敗',
    expr: 'check.consecutive_failures >= 3',
    for: '0',
    severity: 'warning',
    message: 'ヘルスチェック {{labels.check}} が {{value}} 回連続で失敗しています',
    notes: 'Phase 6 synthetic_monitoring failure_threshold: 連続3回失敗.',
  },
  {
    id: 'stop-provider-check',
    name: 'TwitterAPI.io 障害・外形監視（緊急停止）',
    expr: 'check.consecutive_failures{check="twitterapi-io"} >= 3',
    for: '0',
    severity: 'critical',
    action: 'emergency-stop',
    message: 'TwitterAPI.io の外形監視が {{value}} 回連続で失敗しました（5xx・無応答）: 緊急停止します',
    notes:
      'TASK-003 緊急停止 trigger: TwitterAPI.io障害検知, 障害対応手順 Level 3: 緊急停止実行. The shipped health check maintenance.healthChecks twitterapi-io (disabled until a bot uses the provider) failing 3 times in a row (Phase 6 連続3回失敗).',
    runbook: 'level3-system-stop',
  },
  {
    id: 'check-heal-stopped',
    name: '自動復旧の停止',
    expr: 'check.heal_guard > 0',
    for: '0',
    severity: 'critical',
    message:
      'ヘルスチェック {{labels.check}} の自動復旧が上限に達したため停止しました: 手動で対応してください',
    notes: 'maintenance: self-healing guard (at most 2 heals in 3 cycles) tripped.',
  },
  {
    id: 'dependency-audit',
    name: '依存関係の脆弱性',
    expr: 'audit.findings > 0',
    for: '0',
    severity: 'warning',
    message: '依存関係スキャン {{labels.audit}} で {{value}} 件の脆弱性が見つかりました',
    notes: 'Phase 6 weekly: 依存関係脆弱性スキャン (safety, pip-audit).',
  },
  {
    id: 'browser-version-mismatch',
    name: 'Chrome・WebDriver バージョン不一致',
    expr: 'browser.version_mismatch > 0',
    for: '0',
    severity: 'warning',
    message: '{{labels.browser}} が固定バージョンと異なります',
    notes: 'Phase 6 weekly: Chrome・WebDriverバージョン確認, rollback_plan 固定バージョンへの復旧.',
  },
];

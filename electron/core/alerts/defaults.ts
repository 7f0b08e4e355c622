import type { AlertRuleInput } from '../../../shared/config/alerts.js';

/**
 * The shipped rules. Thresholds and durations come from the customer's documents:
 * - Phase 6 運用設計, infrastructure_monitoring.alerting_thresholds: CPU > 90 % 15 分 critical,
 *   > 80 % 30 分 warning; memory > 95 % 10 分 critical, > 85 % 30 分 warning; disk < 5 % 即座
 *   critical, < 20 % warning with 24 時間前予告; technical_alerts: メモリリーク検出
 *   "memory_growth_rate > 10MB/hour for 6h" warning; process_monitoring: zombie_processes.
 * - TASK-003 STEP-2 緊急停止システム: API制限違反, $100/日超過, 連続5回失敗, TwitterAPI.io障害
 *   (disabled until bot telemetry publishes those metrics), and STEP-1/2 thresholds as warnings.
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
  },
  {
    id: 'stop-api-limit',
    name: 'API制限違反（緊急停止）',
    expr: 'bot.qps_violations > 0',
    for: '0',
    severity: 'critical',
    action: 'emergency-stop',
    enabled: false,
    message: 'API制限違反を検知しました（{{value}} 件）: 緊急停止します',
    notes:
      'TASK-003 緊急停止 trigger; enable when bot telemetry publishes bot.qps_violations (QPS over 210).',
  },
  {
    id: 'stop-cost-spike',
    name: '異常なコスト増加（緊急停止）',
    expr: 'bot.cost_usd_day > 100',
    for: '0',
    severity: 'critical',
    action: 'emergency-stop',
    enabled: false,
    message: '本日の API コストが ${{value}} です（$100/日超過）: 緊急停止します',
    notes: 'TASK-003 緊急停止 trigger: 異常なコスト増加（$100/日超過）.',
  },
  {
    id: 'stop-consecutive-failures',
    name: '連続5回失敗（緊急停止）',
    expr: 'bot.consecutive_failures >= 5',
    for: '0',
    severity: 'critical',
    action: 'emergency-stop',
    enabled: false,
    message: '{{value}} 回連続で失敗しました: 緊急停止します',
    notes: 'TASK-003 緊急停止 trigger: 連続5回失敗.',
  },
  {
    id: 'stop-api-outage',
    name: 'TwitterAPI.io 障害（緊急停止）',
    expr: 'bot.api_outage > 0',
    for: '1m',
    severity: 'critical',
    action: 'emergency-stop',
    enabled: false,
    message: 'TwitterAPI.io の障害を検知しました: 緊急停止します',
    notes: 'TASK-003 緊急停止 trigger: TwitterAPI.io障害検知 (bot.api_outage = 1 while the API is down).',
  },
  {
    id: 'api-error-rate',
    name: 'APIエラー率上昇',
    expr: 'bot.api_error_rate_pct >= 10',
    for: '5m',
    severity: 'warning',
    enabled: false,
    message: 'API エラー率が {{value}}% です（10% 以上）',
    notes: 'TASK-003 STEP-1 monitoring.alerts.api_error_rate: 10.',
  },
  {
    id: 'api-response-time',
    name: 'API応答遅延',
    expr: 'bot.response_time_ms >= 1000',
    for: '5m',
    severity: 'warning',
    enabled: false,
    message: 'API 応答時間が {{value}} ms です（1 秒以上）',
    notes: 'TASK-003 STEP-1 monitoring.alerts.response_time: 1000.',
  },
  {
    id: 'api-cost-daily',
    name: '日次コスト警告',
    expr: 'bot.cost_usd_day >= 50',
    for: '0',
    severity: 'warning',
    enabled: false,
    message: '本日の API コストが ${{value}} です（$50/日以上）',
    notes: 'TASK-003 STEP-1 monitoring.alerts.cost_threshold: 50.',
  },
  {
    id: 'consecutive-failures',
    name: '連続失敗',
    expr: 'bot.consecutive_failures >= 3',
    for: '0',
    severity: 'warning',
    enabled: false,
    message: '{{value}} 回連続で失敗しています',
    notes: 'TASK-003 STEP-2 AlertThresholds.consecutiveFailures: 3.',
  },
];

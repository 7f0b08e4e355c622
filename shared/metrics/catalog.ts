/**
 * The metric catalog: every metric Nexus Ops produces, with its unit, labels, kind and a ja/en
 * description. The monitor, alert-rule validation, the renderer's formatters and the Prometheus export
 * read it; a capability that produces metrics adds its entries here (bot telemetry `bot.*`,
 * maintenance `job.*`). Operator-defined metrics (extraction rules) live under `custom.*`: any such
 * name is accepted, as a unit-less gauge.
 */

/** gauge: a level now; counter: a total that only grows (resets at restart); rate: per second over the sample window. */
export type MetricKind = 'gauge' | 'counter' | 'rate';

export type MetricUnit =
  | 'percent'
  | 'bytes'
  | 'bytes_per_second'
  | 'ops_per_second'
  | 'count'
  | 'megabytes_per_hour'
  | 'milliseconds'
  | 'seconds'
  | 'usd'
  | 'ratio';

export interface MetricDef {
  name: string;
  unit: MetricUnit;
  kind: MetricKind;
  /** Label names; every sample of the metric carries exactly these (bounded values: no PIDs, no free text). */
  labels: readonly string[];
  help: { ja: string; en: string };
  /** Its Prometheus name when the derived one would mislead (electron/core/export/names.ts derives the rest). */
  exportName?: string;
}

const m = <const N extends string>(
  name: N,
  unit: MetricUnit,
  kind: MetricKind,
  labels: readonly string[],
  ja: string,
  en: string,
) => ({ name, unit, kind, labels, help: { ja, en } }) satisfies MetricDef;

export const metricCatalog = [
  // System (monitor)
  m('cpu.total', 'percent', 'gauge', [], 'CPU 使用率 (全コア平均)', 'CPU usage, all cores'),
  m('cpu.core', 'percent', 'gauge', ['core'], 'CPU 使用率 (コア別)', 'CPU usage per core'),
  m('mem.used_pct', 'percent', 'gauge', [], 'メモリ使用率', 'Memory in use'),
  m('mem.used_bytes', 'bytes', 'gauge', [], 'メモリ使用量', 'Memory in use, bytes'),
  m('mem.available_bytes', 'bytes', 'gauge', [], '利用可能なメモリ', 'Memory available'),
  m('swap.used_pct', 'percent', 'gauge', [], 'スワップ (ページファイル) 使用率', 'Swap (page file) in use'),
  m('disk.free_pct', 'percent', 'gauge', ['mount'], 'ディスク空き容量の割合', 'Disk space free'),
  m('disk.free_bytes', 'bytes', 'gauge', ['mount'], 'ディスク空き容量', 'Disk space free, bytes'),
  m('disk.used_bytes', 'bytes', 'gauge', ['mount'], 'ディスク使用量', 'Disk space used'),
  m('disk.read_bps', 'bytes_per_second', 'rate', ['device'], 'ディスク読み込み速度', 'Disk reads'),
  m('disk.write_bps', 'bytes_per_second', 'rate', ['device'], 'ディスク書き込み速度', 'Disk writes'),
  m('disk.read_iops', 'ops_per_second', 'rate', ['device'], 'ディスク読み込み回数', 'Disk read operations'),
  m('disk.write_iops', 'ops_per_second', 'rate', ['device'], 'ディスク書き込み回数', 'Disk write operations'),
  m('net.rx_bps', 'bytes_per_second', 'rate', ['iface'], 'ネットワーク受信速度', 'Network received'),
  m('net.tx_bps', 'bytes_per_second', 'rate', ['iface'], 'ネットワーク送信速度', 'Network sent'),
  // Process families (monitor)
  {
    ...m('proc.count', 'count', 'gauge', ['family'], 'プロセス数', 'Processes'),
    // `_count` is reserved for histograms and summaries in Prometheus.
    exportName: 'nexus_proc_processes',
  },
  m(
    'proc.runs',
    'count',
    'gauge',
    ['family'],
    '実行数 (親子のプロセスをまとめて 1 つ)',
    'Runs (a process and its same-family children count once)',
  ),
  m('proc.cpu_pct', 'percent', 'gauge', ['family'], 'プロセスの CPU 使用率', 'Process CPU usage'),
  m(
    'proc.rss',
    'bytes',
    'gauge',
    ['family'],
    'プロセスのメモリ (ワーキングセット)',
    'Process memory (working set)',
  ),
  m('proc.zombies', 'count', 'gauge', ['family'], 'ゾンビプロセス数', 'Zombie processes'),
  m('proc.hung', 'count', 'gauge', ['family'], '応答なしのプロセス数', 'Hung processes'),
  m('proc.leak_mb_per_h', 'megabytes_per_hour', 'gauge', ['family'], 'メモリ増加傾向', 'Memory growth trend'),
  // Bots (electron/core/bots): one series per configured bot id
  m(
    'bot.up',
    'count',
    'gauge',
    ['bot', 'start'],
    'ボット稼働中 (1) / 停止 (0)。start: always / schedule / manual / external',
    'Bot running (1) or not (0); start: always / schedule / manual / external',
  ),
  m(
    'bot.state',
    'count',
    'gauge',
    ['bot'],
    'ボットの状態 (0 停止, 1 稼働, 2 起動・停止中, 3 再起動待ち, 4 クラッシュループ, 5 緊急停止で保留)',
    'Bot state (0 stopped, 1 running, 2 starting/stopping, 3 waiting to restart, 4 crash-looping, 5 held by the emergency stop)',
  ),
  m('bot.processes', 'count', 'gauge', ['bot'], 'ボットのプロセス数', 'Processes of the bot'),
  m('bot.restarts', 'count', 'counter', ['bot'], 'ボットの再起動回数', 'Bot restarts'),
  m(
    'bot.unstable_exits',
    'count',
    'gauge',
    ['bot'],
    '起動直後の連続終了回数 (クラッシュループ判定)',
    'Exits right after starting, in a row (crash-loop guard)',
  ),
  m('bot.errored', 'count', 'gauge', ['bot'], 'クラッシュループで停止中 (1)', 'Stopped as crash-looping (1)'),
  m('bot.uptime_seconds', 'seconds', 'gauge', ['bot'], 'ボットの連続稼働時間', 'Bot uptime'),
  // Bot telemetry (from what the bots write; the shipped automatic-stop rules use these)
  m(
    'bot.qps_violations',
    'count',
    'gauge',
    ['bot'],
    'API 制限 (QPS) 違反の件数',
    'API rate-limit (QPS) violations',
  ),
  m('bot.cost_usd_day', 'usd', 'gauge', ['bot'], '本日の API コスト', 'API cost today'),
  m('bot.consecutive_failures', 'count', 'gauge', ['bot'], '連続失敗回数', 'Consecutive failures'),
  m('bot.api_outage', 'count', 'gauge', ['bot'], 'API 障害中 (1) か否か (0)', 'API outage (1) or not (0)'),
  m('bot.api_error_rate_pct', 'percent', 'gauge', ['bot'], 'API エラー率', 'API error rate'),
  m(
    'bot.response_time_ms',
    'milliseconds',
    'gauge',
    ['bot'],
    'API 応答時間 (95 パーセンタイル)',
    'API response time (95th percentile)',
  ),
  // Bot telemetry: KPIs, counters and cost (electron/core/telemetry)
  m(
    'bot.response_time_p50_ms',
    'milliseconds',
    'gauge',
    ['bot'],
    'API 応答時間 (中央値)',
    'API response time (median)',
  ),
  m(
    'bot.actions_per_hour',
    'count',
    'gauge',
    ['bot'],
    '直近 1 時間のアクション数',
    'Actions in the last hour',
  ),
  m('bot.success_rate_pct', 'percent', 'gauge', ['bot'], '成功率', 'Success rate'),
  m(
    'bot.seconds_since_success',
    'seconds',
    'gauge',
    ['bot'],
    '最後の成功からの経過時間',
    'Time since the last success',
  ),
  m(
    'bot.qps',
    'ops_per_second',
    'gauge',
    ['bot'],
    'API 呼び出しの QPS (直近の最大)',
    'API QPS (recent peak)',
  ),
  m('bot.api_calls', 'count', 'counter', ['bot'], 'API 呼び出し回数', 'API calls'),
  m('bot.errors', 'count', 'counter', ['bot'], 'エラーログの件数', 'Error records'),
  m(
    'bot.rate_limit_answers',
    'count',
    'counter',
    ['bot'],
    'API のレート制限応答の回数',
    'Rate-limit answers from the API',
  ),
  m(
    'bot.chrome_start_failures',
    'count',
    'counter',
    ['bot'],
    'Chrome (WebDriver) の起動失敗回数',
    'Chrome (WebDriver) start failures',
  ),
  m('bot.webdriver_restarts', 'count', 'counter', ['bot'], 'WebDriver の再起動回数', 'WebDriver restarts'),
  m(
    'bot.profile_lock_timeouts',
    'count',
    'counter',
    ['bot'],
    'Chrome プロファイルのロック待ちタイムアウト回数',
    'Chrome profile lock time-outs',
  ),
  m(
    'bot.action_limit_hits',
    'count',
    'counter',
    ['bot'],
    'ボット自身の時間あたり上限に達した回数',
    'Times the bot reached its own hourly limit',
  ),
  m('bot.memory_bytes', 'bytes', 'gauge', ['bot'], 'ボットが報告したメモリ使用量', 'Memory the bot reported'),
  m('bot.cost_month_usd', 'usd', 'gauge', ['bot'], '今月の API コスト', 'API cost this month'),
  m(
    'bot.dms_state',
    'count',
    'gauge',
    ['bot'],
    '死活監視の状態 (0 正常, 1 実行中, 2 休止, 3 遅延, 4 停止)',
    "Dead-man's switch state (0 up, 1 running, 2 paused, 3 late, 4 down)",
  ),
  m(
    'bot.account_actions_per_hour',
    'count',
    'gauge',
    ['bot', 'account', 'action'],
    'アカウント別・アクション別の直近 1 時間のアクション数',
    'Actions in the last hour per account and action',
  ),
  m(
    'bot.account_success_rate_pct',
    'percent',
    'gauge',
    ['bot', 'account'],
    'アカウント別の成功率',
    'Success rate per account',
  ),
  m(
    'bot.account_consecutive_failures',
    'count',
    'gauge',
    ['bot', 'account'],
    'アカウント別の連続失敗回数',
    'Consecutive failures per account',
  ),
  m(
    'bot.account_seconds_since_success',
    'seconds',
    'gauge',
    ['bot', 'account'],
    'アカウント別の最後の成功からの経過時間',
    'Time since the last success per account',
  ),
  m('cost.day_usd', 'usd', 'gauge', [], '本日の API コスト (全ボット)', 'API cost today, all bots'),
  m('cost.month_usd', 'usd', 'gauge', [], '今月の API コスト (全ボット)', 'API cost this month, all bots'),
  m('cost.budget_day_pct', 'percent', 'gauge', [], '日次予算の使用率', 'Daily budget used'),
  m('cost.budget_month_pct', 'percent', 'gauge', [], '月次予算の使用率', 'Monthly budget used'),
  m(
    'cost.burn_per_hour_usd',
    'usd',
    'gauge',
    [],
    'API コストの消費ペース (直近 1 時間, 1 時間あたり)',
    'API cost burn rate (last hour, per hour)',
  ),
  m('cost.forecast_day_usd', 'usd', 'gauge', [], '本日末の API コスト予測', "Forecast of today's API cost"),
  m(
    'cost.forecast_month_usd',
    'usd',
    'gauge',
    [],
    '今月末の API コスト予測',
    "Forecast of this month's API cost",
  ),
  // The app itself
  m('app.sampler_lag_ms', 'milliseconds', 'gauge', [], 'サンプラーの遅延', 'Sampler delay'),
  m('app.write_queue', 'count', 'gauge', [], 'DB 書き込み待ちの件数', 'Database writes waiting'),
  // Checklists: unticked items of a slot past its reminder time (0 otherwise); `slot` = template id.
  m(
    'app.checklist_overdue',
    'count',
    'gauge',
    ['slot'],
    '期限を過ぎたチェックリストの未完了項目数',
    'Unticked items of an overdue checklist',
  ),
  // Maintenance jobs, backups and health checks (maintenance)
  m(
    'job.failed',
    'count',
    'gauge',
    ['job', 'severity'],
    '保守ジョブの直近の失敗 (1=失敗)',
    'Maintenance job: last run failed (1)',
  ),
  m('job.running', 'count', 'gauge', ['job'], '保守ジョブ実行中 (1=実行中)', 'Maintenance job running (1)'),
  m(
    'job.last_duration_s',
    'seconds',
    'gauge',
    ['job'],
    '保守ジョブの直近の所要時間',
    'Maintenance job: last duration',
  ),
  m(
    'job.last_success_age_s',
    'seconds',
    'gauge',
    ['job'],
    '保守ジョブの最終成功からの経過時間',
    'Maintenance job: time since the last success',
  ),
  m(
    'backup.last_verified_age_s',
    'seconds',
    'gauge',
    [],
    '検証済みバックアップからの経過時間',
    'Time since the last verified backup',
  ),
  m(
    'backup.verify_failed',
    'count',
    'gauge',
    [],
    '直近のバックアップ検証の失敗 (1=失敗)',
    'Last backup verification failed (1)',
  ),
  m('backup.size_bytes', 'bytes', 'gauge', [], '直近のバックアップのサイズ', 'Size of the last backup'),
  m(
    'backup.duration_s',
    'seconds',
    'gauge',
    [],
    '直近のバックアップの所要時間',
    'Duration of the last backup',
  ),
  m('check.up', 'count', 'gauge', ['check'], 'ヘルスチェックの結果 (1=正常)', 'Health check passed (1)'),
  m(
    'check.consecutive_failures',
    'count',
    'gauge',
    ['check'],
    'ヘルスチェックの連続失敗回数',
    'Health check: consecutive failures',
  ),
  m(
    'check.latency_ms',
    'milliseconds',
    'gauge',
    ['check'],
    'ヘルスチェックの応答時間',
    'Health check latency',
  ),
  m(
    'check.heal_guard',
    'count',
    'gauge',
    ['check'],
    '自動復旧の停止 (1=上限到達)',
    'Self-healing stopped by its guard (1)',
  ),
  m('audit.findings', 'count', 'gauge', ['audit'], '依存関係の脆弱性の件数', 'Dependency audit findings'),
  m(
    'browser.version_mismatch',
    'count',
    'gauge',
    ['browser'],
    'Chrome / WebDriver の固定バージョン不一致 (1=不一致)',
    'Chrome / WebDriver differs from its pinned version (1)',
  ),
] as const;

export type MetricName = (typeof metricCatalog)[number]['name'];

/** A sample whose name the compiler checks against the catalog (producers build these). */
export interface MetricSample {
  name: MetricName;
  labels: Record<string, string>;
  ts: number;
  value: number;
}

export function metricSample(
  name: MetricName,
  labels: Record<string, string>,
  ts: number,
  value: number,
): MetricSample {
  return { name, labels, ts, value };
}

const byName = new Map<string, MetricDef>(metricCatalog.map((d) => [d.name, d]));

/** Names under this prefix are the operator's own (extraction rules); they are registered at run time. */
export const CUSTOM_PREFIX = 'custom.';

export function findMetric(name: string): MetricDef | undefined {
  return byName.get(name);
}

export function isCatalogMetric(name: string): name is MetricName {
  return byName.has(name);
}

export function allMetrics(): readonly MetricDef[] {
  return metricCatalog;
}

/**
 * Why a metric name cannot be used in a rule, or undefined when it can. Unknown names get the closest
 * known name ("did you mean"); `custom.*` is always allowed (an extraction rule may produce it later).
 */
export function checkMetricName(name: string): string | undefined {
  if (byName.has(name) || name.startsWith(CUSTOM_PREFIX)) return undefined;
  const near = closestMetric(name);
  return near
    ? `unknown metric "${name}": did you mean "${near}"?`
    : `unknown metric "${name}": see the metric list (or use a ${CUSTOM_PREFIX}* name from an extraction rule)`;
}

/** The known name closest to `name` by edit distance, when it is close enough to be a typo. */
export function closestMetric(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of byName.keys()) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

import { z } from 'zod';
import { alertSeveritySchema } from './alerts.js';
import { botIdSchema } from './bots.js';

/**
 * The `maintenance:` section: scheduled jobs (built-in or a command), their catch-up after downtime,
 * and the settings of the built-in jobs.
 *
 * Shipped times and retention are the customer's documents (/work/shared/seeds):
 * - Phase 6 運用設計, 定期保守スケジュール daily_maintenance: 02:00 "ログローテーション・古いログ削除"
 *   (15分), 02:30 "キャッシュクリーンアップ・最適化" (10分), 03:00 "データベース・設定ファイルバックアップ"
 *   (20分), 03:30 "システムヘルスチェック・メトリクス収集" (10分); weekly_maintenance scheduled_window
 *   "日曜日 02:00-04:00" (the alert engine's `weekly` window: one definition, alerts.maintenanceWindows).
 * - Phase 6 health_check_automation: frequency "5分間隔", failure_threshold "連続3回失敗",
 *   auto_recovery "サービス再起動・プロセス復旧"; log_storage retention_policy "30日間（詳細ログ）".
 * - TASK-003 STEP-4: `*\/30 * * * * cd /path/to/TradingAssistantX && REAL_DATA_MODE=true pnpm dev`;
 *   週次レポート `0 9 * * 1`; 自動バックアップ: src/data/learning/, src/data/current/, src/data/context/,
 *   バックアップ頻度 日次, 保存期間 30日間. (Its `0 0 * * *` log rotation gives way to Phase 6's 02:00.)
 * Timeouts, size limits and the health-check heal guard are not in the documents: ours, said so below.
 */

function uniqueIds(what: string) {
  return (items: readonly { id: string }[], ctx: z.RefinementCtx) => {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      if (seen.has(item.id))
        ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `${what} id "${item.id}" is used twice` });
      seen.add(item.id);
    });
  };
}

export const jobIdSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9_-]{0,59}$/,
    'a job id is 1-60 lower-case letters, digits, "-" or "_", starting with a letter or digit',
  );

export const builtinTasks = [
  'log-rotation',
  'cache-cleanup',
  'backup',
  'health-report',
  'database',
  'weekly-report',
] as const;
export type BuiltinTask = (typeof builtinTasks)[number];

export const catchUpPolicies = ['skip', 'run-once', 'run-all'] as const;
export type CatchUpPolicy = (typeof catchUpPolicies)[number];

/**
 * What happens to slots that passed while the PC was off or Nexus Ops was closed (Dagu's design).
 * skip: none runs (each is recorded as missed); run-once: the latest runs once at start (systemd
 * `Persistent=true`); run-all: every missed slot, oldest first, one after another. Only slots within
 * `windowHours` before the start count; older ones are recorded as missed.
 */
export const catchUpSchema = z.strictObject({
  policy: z.enum(catchUpPolicies).default('run-once'),
  windowHours: z
    .number()
    .min(0)
    .max(24 * 31)
    .default(24),
});
export type CatchUpConfig = z.output<typeof catchUpSchema>;

const jobBase = {
  id: jobIdSchema,
  name: z.string().min(1).max(200).optional(),
  /** Cron (5 or 6 fields, cron-parser syntax: `0#1` = first Sunday) in `timezone`. */
  schedule: z.string().min(1).max(200).optional(),
  /**
   * Instead of `schedule`: run when this alerts.maintenanceWindows entry opens (+ offsetMinutes), and
   * never past its end (the timeout is cut to what is left of the window).
   */
  window: z.string().min(1).max(100).optional(),
  offsetMinutes: z
    .number()
    .int()
    .min(0)
    .max(24 * 60)
    .default(0),
  /** IANA zone; default maintenance.timezone, then alerts.timezone, then the OS setting. */
  timezone: z.string().optional(),
  timeoutMinutes: z
    .number()
    .positive()
    .max(24 * 60)
    .default(60),
  /** `bot`: the job starts bots (the emergency stop pauses it; resume restores it). */
  tags: z
    .array(z.string().regex(/^[a-z0-9-]{1,30}$/, 'a tag is 1-30 lower-case letters, digits or "-"'))
    .default([]),
  enabled: z.boolean().default(true),
  /** Severity of the alert a failed or timed-out run raises (rule job-failed-*: job.failed{severity}). */
  onFailure: alertSeveritySchema.default('warning'),
  catchUp: catchUpSchema.optional(),
};

export const builtinJobSchema = z.strictObject({
  ...jobBase,
  kind: z.literal('builtin'),
  task: z.enum(builtinTasks),
});

export const commandJobSchema = z.strictObject({
  ...jobBase,
  kind: z.literal('command'),
  /** The program (on PATH or a full path); run without a shell. */
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  /** Working directory; default the bot's root when `bot` is set. */
  cwd: z.string().optional(),
  /** A bot from `bots:` whose root is the default working directory. */
  bot: botIdSchema.optional(),
  /** Extra environment; values may hold `${env:NAME}`. */
  env: z.record(z.string(), z.string()).default({}),
});

export const jobSchema = z
  .discriminatedUnion('kind', [builtinJobSchema, commandJobSchema])
  .refine((j) => (j.schedule === undefined) !== (j.window === undefined), {
    message: 'a job needs either `schedule` (cron) or `window` (an alerts.maintenanceWindows id), not both',
  });
export type JobConfig = z.output<typeof jobSchema>;
export type JobConfigInput = z.input<typeof jobSchema>;

/** The shipped jobs (see the document references at the top of this file). */
export const defaultJobs: JobConfigInput[] = [
  {
    id: 'log-rotation',
    name: 'ログローテーション・古いログ削除',
    kind: 'builtin',
    task: 'log-rotation',
    schedule: '0 2 * * *',
    timeoutMinutes: 60,
  },
  {
    id: 'cache-cleanup',
    name: 'キャッシュクリーンアップ・最適化',
    kind: 'builtin',
    task: 'cache-cleanup',
    schedule: '30 2 * * *',
    timeoutMinutes: 60,
  },
  {
    id: 'backup',
    name: 'データベース・設定ファイルバックアップ',
    kind: 'builtin',
    task: 'backup',
    schedule: '0 3 * * *',
    timeoutMinutes: 120,
    onFailure: 'critical',
  },
  {
    id: 'health-report',
    name: 'システムヘルスチェック・メトリクス収集',
    kind: 'builtin',
    task: 'health-report',
    schedule: '30 3 * * *',
    timeoutMinutes: 30,
  },
  {
    id: 'database',
    name: 'データベースメンテナンス・依存関係スキャン',
    kind: 'builtin',
    task: 'database',
    window: 'weekly',
    timeoutMinutes: 120,
  },
  {
    id: 'weekly-report',
    name: '週次レポート',
    kind: 'builtin',
    task: 'weekly-report',
    schedule: '0 9 * * 1',
    timeoutMinutes: 30,
    onFailure: 'info',
  },
  {
    id: 'bot-launch',
    name: 'TradingAssistantX 30分間隔実行',
    kind: 'command',
    command: 'pnpm',
    args: ['dev'],
    cwd: '/path/to/TradingAssistantX',
    env: { REAL_DATA_MODE: 'true' },
    schedule: '*/30 * * * *',
    timeoutMinutes: 25,
    tags: ['bot'],
    enabled: false,
    catchUp: { policy: 'run-once', windowHours: 0.5 },
  },
];

/** Where a rotation or cleanup looks: a folder (with a file-name glob) or a glob path. */
export const fileTargetSchema = z.strictObject({
  /** Folder, or a glob (`*`, `?`, `**`) of files; relative paths are under the data folder. */
  path: z.string().min(1),
  /** File names to consider inside a folder; default every file. */
  pattern: z.string().min(1).default('*'),
  maxAgeDays: z.number().positive().optional(),
  maxTotalMB: z.number().positive().optional(),
});

export const logRotationSchema = z.strictObject({
  /** Nexus Ops' own log folder (<data folder>/logs). */
  own: z.boolean().default(true),
  /** Every bot's `logs:` globs. */
  bots: z.boolean().default(true),
  /** More folders or globs. */
  targets: z.array(fileTargetSchema).default([]),
  /** Compress (gzip) files not written for this long. */
  compressAfterDays: z.number().min(0).default(1),
  /** Phase 6 log_storage retention_policy: 30日間（詳細ログ）. */
  deleteAfterDays: z.number().positive().default(30),
  /** A file over this size is compressed as soon as nothing writes it. Ours (not in the documents). */
  maxFileMB: z.number().positive().default(100),
  /** Oldest compressed files go first above this total per target; 0 = no limit. */
  maxTotalMB: z.number().min(0).default(0),
  /** A file modified within this many minutes, or open in any process, is still being written: untouched. */
  quietMinutes: z.number().min(0).default(10),
});

export const cacheCleanupSchema = z.strictObject({
  /** Folders whose files may go: default Nexus Ops' cache and leftovers of interrupted jobs. */
  targets: z.array(fileTargetSchema).default([
    { path: 'cache', pattern: '*', maxAgeDays: 7 },
    { path: 'tmp', pattern: '*', maxAgeDays: 1 },
  ]),
});

export const secretModes = ['exclude', 'encrypt'] as const;

export const backupBotSchema = z.strictObject({
  /** Folders or files relative to the bot's root; missing ones are skipped. */
  include: z.array(z.string().min(1)).optional(),
  exclude: z.array(z.string().min(1)).default([]),
});

export const backupSchema = z.strictObject({
  /** Where archives go; relative = under the data folder. */
  dir: z.string().min(1).default('backups'),
  /** TASK-003 自動バックアップ 保存期間: 30日間. */
  retentionDays: z.number().positive().default(30),
  database: z.boolean().default(true),
  /**
   * Each bot's data, relative to its root. TASK-003 names src/data/{learning,current,context}; the real
   * TradingAssistantX keeps data/ (BOTS.md), Nexus 02 logs/action_logs, cache and config.
   */
  include: z
    .array(z.string().min(1))
    .default([
      'src/data/learning',
      'src/data/current',
      'src/data/context',
      'data',
      'logs/action_logs',
      'cache',
      'config',
    ]),
  /** Per bot id: its own include/exclude. */
  bots: z.record(z.string(), backupBotSchema).default({}),
  /** Globs (relative to each bot root) of files holding secrets: never copied in clear. */
  secretFiles: z
    .array(z.string().min(1))
    .default([
      '**/twitter-session.yaml',
      '**/proxies.yaml',
      '**/.env',
      '**/.env.*',
      '**/*.pem',
      '**/*.key',
      '**/cookies*',
    ]),
  /** exclude: left out (listed in the manifest); encrypt: AES-256-GCM with `passphrase`. */
  secrets: z.enum(secretModes).default('exclude'),
  /** For `secrets: encrypt`, e.g. ${env:NEXUS_BACKUP_PASSPHRASE}. Without it secret files are left out. */
  passphrase: z.string().optional(),
  /** After each backup: restore into a temporary folder and compare (hashes, integrity, row counts). */
  verify: z.boolean().default(true),
  /** gzip level 1 (fast) to 9 (small). */
  compressionLevel: z.number().int().min(1).max(9).default(6),
  /** SQLite pages copied per step of the online backup; the app runs between steps. */
  pagesPerStep: z.number().int().min(1).max(100_000).default(256),
  /** Tables whose row counts the verification compares. */
  keyTables: z
    .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/))
    .default(['series', 'samples', 'audit', 'alerts', 'stop_runs', 'maintenance_runs']),
});

export const healKinds = ['restart-bot', 'command'] as const;

export const healSchema = z.strictObject({
  /** restart-bot: the bots capability's `restart-bot` action on `bot`; command: run `command`. */
  action: z.enum(healKinds),
  command: z.string().min(1).optional(),
  args: z.array(z.string()).default([]),
  /** Guard against loops (ours): at most `maxHeals` heals within `perCycles` check cycles, then alert only. */
  maxHeals: z.number().int().min(1).default(2),
  perCycles: z.number().int().min(1).default(3),
});

const checkBase = {
  id: jobIdSchema,
  name: z.string().min(1).max(200).optional(),
  enabled: z.boolean().default(true),
  /** The bot this check watches: file paths are relative to its root, heals restart it. */
  bot: botIdSchema.optional(),
  timeoutSeconds: z.number().positive().max(600).default(10),
  heal: healSchema.optional(),
};

export const healthCheckSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    ...checkBase,
    kind: z.literal('http'),
    url: z.string().url(),
    /** Accepted status codes; default any 2xx. */
    status: z.array(z.number().int().min(100).max(599)).default([]),
    bodyContains: z.string().optional(),
    maxLatencyMs: z.number().positive().optional(),
  }),
  z.strictObject({
    ...checkBase,
    kind: z.literal('process'),
    /** Regular expression on the command line; default the bot's `processes.cmdline`. */
    cmdline: z.string().min(1).optional(),
    exe: z.string().min(1).optional(),
    min: z.number().int().min(1).default(1),
  }),
  z.strictObject({
    ...checkBase,
    kind: z.literal('file-fresh'),
    /** A file or glob; the newest match must have been written within maxAgeMinutes. */
    path: z.string().min(1),
    maxAgeMinutes: z.number().positive(),
  }),
  z.strictObject({
    ...checkBase,
    kind: z.literal('command'),
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    cwd: z.string().optional(),
  }),
]);
export type HealthCheckConfig = z.output<typeof healthCheckSchema>;

export const healthChecksSchema = z.strictObject({
  /** Phase 6 synthetic_monitoring frequency: 5分間隔. */
  intervalMinutes: z
    .number()
    .positive()
    .max(24 * 60)
    .default(5),
  /** Phase 6 failure_threshold: 連続3回失敗 (the shipped rule check-failing fires at this). */
  failureThreshold: z.number().int().min(1).default(3),
  checks: z.array(healthCheckSchema).superRefine(uniqueIds('check')).default([]),
});

export const auditCommandSchema = z.strictObject({
  id: jobIdSchema,
  /** e.g. npm (audit --json) or pip-audit (-f json): findings are counted from their JSON. */
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  cwd: z.string().optional(),
  bot: botIdSchema.optional(),
  timeoutSeconds: z.number().positive().default(300),
});

export const browserPinSchema = z.strictObject({
  id: jobIdSchema,
  /** chrome(.exe) or chromedriver(.exe); relative = under the bot's root (fixed_chrome\...). */
  path: z.string().min(1),
  bot: botIdSchema.optional(),
  /** The pinned version, e.g. 131.0.6778.85; a prefix (131 or 131.0) matches any build of it. */
  pinned: z.string().regex(/^\d+(\.\d+){0,3}$/, 'a version such as 131 or 131.0.6778.85'),
});

export const databaseSchema = z.strictObject({
  /** PRAGMA incremental_vacuum steps (pages each) when the database uses auto_vacuum = INCREMENTAL. */
  vacuumPagesPerStep: z.number().int().min(1).default(2000),
  /** Phase 6 weekly: 依存関係脆弱性スキャン (safety, pip-audit). */
  audits: z.array(auditCommandSchema).default([]),
  /** Phase 6 weekly: Chrome・WebDriverバージョン確認 against the pinned (fixed) versions. */
  browsers: z.array(browserPinSchema).default([]),
});

export const reportSchema = z.strictObject({
  /** Where weekly reports go; relative = under the data folder. */
  dir: z.string().min(1).default('reports'),
  keepWeeks: z.number().int().min(1).default(52),
  /** notify channel ids the report's summary is sent to (an email channel); empty = not sent. */
  mailChannels: z.array(z.string().min(1)).default([]),
});

export const maintenanceConfigSchema = z.strictObject({
  /** IANA zone for every job's cron; default alerts.timezone, then the OS setting. */
  timezone: z.string().optional(),
  /** Default catch-up of every job (systemd Persistent=true: the latest missed slot within 24 h runs once). */
  catchUp: catchUpSchema.prefault({}),
  /** Missing = the shipped jobs; listing jobs replaces them (ids of shipped jobs keep their history). */
  jobs: z
    .array(jobSchema)
    .superRefine(uniqueIds('job'))
    .default(() => defaultJobs.map((j) => jobSchema.parse(j))),
  logRotation: logRotationSchema.prefault({}),
  cacheCleanup: cacheCleanupSchema.prefault({}),
  backup: backupSchema.prefault({}),
  healthChecks: healthChecksSchema.prefault({}),
  database: databaseSchema.prefault({}),
  report: reportSchema.prefault({}),
});
export type MaintenanceConfig = z.output<typeof maintenanceConfigSchema>;
export type MaintenanceConfigInput = z.input<typeof maintenanceConfigSchema>;

import { z } from 'zod';

/**
 * The bots, as first-class objects. Everything hangs off a bot: its processes, its log sources and
 * parsed records, its place in the emergency stop (kill-switch in its root folder, the Task Scheduler
 * tasks that start it), and, when Nexus Ops starts it itself (`supervised`), its captured output,
 * restart policy and schedule.
 *
 *   bots:
 *     - id: tax
 *       name: TradingAssistantX
 *       root: 'C:\bots\TradingAssistantX'
 *       run: { mode: supervised, command: pnpm, args: [start] }
 *     - id: nexus02
 *       root: 'C:\bots\TwitterBot_Nexus_02'
 *       run: { mode: external, tasks: ['\Nexus02\run_bot'] }
 *       logs: [{ path: 'log/*.log' }]
 *
 * The older form `bots: { folders: [...] }` still loads: each folder becomes an external bot.
 */

export const botIdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/,
    'a bot id is 1-40 letters, digits, "-" or "_", starting with a letter or digit',
  );

export const logFormats = ['auto', 'python', 'json', 'console', 'regex'] as const;

export const logSourceSchema = z.strictObject({
  /** A glob relative to the bot's root (or absolute): `log/*.log`, `logs/app-*.jsonl`. */
  path: z.string().min(1),
  /** `auto` detects the format per file from its first lines (one format per file). */
  format: z.enum(logFormats).default('auto'),
  /** For `format: regex`: a pattern with named groups `ts`, `level`, `message` (others become fields). */
  pattern: z.string().min(1).optional(),
  /** `auto` reads UTF-8 and falls back to cp932 line by line (Japanese Windows). */
  encoding: z.enum(['auto', 'utf-8', 'cp932']).default('auto'),
});
export type LogSourceConfig = z.output<typeof logSourceSchema>;

export const restartPolicySchema = z.strictObject({
  policy: z.enum(['never', 'on-failure', 'always']).default('on-failure'),
  /** First delay before a restart; it grows ×1.5 per unstable exit up to maxDelayMs (PM2's numbers). */
  delayMs: z.number().int().min(0).max(600_000).default(1_000),
  maxDelayMs: z.number().int().min(0).max(3_600_000).default(15_000),
  /** The delay goes back to delayMs after this much uptime. */
  resetAfterSeconds: z.number().min(1).default(30),
  /** An exit within this uptime is unstable; this many in a row make the bot `errored` (crash loop). */
  minUptimeSeconds: z.number().min(0).default(1),
  maxUnstableRestarts: z.number().int().min(1).default(16),
});
export type RestartPolicyConfig = z.output<typeof restartPolicySchema>;

/**
 * Where a supervised bot's captured stdout/stderr goes: `<dataDir>/bots/<id>/output/current.log`, rotated
 * by close-rename-reopen (never copy-truncate, which loses lines) to `output-<YYYYMMDD-HHMMSS>.log`.
 */
export const outputCaptureSchema = z.strictObject({
  /** Rotate when current.log would grow past this (pm2-logrotate's default 10 MB). */
  maxSizeMB: z.number().positive().max(10_240).default(10),
  /** Also rotate at the first line after local midnight. */
  daily: z.boolean().default(true),
  /** Rotated files kept (newest first); older ones are deleted. */
  retainFiles: z.number().int().min(1).max(10_000).default(30),
  /** Rotated files older than this are deleted too. */
  retainDays: z.number().int().min(1).max(3650).default(30),
});
export type OutputCaptureConfig = z.output<typeof outputCaptureSchema>;

export const supervisedRunSchema = z.strictObject({
  mode: z.literal('supervised'),
  /** The program (found on PATH, or a path relative to the root), e.g. `pnpm`, `python`. */
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  /** Working directory, relative to the root; default the root. */
  cwd: z.string().optional(),
  /** Extra environment; values may be `${env:NAME}`. */
  env: z.record(z.string(), z.string()).default({}),
  /** always: kept running; schedule: started at each `cron` slot; manual: only from the UI or CLI. */
  start: z.enum(['always', 'schedule', 'manual']).default('always'),
  /** For `start: schedule`, in the operator's time zone (`timezone`). */
  cron: z.string().optional(),
  timezone: z.string().optional(),
  restart: restartPolicySchema.prefault({}),
  /** A run longer than this is stopped (Ctrl+C, then the tree). */
  timeoutMinutes: z.number().positive().optional(),
  /** A stop sends Ctrl+C / SIGINT, waits this long for the bot to finish, then ends its tree by force. */
  stopGraceSeconds: z.number().min(0).max(600).default(10),
  output: outputCaptureSchema.prefault({}),
});
export type SupervisedRunConfig = z.output<typeof supervisedRunSchema>;

export const externalRunSchema = z.strictObject({
  mode: z.literal('external'),
  /** Windows Task Scheduler tasks that start this bot: disabled (and ended) by the emergency stop. */
  tasks: z.array(z.string().min(1)).default([]),
});

export const botSchema = z.strictObject({
  id: botIdSchema,
  name: z.string().min(1).optional(),
  /** The bot's root folder (its repository): kill-switch, relative paths, bot Chrome profiles. */
  root: z.string().min(1),
  enabled: z.boolean().default(true),
  run: z.discriminatedUnion('mode', [supervisedRunSchema, externalRunSchema]).prefault({ mode: 'external' }),
  /** Which running processes are this bot's: regular expressions on the command line and program name. */
  processes: z
    .strictObject({ cmdline: z.string().min(1).optional(), exe: z.string().min(1).optional() })
    .optional(),
  logs: z.array(logSourceSchema).default([]),
  /** State files the bot rewrites (globs relative to the root), e.g. `data/current/*\/post.yaml`. */
  stateFiles: z.array(z.string().min(1)).default([]),
  /** Overrides `stop.killSwitchFile` for this bot. */
  killSwitch: z.string().min(1).optional(),
});
export type BotConfig = z.output<typeof botSchema>;
export type BotConfigInput = z.input<typeof botSchema>;

/** `{ folders: [...] }` (the first form) becomes one external bot per folder. */
function fromLegacy(raw: unknown): unknown {
  if (raw === undefined || raw === null) return [];
  if (Array.isArray(raw) || typeof raw !== 'object') return raw;
  const folders = (raw as { folders?: unknown }).folders;
  const extra = Object.keys(raw).filter((k) => k !== 'folders');
  if (extra.length > 0 || !Array.isArray(folders)) return raw; // let the schema name the problem
  const used = new Set<string>();
  return folders.map((folder) => {
    if (typeof folder !== 'string') return folder;
    const base =
      folder
        .replace(/[\\/]+$/, '')
        .split(/[\\/]/)
        .pop() ?? 'bot';
    let id =
      base
        .replace(/[^A-Za-z0-9_-]+/g, '-')
        .replace(/^[-_]+/, '')
        .slice(0, 36) || 'bot';
    for (let n = 2; used.has(id); n++) id = `${id.replace(/-\d+$/, '')}-${n}`;
    used.add(id);
    return { id, root: folder };
  });
}

export const botsConfigSchema = z.preprocess(
  fromLegacy,
  z.array(botSchema).superRefine((bots, ctx) => {
    const seen = new Set<string>();
    bots.forEach((b, i) => {
      if (seen.has(b.id))
        ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `bot id "${b.id}" is used twice` });
      seen.add(b.id);
      if (b.run.mode === 'supervised' && b.run.start === 'schedule' && !b.run.cron) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'run', 'cron'],
          message: 'start: schedule needs a cron expression',
        });
      }
    });
  }),
);
export type BotsConfig = z.output<typeof botsConfigSchema>;

/** The bots' root folders (enabled or not: a disabled bot's folder still gets the kill-switch). */
export function botFolders(bots: readonly Pick<BotConfig, 'root'>[]): string[] {
  return [...new Set(bots.map((b) => b.root))];
}

import { z } from 'zod';
import { safeRegexProblem } from '../regex/index.js';
import { botIdSchema } from './bots.js';

/**
 * The `telemetry:` section: what Nexus Ops reads out of what the bots write (their log records and
 * state files), the API cost and its budgets, and the dead-man's switch per bot.
 *
 * The numbers are the customer's (seeds/):
 * - TASK-003 コスト管理体制 cost_management: daily_limit_usd 30, monthly_limit_usd 800,
 *   cost_per_call 0.00015 ($0.00015/call), alerts daily_80_percent, monthly_90_percent.
 * - TASK-003 STEP-2 AlertThresholds: qpsViolation 210 (TwitterAPI.io's limit is 200),
 *   consecutiveFailures 3; 緊急停止システム: API制限違反, $100/日超過, 連続5回失敗, TwitterAPI.io障害
 *   (the thresholds of the alert rules, alerts.rules).
 * - Phase 6 business_metrics: posts_per_hour, success_rate ("success_rate < 90% for 15m").
 * - BOTS.md: Nexus 02 runs every 2 hours from Task Scheduler ("stop task after 1 hour").
 */

/** What an extraction rule says a matching record is. */
export const telemetryEventKinds = [
  /** An action or a workflow run that succeeded (resets the failure streak). */
  'success',
  /** An action or a workflow run that failed. */
  'failure',
  /** An ERROR / CRITICAL record (with its traceback): counted, and kept as evidence. */
  'error',
  /** An API request went out (paired with the next `api-call` of the bot for the response time). */
  'api-request',
  /** An API answer (billed call); `status` ≥ 400 is an error, 429 a rate-limit answer, ≥ 500 an outage sign. */
  'api-call',
  /** An API call that got no answer (timeout, network): an error and an outage sign, not billed. */
  'api-error',
  /** The provider said "too many requests" (the bot retries). */
  'rate-limit-answer',
  /** The bot's own limiter waited (TradingAssistantX `⏱️ QPS制限により待機`): `qps` is its current QPS. */
  'qps-wait',
  /** The bot's own budget guard warned. */
  'budget-warning',
  /** The bot reached its own per-hour action limit. */
  'action-limit',
  /** Waiting for a Chrome profile lock timed out (Phase 6 profile_lock_contention). */
  'profile-lock-timeout',
  /** Chrome / WebDriver could not be started (Phase 6 chrome_startup_failures). */
  'chrome-start-failure',
  /** The bot restarted its WebDriver. */
  'webdriver-restart',
  /** The bot reported its memory (`value` in MB). */
  'memory',
  /** Only counts into the rule's `metric` (custom.*). */
  'count',
  /** Only marks a run's start or end for the dead-man's switch (`run:`), and keeps the record as evidence. */
  'run',
] as const;
export type TelemetryEventKind = (typeof telemetryEventKinds)[number];

const regexText = z
  .string()
  .min(1)
  .max(2000)
  .superRefine((text, ctx) => {
    const problem = safeRegexProblem(text);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const levelSchema = z.enum(['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL']);

/** A label value: a literal, or `$name` = the named capture (or record field) of that name. */
const labelValue = z.string().min(1).max(100);

/**
 * One extraction rule, validated on its own (a bad rule is reported with its line; the others run).
 *
 *   - id: nexus-like-success
 *     match: '\[(?P<action>like|comment|retweet)\] success:'
 *     event: success
 *     labels: { action: $action }
 *
 * `match` is an RE2 pattern (linear time: shared/regex) searched in the record's message; its named
 * groups are captures. `field` matches a JSON-lines record (or a state-file entry) by a field instead.
 * Captures named `value`, `status`, `qps`, `ms` carry the numbers; `account` and `action` become labels
 * unless `labels` says otherwise.
 */
export const extractionRuleSchema = z
  .strictObject({
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_.-]{0,79}$/i, 'letters, digits, ".", "-" and "_" (up to 80), e.g. nexus-like'),
    description: z.string().max(500).optional(),
    /** Shipped rules belong to a pack named after the bot they were written for. */
    pack: z.string().max(60).optional(),
    /** Only records of these bots; default every bot (or those whose telemetry entry lists the pack). */
    bots: z.array(botIdSchema).optional(),
    match: regexText.optional(),
    field: z
      .strictObject({
        /** Dotted path in the record's structured fields, e.g. `metadata.status`. */
        path: z.string().min(1).max(200),
        equals: z.union([z.string(), z.number(), z.boolean()]).optional(),
        match: regexText.optional(),
      })
      .optional(),
    /** Only records of these levels. */
    levels: z.array(levelSchema).optional(),
    stream: z.enum(['stdout', 'stderr']).optional(),
    event: z.enum(telemetryEventKinds),
    /** Labels of the event; `account` and `action` are the bounded labels the KPIs carry. */
    labels: z.strictObject({ account: labelValue.optional(), action: labelValue.optional() }).default({}),
    /** For `api-call` / `api-error`: whose price applies (telemetry.providers); default the bot's provider. */
    provider: z.string().max(60).optional(),
    /** Also a start or the end of a run for the dead-man's switch (a workflow's first and last line). */
    run: z.enum(['start', 'finish', 'finish-error']).optional(),
    /** For `event: count`: the metric it counts into, `custom.<name>`. */
    metric: z
      .string()
      .regex(/^custom\.[a-z_][a-z0-9_]*$/, 'custom.<lower_case_name>, e.g. custom.orders')
      .optional(),
    /** A rule that matched before is reported as possibly stale after this long without a match. */
    expectWithinHours: z
      .number()
      .positive()
      .max(24 * 31)
      .optional(),
  })
  .refine((r) => r.match !== undefined || r.field !== undefined, {
    message: 'give match (a regular expression) or field (a JSON field), or both',
  })
  .refine((r) => r.event !== 'count' || r.metric !== undefined, {
    message: 'event: count needs metric: custom.<name>',
  });
export type ExtractionRuleInput = z.input<typeof extractionRuleSchema>;
export type ExtractionRule = z.output<typeof extractionRuleSchema>;

export const providerSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,59}$/, 'lower-case letters, digits, "-" and "_"'),
  name: z.string().min(1).max(100).optional(),
  /** USD per billed call. TwitterAPI.io: $0.00015 (TASK-003 cost_per_call). */
  costPerCallUsd: z.number().min(0).max(100),
  /** The provider's QPS limit (TwitterAPI.io: 200), shown next to the QPS. */
  qpsLimit: z.number().positive().optional(),
});
export type ProviderConfig = z.output<typeof providerSchema>;

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day as HH:MM (24-hour), e.g. "06:05"');

export const deadManSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** When runs are expected, in the operator's time zone: exactly one of cron, everyMinutes, times. */
  schedule: z
    .strictObject({
      /** 5-field cron, e.g. `0 *\/2 * * *` (Nexus 02's 2-hourly Task Scheduler trigger). */
      cron: z.string().min(1).max(200).optional(),
      /** Every N minutes from local midnight. */
      everyMinutes: z
        .number()
        .int()
        .min(1)
        .max(7 * 24 * 60)
        .optional(),
      /** Times of day (TradingAssistantX's data/config/schedule.yaml `time:` entries). */
      times: z.array(hhmm).min(1).max(1440).optional(),
    })
    .refine(
      (s) => [s.cron, s.everyMinutes, s.times].filter((v) => v !== undefined).length === 1,
      'give exactly one of cron, everyMinutes or times',
    ),
  /** A slot without a start this long after it: late. Healthchecks #910 (a start grace of its own). */
  startGraceMinutes: z.number().min(0).max(1440).default(10),
  /** A run still going after this long: down (Task Scheduler's "stop task after 1 hour"). */
  maxRunMinutes: z.number().positive().max(10_080).default(60),
  /** A run that ends sooner: down, "finished too fast" (Healthchecks #236). 0 = off. */
  minRunSeconds: z.number().min(0).max(86_400).default(30),
  /**
   * A start sooner than this after the previous one: "runs too often" (Healthchecks #17). Default:
   * half the shortest gap between two slots.
   */
  minGapMinutes: z.number().min(0).max(10_080).optional(),
  /** Judge failures by their share over the last runs instead of one by one (Healthchecks #858). */
  failureRate: z
    .strictObject({
      runs: z.number().int().min(2).max(1000).default(10),
      maxPct: z.number().min(0).max(100).default(50),
    })
    .optional(),
  /**
   * What counts as a run: `process` (the bot's processes appear and leave: bot.up), `log` (a new
   * per-run log file, or lines a rule marks `run: start|finish`), `task-scheduler` (its last result).
   */
  runsFrom: z
    .array(z.enum(['process', 'log', 'task-scheduler']))
    .min(1)
    .default(['process', 'log', 'task-scheduler']),
});
export type DeadManConfig = z.output<typeof deadManSchema>;

export const botTelemetrySchema = z.strictObject({
  bot: botIdSchema,
  /** The provider whose price its API calls cost (telemetry.providers). Default telemetry.defaultProvider. */
  provider: z.string().max(60).optional(),
  /** Rule packs that apply to it (e.g. [tradingassistantx]); empty = every rule without `bots`. */
  packs: z.array(z.string().max(60)).default([]),
  /**
   * Where action outcomes (success / failure) come from: the log records, or the state files
   * (bots.stateFiles: TradingAssistantX data/current/*\/post.yaml result.success, Nexus 02
   * logs/action_logs/<account>_actions.json) for a bot whose output Nexus Ops cannot see.
   */
  outcomes: z.enum(['logs', 'state-files']).default('logs'),
  deadMan: deadManSchema.optional(),
});
export type BotTelemetryConfig = z.output<typeof botTelemetrySchema>;

export const telemetryConfigSchema = z.strictObject({
  /** IANA zone of day and month boundaries and of schedules. Default Asia/Tokyo (the operator's). */
  timezone: z.string().min(1).default('Asia/Tokyo'),
  providers: z
    .array(providerSchema)
    .min(1)
    .default([{ id: 'twitterapi-io', name: 'TwitterAPI.io', costPerCallUsd: 0.00015, qpsLimit: 200 }]),
  defaultProvider: z.string().default('twitterapi-io'),
  budgets: z
    .strictObject({
      dailyUsd: z.number().positive().default(30),
      monthlyUsd: z.number().positive().default(800),
      /** Each fires once per day and resets at midnight (OpenMeter's semantics). */
      dailyWarnPct: z.array(z.number().positive().max(1000)).default([80]),
      monthlyWarnPct: z.array(z.number().positive().max(1000)).default([90]),
    })
    .prefault({}),
  kpis: z
    .strictObject({
      /** Success rate and API error rate are taken over this window. */
      rateWindowMinutes: z.number().int().min(1).max(60).default(15),
      /** Fewer outcomes than this in the window: no success rate (3 runs are not a rate). */
      minOutcomesForRate: z.number().int().min(1).default(5),
      /** QPS is the busiest second of this window. */
      qpsWindowSeconds: z.number().int().min(1).max(300).default(10),
      /** AlertThresholds.qpsViolation: a second with more calls than this is a violation. */
      qpsViolation: z.number().positive().default(210),
      /** QPS violations are counted over this window. */
      violationWindowMinutes: z.number().int().min(1).max(60).default(5),
      /** Provider outage: this share of failed calls / timeouts over the window, with at least minCalls. */
      outageWindowMinutes: z.number().int().min(1).max(60).default(5),
      outageFailurePct: z.number().min(1).max(100).default(50),
      outageMinCalls: z.number().int().min(1).default(5),
      /** Label bounds: accounts and actions beyond these are counted as "other". */
      maxAccountsPerBot: z.number().int().min(1).max(500).default(50),
      maxActionsPerBot: z.number().int().min(1).max(100).default(20),
    })
    .prefault({}),
  bots: z.array(botTelemetrySchema).default([]),
  /** Extraction rules; missing = the shipped rules. Each is validated on its own. */
  rules: z.array(z.unknown()).optional(),
});
export type TelemetryConfig = z.output<typeof telemetryConfigSchema>;
export type TelemetryConfigInput = z.input<typeof telemetryConfigSchema>;

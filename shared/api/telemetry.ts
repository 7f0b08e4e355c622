import { z } from 'zod';
import { epochMs, labelsSchema, method } from './contract.js';

/**
 * The telemetry domain: KPIs per bot and account read out of what the bots write, the API cost against
 * its budgets (with burn rate and forecast), the dead-man's switch of each bot, the extraction rules'
 * health, and the evidence (values and log records) behind a telemetry alert or an automatic stop.
 */

const botId = z.string().min(1).max(40);

export const botCountersSchema = z.object({
  apiCalls: z.number(),
  errors: z.number(),
  rateLimitAnswers: z.number(),
  qpsWaits: z.number(),
  budgetWarnings: z.number(),
  actionLimitHits: z.number(),
  profileLockTimeouts: z.number(),
  chromeStartFailures: z.number(),
  webdriverRestarts: z.number(),
});

export const accountKpiSchema = z.object({
  account: z.string(),
  actionsPerHour: z.number(),
  successRatePct: z.number().nullable(),
  consecutiveFailures: z.number(),
  secondsSinceSuccess: z.number().nullable(),
  actions: z.array(z.object({ action: z.string(), perHour: z.number() })),
});

export const botKpiSchema = z.object({
  bot: z.string(),
  actionsPerHour: z.number(),
  successes: z.number(),
  failures: z.number(),
  /** Over `telemetry.kpis.rateWindowMinutes`; null with fewer outcomes than `minOutcomesForRate`. */
  successRatePct: z.number().nullable(),
  apiCallsInWindow: z.number(),
  apiErrorRatePct: z.number().nullable(),
  responseP50Ms: z.number().nullable(),
  responseP95Ms: z.number().nullable(),
  qps: z.number(),
  qpsViolations: z.number(),
  outage: z.boolean(),
  consecutiveFailures: z.number(),
  lastSuccessAt: epochMs.nullable(),
  secondsSinceSuccess: z.number().nullable(),
  memoryBytes: z.number().nullable(),
  lastEventAt: epochMs.nullable(),
  counters: botCountersSchema,
  accounts: z.array(accountKpiSchema),
});
export type BotKpi = z.infer<typeof botKpiSchema>;

export const periodCostSchema = z.object({
  key: z.string(),
  start: epochMs,
  end: epochMs,
  spentUsd: z.number(),
  calls: z.number(),
  budgetUsd: z.number(),
  usedPct: z.number(),
  forecastUsd: z.number(),
  warnPct: z.array(z.number()),
  fired: z.array(z.number()),
});
export type PeriodCost = z.infer<typeof periodCostSchema>;

const costPointSchema = z.object({ ts: epochMs, spentUsd: z.number() });

export const costViewSchema = z.object({
  timezone: z.string(),
  at: epochMs,
  day: periodCostSchema,
  month: periodCostSchema,
  burnUsdPerHour: z.number(),
  bots: z.array(
    z.object({
      bot: z.string(),
      provider: z.string(),
      dayUsd: z.number(),
      monthUsd: z.number(),
      dayCalls: z.number(),
      monthCalls: z.number(),
    }),
  ),
  dayPoints: z.array(costPointSchema),
  monthPoints: z.array(costPointSchema),
});
export type CostView = z.infer<typeof costViewSchema>;

export const dmsStateNameSchema = z.enum(['up', 'late', 'down', 'running', 'paused']);
export type DmsStateName = z.infer<typeof dmsStateNameSchema>;

export const dmsReasonSchema = z.enum([
  'waiting',
  'ok',
  'running',
  'no_start',
  'missed',
  'not_finished',
  'too_fast',
  'failed',
  'too_often',
  'double_start',
  'failure_rate',
  'last_failed',
  'disabled',
  'emergency_stop',
]);
export type DmsReason = z.infer<typeof dmsReasonSchema>;

export const dmsStateSchema = z.object({
  bot: z.string(),
  state: dmsStateNameSchema,
  reason: dmsReasonSchema,
  /** The reason in words, in the operator's language (the UI renders its own from reason + params). */
  reasonText: z.string(),
  /** Times (epoch ms), durations (ms) and counts the reason is made of. */
  params: z.record(z.string(), z.number().nullable()),
  since: epochMs,
  nextExpectedAt: epochMs.nullable(),
  schedule: z.string(),
  lastRun: z
    .object({
      startedAt: epochMs,
      finishedAt: epochMs.nullable(),
      ok: z.boolean().nullable(),
      exitCode: z.number().nullable(),
      from: z.enum(['process', 'log', 'task-scheduler']),
    })
    .nullable(),
});
export type DmsStateView = z.infer<typeof dmsStateSchema>;

export const ruleStatusSchema = z.object({
  id: z.string(),
  index: z.number().int(),
  pack: z.string().nullable(),
  event: z.string(),
  /** Matches since Nexus Ops started, per bot. */
  matches: z.record(z.string(), z.number()),
  lastMatchAt: epochMs.nullable(),
  /** Bots whose records this rule matched before and has not matched for `expectWithinHours`. */
  staleFor: z.array(z.string()),
});

export const evidenceSchema = z.object({
  alertId: z.string(),
  ruleId: z.string(),
  metric: z.string(),
  labels: labelsSchema,
  at: epochMs,
  value: z.number().nullable(),
  /** The values that crossed, in words (metric = value, and what it is made of). */
  facts: z.array(z.string()),
  /** The log records (stored record ids and their text) that caused it, oldest first. */
  records: z.array(z.object({ id: z.string(), ts: epochMs, text: z.string() })),
});
export type Evidence = z.infer<typeof evidenceSchema>;

export const telemetryOverviewSchema = z.object({
  at: epochMs,
  bots: z.array(botKpiSchema),
  cost: costViewSchema,
  deadMan: z.array(dmsStateSchema),
});
export type TelemetryOverview = z.infer<typeof telemetryOverviewSchema>;

export const telemetryMethods = {
  'telemetry.overview': method(z.object({}).strict(), telemetryOverviewSchema),
  'telemetry.kpis': method(
    z.object({ bot: botId.optional() }).strict(),
    z.object({ at: epochMs, bots: z.array(botKpiSchema) }),
  ),
  'telemetry.cost': method(z.object({}).strict(), costViewSchema),
  'telemetry.deadman': method(z.object({}).strict(), z.object({ states: z.array(dmsStateSchema) })),
  'telemetry.rules': method(
    z.object({}).strict(),
    z.object({
      rules: z.array(ruleStatusSchema),
      problems: z.array(
        z.object({ index: z.number().int(), ruleId: z.string().nullable(), message: z.string() }),
      ),
    }),
  ),
  'telemetry.evidence': method(
    z.object({ alertId: z.string().min(1).max(100) }).strict(),
    evidenceSchema.nullable(),
  ),
};

export const telemetryKpisEventSchema = z.object({
  type: z.literal('telemetry.kpis'),
  at: epochMs,
  bots: z.array(botKpiSchema),
});
export const telemetryCostEventSchema = z.object({ type: z.literal('telemetry.cost'), cost: costViewSchema });
export const telemetryDeadmanEventSchema = z.object({
  type: z.literal('telemetry.deadman'),
  states: z.array(dmsStateSchema),
});
/** A budget threshold was crossed (once per threshold per period). */
export const telemetryBudgetEventSchema = z.object({
  type: z.literal('telemetry.budget'),
  period: z.string(),
  pct: z.number(),
  spentUsd: z.number(),
  budgetUsd: z.number(),
  at: epochMs,
});

export const telemetryEventSchemas = [
  telemetryKpisEventSchema,
  telemetryCostEventSchema,
  telemetryDeadmanEventSchema,
  telemetryBudgetEventSchema,
] as const;
export type TelemetryApiEvent = z.infer<(typeof telemetryEventSchemas)[number]>;

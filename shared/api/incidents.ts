import { z } from 'zod';
import { bilingualSchema } from './checklists.js';
import { epochMs, method } from './contract.js';

/**
 * Phase 6 トラブルシューティング体系, problem_classification.category_hierarchy: three levels, each with
 * its kinds of problem, as the incident record's `category`.
 */
export const incidentCategories = [
  {
    id: 'system.hardware',
    level: 1,
    ja: 'ハードウェア（CPU・メモリ・ディスク・ネットワーク）',
    en: 'Hardware (CPU, memory, disk, network)',
  },
  {
    id: 'system.os',
    level: 1,
    ja: 'OS（Windows・プロセス・権限・サービス）',
    en: 'OS (Windows, processes, permissions, services)',
  },
  {
    id: 'system.infrastructure',
    level: 1,
    ja: 'インフラ（Chrome・WebDriver・依存関係）',
    en: 'Infrastructure (Chrome, WebDriver, dependencies)',
  },
  {
    id: 'application.authentication',
    level: 2,
    ja: '認証（ログイン・セッション・プロファイル）',
    en: 'Authentication (login, session, profile)',
  },
  {
    id: 'application.processing',
    level: 2,
    ja: '処理（AI応答・スレッド解析・投稿処理）',
    en: 'Processing (AI replies, thread analysis, posting)',
  },
  {
    id: 'application.data',
    level: 2,
    ja: 'データ（設定・キャッシュ・ログ）',
    en: 'Data (config, cache, logs)',
  },
  {
    id: 'business.performance',
    level: 3,
    ja: '性能（応答時間・スループット・品質）',
    en: 'Performance (response time, throughput, quality)',
  },
  {
    id: 'business.functional',
    level: 3,
    ja: '機能（機能動作・ユーザーエクスペリエンス）',
    en: 'Functional (behaviour, user experience)',
  },
  {
    id: 'business.integration',
    level: 3,
    ja: '連携（外部API・サービス連携）',
    en: 'Integration (external APIs and services)',
  },
] as const;
export const incidentCategoryIds = incidentCategories.map((c) => c.id) as [
  (typeof incidentCategories)[number]['id'],
  ...(typeof incidentCategories)[number]['id'][],
];
export const incidentCategorySchema = z.enum(incidentCategoryIds);
export type IncidentCategory = z.infer<typeof incidentCategorySchema>;

/**
 * Phase 6 post_incident_process: 詳細な記録作成 (record), 影響範囲・時間の評価 (impact), 根本原因の特定
 * (root_cause), 再発防止策策定 (prevention).
 */
export const postIncidentSteps = ['record', 'impact', 'root_cause', 'prevention'] as const;
export const postIncidentStepSchema = z.enum(postIncidentSteps);
export type PostIncidentStep = z.infer<typeof postIncidentStepSchema>;

export const incidentStatusSchema = z.enum(['open', 'resolved']);
export const incidentSeveritySchema = z.enum(['critical', 'warning', 'info']);

export const timelineEntrySchema = z.object({
  at: epochMs,
  kind: z.string(),
  severity: incidentSeveritySchema.optional(),
  text: z.string(),
  ref: z.string().optional(),
  /** The evidence provider it came from (alerts.fired, stops.count, jobs.failures, logs.errors, ...). */
  source: z.string(),
});
export type TimelineEntryView = z.infer<typeof timelineEntrySchema>;

export const incidentStepStateSchema = z.object({
  step: postIncidentStepSchema,
  done: z.boolean(),
  by: z.string().nullable(),
  at: epochMs.nullable(),
  note: z.string().nullable(),
});

export const incidentSummarySchema = z.object({
  /** incident_id: INC-YYYYMMDD-NNN (local date of creation). */
  id: z.string(),
  title: z.string(),
  category: incidentCategorySchema,
  severity: incidentSeveritySchema,
  status: incidentStatusSchema,
  symptoms: z.string(),
  ruleId: z.string().nullable(),
  bot: z.string().nullable(),
  exceptionType: z.string().nullable(),
  openedAt: epochMs,
  resolvedAt: epochMs.nullable(),
  stepsDone: z.number().int(),
});
export type IncidentSummary = z.infer<typeof incidentSummarySchema>;

export const incidentSchema = incidentSummarySchema.extend({
  root_cause: z.string(),
  solution: z.string(),
  prevention: z.string(),
  /** 影響評価: scope and duration. */
  impact: z.string(),
  source: z.enum(['alert', 'stop', 'manual']),
  alertId: z.string().nullable(),
  stopId: z.string().nullable(),
  firstError: z.string().nullable(),
  runbook: z.string().nullable(),
  createdAt: epochMs,
  updatedAt: epochMs,
  createdBy: z.string(),
  /** Alerts, stops, job failures and log records around it, oldest first. */
  timeline: z.array(timelineEntrySchema),
  /** Which timeline sources answered; a missing one (e.g. logs before that capability exists) says so. */
  contextSources: z.array(
    z.object({ source: z.string(), entries: z.number().int(), error: z.string().nullable() }),
  ),
  steps: z.array(incidentStepStateSchema),
});
export type Incident = z.infer<typeof incidentSchema>;

export const matchReasonSchema = z.object({
  kind: z.enum(['rule', 'bot', 'exception', 'category', 'text']),
  /** Human-readable: the shared rule id, bot, exception type, or the words both texts share. */
  detail: z.string(),
  weight: z.number(),
});

export const suggestionSchema = z.object({
  incident: incidentSummarySchema,
  score: z.number(),
  reasons: z.array(matchReasonSchema),
});
export type IncidentSuggestion = z.infer<typeof suggestionSchema>;

const actorInput = z.string().trim().min(1).max(100);
const incidentId = z.string().regex(/^INC-\d{8}-\d{3,6}$/, 'INC-YYYYMMDD-NNN');
const longText = z.string().max(20_000);

export const incidentFieldsSchema = z
  .object({
    title: z.string().trim().min(1).max(300),
    category: incidentCategorySchema,
    severity: incidentSeveritySchema,
    status: incidentStatusSchema,
    symptoms: longText,
    root_cause: longText,
    solution: longText,
    prevention: longText,
    impact: longText,
    bot: z.string().max(100).nullable(),
    exceptionType: z.string().max(200).nullable(),
    runbook: z.string().max(500).nullable(),
  })
  .partial()
  .strict();

export const incidentsMethods = {
  'incidents.search': method(
    z
      .object({
        /** Words (Japanese or English); 1-2 character terms work too. Empty: newest first. */
        q: z.string().max(500).default(''),
        category: incidentCategorySchema.optional(),
        status: incidentStatusSchema.optional(),
        limit: z.number().int().min(1).max(200).default(50),
        offset: z.number().int().min(0).max(100_000).default(0),
      })
      .strict(),
    z.object({ incidents: z.array(incidentSummarySchema), terms: z.array(z.string()) }),
  ),
  'incidents.get': method(z.object({ id: incidentId }).strict(), incidentSchema),
  'incidents.create': method(
    z
      .object({
        by: actorInput,
        alertId: z.string().max(100).optional(),
        stopId: z.string().max(100).optional(),
        fields: incidentFieldsSchema.default({}),
      })
      .strict()
      .refine((v) => !(v.alertId && v.stopId), { message: 'give an alertId or a stopId, not both' }),
    incidentSchema,
  ),
  'incidents.update': method(
    z.object({ id: incidentId, by: actorInput, fields: incidentFieldsSchema }).strict(),
    incidentSchema,
  ),
  'incidents.step': method(
    z
      .object({
        id: incidentId,
        step: postIncidentStepSchema,
        done: z.boolean(),
        by: actorInput,
        note: z.string().trim().max(2000).optional(),
      })
      .strict(),
    incidentSchema,
  ),
  /** Past incidents like this alert: same rule, bot, exception type, similar text; each with why. */
  'incidents.similar': method(
    z.object({ alertId: z.string().min(1).max(100) }).strict(),
    z.object({ suggestions: z.array(suggestionSchema) }),
  ),
  'incidents.categories': method(
    z.object({}).strict(),
    z.object({
      categories: z.array(z.object({ id: z.string(), level: z.number().int(), label: bilingualSchema })),
    }),
  ),
};

export const incidentChangedEventSchema = z.object({
  type: z.literal('incident.changed'),
  incident: incidentSummarySchema,
});
export const incidentEventSchemas = [incidentChangedEventSchema] as const;

import { z } from 'zod';
import { bilingualSchema } from './checklists.js';
import { epochMs, method } from './contract.js';

export const runbookIdSchema = z
  .string()
  .max(100)
  .regex(/^[a-z0-9][a-z0-9-]{0,99}$/, 'a runbook id such as level1-api-latency');

/** What a runbook is being followed for: `incident:<id>`, `alert:<id>` or `stop:<run id>`. */
export const runbookSubjectSchema = z
  .string()
  .max(140)
  .regex(/^(incident|alert|stop):[A-Za-z0-9_.:-]{1,120}$/, 'incident:<id>, alert:<id> or stop:<id>');

export const runbookSummarySchema = z.object({
  id: z.string(),
  title: bilingualSchema,
  /** 障害対応手順 Level 1-3, or null for other runbooks. */
  level: z.number().int().nullable(),
  steps: z.number().int(),
  /** Rule ids that name it. */
  rules: z.array(z.string()),
});

export const runbookStepSchema = z.object({
  /** 1-based, in document order. */
  n: z.number().int(),
  /** Line of the step's list item in the Markdown (1-based): the renderer attaches its tick there. */
  line: z.number().int(),
  text: z.string(),
});

export const runbookSchema = z.object({
  id: z.string(),
  locale: z.enum(['ja', 'en']),
  title: z.string(),
  level: z.number().int().nullable(),
  markdown: z.string(),
  steps: z.array(runbookStepSchema),
});
export type Runbook = z.infer<typeof runbookSchema>;

export const stepTickSchema = z.object({
  step: z.number().int(),
  done: z.boolean(),
  by: z.string(),
  at: epochMs,
  note: z.string().nullable(),
});

export const runbooksMethods = {
  'runbooks.list': method(
    z.object({}).strict(),
    z.object({
      runbooks: z.array(runbookSummarySchema),
      /** Rule id → its runbook reference (id or URL), from the alert rules in the config. */
      ruleLinks: z.record(z.string(), z.string()),
    }),
  ),
  'runbooks.get': method(
    z.object({ id: runbookIdSchema, locale: z.enum(['ja', 'en']).optional() }).strict(),
    runbookSchema,
  ),
  'runbooks.progress': method(
    z.object({ subject: runbookSubjectSchema, runbookId: runbookIdSchema }).strict(),
    z.object({
      /** Current state of each step that was ever ticked. */
      steps: z.array(stepTickSchema),
      /** Every tick and untick, oldest first. */
      history: z.array(stepTickSchema),
    }),
  ),
  'runbooks.tickStep': method(
    z
      .object({
        subject: runbookSubjectSchema,
        runbookId: runbookIdSchema,
        step: z.number().int().min(1).max(200),
        done: z.boolean(),
        by: z.string().trim().min(1).max(100),
        note: z.string().trim().max(2000).optional(),
      })
      .strict(),
    z.object({ steps: z.array(stepTickSchema), history: z.array(stepTickSchema) }),
  ),
};

export const runbookProgressEventSchema = z.object({
  type: z.literal('runbook.progress'),
  subject: z.string(),
  runbookId: z.string(),
  steps: z.array(stepTickSchema),
});

export const runbookEventSchemas = [runbookProgressEventSchema] as const;

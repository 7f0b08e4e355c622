import { z } from 'zod';
import { epochMs, method } from './contract.js';

/** Text in both UI languages. */
export const bilingualSchema = z.object({ ja: z.string(), en: z.string() });
export type Bilingual = z.infer<typeof bilingualSchema>;

/**
 * pass / attention: the reading against the item's condition (or the provider's own verdict);
 * info: a reading with no verdict (e.g. the next maintenance window); unavailable: no provider offers
 * it yet (a capability not installed) or the reading failed (`error` says why).
 */
export const evidenceVerdictSchema = z.enum(['pass', 'attention', 'info', 'unavailable']);
export type EvidenceVerdict = z.infer<typeof evidenceVerdictSchema>;

export const evidenceResultSchema = z.object({
  /** What is read, e.g. 「夜間に発火したアラート」. */
  label: bilingualSchema,
  /** Provider id, e.g. `alerts.fired`, `metric.window`, `logs.errors`. */
  source: z.string(),
  verdict: evidenceVerdictSchema,
  value: z.number().nullable(),
  /** The reading, e.g. 「0 件」. */
  text: bilingualSchema,
  /** The pass condition, e.g. `== 0`, or null. */
  condition: z.string().nullable(),
  from: epochMs,
  to: epochMs,
  /** Newest data behind the reading. */
  at: epochMs.nullable(),
  error: z.string().nullable(),
});
export type EvidenceResult = z.infer<typeof evidenceResultSchema>;

export const itemVerdictSchema = z.enum(['pass', 'attention', 'unavailable', 'none']);
export type ItemVerdict = z.infer<typeof itemVerdictSchema>;

export const tickSchema = z.object({
  action: z.enum(['tick', 'untick']),
  by: z.string(),
  at: epochMs,
  note: z.string().nullable(),
  /** The evidence as it was at that moment. */
  evidence: z.array(evidenceResultSchema),
});
export type ChecklistTick = z.infer<typeof tickSchema>;

export const checklistItemViewSchema = z.object({
  id: z.string(),
  /** A heading the item sits under (e.g. 「定期品質チェック（日次）」), or null. */
  group: bilingualSchema.nullable(),
  text: bilingualSchema,
  /** Live evidence (the instance is open) or the snapshot of the last tick (closed instances). */
  evidence: z.array(evidenceResultSchema),
  verdict: itemVerdictSchema,
  done: z.boolean(),
  /** The last tick or untick, or null. */
  last: tickSchema.nullable(),
});
export type ChecklistItemView = z.infer<typeof checklistItemViewSchema>;

/**
 * upcoming: its time has not come (today's later slot); open: due, not complete; overdue: past the
 * reminder time; done: every item ticked; missed: its period ended with items unticked.
 */
export const instanceStateSchema = z.enum(['upcoming', 'open', 'overdue', 'done', 'missed']);
export type InstanceState = z.infer<typeof instanceStateSchema>;

export const instanceIdSchema = z
  .string()
  .max(120)
  .regex(/^[a-z0-9][a-z0-9-]{0,63}@\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/, 'template@YYYY-MM-DDTHH:MM');

export const checklistInstanceSchema = z.object({
  id: z.string(),
  templateId: z.string(),
  name: bilingualSchema,
  /** Where the items come from in the customer's documents. */
  source: z.string(),
  /** daily, weekly, monthly: how the instance's period is shown. */
  period: z.enum(['daily', 'weekly', 'monthly', 'other']),
  slotAt: epochMs,
  /** Local date and time of the slot in the checklists' zone. */
  localDate: z.string(),
  localTime: z.string(),
  /** When a reminder is due (slotAt + reminders.afterMinutes). */
  dueAt: epochMs,
  /** Start of the next slot of the same template: the instance's period ends there. */
  endsAt: epochMs.nullable(),
  state: instanceStateSchema,
  done: z.number().int(),
  total: z.number().int(),
  remindedAt: epochMs.nullable(),
  items: z.array(checklistItemViewSchema),
  /** How long computing the live evidence took (ms). */
  evidenceMs: z.number().nullable(),
});
export type ChecklistInstance = z.infer<typeof checklistInstanceSchema>;

export const templateSummarySchema = z.object({
  id: z.string(),
  name: bilingualSchema,
  source: z.string(),
  schedule: z.string(),
  period: z.enum(['daily', 'weekly', 'monthly', 'other']),
  items: z.number().int(),
  enabled: z.boolean(),
  file: z.string(),
});

export const templateErrorSchema = z.object({ file: z.string(), message: z.string() });

export const historySlotSchema = z.object({
  instanceId: z.string(),
  templateId: z.string(),
  name: bilingualSchema,
  slotAt: epochMs,
  state: instanceStateSchema,
  done: z.number().int(),
  total: z.number().int(),
  /** Items not ticked (for a past slot: missed). */
  missed: z.array(z.object({ itemId: z.string(), text: bilingualSchema })),
  /** Every tick and untick, oldest first, with the evidence at that time. */
  ticks: z.array(tickSchema.extend({ itemId: z.string() })),
});

export const historyDaySchema = z.object({
  date: z.string(),
  slots: z.array(historySlotSchema),
  done: z.number().int(),
  total: z.number().int(),
});

export const historyWeekSchema = z.object({
  /** Monday of the week (local date). */
  weekStart: z.string(),
  done: z.number().int(),
  total: z.number().int(),
  /** Slots with every item ticked / slots due in that week. */
  slotsComplete: z.number().int(),
  slots: z.number().int(),
});

const actorInput = z.string().trim().min(1).max(100);
const noteInput = z.string().trim().max(2000).optional();
const dateInput = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD');

const paramValue = z.union([z.string().max(200), z.number(), z.boolean()]);

export const evidenceReadInput = z
  .object({
    source: z.string().min(1).max(100),
    params: z
      .record(z.string(), z.union([paramValue, z.record(z.string(), z.string().max(200))]))
      .default({}),
    /** Local time `HH:MM` (the window starts at its last occurrence) or a duration back from now (`24h`, `7d`). */
    since: z.string().max(20).optional(),
  })
  .strict();

export const checklistsMethods = {
  'checklists.today': method(
    z.object({}).strict(),
    z.object({
      date: z.string(),
      timezone: z.string(),
      now: epochMs,
      instances: z.array(checklistInstanceSchema),
      /** The next slot to come (today or later). */
      next: z
        .object({ instanceId: z.string(), templateId: z.string(), name: bilingualSchema, at: epochMs })
        .nullable(),
    }),
  ),
  'checklists.instance': method(z.object({ instanceId: instanceIdSchema }).strict(), checklistInstanceSchema),
  'checklists.tick': method(
    z
      .object({
        instanceId: instanceIdSchema,
        itemId: z.string().min(1).max(100),
        by: actorInput,
        note: noteInput,
      })
      .strict(),
    checklistInstanceSchema,
  ),
  'checklists.untick': method(
    z
      .object({
        instanceId: instanceIdSchema,
        itemId: z.string().min(1).max(100),
        by: actorInput,
        note: noteInput,
      })
      .strict(),
    checklistInstanceSchema,
  ),
  /** One click by a person: ticks the items whose every evidence passes (each with its snapshot). */
  'checklists.confirmPassing': method(
    z.object({ instanceId: instanceIdSchema, by: actorInput, note: noteInput }).strict(),
    z.object({ instance: checklistInstanceSchema, ticked: z.array(z.string()) }),
  ),
  'checklists.history': method(
    z
      .object({
        /** Last day shown (local date); default today. */
        to: dateInput.optional(),
        days: z.number().int().min(1).max(92).default(7),
      })
      .strict(),
    z.object({ timezone: z.string(), days: z.array(historyDaySchema), weeks: z.array(historyWeekSchema) }),
  ),
  'checklists.templates': method(
    z.object({}).strict(),
    z.object({ templates: z.array(templateSummarySchema), errors: z.array(templateErrorSchema) }),
  ),
  'evidence.providers': method(
    z.object({}).strict(),
    z.object({
      providers: z.array(z.object({ id: z.string(), label: bilingualSchema, timeline: z.boolean() })),
    }),
  ),
  /** One reading outside a checklist (the Overview's cost and backup blocks). */
  'evidence.read': method(evidenceReadInput, evidenceResultSchema),
};

export const checklistChangedEventSchema = z.object({
  type: z.literal('checklist.changed'),
  instance: checklistInstanceSchema,
});

export const checklistEventSchemas = [checklistChangedEventSchema] as const;

import { z } from 'zod';

/** The `incidents:` section: the knowledge base's context window and suggestions. */
export const incidentsConfigSchema = z.strictObject({
  /** Context of an incident created from an alert or a stop: alerts, stops, job failures, log records from this long before it. */
  contextBeforeMinutes: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 60)
    .default(120),
  /** Context window after the alert or stop. */
  contextAfterMinutes: z
    .number()
    .int()
    .min(0)
    .max(24 * 60)
    .default(30),
  /** Similar past incidents shown next to a firing alert. */
  suggestions: z.number().int().min(0).max(20).default(3),
});

export type IncidentsConfig = z.infer<typeof incidentsConfigSchema>;

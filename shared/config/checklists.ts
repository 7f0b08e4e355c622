import { z } from 'zod';

/** True for a zone the runtime knows (Asia/Tokyo, America/New_York, UTC). */
export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const timeZoneSchema = z
  .string()
  .min(1)
  .refine(isValidTimeZone, { message: 'an IANA time zone such as Asia/Tokyo' });

const templateId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lower-case letters, digits and "-" (e.g. morning)');

/** TASK-003 STEP-5: a reminder when a slot is 30 minutes late (our reading of 09:00 / 18:00 slots). */
export const DEFAULT_REMINDER_MINUTES = 30;

export const checklistRemindersSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** A slot not completed this many minutes after its time raises a reminder. */
  afterMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(DEFAULT_REMINDER_MINUTES),
  /** Notification channel ids (notify.channels); the desktop channel is a tray notification or a toast. */
  channels: z.array(z.string().min(1)).default(['desktop']),
  severity: z.enum(['critical', 'warning', 'info']).default('warning'),
});

/**
 * The `checklists:` section. The templates themselves are YAML files shipped in resources/checklists/
 * (TASK-003 STEP-5 日次運用チェックリスト and 定期品質チェック); an operator's folder may add or replace them.
 */
export const checklistsConfigSchema = z.strictObject({
  /** IANA zone of the slots; default alerts.timezone, else the OS zone. */
  timezone: timeZoneSchema.optional(),
  /** A folder with the operator's own templates (same format); a template with a shipped id replaces it. */
  folder: z.string().min(1).optional(),
  /** Slot times per template id (cron, 5 fields), e.g. `morning: "30 8 * * *"`; default the template's. */
  schedules: z.record(templateId, z.string().min(9).max(100)).default({}),
  /** Templates not to run, by id. */
  disabled: z.array(templateId).default([]),
  reminders: checklistRemindersSchema.prefault({}),
});

export type ChecklistsConfig = z.infer<typeof checklistsConfigSchema>;

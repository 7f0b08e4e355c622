import { z } from 'zod';
import { configIssueSchema } from '../config/schema.js';
import { method } from './contract.js';

/** A secret field of a channel: its value never leaves core; only whether it is set, and how. */
export const secretStateSchema = z.object({
  key: z.string(),
  /** unset; env: a `${env:NAME}` reference (shown, it holds no secret); set: a value in the file. */
  state: z.enum(['unset', 'env', 'set']),
  envRef: z.string().nullable(),
});

export const channelSettingsSchema = z.object({
  id: z.string(),
  type: z.string(),
  enabled: z.boolean(),
  minSeverity: z.enum(['critical', 'warning', 'info']),
  /** The other settings, masked. */
  fields: z.record(z.string(), z.unknown()),
  secrets: z.array(secretStateSchema),
});

export const settingsViewSchema = z.object({
  configFile: z.string(),
  /** Hash of the file as read: an update carrying it is refused if the file changed meanwhile. */
  baseHash: z.string(),
  writable: z.boolean(),
  locale: z.enum(['ja', 'en']),
  channels: z.array(channelSettingsSchema),
  checklists: z.object({
    timezone: z.string().nullable(),
    effectiveTimezone: z.string(),
    reminders: z.object({
      enabled: z.boolean(),
      afterMinutes: z.number(),
      channels: z.array(z.string()),
      severity: z.enum(['critical', 'warning', 'info']),
    }),
    schedules: z.record(z.string(), z.string()),
  }),
  /** The shipped `checklist-overdue` alert rule: escalates an overdue checklist like an alert. */
  overdueEscalation: z.object({ present: z.boolean(), enabled: z.boolean() }),
  /** Problems of the config file as it is now. */
  issues: z.array(configIssueSchema),
});
export type SettingsView = z.infer<typeof settingsViewSchema>;

/**
 * A path into the config: keys and list indexes; `#<id>` picks the list item with that id
 * (`['notify', 'channels', '#slack', 'enabled']`). A null value removes the key.
 */
export const settingsChangeSchema = z.object({
  path: z
    .array(z.union([z.string().min(1).max(100), z.number().int().min(0)]))
    .min(2)
    .max(6),
  value: z.unknown(),
});
export type SettingsChange = z.infer<typeof settingsChangeSchema>;

export const settingsMethods = {
  'settings.get': method(z.object({}).strict(), settingsViewSchema),
  /** Validated with the config schema, written back preserving comments, atomically; refused with its reason. */
  'settings.update': method(
    z
      .object({
        changes: z.array(settingsChangeSchema).min(1).max(50),
        by: z.string().trim().min(1).max(100),
        baseHash: z.string().max(100).optional(),
      })
      .strict(),
    settingsViewSchema,
  ),
  /** Opens the config file in the OS's editor (desktop mode); headless mode returns its path only. */
  'settings.openConfig': method(z.object({}).strict(), z.object({ opened: z.boolean(), file: z.string() })),
};

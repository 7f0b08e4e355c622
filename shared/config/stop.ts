import { z } from 'zod';

/** Families the stop kills when the monitor config names none, in this order (runners first: nothing respawns). */
export const DEFAULT_STOP_FAMILIES = ['bot-runner', 'bot-driver', 'bot-chrome'] as const;

export const DEFAULT_KILL_SWITCH_FILE = 'EMERGENCY_STOP';

/**
 * The `stop:` section: the emergency stop (issue 5, TASK-003 緊急停止システム).
 *
 * The kill-switch file is written into every `bots.folders` entry (atomic write, JSON with reason,
 * source and time) so a bot that adopts it, or starts later, stands down too.
 */
export const stopConfigSchema = z.strictObject({
  /** File name written into each bot folder; a plain name, not a path. */
  killSwitchFile: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[^/\\:*?"<>|]+$/, 'a file name without folder separators or wildcard characters')
    .refine((name) => name !== '.' && name !== '..', 'a file name, not . or ..')
    .default(DEFAULT_KILL_SWITCH_FILE),
  /** Seconds between the graceful request (Ctrl+C / SIGINT) and the forced kill. 0 = force at once. */
  graceSeconds: z.number().min(0).max(120).default(5),
  /** After the forced kill: how long to keep re-scanning before the rest are reported as survivors. */
  verifySeconds: z.number().min(1).max(120).default(5),
  /**
   * Windows Task Scheduler tasks that relaunch bots, disabled by a stop and re-enabled by resume (only
   * those that were enabled). Nexus 02 is relaunched every 2 hours by such a task running run_bot.bat
   * (BOTS.md), e.g. "\\TwitterBot_Nexus_02". Ignored on Linux.
   */
  windowsTasks: z.array(z.string().min(1).max(260)).default([]),
  /**
   * After a resume, automatic (rule) triggers are refused for this many minutes. When the config has an
   * `alerts` section its `actionCooldownMinutes` is used instead: the alert engine defers rule actions
   * by that setting, and an action the stop refused would be lost, so the two must never differ.
   */
  resumeCooldownMinutes: z
    .number()
    .min(0)
    .max(24 * 60)
    .default(30),
  /** Notification channel ids for stop and resume reports; empty = every enabled channel. */
  notifyChannels: z.array(z.string().min(1)).default([]),
});

export type StopConfig = z.infer<typeof stopConfigSchema>;
export type StopConfigInput = z.input<typeof stopConfigSchema>;

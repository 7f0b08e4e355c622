import { z } from 'zod';
import { alertsConfigSchema } from './alerts.js';
import { botsConfigSchema } from './bots.js';
import { checklistsConfigSchema } from './checklists.js';
import { serverConfigSchema, uiConfigSchema } from './core.js';
import { exportConfigSchema } from './export.js';
import { incidentsConfigSchema } from './incidents.js';
import { logsConfigSchema } from './logs.js';
import { maintenanceConfigSchema } from './maintenance.js';
import { monitorConfigSchema } from './monitor.js';
import { notifyConfigSchema } from './notify.js';
import { stopConfigSchema } from './stop.js';
import { telemetryConfigSchema } from './telemetry.js';

export { DEFAULT_PORT } from './core.js';

/**
 * The whole config file. Unknown top-level keys are errors (a typo such as `monitr:` must not be
 * silently ignored); each section fills its own defaults.
 */
export const configSchema = z.strictObject({
  server: serverConfigSchema.prefault({}),
  monitor: monitorConfigSchema.prefault({}),
  ui: uiConfigSchema.prefault({}),
  bots: botsConfigSchema,
  alerts: alertsConfigSchema.prefault({}),
  notify: notifyConfigSchema.prefault({}),
  stop: stopConfigSchema.prefault({}),
  export: exportConfigSchema.prefault({}),
  checklists: checklistsConfigSchema.prefault({}),
  incidents: incidentsConfigSchema.prefault({}),
  maintenance: maintenanceConfigSchema.prefault({}),
  logs: logsConfigSchema.prefault({}),
  telemetry: telemetryConfigSchema.prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** A problem found in a config file, with its place. */
export const configIssueSchema = z.object({
  file: z.string(),
  line: z.number().int().optional(),
  col: z.number().int().optional(),
  path: z.string().optional(),
  message: z.string(),
  /**
   * 'notice': not a problem, but something the operator should know (a file with no settings runs on
   * the defaults; which sections run on the last good config). Absent: a problem in the file.
   */
  severity: z.literal('notice').optional(),
});
export type ConfigIssue = z.infer<typeof configIssueSchema>;

export function formatConfigIssue(issue: ConfigIssue): string {
  const where = issue.line ? `${issue.file}:${issue.line}:${issue.col ?? 1}` : issue.file;
  return `${where}: ${issue.path ? `${issue.path}: ` : ''}${issue.message}`;
}

/**
 * The maintenance door (issue 13): scheduled jobs with catch-up after downtime, job history, backups
 * whose restore is proven, health checks that heal, database maintenance and the weekly report.
 * See README.md in this folder.
 */
export {
  CATCH_UP_JOB,
  createMaintenanceCapability,
  HEALTH_JOB,
  type MaintenanceCapability,
  type MaintenanceCapabilityDeps,
  METRICS_JOB,
  type ReportMailer,
} from './capability.js';
export { BACKUP_CLI_HELP, type BackupCliOptions, runBackupCli } from './cli.js';
export { descendantsOf, killTree, quoteForCmd, resolveOnPath, runCommand, spawnPlan } from './command.js';
export { countFindings, versionMatches } from './database.js';
export { globToRegExp } from './files.js';
export { maintenanceMigration } from './migrations/011-maintenance.js';
export { daysToZero } from './report.js';
export { type RotationTarget, rotateLogs } from './rotation.js';
export { cronSchedule, planCatchUp, slotsBetween } from './schedule.js';
export { runnerJobName } from './scheduler.js';

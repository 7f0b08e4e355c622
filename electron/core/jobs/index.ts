/**
 * The jobs door: one runner for every periodic and scheduled piece of work in core (the live sample,
 * rollups, retention, escalation ticks; cron schedules of the maintenance capability build on it).
 */
export {
  createJobRunner,
  type JobContext,
  type JobRunner,
  type JobRunnerOptions,
  type JobSchedule,
  type JobSpec,
  type JobStatus,
} from './runner.js';

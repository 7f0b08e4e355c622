/**
 * The telemetry door: bot KPIs and API cost from what the bots write, budgets, the dead-man's switch per
 * bot, and the evidence behind automatic stops.
 */
export {
  type LogFileInfo,
  recordFromLog,
  recordsFromLogs,
  runSignalFromExit,
  runStartsFromLogs,
} from './adapter.js';
export {
  createTelemetryCapability,
  TELEMETRY_PUBLISH_JOB,
  type TelemetryCapability,
  type TelemetryCapabilityDeps,
} from './capability.js';
export { defaultExtractionRules } from './default-rules.js';
export { isTelemetryMetric, Telemetry, type TelemetryDeps } from './engine.js';
export { telemetryMigration } from './migrations/013-telemetry.js';
export { Calendar, wallTimeToEpoch } from './periods.js';
export type { RecordLevel, RunSignal, TelemetryEvent, TelemetryRecord } from './types.js';

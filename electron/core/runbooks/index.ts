/**
 * The runbooks door: Markdown runbooks (TASK-003 障害対応手順 Level 1-3), the rule → runbook links, and
 * steps ticked per incident, alert or stop run.
 */
export { createRunbooksCapability, type RunbooksCapability } from './capability.js';
export { loadRunbooks, parseRunbook, parseSteps, type RunbookDoc, type RunbookStep } from './library.js';
export { runbooksMigration } from './migrations/009-runbooks.js';

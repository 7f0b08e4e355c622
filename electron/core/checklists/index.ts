/**
 * The checklists door: daily and periodic operator checklists (TASK-003 STEP-5 日次運用チェックリスト,
 * 定期品質チェック) ticked by a person with live evidence, and the built-in evidence providers.
 */
export {
  addDays,
  dayStart,
  localDate,
  localParts,
  offsetAt,
  Schedule,
  weekStart,
  windowStart,
} from './calendar.js';
export {
  CHECKLIST_JOBS,
  type ChecklistsCapability,
  type ChecklistsCapabilityDeps,
  createChecklistsCapability,
  OVERDUE_METRIC,
} from './capability.js';
export {
  type ChecklistSettings,
  Checklists,
  type ChecklistsDeps,
  instanceIdOf,
  stateOf,
} from './checklists.js';
export { holds, itemVerdict, readEvidence } from './evaluate.js';
export { checklistsMigration } from './migrations/007-checklists.js';
export { formatUnit, type OpsPorts, provideBuiltInEvidence } from './providers.js';
export { ChecklistRepo } from './repo.js';
export { type ChecklistTemplate, type EvidenceSpec, loadTemplates, parseTemplate } from './templates.js';

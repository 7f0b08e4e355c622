/**
 * The settings door: the Settings page's view of the config and its write-back (comments kept,
 * validated with the config schema, atomic).
 */
export { createSettingsCapability, OVERDUE_RULE_ID } from './capability.js';
export {
  applyChanges,
  openerCommand,
  SettingsError,
  type WriteBackResult,
  writeFileAtomic,
} from './writeback.js';

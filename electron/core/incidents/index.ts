/**
 * The incidents door: the incident knowledge base (Phase 6 incident_database and post_incident_process),
 * its Japanese-correct search, and similar past incidents for an alert.
 */
export {
  categoryOf,
  createIncidentsCapability,
  type IncidentsCapability,
  type IncidentsCapabilityDeps,
  LOG_TIMELINE_SOURCE,
} from './capability.js';
export { gramQuery, gramTokens, searchableText } from './grams.js';
export { incidentsMigration } from './migrations/008-incidents.js';
export { asciiLower, IncidentRepo } from './repo.js';
export { botOf, exceptionTypeOf, sharedStretches, similarIncidents, textTrigrams } from './similar.js';

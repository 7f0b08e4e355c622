/** Bot telemetry in the UI: KPI tiles, the cost burn-down and summary, the dead-man's switch badge. */
export { CostBurnDown } from './CostBurnDown.js';
export { CostSection } from './CostSection.js';
export { DeadManBadge } from './DeadManBadge.js';
export { KpiTiles } from './KpiTiles.js';
export { TelemetryView } from './TelemetryView.js';

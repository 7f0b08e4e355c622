import { z } from 'zod';
import { alertEventSchemas, alertsMethods } from './alerts.js';
import { appMethods } from './app.js';
import { botEventSchemas, botsMethods } from './bots.js';
import { checklistEventSchemas, checklistsMethods } from './checklists.js';
import type { MethodSpec } from './contract.js';
import { exportMethods } from './export.js';
import { incidentEventSchemas, incidentsMethods } from './incidents.js';
import { logsMethods, logsRecordsEventSchema } from './logs.js';
import { maintenanceEventSchemas, maintenanceMethods } from './maintenance.js';
import { metricsEventSchema, monitorMethods, processesEventSchema } from './monitor.js';
import { notifyDeliveryEventSchema, notifyMethods } from './notify.js';
import { runbookEventSchemas, runbooksMethods } from './runbooks.js';
import { settingsMethods } from './settings.js';
import { stopEventSchemas, stopMethods } from './stop.js';
import { notifyEventSchema, samplesEventSchema, statusEventSchema, systemMethods } from './system.js';
import { telemetryEventSchemas, telemetryMethods } from './telemetry.js';

export * from './alerts.js';
export * from './app.js';
export * from './bots.js';
export * from './checklists.js';
export * from './contract.js';
export * from './export.js';
export * from './incidents.js';
export * from './logs.js';
export * from './maintenance.js';
export * from './monitor.js';
export * from './notify.js';
export * from './runbooks.js';
export * from './settings.js';
export * from './stop.js';
export * from './system.js';
export * from './telemetry.js';

/** Every method of the API, `domain.verb` → input and output schemas. */
export const apiMethods = {
  ...systemMethods,
  ...appMethods,
  ...alertsMethods,
  ...notifyMethods,
  ...monitorMethods,
  ...stopMethods,
  ...exportMethods,
  ...checklistsMethods,
  ...runbooksMethods,
  ...incidentsMethods,
  ...settingsMethods,
  ...botsMethods,
  ...maintenanceMethods,
  ...logsMethods,
  ...telemetryMethods,
} satisfies Record<string, MethodSpec>;

export type ApiMethods = typeof apiMethods;
export type MethodName = keyof ApiMethods;
export type MethodInput<M extends MethodName> = z.input<ApiMethods[M]['input']>;
export type MethodParsedInput<M extends MethodName> = z.output<ApiMethods[M]['input']>;
export type MethodOutput<M extends MethodName> = z.output<ApiMethods[M]['output']>;

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(apiMethods, name);
}

/** The push channel: everything core announces to every open UI. */
export const apiEventSchema = z.discriminatedUnion('type', [
  samplesEventSchema,
  statusEventSchema,
  notifyEventSchema,
  ...alertEventSchemas,
  notifyDeliveryEventSchema,
  metricsEventSchema,
  processesEventSchema,
  ...stopEventSchemas,
  ...checklistEventSchemas,
  ...runbookEventSchemas,
  ...incidentEventSchemas,
  ...botEventSchemas,
  ...maintenanceEventSchemas,
  logsRecordsEventSchema,
  ...telemetryEventSchemas,
]);
export type ApiEvent = z.infer<typeof apiEventSchema>;

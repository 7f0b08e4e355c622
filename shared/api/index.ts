import { z } from 'zod';
import { alertEventSchemas, alertsMethods } from './alerts.js';
import { appMethods } from './app.js';
import type { MethodSpec } from './contract.js';
import { exportMethods } from './export.js';
import { metricsEventSchema, monitorMethods, processesEventSchema } from './monitor.js';
import { notifyDeliveryEventSchema, notifyMethods } from './notify.js';
import { stopEventSchemas, stopMethods } from './stop.js';
import { notifyEventSchema, samplesEventSchema, statusEventSchema, systemMethods } from './system.js';
import { telemetryEventSchemas, telemetryMethods } from './telemetry.js';

export * from './alerts.js';
export * from './app.js';
export * from './contract.js';
export * from './export.js';
export * from './monitor.js';
export * from './notify.js';
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
  ...telemetryEventSchemas,
]);
export type ApiEvent = z.infer<typeof apiEventSchema>;

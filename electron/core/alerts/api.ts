import type { z } from 'zod';
import type { alertsMethods } from '../../../shared/api/alerts.js';
import { ApiFailure } from '../../../shared/api/contract.js';
import type { AlertsEngine } from './engine.js';
import { AlertError } from './errors.js';

type Methods = typeof alertsMethods;
export type AlertsHandlers = {
  [M in keyof Methods]: (input: z.output<Methods[M]['input']>) => z.output<Methods[M]['output']>;
};

/** Handlers for every `alerts.*` method; inputs arrive already validated by the dispatcher. */
export function createAlertsApi(engine: AlertsEngine): AlertsHandlers {
  return {
    'alerts.list': (input) =>
      guard(() => ({
        alerts: engine.list({
          ...(input.states ? { states: input.states } : {}),
          includeSuppressed: input.includeSuppressed,
        }),
        health: engine.health(),
        evaluatedAt: engine.evaluatedAt,
      })),
    'alerts.ack': (input) => guard(() => engine.ack(input.id, input.by, input.note)),
    'alerts.silence': (input) =>
      guard(() =>
        engine.silence({
          matchers: input.matchers,
          reason: input.reason,
          by: input.by,
          ...(input.ruleId !== undefined ? { ruleId: input.ruleId } : {}),
          ...(input.startsAt !== undefined ? { startsAt: input.startsAt } : {}),
          ...(input.endsAt !== undefined ? { endsAt: input.endsAt } : {}),
          ...(input.durationMinutes !== undefined ? { durationMinutes: input.durationMinutes } : {}),
        }),
      ),
    'alerts.unsilence': (input) => guard(() => engine.unsilence(input.id, input.by)),
    'alerts.silences': (input) => guard(() => ({ silences: engine.silences(input.includeExpired) })),
    'alerts.history': (input) =>
      guard(() => ({
        alerts: engine.history({
          includeInactive: input.includeInactive,
          limit: input.limit,
          ...(input.from !== undefined ? { from: input.from } : {}),
          ...(input.to !== undefined ? { to: input.to } : {}),
          ...(input.before !== undefined ? { before: input.before } : {}),
          ...(input.beforeId !== undefined ? { beforeId: input.beforeId } : {}),
          ...(input.ruleId !== undefined ? { ruleId: input.ruleId } : {}),
          ...(input.severity !== undefined ? { severity: input.severity } : {}),
          ...(input.states !== undefined ? { states: input.states } : {}),
        }),
      })),
    'alerts.events': (input) => guard(() => engine.events(input.alertId)),
    'alerts.maintenance': () => guard(() => engine.maintenance()),
    'alerts.rules': () => guard(() => engine.ruleInfo()),
  };
}

function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof AlertError) throw new ApiFailure(err.code, err.message);
    throw err;
  }
}

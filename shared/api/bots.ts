import { z } from 'zod';
import { botIdSchema } from '../config/bots.js';
import { epochMs, method } from './contract.js';

/**
 * The bots as objects (electron/core/bots): their state, counters and last exit; start / stop / restart
 * of supervised bots; the tail of a supervised bot's captured output.
 *
 * States: running (a run is going, or an external bot's processes are there); starting / stopping;
 * stopped; backoff (waiting to restart after an exit); errored (the crash-loop guard tripped: no more
 * restarts until an operator starts it); held (the emergency stop holds it until resume); disabled.
 */
export const botStateSchema = z.enum([
  'running',
  'starting',
  'stopping',
  'stopped',
  'backoff',
  'errored',
  'held',
  'disabled',
]);
export type BotState = z.infer<typeof botStateSchema>;

export const exitOutcomeSchema = z.enum([
  'exited',
  'failed',
  'stopped',
  'timeout',
  'vanished',
  'start-failed',
]);

export const botExitSchema = z.object({
  outcome: exitOutcomeSchema,
  code: z.number().int().nullable(),
  signal: z.string().nullable(),
  at: epochMs,
  uptimeMs: z.number().nonnegative(),
  /** Why it could not start, or how it was lost. */
  error: z.string().nullable(),
});
export type BotExit = z.infer<typeof botExitSchema>;

export const botStatusSchema = z.object({
  id: z.string(),
  name: z.string(),
  root: z.string(),
  mode: z.enum(['supervised', 'external']),
  enabled: z.boolean(),
  /** Supervised: how runs start. */
  start: z.enum(['always', 'schedule', 'manual']).nullable(),
  /** The command line as configured (secrets masked). */
  command: z.string().nullable(),
  state: botStateSchema,
  /** The emergency stop holds the supervised bots (no start, no restart) until resume. */
  held: z.boolean(),
  /** An always-on bot an operator stopped: it stays stopped, also across a restart of Nexus Ops. */
  operatorStopped: z.boolean(),
  pid: z.number().int().nullable(),
  /** When the current run's bot process started. */
  startedAt: epochMs.nullable(),
  /** Processes recognised as this bot's (its `processes` match, or descendants of its relay). */
  processes: z.number().int().nonnegative(),
  restarts: z.object({ count: z.number().int(), since: epochMs.nullable() }),
  /** The crash-loop guard: unstable exits in a row, of `max`, between `since` and `last`. */
  unstable: z.object({
    count: z.number().int(),
    max: z.number().int(),
    since: epochMs.nullable(),
    last: epochMs.nullable(),
    minUptimeSeconds: z.number(),
  }),
  erroredAt: epochMs.nullable(),
  nextRestartAt: epochMs.nullable(),
  backoffMs: z.number().int(),
  schedule: z.object({ cron: z.string(), timezone: z.string(), nextRunAt: epochMs.nullable() }).nullable(),
  timeoutMinutes: z.number().nullable(),
  /** How long a stop waits after Ctrl+C before it ends the tree by force (supervised bots). */
  stopGraceSeconds: z.number().nullable(),
  lastExit: botExitSchema.nullable(),
  /** Something that keeps it from running as configured (missing relay, unset variable, bad cron). */
  problem: z.string().nullable(),
  /** The capture file (supervised bots). */
  outputFile: z.string().nullable(),
  /** Still running, but no longer in the config: watched until it ends, never restarted. */
  orphaned: z.boolean(),
});
export type BotStatus = z.infer<typeof botStatusSchema>;

export const botOutputLineSchema = z.object({
  ts: epochMs,
  stream: z.enum(['o', 'e']),
  text: z.string(),
});
export type BotOutputLine = z.infer<typeof botOutputLineSchema>;

const botActionInput = z
  .object({
    id: botIdSchema,
    actor: z.string().trim().max(100).optional(),
    reason: z.string().trim().max(500).optional(),
  })
  .strict();

export const botsMethods = {
  'bots.list': method(
    z.object({}).strict(),
    z.object({ bots: z.array(botStatusSchema), held: z.boolean(), heldSince: epochMs.nullable() }),
  ),
  'bots.get': method(z.object({ id: botIdSchema }).strict(), botStatusSchema),
  'bots.start': method(botActionInput, botStatusSchema),
  /** Ctrl+C / SIGINT, then the tree by force after the bot's stopGraceSeconds; resolves when it is down. */
  'bots.stop': method(botActionInput, botStatusSchema),
  'bots.restart': method(botActionInput, botStatusSchema),
  /** The last lines of the captured output (current file, and the previous one when it is short). */
  'bots.output': method(
    z.object({ id: botIdSchema, lines: z.number().int().min(1).max(1000).default(200) }).strict(),
    z.object({ lines: z.array(botOutputLineSchema), file: z.string().nullable() }),
  ),
};

export const botStateEventSchema = z.object({ type: z.literal('bots.state'), bot: botStatusSchema });
/** A supervised bot's capture file grew: a page showing its output fetches the tail again. */
export const botOutputEventSchema = z.object({
  type: z.literal('bots.output'),
  id: z.string(),
  size: z.number().int().nonnegative(),
});
export const botEventSchemas = [botStateEventSchema, botOutputEventSchema] as const;
export type BotsApiEvent = z.infer<typeof botStateEventSchema> | z.infer<typeof botOutputEventSchema>;

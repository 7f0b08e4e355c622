import { z } from 'zod';

/**
 * One API contract, carried by two transports (Electron IPC and HTTP + SSE). Each method is named
 * `domain.verb` and has a zod schema for its input and its output. Core implements every method once;
 * both transports validate the input on the receiving side with the same schema.
 */
export interface MethodSpec<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  input: I;
  output: O;
}

export function method<I extends z.ZodType, O extends z.ZodType>(input: I, output: O): MethodSpec<I, O> {
  return { input, output };
}

export const errorCodes = [
  'invalid_input',
  'unknown_method',
  'unauthorized',
  'not_found',
  'conflict',
  'unavailable',
  'internal',
] as const;
export type ErrorCode = (typeof errorCodes)[number];

export const apiErrorSchema = z.object({ code: z.enum(errorCodes), message: z.string() });
export type ApiError = z.infer<typeof apiErrorSchema>;

export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export function resultSchema<T extends z.ZodType>(value: T) {
  return z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), value }),
    z.object({ ok: z.literal(false), error: apiErrorSchema }),
  ]);
}

/** Thrown by handlers to return a precise error code instead of `internal`. */
export class ApiFailure extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Series labels: small string maps, e.g. { mount: "C:" }. */
export const labelsSchema = z.record(z.string(), z.string());
export type Labels = z.infer<typeof labelsSchema>;

/** Epoch milliseconds (UTC). The UI renders them in the operator's local time. */
export const epochMs = z.number().int().nonnegative();

import {
  type ApiEvent,
  ApiFailure,
  type ApiResult,
  apiMethods,
  isMethodName,
  type MethodName,
  type MethodOutput,
  type MethodParsedInput,
} from '../../../shared/api/index.js';

export type Handlers = {
  [M in MethodName]: (input: MethodParsedInput<M>) => MethodOutput<M> | Promise<MethodOutput<M>>;
};

export interface Dispatcher {
  /** Validates the input with the method's schema, runs the handler, returns a Result. Never throws. */
  call(method: string, input: unknown): Promise<ApiResult<unknown>>;
}

export function createDispatcher(handlers: Handlers, onInternalError?: (err: unknown) => void): Dispatcher {
  return {
    async call(method, input) {
      if (!isMethodName(method)) {
        return { ok: false, error: { code: 'unknown_method', message: `unknown method "${method}"` } };
      }
      const spec = apiMethods[method];
      const parsed = spec.input.safeParse(input ?? {});
      if (!parsed.success) {
        const message = parsed.error.issues
          .map((i) => `${i.path.map(String).join('.') || 'input'}: ${i.message}`)
          .join('; ');
        return { ok: false, error: { code: 'invalid_input', message } };
      }
      try {
        const handler = handlers[method] as (input: unknown) => unknown;
        const value = await handler(parsed.data);
        return { ok: true, value };
      } catch (err) {
        if (err instanceof ApiFailure) return { ok: false, error: { code: err.code, message: err.message } };
        onInternalError?.(err);
        return {
          ok: false,
          error: { code: 'internal', message: err instanceof Error ? err.message : String(err) },
        };
      }
    },
  };
}

export interface EventBus {
  emit(event: ApiEvent): void;
  /** Whether anyone is subscribed (an open window, a dashboard's event stream). */
  hasSubscribers(): boolean;
  subscribe(listener: (event: ApiEvent) => void): () => void;
}

/** Fan-out of core events to every transport; a failing listener never stops the others. */
export function createEventBus(): EventBus {
  const listeners = new Set<(event: ApiEvent) => void>();
  return {
    emit(event) {
      for (const l of listeners) {
        try {
          l(event);
        } catch {
          // A broken subscriber (a closed window, a dropped socket) must not stop the monitor.
        }
      }
    },
    hasSubscribers: () => listeners.size > 0,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

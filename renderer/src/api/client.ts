import {
  type ApiEvent,
  type ApiResult,
  apiEventSchema,
  apiMethods,
  type MethodInput,
  type MethodName,
  type MethodOutput,
  resultSchema,
} from '../../../shared/api/index.js';

/** What the Electron preload exposes with contextBridge (see electron/preload.ts). */
export interface DesktopBridge {
  call(method: string, input: unknown): Promise<unknown>;
  onEvent(listener: (event: unknown) => void): () => void;
}

declare global {
  interface Window {
    nexusOps?: DesktopBridge;
  }
}

interface Transport {
  kind: 'ipc' | 'http';
  call(method: string, input: unknown): Promise<unknown>;
  subscribe(listener: (event: unknown) => void, onConnection: (up: boolean) => void): () => void;
}

function ipcTransport(bridge: DesktopBridge): Transport {
  return {
    kind: 'ipc',
    call: (method, input) => bridge.call(method, input),
    subscribe(listener, onConnection) {
      onConnection(true);
      return bridge.onEvent(listener);
    },
  };
}

/** Headless mode: the HttpOnly cookie set by the login link authenticates both fetch and SSE. */
function httpTransport(): Transport {
  return {
    kind: 'http',
    async call(method, input) {
      const res = await fetch(`/api/call/${encodeURIComponent(method)}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        credentials: 'same-origin',
        body: JSON.stringify(input ?? {}),
      });
      if (res.status === 401) return { ok: false, error: { code: 'unauthorized', message: 'token' } };
      return res.json();
    },
    subscribe(listener, onConnection) {
      const source = new EventSource('/api/events', { withCredentials: true });
      source.addEventListener('hello', () => onConnection(true));
      source.addEventListener('message', (e) => listener(JSON.parse((e as MessageEvent<string>).data)));
      source.onerror = () => onConnection(false);
      return () => source.close();
    },
  };
}

const transport: Transport = window.nexusOps ? ipcTransport(window.nexusOps) : httpTransport();

/** One push connection for the whole page, fanned out to every store that subscribes. */
const listeners = new Set<(event: ApiEvent) => void>();
const connectionListeners = new Set<(up: boolean) => void>();
let connected = false;
let hubOpen = false;
function openHub(): void {
  if (hubOpen) return;
  hubOpen = true;
  transport.subscribe(
    (raw) => {
      const parsed = apiEventSchema.safeParse(raw);
      if (!parsed.success) return;
      for (const l of listeners) l(parsed.data);
    },
    (up) => {
      connected = up;
      for (const l of connectionListeners) l(up);
    },
  );
}

/** The one client the UI uses; it never knows which transport carries it. Replies are validated. */
export const api = {
  transport: transport.kind,
  async call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<ApiResult<MethodOutput<M>>> {
    try {
      const raw = await transport.call(method, input);
      const parsed = resultSchema(apiMethods[method].output).safeParse(raw);
      if (!parsed.success) {
        return { ok: false, error: { code: 'internal', message: `unexpected reply to ${method}` } };
      }
      return parsed.data as ApiResult<MethodOutput<M>>;
    } catch (err) {
      return {
        ok: false,
        error: { code: 'unavailable', message: err instanceof Error ? err.message : String(err) },
      };
    }
  },
  subscribe(listener: (event: ApiEvent) => void, onConnection?: (up: boolean) => void): () => void {
    listeners.add(listener);
    if (onConnection) {
      connectionListeners.add(onConnection);
      if (connected) onConnection(true);
    }
    openHub();
    return () => {
      listeners.delete(listener);
      if (onConnection) connectionListeners.delete(onConnection);
    };
  },
};

/**
 * The capability contract. A capability is one folder under electron/core/ that describes itself:
 * the API methods it implements, the periodic jobs it needs, the config section it owns, its
 * migrations, what it adds to the app's health and status, and how it closes. The composition root
 * (electron/core/index.ts) only creates capabilities in order and combines what they describe.
 *
 * Capabilities reach one another in two ways only: a port passed explicitly when the later one is
 * created (the notifier into alerts and stop), or, for calls that go back up the order, a named
 * action (`emergency-stop`, run by alert rules) or a hook (`stop.resumed`, heard by the alerts).
 */
import type { ApiEvent, MethodName } from '../../../shared/api/index.js';
import type { HealthState } from '../../../shared/api/system.js';
import type { Config, ConfigIssue } from '../../../shared/config/schema.js';
import type { Handlers } from '../api/index.js';
import type { Clock } from '../clock/index.js';
import type { JobSpec } from '../jobs/index.js';
import type { Store } from '../store/index.js';

export { type ActionContext, type ActionRegistry, createActionRegistry } from './actions.js';
export {
  createEvidenceRegistry,
  type EvidenceProvider,
  type EvidenceQuery,
  type EvidenceReading,
  type EvidenceRegistry,
  type EvidenceText,
  type TimelineEntry,
} from './evidence.js';
export { createHooks, type HookMap, type Hooks } from './hooks.js';

import type { ActionRegistry } from './actions.js';
import type { EvidenceRegistry } from './evidence.js';
import type { Hooks } from './hooks.js';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** The live config as capabilities read it: always the last good config. */
export interface ConfigSource {
  readonly file: string;
  current(): Config;
  /** Line and column of a path in the config file (for messages that name the place). */
  locate(): (path: readonly (string | number)[]) => { line: number; col: number } | undefined;
  /** Applies the file at once (after Nexus Ops itself wrote it completely); absent in tests. */
  reloadNow?(): void;
}

/** What every capability is created with: the shared infrastructure, nothing of another capability. */
export interface CoreContext {
  readonly clock: Clock;
  readonly log: Logger;
  readonly config: ConfigSource;
  readonly store: Store;
  /** Push to every open UI (IPC and SSE). */
  emit(event: ApiEvent): void;
  /**
   * Whether any UI is connected now. Events only a UI reads (live samples, refreshed checklist
   * evidence) need not be built while none is; absent means "assume one is".
   */
  uiConnected?(): boolean;
  readonly hooks: Hooks;
  readonly actions: ActionRegistry;
  /** Named evidence readings (checklist items, Overview, incident timelines); any capability may offer one. */
  readonly evidence: EvidenceRegistry;
  readonly dataDir: string;
  readonly resourcesDir: string;
  readonly mode: 'desktop' | 'headless';
  readonly version: string;
}

/** The handlers of the methods whose domain (`domain.verb`) is one of D. */
export type HandlersOf<D extends string> = Pick<Handlers, Extract<MethodName, `${D}.${string}`>>;

export interface Capability {
  readonly name: string;
  /** The methods it implements; every method of the contract is implemented by exactly one capability. */
  readonly handlers: Partial<Handlers>;
  readonly jobs?: readonly JobSpec[];
  /**
   * A config edit that loaded: apply the section(s) it owns. Returns the problems found inside them that
   * the schema cannot see (a rule on an unknown metric, a bad time zone): they go to app.status.
   */
  onConfig?(config: Config): readonly ConfigIssue[] | undefined;
  /** Problems found when it applied the config at creation (same as onConfig's result). */
  configIssues?(): readonly ConfigIssue[];
  /** Its part of the app's health: the worst of all wins, and `stopped` above all. */
  health?(): HealthState;
  /** Called once every capability exists, before the first job runs. */
  start?(): void;
  close?(): void | Promise<void>;
}

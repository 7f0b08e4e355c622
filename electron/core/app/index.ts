/**
 * The app door: `app.status` (version, mode, config problems, the write path, health, sampler) and
 * `jobs.list`, and the one place that turns the capabilities' health into the tray colour and the
 * `status` event. It is created last, with every other capability.
 */
import type { AppStatus, HealthState } from '../../../shared/api/system.js';
import type { ConfigIssue } from '../../../shared/config/schema.js';
import type { Capability, CoreContext, HandlersOf } from '../capability/index.js';
import type { DesktopPort } from '../desktop/index.js';
import type { JobRunner } from '../jobs/index.js';

export interface AppCapability extends Capability {
  status(): AppStatus;
  /** Pushes the status to the UI and the tray when something an operator sees changed. */
  publish(): void;
}

export interface AppCapabilityDeps {
  capabilities: readonly Capability[];
  jobs: JobRunner;
  desktop: DesktopPort;
  /** Problems of the config file itself (syntax, schema), kept by the live config. */
  configIssues(): readonly ConfigIssue[];
  /** Why the database could not be opened at start (the app then runs on an in-memory one). */
  storeOpenError: string | null;
  /** The job whose cadence is the sampler's. */
  samplerJob: string;
}

const RANK: Record<HealthState, number> = { ok: 0, warning: 1, critical: 2, stopped: 3 };

export function createAppCapability(ctx: CoreContext, deps: AppCapabilityDeps): AppCapability {
  let lastVisible = '';

  function health(): HealthState {
    let worst: HealthState = 'ok';
    for (const c of deps.capabilities) {
      const h = c.health?.();
      if (h && RANK[h] > RANK[worst]) worst = h;
    }
    return worst;
  }

  function status(): AppStatus {
    const sampler = deps.jobs.status(deps.samplerJob);
    const writes = ctx.store.writes.status();
    return {
      version: ctx.version,
      mode: ctx.mode,
      dataDir: ctx.dataDir,
      configFile: ctx.config.file,
      configIssues: [...deps.configIssues(), ...deps.capabilities.flatMap((c) => c.configIssues?.() ?? [])],
      storeError: deps.storeOpenError ?? writes.error,
      writes,
      health: health(),
      sampler: {
        intervalMs: ctx.config.current().monitor.liveIntervalSeconds * 1000,
        lagMs: sampler?.lagMs ?? 0,
        skipped: sampler?.skipped ?? 0,
      },
      locale: ctx.config.current().ui.locale,
    };
  }

  function publish(): void {
    const s = status();
    // The sampler's figures and the write counters move all the time: they do not make a push.
    const visible = JSON.stringify([s.configIssues, s.storeError, s.health, s.locale, s.writes.error]);
    if (visible === lastVisible) return;
    lastVisible = visible;
    deps.desktop.setHealth(s.health, `Nexus Ops: ${s.health}`);
    ctx.emit({ type: 'status', status: s });
  }

  ctx.hooks.on('status.changed', publish);
  ctx.store.writes.onChange(() => publish());

  const handlers: HandlersOf<'app' | 'jobs'> = {
    'app.status': () => status(),
    'jobs.list': () => ({ jobs: deps.jobs.list() }),
  };

  return { name: 'app', handlers, status, publish, start: publish };
}

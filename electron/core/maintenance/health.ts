/**
 * Synthetic health checks (Phase 6 health_check_automation: 5分間隔, 連続3回失敗, サービス再起動):
 * HTTP endpoint (status, body contains, latency), process present, file fresh, command exit 0. Each
 * cycle publishes `check.up`, `check.consecutive_failures`, `check.latency_ms` and `check.heal_guard`
 * per check; the shipped alert rule `check-failing` fires on consecutive failures ≥ 3.
 *
 * Self-healing (optional per check): once the failures reach the threshold, each failing cycle runs the
 * heal (the `restart-bot` action of the bots capability, or a command), guarded against loops: at most
 * `maxHeals` heals within `perCycles` cycles; past that it stops trying (check.heal_guard = 1, rule
 * `check-heal-stopped`) until the check passes again. The guard's state is stored: a restart of
 * Nexus Ops does not reset it.
 */
import { performance } from 'node:perf_hooks';
import type { CheckView } from '../../../shared/api/maintenance.js';
import type { BotConfig } from '../../../shared/config/bots.js';
import type { HealthCheckConfig, MaintenanceConfig } from '../../../shared/config/maintenance.js';
import { type LiveSample, seriesKey } from '../../../shared/series.js';
import type { ActionRegistry } from '../capability/index.js';
import type { Clock } from '../clock/index.js';
import type { ProcessInfo } from '../platform/index.js';
import { maskSecrets } from '../secrets/index.js';
import { runCommand, type TreeKiller } from './command.js';
import { expandGlob } from './files.js';
import type { CheckState, MaintenanceRepo } from './repo.js';

export interface HealthDeps {
  clock: Clock;
  repo: MaintenanceRepo;
  platform: TreeKiller;
  actions: ActionRegistry;
  dataDir: string;
  config(): { checks: MaintenanceConfig['healthChecks']; bots: readonly BotConfig[] };
  onCheck(view: CheckView): void;
  publish(samples: LiveSample[]): void;
  log(message: string): void;
  /** For tests: fetch (default global fetch). */
  fetch?: typeof fetch;
}

interface Outcome {
  ok: boolean;
  message: string;
  latencyMs: number | null;
}

export type HealthChecks = ReturnType<typeof createHealthChecks>;

export function createHealthChecks(deps: HealthDeps) {
  let states = new Map<string, CheckState>();
  try {
    states = deps.repo.checkStates();
  } catch (err) {
    deps.log(`cannot read health check states: ${err instanceof Error ? err.message : String(err)}`);
  }
  const doFetch = deps.fetch ?? fetch;
  let cycle: Promise<CheckView[]> | null = null;

  function state(id: string): CheckState {
    let s = states.get(id);
    if (!s) {
      s = {
        id,
        consecutiveFailures: 0,
        up: null,
        lastAt: null,
        latencyMs: null,
        message: '',
        healCycles: [],
        heals: 0,
        guardTrippedAt: null,
      };
      states.set(id, s);
    }
    return s;
  }

  function view(c: HealthCheckConfig): CheckView {
    const s = state(c.id);
    return {
      id: c.id,
      name: c.name ?? c.id,
      kind: c.kind,
      bot: c.bot ?? null,
      enabled: c.enabled,
      up: s.up,
      consecutiveFailures: s.consecutiveFailures,
      lastAt: s.lastAt,
      latencyMs: s.latencyMs,
      message: s.message,
      heals: s.heals,
      guardTripped: s.guardTrippedAt !== null,
    };
  }

  async function probe(
    c: HealthCheckConfig,
    bots: readonly BotConfig[],
    processes: () => Promise<ProcessInfo[]>,
    signal: AbortSignal,
  ): Promise<Outcome> {
    const bot = c.bot ? bots.find((b) => b.id === c.bot) : undefined;
    if (c.bot && !bot)
      return { ok: false, message: `unknown bot "${c.bot}" (bots: in the config)`, latencyMs: null };
    const timeout = AbortSignal.any([signal, AbortSignal.timeout(c.timeoutSeconds * 1000)]);
    switch (c.kind) {
      case 'http': {
        const t0 = performance.now();
        try {
          const res = await doFetch(c.url, { signal: timeout, redirect: 'follow' });
          let body = '';
          if (c.bodyContains !== undefined) body = await res.text();
          else await res.body?.cancel();
          const latencyMs = Math.round((performance.now() - t0) * 10) / 10;
          const statusOk =
            c.status.length > 0 ? c.status.includes(res.status) : res.status >= 200 && res.status < 300;
          if (!statusOk) return { ok: false, message: `HTTP ${res.status}`, latencyMs };
          if (c.bodyContains !== undefined && !body.includes(c.bodyContains)) {
            return { ok: false, message: `HTTP ${res.status}, body lacks "${c.bodyContains}"`, latencyMs };
          }
          if (c.maxLatencyMs !== undefined && latencyMs > c.maxLatencyMs) {
            return {
              ok: false,
              message: `HTTP ${res.status} in ${latencyMs} ms (over ${c.maxLatencyMs} ms)`,
              latencyMs,
            };
          }
          return { ok: true, message: `HTTP ${res.status} in ${latencyMs} ms`, latencyMs };
        } catch (err) {
          const latencyMs = Math.round((performance.now() - t0) * 10) / 10;
          return { ok: false, message: `no answer: ${errText(err)}`, latencyMs };
        }
      }
      case 'process': {
        const pattern = c.cmdline ?? bot?.processes?.cmdline;
        const exe = c.exe ?? bot?.processes?.exe;
        if (!pattern && !exe)
          return {
            ok: false,
            message: 'no cmdline or exe pattern (set one, or processes: on the bot)',
            latencyMs: null,
          };
        const cmdRe = pattern ? new RegExp(pattern, 'i') : null;
        const exeRe = exe ? new RegExp(`^(?:${exe})$`, 'i') : null;
        const list = await processes();
        const n = list.filter(
          (p) => (!cmdRe || cmdRe.test(p.cmdline)) && (!exeRe || exeRe.test(p.name)),
        ).length;
        return { ok: n >= c.min, message: `${n} process(es) (at least ${c.min})`, latencyMs: null };
      }
      case 'file-fresh': {
        const files = await expandGlob(c.path, bot?.root ?? deps.dataDir);
        if (files.length === 0) return { ok: false, message: `no file matches ${c.path}`, latencyMs: null };
        const newest = Math.max(...files.map((f) => f.mtimeMs));
        const ageMin = (deps.clock.now() - newest) / 60_000;
        return {
          ok: ageMin <= c.maxAgeMinutes,
          message: `newest written ${ageMin.toFixed(1)} min ago (at most ${c.maxAgeMinutes})`,
          latencyMs: null,
        };
      }
      case 'command': {
        const r = await runCommand(
          { command: c.command, args: c.args, cwd: c.cwd ?? bot?.root },
          timeout,
          deps.platform,
        );
        const last = r.output.trim().split('\n').pop() ?? '';
        return {
          ok: r.exitCode === 0 && !r.aborted,
          message: r.aborted
            ? `timed out after ${c.timeoutSeconds} s`
            : `exit ${r.exitCode}${last ? `: ${last.slice(0, 200)}` : ''}`,
          latencyMs: null,
        };
      }
    }
  }

  async function heal(
    c: HealthCheckConfig,
    s: CheckState,
    bots: readonly BotConfig[],
    signal: AbortSignal,
  ): Promise<string> {
    const h = c.heal;
    if (!h) return '';
    const reason = `health check ${c.id} failed ${s.consecutiveFailures} times in a row: ${s.message}`;
    if (h.action === 'restart-bot') {
      if (!c.bot) return 'heal skipped: restart-bot needs `bot:` on the check';
      if (!deps.actions.has('restart-bot')) return 'heal skipped: no capability offers restart-bot';
      await deps.actions.run('restart-bot', {
        ruleId: `check:${c.id}`,
        alertId: '',
        reason,
        target: c.bot,
        evidence: [s.message],
      });
      return `healed: restart-bot ${c.bot}`;
    }
    if (!h.command) return 'heal skipped: command heal without command';
    const bot = c.bot ? bots.find((b) => b.id === c.bot) : undefined;
    const r = await runCommand(
      { command: h.command, args: h.args, cwd: bot?.root },
      AbortSignal.any([signal, AbortSignal.timeout(120_000)]),
      deps.platform,
    );
    return `healed: ${h.command} exited ${r.exitCode}`;
  }

  async function runOne(
    c: HealthCheckConfig,
    bots: readonly BotConfig[],
    threshold: number,
    processes: () => Promise<ProcessInfo[]>,
    signal: AbortSignal,
  ): Promise<LiveSample[]> {
    const s = state(c.id);
    const outcome = await probe(c, bots, processes, signal).catch((err: unknown) => ({
      ok: false,
      message: errText(err),
      latencyMs: null,
    }));
    const now = deps.clock.now();
    s.lastAt = now;
    s.up = outcome.ok;
    s.latencyMs = outcome.latencyMs;
    s.message = maskSecrets(outcome.message);
    let healed = false;
    if (outcome.ok) {
      s.consecutiveFailures = 0;
      s.healCycles = [];
      s.guardTrippedAt = null;
    } else {
      s.consecutiveFailures++;
      if (c.heal && s.consecutiveFailures >= threshold && s.guardTrippedAt === null) {
        const recent = s.healCycles.slice(-(c.heal.perCycles - 1)).filter(Boolean).length;
        if (recent < c.heal.maxHeals) {
          try {
            const note = await heal(c, s, bots, signal);
            healed = note.startsWith('healed');
            if (healed) s.heals++;
            if (note) s.message = `${s.message}; ${note}`;
          } catch (err) {
            s.message = `${s.message}; heal failed: ${maskSecrets(errText(err))}`;
            healed = true; // an attempt counts against the guard all the same
          }
        } else {
          s.guardTrippedAt = now;
          s.message = `${s.message}; self-healing stopped after ${c.heal.maxHeals} heals in ${c.heal.perCycles} cycles`;
          deps.log(`health check ${c.id}: ${s.message}`);
        }
      }
      if (c.heal && s.guardTrippedAt !== null && s.guardTrippedAt !== now) {
        s.message = `${s.message}; self-healing stopped after ${c.heal.maxHeals} heals in ${c.heal.perCycles} cycles`;
      }
      if (c.heal) s.healCycles = [...s.healCycles, healed].slice(-c.heal.perCycles);
    }
    deps.repo.saveCheckState(s);
    deps.onCheck(view(c));
    const labels = { check: c.id };
    const samples: LiveSample[] = [
      sample('check.up', labels, now, outcome.ok ? 1 : 0),
      sample('check.consecutive_failures', labels, now, s.consecutiveFailures),
      sample('check.heal_guard', labels, now, s.guardTrippedAt !== null ? 1 : 0),
    ];
    if (outcome.latencyMs !== null) samples.push(sample('check.latency_ms', labels, now, outcome.latencyMs));
    return samples;
  }

  return {
    /** One cycle of every enabled check, in parallel; a cycle still running is joined, not doubled. */
    runCycle(signal: AbortSignal): Promise<CheckView[]> {
      cycle ??= (async () => {
        const { checks, bots } = deps.config();
        const enabled = checks.checks.filter((c) => c.enabled);
        let list: Promise<ProcessInfo[]> | null = null;
        const processes = () => {
          list ??= deps.platform.processes.list();
          return list;
        };
        const samples = (
          await Promise.all(enabled.map((c) => runOne(c, bots, checks.failureThreshold, processes, signal)))
        ).flat();
        if (samples.length > 0) deps.publish(samples);
        return enabled.map(view);
      })().finally(() => {
        cycle = null;
      });
      return cycle;
    },
    list(): CheckView[] {
      return deps.config().checks.checks.map(view);
    },
  };
}

function sample(name: string, labels: Record<string, string>, ts: number, value: number): LiveSample {
  return { name, labels, ts, value, key: seriesKey(name, labels) };
}

function errText(err: unknown): string {
  return err instanceof Error
    ? err.cause instanceof Error
      ? `${err.message} (${err.cause.message})`
      : err.message
    : String(err);
}

/**
 * The restart policy and the crash-loop guard, as pure functions over persisted counters (PM2's
 * numbers, ANCHORS.md a.1): the first restart waits `delayMs`, each next one ×1.5 up to `maxDelayMs`
 * (15 s), back to `delayMs` after a run that lasted `resetAfterSeconds` (30 s); an exit before
 * `minUptimeSeconds` (1 s) is unstable, and `maxUnstableRestarts` (16) unstable exits in a row make the
 * bot `errored`: no more restarts until an operator starts it. The counters live in SQLite, so a
 * restart of Nexus Ops neither forgets a crash loop nor starts counting again.
 */
import type { RestartPolicyConfig } from '../../../shared/config/bots.js';

export interface BotCounters {
  /** Restarts done by Nexus Ops (automatic and operator restarts) since `restartsSince`. */
  restarts: number;
  restartsSince: number | null;
  /** Unstable exits in a row, the first and the last of them: the crash-loop window. */
  unstableCount: number;
  unstableSince: number | null;
  unstableLast: number | null;
  /** Set when the guard tripped; cleared by an operator's start. */
  erroredAt: number | null;
  /** The delay of the last automatic restart; 0 = none yet (the next one waits delayMs). */
  backoffMs: number;
}

export const freshCounters = (): BotCounters => ({
  restarts: 0,
  restartsSince: null,
  unstableCount: 0,
  unstableSince: null,
  unstableLast: null,
  erroredAt: null,
  backoffMs: 0,
});

/**
 * exited: ended by itself with code 0; failed: non-zero code or a signal; stopped: by an operator or the
 * emergency stop; timeout: stopped because it ran past timeoutMinutes; vanished: the relay disappeared
 * without recording an exit; start-failed: the program could not be started.
 */
export type ExitOutcome = 'exited' | 'failed' | 'stopped' | 'timeout' | 'vanished' | 'start-failed';

export interface ExitDecision {
  counters: BotCounters;
  /** When to start it again; null: not at all. */
  restartAt: number | null;
  /** The guard tripped with this exit. */
  errored: boolean;
  unstable: boolean;
}

/** Whether the policy restarts after such an exit (a deliberate stop never restarts). */
export function wantsRestart(policy: RestartPolicyConfig['policy'], outcome: ExitOutcome): boolean {
  if (outcome === 'stopped') return false;
  if (policy === 'always') return true;
  return policy === 'on-failure' && outcome !== 'exited';
}

/** The delay before the next automatic restart, given the previous one and the uptime of the run. */
export function nextBackoff(previousMs: number, uptimeMs: number, policy: RestartPolicyConfig): number {
  const base = uptimeMs >= policy.resetAfterSeconds * 1000 ? 0 : previousMs;
  const delay = base === 0 ? policy.delayMs : Math.floor(base * 1.5);
  return Math.min(policy.maxDelayMs, delay);
}

export function decideAfterExit(
  counters: BotCounters,
  exit: { outcome: ExitOutcome; uptimeMs: number },
  policy: RestartPolicyConfig,
  now: number,
): ExitDecision {
  const unstable = exit.uptimeMs < policy.minUptimeSeconds * 1000;
  if (!wantsRestart(policy.policy, exit.outcome)) {
    // No restart follows: a stable run still ends an unstable streak.
    const next = unstable
      ? { ...counters }
      : { ...counters, unstableCount: 0, unstableSince: null, unstableLast: null };
    return { counters: next, restartAt: null, errored: false, unstable };
  }
  const next: BotCounters = { ...counters };
  if (unstable) {
    next.unstableCount = counters.unstableCount + 1;
    next.unstableSince =
      counters.unstableCount === 0 || counters.unstableSince === null ? now : counters.unstableSince;
    next.unstableLast = now;
  } else {
    next.unstableCount = 0;
    next.unstableSince = null;
    next.unstableLast = null;
  }
  if (next.unstableCount >= policy.maxUnstableRestarts) {
    next.erroredAt = now;
    return { counters: next, restartAt: null, errored: true, unstable };
  }
  next.backoffMs = nextBackoff(counters.backoffMs, exit.uptimeMs, policy);
  return { counters: next, restartAt: now + next.backoffMs, errored: false, unstable };
}

/** An operator's start: the guard and the backoff begin again (the restart total stays). */
export function afterOperatorStart(counters: BotCounters): BotCounters {
  return {
    ...counters,
    unstableCount: 0,
    unstableSince: null,
    unstableLast: null,
    erroredAt: null,
    backoffMs: 0,
  };
}

export function countRestart(counters: BotCounters, now: number): BotCounters {
  return { ...counters, restarts: counters.restarts + 1, restartsSince: counters.restartsSince ?? now };
}

import type { Clock } from '../clock/index.js';

export interface CadenceStats {
  intervalMs: number;
  /** How late the last cycle started compared with its slot, ms. */
  lagMs: number;
  /** Slots skipped because the previous cycle was still running. */
  skipped: number;
  runs: number;
}

/**
 * Runs `work` every intervalMs on fixed slots. A cycle that overruns makes the next slots be skipped
 * (never queued), and the lag is reported instead of piling up.
 */
export function startCadence(
  intervalMs: number,
  clock: Clock,
  work: () => Promise<void>,
  onError: (err: unknown) => void,
): { stats(): CadenceStats; stop(): void } {
  const stats: CadenceStats = { intervalMs, lagMs: 0, skipped: 0, runs: 0 };
  let running = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let nextSlot = clock.now();

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(fire, Math.max(0, nextSlot - clock.now()));
    timer.unref?.();
  };

  const fire = () => {
    const now = clock.now();
    stats.lagMs = Math.max(0, now - nextSlot);
    if (running) {
      stats.skipped++;
    } else {
      running = true;
      stats.runs++;
      work()
        .catch(onError)
        .finally(() => {
          running = false;
        });
    }
    nextSlot += intervalMs;
    if (nextSlot <= now) {
      const missed = Math.floor((now - nextSlot) / intervalMs) + 1;
      stats.skipped += missed;
      nextSlot += missed * intervalMs;
    }
    schedule();
  };

  schedule();
  return {
    stats: () => ({ ...stats }),
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

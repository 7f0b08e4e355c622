/**
 * Calendar slots of a job: cron-parser in the operator's time zone, as the job runner's
 * `{ next(after), describe }`, plus the catch-up plan after downtime. Pure: no clock, no timers.
 */
import { CronExpressionParser } from 'cron-parser';
import type { CatchUpConfig } from '../../../shared/config/maintenance.js';
import { localTimeZone } from '../clock/index.js';

const MINUTE = 60_000;

export interface CronSchedule {
  /** The cron text as written (for a window job, the window's cron). */
  cron: string;
  timezone: string;
  /** Added to every slot (window jobs: minutes after the window opens). */
  offsetMs: number;
  /** The first slot strictly after `after`, or null when there is none. */
  next(after: number): number | null;
  describe: string;
}

/** Parses once (throws a message naming the problem); slots are computed on demand. */
export function cronSchedule(cron: string, timezone: string, offsetMinutes = 0): CronSchedule {
  const offsetMs = offsetMinutes * MINUTE;
  let expr: ReturnType<typeof CronExpressionParser.parse>;
  try {
    expr = CronExpressionParser.parse(cron, { tz: timezone, currentDate: new Date(0) });
    // A bad zone only shows when a date is computed.
    expr.next();
  } catch (err) {
    throw new Error(
      `bad schedule "${cron}" in time zone ${timezone}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  return {
    cron,
    timezone,
    offsetMs,
    next(after) {
      try {
        // The slot is cron + offset: the cron slot must be after (after - offset). Parsed once, reset per call.
        expr.reset(new Date(after - offsetMs));
        return expr.next().getTime() + offsetMs;
      } catch {
        return null;
      }
    },
    describe: `${cron}${offsetMinutes ? ` +${offsetMinutes} min` : ''} (${timezone})`,
  };
}

/** Slots in (from, to], oldest first; at most `limit` (the newest `limit` when there are more). */
export function slotsBetween(
  schedule: Pick<CronSchedule, 'next'>,
  from: number,
  to: number,
  limit = 10_000,
): number[] {
  const out: number[] = [];
  let at = from;
  for (;;) {
    const slot = schedule.next(at);
    if (slot === null || slot > to) break;
    out.push(slot);
    if (out.length > limit) out.shift();
    at = slot;
  }
  return out;
}

export interface CatchUpPlan {
  /** Slots to run now, oldest first, each tagged catch-up. */
  run: number[];
  /** Slots that will not run (older than the window, or dropped by the policy). */
  missed: number[];
}

/**
 * What to do with the slots after the watermark (the last slot dispatched) up to now. systemd
 * Persistent=true is `run-once`: one run, standing for the latest missed slot. A slot at or before the
 * watermark never runs again, so no slot runs twice.
 */
export function planCatchUp(
  schedule: Pick<CronSchedule, 'next'>,
  watermark: number,
  now: number,
  policy: CatchUpConfig,
): CatchUpPlan {
  const due = slotsBetween(schedule, watermark, now);
  if (due.length === 0) return { run: [], missed: [] };
  const windowStart = now - policy.windowHours * 3_600_000;
  const inWindow = due.filter((s) => s >= windowStart);
  const tooOld = due.filter((s) => s < windowStart);
  if (policy.policy === 'skip' || inWindow.length === 0) return { run: [], missed: due };
  if (policy.policy === 'run-all') return { run: inWindow, missed: tooOld };
  return { run: [inWindow[inWindow.length - 1] as number], missed: [...tooOld, ...inWindow.slice(0, -1)] };
}

/** The operator's zone: maintenance.timezone, then alerts.timezone, then the OS setting. */
export function resolveTimeZone(...candidates: (string | undefined)[]): string {
  for (const c of candidates) if (c) return c;
  return localTimeZone();
}

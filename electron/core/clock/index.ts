/** The one source of time in core. Logic takes a Clock; only the composition root uses systemClock. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock a test moves by hand, so a week of behaviour runs in a second. */
export class ManualClock implements Clock {
  constructor(private current = Date.UTC(2026, 0, 5, 0, 0, 0)) {}
  now(): number {
    return this.current;
  }
  set(ms: number): void {
    this.current = ms;
  }
  advance(ms: number): number {
    this.current += ms;
    return this.current;
  }
}

let zone: { name: string; readAt: number } | null = null;

/**
 * The operator's local zone: the OS setting (TZ on POSIX), as Intl sees it. Asking Intl builds a
 * formatter (tens of microseconds); the bots and alerts ask every second, so the answer is kept for a
 * minute (an operator who changes the PC's zone sees it within that minute).
 */
export function localTimeZone(): string {
  const now = Date.now();
  if (!zone || now - zone.readAt > 60_000) {
    zone = { name: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC', readAt: now };
  }
  return zone.name;
}

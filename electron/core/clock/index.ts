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

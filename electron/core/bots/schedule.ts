import { CronExpressionParser } from 'cron-parser';

/** The next cron slot strictly after `after`, in the zone; null for a bad expression. */
export function nextCronSlot(cron: string, timezone: string, after: number): number | null {
  try {
    return CronExpressionParser.parse(cron, { tz: timezone, currentDate: new Date(after) })
      .next()
      .getTime();
  } catch {
    return null;
  }
}

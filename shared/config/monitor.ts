import { z } from 'zod';

export const monitorConfigSchema = z.strictObject({
  /** Live sampling cadence for the dashboard (the documents' tiers are 30 s / 1 min / 5 min). */
  liveIntervalSeconds: z.number().min(1).max(300).default(5),
  /** Mounts or drives to watch ("/", "C:"); empty means every fixed disk. */
  disks: z.array(z.string().min(1)).default([]),
});

import { z } from 'zod';

export const DEFAULT_PORT = 17380;

export const serverConfigSchema = z.strictObject({
  /** Headless mode listens on 127.0.0.1 only; NEXUS_OPS_PORT or --port override this. */
  port: z.number().int().min(1).max(65535).default(DEFAULT_PORT),
});

export const uiConfigSchema = z.strictObject({
  locale: z.enum(['ja', 'en']).default('ja'),
});

import { z } from 'zod';
import { epochMs, method } from './contract.js';

const severity = z.enum(['critical', 'warning', 'info']);
export const messageKinds = ['firing', 'escalation', 'repeat', 'resolved', 'stop', 'test'] as const;
export const deliveryStatuses = [
  'queued',
  'sent',
  'failed',
  'retrying',
  'rate_limited',
  'suppressed',
] as const;
export const deliveryStatusSchema = z.enum(deliveryStatuses);

/** One message on one channel, as stored: title, body and error are already masked. */
export const deliveryRecordSchema = z.object({
  id: z.number().int(),
  messageId: z.string(),
  channelId: z.string(),
  channelType: z.string(),
  kind: z.enum(messageKinds),
  severity,
  alertId: z.string().nullable(),
  title: z.string(),
  body: z.string(),
  status: deliveryStatusSchema,
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  createdAt: epochMs,
  updatedAt: epochMs,
  sentAt: epochMs.nullable(),
  nextAttemptAt: epochMs.nullable(),
});
export type DeliveryRecordView = z.infer<typeof deliveryRecordSchema>;

export const channelViewSchema = z.object({
  id: z.string(),
  type: z.string(),
  enabled: z.boolean(),
  minSeverity: severity,
  /** The channel's settings with every secret masked. */
  settings: z.record(z.string(), z.unknown()),
});

export const notifyMethods = {
  'notify.deliveries': method(
    z
      .object({
        since: epochMs.optional(),
        until: epochMs.optional(),
        channelId: z.string().max(100).optional(),
        alertId: z.string().max(100).optional(),
        status: z.array(deliveryStatusSchema).optional(),
        limit: z.number().int().min(1).max(1000).default(100),
        beforeId: z.number().int().optional(),
      })
      .strict(),
    z.object({ deliveries: z.array(deliveryRecordSchema) }),
  ),
  'notify.test': method(z.object({ channelId: z.string().min(1).max(100) }).strict(), deliveryRecordSchema),
  'notify.channels': method(z.object({}).strict(), z.object({ channels: z.array(channelViewSchema) })),
};

export const notifyDeliveryEventSchema = z.object({
  type: z.literal('notify.delivery'),
  delivery: deliveryRecordSchema,
});

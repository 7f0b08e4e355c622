import type { NotifySeverity } from '../../../shared/config/notify.js';

export type { NotifySeverity } from '../../../shared/config/notify.js';

export const messageKinds = ['firing', 'escalation', 'repeat', 'resolved', 'stop', 'test'] as const;
export type MessageKind = (typeof messageKinds)[number];

export const deliveryStatuses = [
  'queued',
  'sent',
  'failed',
  'retrying',
  'rate_limited',
  'suppressed',
] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

export interface NotifyMessage {
  kind: MessageKind;
  severity: NotifySeverity;
  title: string;
  body: string;
  /** Channel ids from the notify config; unknown ids are recorded as failed deliveries. */
  channels: string[];
  alertId?: string;
  /** A second message with the same key on the same channel is dropped unless the first one failed. */
  dedupeKey?: string;
}

/** One message on one channel, as stored (title, body and error already masked). */
export interface DeliveryRecord {
  id: number;
  messageId: string;
  channelId: string;
  channelType: string;
  kind: MessageKind;
  severity: NotifySeverity;
  alertId: string | null;
  title: string;
  body: string;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
  sentAt: number | null;
  nextAttemptAt: number | null;
}

export interface DeliveryFilter {
  since?: number;
  until?: number;
  channelId?: string;
  alertId?: string;
  status?: DeliveryStatus[];
  /** Newest first; default 100, at most 1000. */
  limit?: number;
  /** Paging: only rows with a smaller id. */
  beforeId?: number;
}

export interface NotifyDeliveryEvent {
  type: 'notify.delivery';
  delivery: DeliveryRecord;
}

/** The part of the DesktopPort (electron/core/desktop) this module uses. */
export interface DesktopNotifyPort {
  notify(n: { title: string; body: string; severity: NotifySeverity }): void;
}

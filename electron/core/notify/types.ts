import type { DeliveryRecordView, deliveryStatuses, messageKinds } from '../../../shared/api/notify.js';
import type { NotifySeverity } from '../../../shared/config/notify.js';

export { deliveryStatuses, messageKinds } from '../../../shared/api/notify.js';
export type { NotifySeverity } from '../../../shared/config/notify.js';
export type MessageKind = (typeof messageKinds)[number];
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
  /** What a receiver routes on (alert messages): rule, labels, value, threshold, state. */
  context?: NotifyContext;
}

/** Carried in webhook payloads (and Slack's context line) so a receiver can route by rule or label. */
export interface NotifyContext {
  ruleId?: string;
  ruleName?: string;
  labels?: Record<string, string>;
  value?: number | null;
  threshold?: number;
  state?: string;
  /** The alert in the dashboard (filled by the notifier). */
  url?: string;
  /** The rule's runbook: an id of a shipped runbook (made a dashboard link) or an http(s) URL. */
  runbook?: string;
}

/** One message on one channel, as stored (title, body and error already masked): the API's shape. */
export type DeliveryRecord = DeliveryRecordView;

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

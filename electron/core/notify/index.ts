/**
 * Notification delivery: desktop, Slack incoming webhook, e-mail (SMTP), generic JSON webhook and SMS
 * (Twilio's request shape). `send` records one delivery per channel and returns at once; attempts run
 * asynchronously with a time-out, retry with backoff on `tick()`, and every state change is stored
 * (masked) and emitted as a `notify.delivery` event.
 */
export {
  createNotifyCapability,
  DELIVERY_RETENTION_DAYS,
  dashboardUrlOf,
  type NotifyCapability,
} from './capability.js';
export { DeliveryError } from './channels.js';
export {
  emailSubject,
  type Outgoing,
  plainHeadline,
  slackHeadline,
  slackPayload,
  smsBody,
  webhookPayload,
} from './format.js';
export { notifyMigration } from './migrations/004-notify.js';
export { deliveryContextMigration } from './migrations/006-delivery-context.js';
export {
  BACKOFF_MS,
  backoffDelayMs,
  createNotifier,
  type Notifier,
  type NotifierDeps,
  runbookLink,
} from './notifier.js';
export {
  type DeliveryFilter,
  type DeliveryRecord,
  type DeliveryStatus,
  type DesktopNotifyPort,
  deliveryStatuses,
  type MessageKind,
  messageKinds,
  type NotifyContext,
  type NotifyDeliveryEvent,
  type NotifyMessage,
} from './types.js';

import type { NotifySeverity } from '../../../shared/config/notify.js';
import type { MessageKind, NotifyContext } from './types.js';

/** What every channel formats from: the message as the caller gave it, plus when it was created. */
export interface Outgoing {
  kind: MessageKind;
  severity: NotifySeverity;
  title: string;
  body: string;
  alertId: string | null;
  createdAt: number;
  context?: NotifyContext;
}

/** The documents' Slack marks (phase 6, notification_channels.slack_integration.message_format). */
const SLACK_MARK: Record<NotifySeverity, string> = {
  critical: ':rotating_light:',
  warning: ':warning:',
  info: ':information_source:',
};

const KIND_SUFFIX: Record<MessageKind, string> = {
  firing: '',
  escalation: ' [escalation]',
  repeat: ' [still firing]',
  resolved: '',
  stop: '',
  test: ' [test]',
};

/** "CRITICAL: CPU high", "RESOLVED: CPU high", "WARNING: Disk low [escalation]". No emoji. */
export function plainHeadline(m: Outgoing): string {
  const label = m.kind === 'resolved' ? 'RESOLVED' : m.severity.toUpperCase();
  return `${label}: ${m.title}${KIND_SUFFIX[m.kind]}`;
}

// Slack renders <!channel> as "@channel" and notifies the channel; a literal "@channel" in a webhook
// message is plain text. The config keeps the documents' spelling.
const SLACK_SPECIAL_MENTIONS: Record<string, string> = {
  '@channel': '<!channel>',
  '@here': '<!here>',
  '@everyone': '<!everyone>',
};

function slackMention(mention: string): string {
  return SLACK_SPECIAL_MENTIONS[mention] ?? mention;
}

/**
 * The documents' format: `@channel :rotating_light: CRITICAL: {alert_name}`,
 * `:warning: WARNING: {alert_name}`, `:information_source: INFO: {alert_name}`.
 * Resolved messages use `:white_check_mark: RESOLVED: {alert_name}` and never mention anyone; the
 * mention goes only on critical firing, escalation, repeat and stop messages.
 */
export function slackHeadline(m: Outgoing, mention: string): string {
  const { lead, rest } = slackHeadlineParts(m, mention);
  return `${lead}${rest}`;
}

function slackHeadlineParts(m: Outgoing, mention: string): { lead: string; rest: string } {
  if (m.kind === 'resolved') return { lead: '', rest: `:white_check_mark: ${plainHeadline(m)}` };
  const lead = m.severity === 'critical' && mention && m.kind !== 'test' ? `${slackMention(mention)} ` : '';
  return { lead, rest: `${SLACK_MARK[m.severity]} ${plainHeadline(m)}` };
}

/** Slack mrkdwn needs &, < and > escaped in user text (titles, bodies); the mention stays raw. */
function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function contextLine(m: Outgoing): string {
  const parts = [`kind: ${m.kind}`, `severity: ${m.severity}`];
  if (m.context?.ruleId) parts.push(`rule: ${m.context.ruleId}`);
  if (m.alertId) parts.push(m.context?.url ? `<${m.context.url}|alert ${m.alertId}>` : `alert: ${m.alertId}`);
  if (m.context?.runbook) parts.push(`<${m.context.runbook}|runbook>`);
  parts.push(new Date(m.createdAt).toISOString());
  return parts.join(' · ');
}

export function slackPayload(m: Outgoing, mention: string): { text: string; blocks: unknown[] } {
  const { lead, rest } = slackHeadlineParts(m, mention);
  const blocks: unknown[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `${lead}*${escapeSlack(rest)}*` } },
  ];
  if (m.body) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: escapeSlack(m.body) } });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: escapeSlack(contextLine(m)) }] });
  return { text: `${lead}${escapeSlack(rest)}`, blocks };
}

export function emailSubject(m: Outgoing): string {
  return `[Nexus Ops] ${plainHeadline(m)}`;
}

export function emailText(m: Outgoing): string {
  const lines = [plainHeadline(m), ''];
  if (m.body) lines.push(m.body, '');
  lines.push(`Kind: ${m.kind}`, `Severity: ${m.severity}`);
  if (m.alertId) lines.push(`Alert: ${m.alertId}`);
  lines.push(`Time: ${new Date(m.createdAt).toISOString()}`, '', '-- ', 'Nexus Ops');
  return lines.join('\n');
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const HTML_COLOUR: Record<NotifySeverity, string> = {
  critical: '#c62828',
  warning: '#ef6c00',
  info: '#1565c0',
};

export function emailHtml(m: Outgoing): string {
  const colour = m.kind === 'resolved' ? '#2e7d32' : HTML_COLOUR[m.severity];
  const rows = [['Kind', m.kind], ['Severity', m.severity], ...(m.alertId ? [['Alert', m.alertId]] : [])];
  rows.push(['Time', new Date(m.createdAt).toISOString()]);
  return [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<h2 style="color:${colour};margin:0 0 12px">${escapeHtml(plainHeadline(m))}</h2>`,
    m.body ? `<p style="white-space:pre-wrap">${escapeHtml(m.body)}</p>` : '',
    '<table style="border-collapse:collapse;color:#555">',
    ...rows.map(
      ([k, v]) => `<tr><td style="padding:2px 12px 2px 0">${k}</td><td>${escapeHtml(v ?? '')}</td></tr>`,
    ),
    '</table><p style="color:#888">Nexus Ops</p></body></html>',
  ].join('');
}

export interface WebhookPayload {
  kind: MessageKind;
  severity: NotifySeverity;
  title: string;
  body: string;
  alertId: string | null;
  at: string;
  /** The rule that raised the alert, so a receiver can route by it. */
  rule: { id: string; name: string } | null;
  labels: Record<string, string>;
  value: number | null;
  threshold: number | null;
  /** firing, acknowledged, resolved… (null for stop and test messages). */
  state: string | null;
  /** The alert in the Nexus Ops dashboard. */
  url: string | null;
  /** What to do: the rule's runbook link. */
  runbook: string | null;
}

export function webhookPayload(m: Outgoing): WebhookPayload {
  const c = m.context ?? {};
  return {
    kind: m.kind,
    severity: m.severity,
    title: m.title,
    body: m.body,
    alertId: m.alertId,
    at: new Date(m.createdAt).toISOString(),
    rule: c.ruleId ? { id: c.ruleId, name: c.ruleName ?? m.title } : null,
    labels: c.labels ?? {},
    value: c.value ?? null,
    threshold: c.threshold ?? null,
    state: c.state ?? null,
    url: c.url ?? null,
    runbook: c.runbook ?? null,
  };
}

/** One SMS segment set: short, no emoji codes. */
export const SMS_MAX_CHARS = 320;

export function smsBody(m: Outgoing): string {
  const text = `[Nexus Ops] ${plainHeadline(m)}${m.body ? ` - ${m.body.replace(/\s+/g, ' ').trim()}` : ''}`;
  return text.length <= SMS_MAX_CHARS ? text : `${text.slice(0, SMS_MAX_CHARS - 1)}…`;
}

export function desktopNotification(m: Outgoing): { title: string; body: string; severity: NotifySeverity } {
  return { title: plainHeadline(m), body: m.body, severity: m.severity };
}

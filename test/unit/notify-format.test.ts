import { describe, expect, it } from 'vitest';
import {
  emailSubject,
  type Outgoing,
  slackPayload,
  smsBody,
  webhookPayload,
} from '../../electron/core/notify/index.js';

const at = Date.UTC(2026, 0, 5, 9, 0, 0);
const msg = (over: Partial<Outgoing>): Outgoing => ({
  kind: 'firing',
  severity: 'critical',
  title: 'CPU usage high',
  body: 'cpu.total 93% for 15 min',
  alertId: 'a-1',
  createdAt: at,
  ...over,
});

describe('Slack format (the documents: message_format)', () => {
  it('critical: @channel :rotating_light: CRITICAL: {alert_name}, as a real Slack mention', () => {
    expect(slackPayload(msg({}), '@channel').text).toBe(
      '<!channel> :rotating_light: CRITICAL: CPU usage high',
    );
  });

  it('warning and info carry their marks and no mention', () => {
    expect(slackPayload(msg({ severity: 'warning' }), '@channel').text).toBe(
      ':warning: WARNING: CPU usage high',
    );
    expect(slackPayload(msg({ severity: 'info' }), '@channel').text).toBe(
      ':information_source: INFO: CPU usage high',
    );
  });

  it('resolved never mentions; escalation says so; an empty mention is honoured', () => {
    expect(slackPayload(msg({ kind: 'resolved' }), '@channel').text).toBe(
      ':white_check_mark: RESOLVED: CPU usage high',
    );
    expect(slackPayload(msg({ kind: 'escalation' }), '@channel').text).toBe(
      '<!channel> :rotating_light: CRITICAL: CPU usage high [escalation]',
    );
    expect(slackPayload(msg({}), '').text).toBe(':rotating_light: CRITICAL: CPU usage high');
  });

  it('escapes user text for mrkdwn and carries the body and context in blocks', () => {
    const p = slackPayload(msg({ title: 'a<b & c>d', body: 'line <1>' }), '@channel');
    expect(p.text).toBe('<!channel> :rotating_light: CRITICAL: a&lt;b &amp; c&gt;d');
    expect(JSON.stringify(p.blocks)).toContain('line &lt;1&gt;');
    expect(JSON.stringify(p.blocks)).toContain('alert: a-1');
  });
});

describe('other channel formats', () => {
  it('email subject', () => {
    expect(emailSubject(msg({}))).toBe('[Nexus Ops] CRITICAL: CPU usage high');
    expect(emailSubject(msg({ kind: 'resolved', severity: 'warning' }))).toBe(
      '[Nexus Ops] RESOLVED: CPU usage high',
    );
  });

  it('webhook JSON shape', () => {
    expect(webhookPayload(msg({}))).toEqual({
      kind: 'firing',
      severity: 'critical',
      title: 'CPU usage high',
      body: 'cpu.total 93% for 15 min',
      alertId: 'a-1',
      at: '2026-01-05T09:00:00.000Z',
      rule: null,
      labels: {},
      value: null,
      threshold: null,
      state: null,
      url: null,
      runbook: null,
    });
    const routed = webhookPayload(
      msg({
        context: {
          ruleId: 'cpu-critical',
          ruleName: 'CPU使用率異常',
          labels: { host: 'ops-pc' },
          value: 93,
          threshold: 90,
          state: 'firing',
          url: 'http://127.0.0.1:17380/#/alerts?alert=a-1',
        },
      }),
    );
    expect(routed).toMatchObject({
      rule: { id: 'cpu-critical', name: 'CPU使用率異常' },
      labels: { host: 'ops-pc' },
      value: 93,
      threshold: 90,
      state: 'firing',
      url: 'http://127.0.0.1:17380/#/alerts?alert=a-1',
    });
  });

  it('SMS body is short, single-line and truncated', () => {
    expect(smsBody(msg({ body: 'line one\nline two' }))).toBe(
      '[Nexus Ops] CRITICAL: CPU usage high - line one line two',
    );
    const long = smsBody(msg({ body: 'x'.repeat(1000) }));
    expect(long).toHaveLength(320);
    expect(long.endsWith('…')).toBe(true);
  });
});

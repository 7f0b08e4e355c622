import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/core/clock/index.js';
import { createForwarder, type PostableAlert } from '../../electron/core/export/alertmanager.js';
import type { Alert, AlertRuleInfo } from '../../shared/api/alerts.js';
import { type ExportConfigInput, exportConfigSchema } from '../../shared/config/export.js';

/**
 * The forwarder against a real HTTP receiver on 127.0.0.1 standing in for Alertmanager's v2 API (the
 * integration test uses the real Alertmanager); time is a manual clock, so resend and retry schedules
 * are checked without waiting.
 */

interface Received {
  at: number;
  path: string;
  authorization: string | undefined;
  alerts: PostableAlert[];
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function receiver(
  answer: () => number = () => 200,
): Promise<{ url: string; got: Received[]; clock?: ManualClock }> {
  const got: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => {
      got.push({
        at: Date.now(),
        path: req.url ?? '',
        authorization: req.headers.authorization,
        alerts: JSON.parse(body) as PostableAlert[],
      });
      const status = answer();
      res
        .writeHead(status, { 'content-type': 'application/json' })
        .end(status === 200 ? '' : '{"error":"bad"}');
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got };
}

const T0 = Date.UTC(2026, 0, 7, 3, 0, 0);

function alert(over: Partial<Alert> = {}): Alert {
  return {
    id: 'a-1',
    ruleId: 'disk-warning',
    ruleName: 'ディスク空き容量低下',
    seriesKey: 'disk.free_pct{mount=C:}',
    metric: 'disk.free_pct',
    labels: { mount: 'C:' },
    state: 'firing',
    severity: 'warning',
    value: 12.5,
    threshold: 20,
    op: '<',
    message: 'ディスク C: の空き容量が 12.5% です（20% 未満）',
    suppressed: false,
    suppressedBy: null,
    startedAt: T0 - 60_000,
    firedAt: T0 - 30_000,
    ackedAt: null,
    ackBy: null,
    ackNote: null,
    resolvedAt: null,
    lastNotifiedAt: null,
    escalationLevel: 0,
    action: null,
    actionState: null,
    ...over,
  };
}

const rule: AlertRuleInfo = {
  id: 'disk-warning',
  name: 'ディスク空き容量低下',
  expr: 'disk.free_pct < 20',
  for: '0',
  forMs: 0,
  clearForMs: 60_000,
  severity: 'warning',
  clear: 22,
  labels: { team: 'bots-a', runbook_url: 'https://wiki.example/runbooks/disk' },
  action: null,
  enabled: true,
  notes: null,
};

/** A rule with a shipped runbook and no runbook_url label (as every shipped rule with a runbook). */
const runbookRule: AlertRuleInfo = {
  ...rule,
  id: 'api-latency',
  name: 'API 応答遅延',
  labels: {},
  runbook: 'level1-api-latency',
};

function harness(amConfig: ExportConfigInput['alertmanager'], extra: Partial<ExportConfigInput> = {}) {
  const clock = new ManualClock(T0);
  let active: Alert[] = [];
  const logs: string[] = [];
  const config = exportConfigSchema.parse({ alertmanager: amConfig, ...extra });
  const forwarder = createForwarder({
    clock,
    config: () => config,
    instance: () => 'bot-pc-01',
    dashboardUrl: () => 'http://nexus-pc.example:8787/',
    active: () => active,
    rules: () => [rule, runbookRule],
    env: { AM_TOKEN: 'am-secret-token-123456', AM_PASSWORD: 'pw-very-secret-987' },
    fetchImpl: fetch,
    log: { warn: (m) => logs.push(`warn ${m}`), info: (m) => logs.push(`info ${m}`) },
  });
  return {
    clock,
    forwarder,
    logs,
    setActive(list: Alert[]) {
      active = list;
    },
  };
}

describe('the Alertmanager forwarder', () => {
  it('sends a firing alert with its labels and annotations, re-sends it each interval and ends it with endsAt', async () => {
    const am = await receiver();
    const h = harness(
      {
        enabled: true,
        urls: [am.url],
        resendInterval: '60s',
        bearerToken: '${env:AM_TOKEN}',
        labels: { env: 'prod' },
      },
      { dashboardUrl: 'https://grafana.example/d/nexus?var-instance={{instance}}' },
    );
    h.setActive([alert()]);
    await h.forwarder.sendDue();
    expect(am.got).toHaveLength(1);
    const first = am.got[0]!;
    expect(first.path).toBe('/api/v2/alerts');
    expect(first.authorization).toBe('Bearer am-secret-token-123456');
    expect(first.alerts).toEqual([
      {
        labels: {
          env: 'prod',
          team: 'bots-a',
          mount: 'C:',
          alertname: 'NexusDiskWarning',
          severity: 'warning',
          rule_id: 'disk-warning',
          instance: 'bot-pc-01',
        },
        annotations: {
          summary: 'ディスク空き容量低下',
          description: 'ディスク C: の空き容量が 12.5% です（20% 未満）',
          nexus_alert_id: 'a-1',
          nexus_state: 'firing',
          value: '12.5',
          runbook_url: 'https://wiki.example/runbooks/disk',
          dashboard_url: 'https://grafana.example/d/nexus?var-instance=bot-pc-01',
        },
        startsAt: new Date(T0 - 30_000).toISOString(),
        endsAt: new Date(T0 + 4 * 60_000).toISOString(),
        generatorURL: 'https://grafana.example/d/nexus?var-instance=bot-pc-01',
      },
    ]);

    // Not again before the resend interval...
    h.clock.advance(59_000);
    await h.forwarder.sendDue();
    expect(am.got).toHaveLength(1);
    // ...then refreshed, with a later endsAt.
    h.clock.advance(1_000);
    await h.forwarder.sendDue();
    expect(am.got).toHaveLength(2);
    expect(am.got[1]!.alerts[0]!.endsAt).toBe(new Date(T0 + 60_000 + 4 * 60_000).toISOString());

    // Resolved: the hook carries the moment; the end is sent at once with endsAt = that moment.
    h.clock.advance(5_000);
    const resolvedAt = h.clock.now() - 1_000;
    h.setActive([]);
    h.forwarder.alertChanged(alert({ state: 'resolved', resolvedAt }));
    await h.forwarder.settle();
    expect(am.got).toHaveLength(3);
    expect(am.got[2]!.alerts).toHaveLength(1);
    expect(am.got[2]!.alerts[0]!.labels.alertname).toBe('NexusDiskWarning');
    expect(am.got[2]!.alerts[0]!.endsAt).toBe(new Date(resolvedAt).toISOString());
    // Delivered: the next refresh carries nothing more about it.
    h.clock.advance(60_000);
    await h.forwarder.sendDue();
    expect(am.got[3]!.alerts).toEqual([]);
    expect(h.forwarder.figures()).toMatchObject({ forwarded: 0, ending: 0, failed: 0 });
  });

  it("links the rule's own runbook: a shipped runbook's page in the dashboard, a URL as it is", async () => {
    const am = await receiver();
    const h = harness({
      enabled: true,
      urls: [am.url],
      runbooks: { 'override-me': 'https://wiki.example/runbooks/team-page' },
    });
    h.setActive([
      // The runbook as the engine puts it on the alert...
      alert({ id: 'a-1', ruleId: 'stop-x', runbook: 'level3-system-stop' }),
      // ...or only in the rule's info (alerts opened before the rule had one).
      alert({ id: 'a-2', ruleId: 'api-latency' }),
      alert({ id: 'a-3', ruleId: 'own-page', runbook: 'https://wiki.example/runbooks/own' }),
      // export.alertmanager.runbooks is the operator's link for Alertmanager: it wins.
      alert({ id: 'a-4', ruleId: 'override-me', runbook: 'level3-system-stop' }),
      alert({ id: 'a-5', ruleId: 'no-runbook' }),
    ]);
    await h.forwarder.sendNow();
    const links = Object.fromEntries(
      am.got[0]!.alerts.map((a) => [a.annotations.nexus_alert_id, a.annotations.runbook_url]),
    );
    expect(links).toEqual({
      'a-1': 'http://nexus-pc.example:8787/#/incidents/runbook/level3-system-stop?subject=alert:a-1',
      'a-2': 'http://nexus-pc.example:8787/#/incidents/runbook/level1-api-latency?subject=alert:a-2',
      'a-3': 'https://wiki.example/runbooks/own',
      'a-4': 'https://wiki.example/runbooks/team-page',
      'a-5': undefined,
    });
  });

  it('keeps pending alerts on the PC and ends an alert a Nexus Ops silence covers', async () => {
    const am = await receiver();
    const h = harness({ enabled: true, urls: [am.url] });
    h.setActive([alert({ state: 'pending', firedAt: null }), alert({ id: 'a-2', labels: { mount: 'D:' } })]);
    await h.forwarder.sendNow();
    expect(am.got[0]!.alerts.map((a) => a.labels.mount)).toEqual(['D:']);

    h.clock.advance(10_000);
    h.setActive([
      alert({ id: 'a-2', labels: { mount: 'D:' }, suppressed: true, suppressedBy: 'silence:s1' }),
    ]);
    h.forwarder.alertChanged(alert({ id: 'a-2', suppressed: true }));
    await h.forwarder.settle();
    expect(am.got[1]!.alerts).toHaveLength(1);
    expect(am.got[1]!.alerts[0]!.endsAt).toBe(new Date(h.clock.now()).toISOString());
  });

  it('retries a failing Alertmanager with backoff within the interval, then waits for the next one', async () => {
    let status = 503;
    const am = await receiver(() => status);
    const h = harness({ enabled: true, urls: [am.url], maxAttempts: 3, resendInterval: '60s' });
    h.setActive([alert()]);
    await h.forwarder.sendDue();
    expect(am.got).toHaveLength(1);
    const target = () => h.forwarder.status().targets[0]!;
    expect(target().nextAttemptAt).toBe(T0 + 2_000);
    h.clock.advance(1_000);
    await h.forwarder.sendDue();
    expect(am.got).toHaveLength(1);
    h.clock.advance(1_000);
    await h.forwarder.sendDue();
    expect(am.got).toHaveLength(2);
    expect(target().nextAttemptAt).toBe(T0 + 2_000 + 4_000);
    h.clock.advance(4_000);
    await h.forwarder.sendDue();
    expect(am.got).toHaveLength(3);
    // Third failure in the round: the next try is a whole interval later.
    expect(target()).toMatchObject({ consecutiveFailures: 3, nextAttemptAt: T0 + 6_000 + 60_000 });
    expect(target().lastError).toContain('answered 503');
    // One warning, not one per attempt.
    expect(h.logs.filter((l) => l.startsWith('warn'))).toHaveLength(1);

    status = 200;
    h.clock.advance(60_000);
    await h.forwarder.sendDue();
    expect(am.got).toHaveLength(4);
    expect(target()).toMatchObject({ consecutiveFailures: 0, lastError: null });
    expect(h.logs.at(-1)).toMatch(/^info .*accepts alerts again/);
  });

  it('does not retry a refused request within the interval (4xx)', async () => {
    const am = await receiver(() => 400);
    const h = harness({ enabled: true, urls: [am.url] });
    h.setActive([alert()]);
    await h.forwarder.sendDue();
    expect(h.forwarder.status().targets[0]!.nextAttemptAt).toBe(T0 + 60_000);
  });

  it('never shows a credential in its status or logs', async () => {
    const am = await receiver(() => 500);
    const withCreds = am.url.replace('http://', 'http://admin:url-password-42@');
    const h = harness({
      enabled: true,
      urls: [withCreds],
      basicAuth: { username: 'nexus', password: '${env:AM_PASSWORD}' },
    });
    h.setActive([alert()]);
    await h.forwarder.sendDue();
    expect(am.got[0]!.authorization).toBe(
      `Basic ${Buffer.from('nexus:pw-very-secret-987').toString('base64')}`,
    );
    const shown = JSON.stringify([h.forwarder.status(), h.logs]);
    expect(shown).toContain('answered 500');
    expect(shown).not.toContain('url-password-42');
    expect(shown).not.toContain('pw-very-secret-987');
  });

  it('reports an unset environment variable as the reason, naming it', async () => {
    const am = await receiver();
    const h = harness({ enabled: true, urls: [am.url], bearerToken: '${env:NOT_SET_ANYWHERE}' });
    h.setActive([alert()]);
    await h.forwarder.sendDue();
    expect(am.got).toHaveLength(0);
    expect(h.forwarder.status().targets[0]!.lastError).toContain('NOT_SET_ANYWHERE');
  });

  it('sends to every Alertmanager of a cluster and delivers an end to one that was down', async () => {
    const up = await receiver();
    let downStatus = 503;
    const down = await receiver(() => downStatus);
    const h = harness({ enabled: true, urls: [up.url, down.url], maxAttempts: 1 });
    h.setActive([alert()]);
    await h.forwarder.sendDue();
    h.clock.advance(1_000);
    h.setActive([]);
    h.forwarder.alertChanged(alert({ state: 'resolved', resolvedAt: h.clock.now() }));
    await h.forwarder.settle();
    expect(up.got.at(-1)!.alerts[0]!.endsAt).toBe(new Date(h.clock.now()).toISOString());
    downStatus = 200;
    h.clock.advance(60_000);
    await h.forwarder.sendDue();
    expect(down.got.at(-1)!.alerts.map((a) => a.labels.alertname)).toEqual(['NexusDiskWarning']);
    expect(down.got.at(-1)!.alerts[0]!.endsAt).toBe(new Date(h.clock.now() - 60_000).toISOString());
  });
});

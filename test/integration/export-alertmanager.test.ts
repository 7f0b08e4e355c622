/**
 * A real Alertmanager (Debian's binary, on 127.0.0.1) receives the alerts of a real headless Nexus Ops
 * whose rules watch real python3 processes, and notifies a webhook receiver of the test's own:
 * - a firing alert arrives with its labels and annotations (a rule's shipped runbook as a runbook_url
 *   link to its page in the PC's dashboard), shows in Alertmanager's API and is refreshed (endsAt
 *   moves on) while it fires;
 * - its resolution arrives with endsAt = the moment Nexus Ops resolved it (not an expiry);
 * - a silence created in Alertmanager suppresses it there and changes nothing in Nexus Ops (no
 *   Nexus Ops silence, the alert still firing and still forwarded); a Nexus Ops silence ends it in
 *   Alertmanager without creating an Alertmanager silence.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert, Silence } from '../../shared/api/alerts.js';
import { eventually, missing, type Server, startAlertmanager } from '../helpers/export-stack.js';
import { type Headless, startHeadless } from '../helpers/headless.js';
import { pythonExe } from '../helpers/python.js';

const skip = missing('alertmanager');
if (skip) console.warn(`export-alertmanager: ${skip}`);

const TAG = randomBytes(4).toString('hex');
const FIRE_MARKER = `nexus-am-fire-${TAG}`;
const SILENCE_MARKER = `nexus-am-silence-${TAG}`;
const INSTANCE = `test-pc-${TAG}`;
/** Where the on-call opens this PC's Nexus Ops (its shipped runbooks' pages). */
const NEXUS_DASHBOARD = 'http://nexus-pc.example:17380/';

interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  updatedAt: string;
  fingerprint: string;
  status: { state: 'active' | 'suppressed' | 'unprocessed'; silencedBy: string[] };
}

interface Notification {
  status: 'firing' | 'resolved';
  alerts: { status: string; labels: Record<string, string>; startsAt: string; endsAt: string }[];
}

let app: Headless;
let alertmanager: Server;
let hook: HttpServer;
const notifications: Notification[] = [];
const children: ChildProcess[] = [];

function startProcess(marker: string): ChildProcess {
  const child = spawn(pythonExe(), ['-c', 'import time\ntime.sleep(600)', marker], { stdio: 'ignore' });
  children.push(child);
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

async function amAlerts(alertname: string): Promise<AmAlert[]> {
  const list = (await (await fetch(`${alertmanager.url}/api/v2/alerts`)).json()) as AmAlert[];
  return list.filter((a) => a.labels.alertname === alertname);
}

async function nexusAlert(ruleId: string): Promise<Alert | undefined> {
  const r = await app.call<{ alerts: Alert[] }>('alerts.list', {});
  return r.value?.alerts.find((a) => a.ruleId === ruleId);
}

beforeAll(async () => {
  if (skip) return;
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => {
      notifications.push(JSON.parse(body) as Notification);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
  alertmanager = await startAlertmanager(
    [
      'route:',
      '  receiver: hook',
      "  group_by: ['alertname', 'instance']",
      '  group_wait: 1s',
      '  group_interval: 1s',
      '  repeat_interval: 1h',
      'receivers:',
      '  - name: hook',
      '    webhook_configs:',
      `      - url: ${hookUrl}`,
      '        send_resolved: true',
      '',
    ].join('\n'),
  );
  app = await startHeadless({
    config: [
      'monitor:',
      '  liveIntervalSeconds: 1',
      '  processIntervalSeconds: 1',
      '  families:',
      `    - { name: am-fire, cmdline: '${FIRE_MARKER}' }`,
      `    - { name: am-silence, cmdline: '${SILENCE_MARKER}' }`,
      'alerts:',
      '  maintenanceWindows: []',
      '  escalation: [{ afterMinutes: 0, channels: [desktop] }]',
      '  rules:',
      '    - { id: am-fire, name: テスト発火, expr: \'proc.count{family="am-fire"} > 0\', severity: critical,',
      '        clearFor: 0, labels: { team: bots-a }, message: "{{labels.family}} に {{value}} 個" }',
      '    - { id: am-silence, expr: \'proc.count{family="am-silence"} > 0\', severity: warning, clearFor: 0,',
      '        runbook: level3-system-stop }',
      'notify:',
      `  dashboardUrl: ${NEXUS_DASHBOARD}`,
      'export:',
      `  instance: ${INSTANCE}`,
      '  dashboardUrl: https://grafana.example/d/nexus-ops/nexus-ops?var-instance={{instance}}',
      '  alertmanager:',
      '    enabled: true',
      `    urls: [${alertmanager.url}]`,
      '    resendInterval: 2s',
      '    runbooks: { am-fire: "https://wiki.example/runbooks/am-fire" }',
      '',
    ].join('\n'),
  });
}, 90_000);

afterAll(async () => {
  await Promise.all(children.map(kill));
  await app?.close();
  await alertmanager?.close();
  await new Promise((r) => (hook ? hook.close(r) : r(undefined)));
});

describe.skipIf(skip)('Nexus Ops alerts in a real Alertmanager', () => {
  it('arrive firing with their labels and annotations, are refreshed, and end when Nexus Ops resolves them', async () => {
    const bot = startProcess(FIRE_MARKER);
    const [firing] = await eventually(async () => {
      const list = await amAlerts('NexusAmFire');
      return list.length === 1 ? list : undefined;
    }, 'the firing alert in Alertmanager');
    expect(firing!.labels).toEqual({
      alertname: 'NexusAmFire',
      severity: 'critical',
      rule_id: 'am-fire',
      instance: INSTANCE,
      family: 'am-fire',
      team: 'bots-a',
    });
    expect(firing!.annotations).toMatchObject({
      summary: 'テスト発火',
      description: 'am-fire に 1 個',
      runbook_url: 'https://wiki.example/runbooks/am-fire',
      dashboard_url: `https://grafana.example/d/nexus-ops/nexus-ops?var-instance=${INSTANCE}`,
      nexus_state: 'firing',
    });
    expect(firing!.status.state).toBe('active');
    const nexus = await nexusAlert('am-fire');
    expect(firing!.annotations.nexus_alert_id).toBe(nexus?.id);
    expect(Date.parse(firing!.startsAt)).toBe(nexus?.firedAt);

    // The on-call side was told (Alertmanager's own notification to the receiver).
    await eventually(
      async () =>
        notifications.some(
          (n) => n.status === 'firing' && n.alerts.some((a) => a.labels.alertname === 'NexusAmFire'),
        )
          ? true
          : undefined,
      'the firing notification',
    );

    // Refreshed while it fires: Alertmanager's endsAt moves on with every resend.
    const firstEnd = Date.parse(firing!.endsAt);
    await eventually(async () => {
      const [again] = await amAlerts('NexusAmFire');
      return again && Date.parse(again.endsAt) > firstEnd + 1500 ? true : undefined;
    }, 'a refresh');

    await kill(bot);
    const resolved = await eventually(async () => {
      const r = await app.call<{ alerts: Alert[] }>('alerts.history', {
        ruleId: 'am-fire',
        states: ['resolved'],
      });
      return r.value?.alerts[0];
    }, 'Nexus Ops to resolve the alert');
    // Alertmanager hears the end at once, with the moment Nexus Ops resolved it (an expiry would be later).
    const notice = await eventually(async () => {
      for (const n of notifications) {
        const a = n.alerts.find((x) => x.labels.alertname === 'NexusAmFire' && x.status === 'resolved');
        if (a) return a;
      }
      return undefined;
    }, 'the resolved notification');
    expect(Date.parse(notice.endsAt)).toBe(resolved.resolvedAt);
    expect(await amAlerts('NexusAmFire')).toEqual([]);
  });

  it('keep Alertmanager silences and Nexus Ops silences apart', async () => {
    startProcess(SILENCE_MARKER);
    const [arrived] = await eventually(async () => {
      const list = await amAlerts('NexusAmSilence');
      return list.length === 1 ? list : undefined;
    }, 'the alert');
    // The rule's own runbook (a shipped one) arrives as a link to its page in this PC's dashboard.
    const local0 = await nexusAlert('am-silence');
    expect(arrived!.annotations.runbook_url).toBe(
      `${NEXUS_DASHBOARD}#/incidents/runbook/level3-system-stop?subject=alert:${encodeURIComponent(local0!.id)}`,
    );

    // A silence in Alertmanager (the team's on-call silencing it centrally)…
    const now = Date.now();
    const created = (await (
      await fetch(`${alertmanager.url}/api/v2/silences`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          matchers: [{ name: 'alertname', value: 'NexusAmSilence', isRegex: false, isEqual: true }],
          startsAt: new Date(now).toISOString(),
          endsAt: new Date(now + 3_600_000).toISOString(),
          createdBy: 'on-call',
          comment: 'central silence',
        }),
      })
    ).json()) as { silenceID: string };
    const suppressed = await eventually(async () => {
      const [a] = await amAlerts('NexusAmSilence');
      return a?.status.state === 'suppressed' ? a : undefined;
    }, 'Alertmanager to suppress it');
    expect(suppressed.status.silencedBy).toEqual([created.silenceID]);

    // …is not a Nexus Ops silence: the PC's alert is still firing, unsuppressed, and still forwarded.
    const local = await nexusAlert('am-silence');
    expect(local).toMatchObject({ state: 'firing', suppressed: false, suppressedBy: null });
    const localSilences = await app.call<{ silences: Silence[] }>('alerts.silences', {
      includeExpired: true,
    });
    expect(localSilences.value?.silences).toEqual([]);
    const since = Date.parse(suppressed.endsAt);
    await eventually(async () => {
      const [a] = await amAlerts('NexusAmSilence');
      return a && a.status.state === 'suppressed' && Date.parse(a.endsAt) > since ? true : undefined;
    }, 'a refresh while silenced in Alertmanager');

    // A Nexus Ops silence ends the alert in Alertmanager and creates no Alertmanager silence.
    const silence = await app.call<Silence>('alerts.silence', {
      ruleId: 'am-silence',
      durationMinutes: 30,
      reason: '作業中',
      by: 'operator',
    });
    expect(silence.ok).toBe(true);
    await eventually(
      async () => ((await amAlerts('NexusAmSilence')).length === 0 ? true : undefined),
      'the end',
    );
    expect(await nexusAlert('am-silence')).toMatchObject({ state: 'firing', suppressed: true });
    const amSilences = (await (await fetch(`${alertmanager.url}/api/v2/silences`)).json()) as {
      id: string;
    }[];
    expect(amSilences.map((s) => s.id)).toEqual([created.silenceID]);

    // Lifting it forwards the alert again.
    await app.call('alerts.unsilence', { id: silence.value!.id, by: 'operator' });
    await eventually(
      async () => ((await amAlerts('NexusAmSilence')).length === 1 ? true : undefined),
      'forwarded again',
    );
    const status = await app.call<{
      alertmanager: { failed: number; targets: { lastError: string | null }[] };
    }>('export.status', {});
    expect(status.value?.alertmanager.targets[0]?.lastError).toBeNull();
  });
});

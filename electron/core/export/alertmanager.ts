import type { Alert, AlertRuleInfo } from '../../../shared/api/alerts.js';
import { type ExportConfig, exportDurationMs } from '../../../shared/config/export.js';
import { findMetric } from '../../../shared/metrics/catalog.js';
import type { Clock } from '../clock/index.js';
import { runbookLink } from '../notify/index.js';
import { MissingEnvError, maskKnown, maskSecrets, maskValue, resolveEnvRefs } from '../secrets/index.js';
import type { ForwarderFigures } from './exposition.js';
import { alertName } from './names.js';

/**
 * Nexus Ops alerts forwarded to Alertmanager through its v2 API (`POST /api/v2/alerts`), the way
 * Prometheus itself talks to it: every firing alert is re-sent each resend interval with
 * `endsAt = now + 4 × interval` (so alerts of a PC that dies expire on their own), at once on every
 * change, and a resolved alert is sent once more with `endsAt` = the moment it resolved. Alertmanager
 * then groups, routes, silences and pages. Pending alerts are not sent (Prometheus does not send them
 * either); an alert covered by a Nexus Ops silence or maintenance window is ended in Alertmanager, as
 * for the PC's own channels; an Alertmanager silence changes nothing here.
 */

/** The v2 API's PostableAlert. */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
}

export interface TargetStatus {
  /** The base URL with any credentials masked. */
  url: string;
  lastAttemptAt: number | null;
  lastSuccessAt: number | null;
  /** Masked. */
  lastError: string | null;
  consecutiveFailures: number;
  nextAttemptAt: number | null;
}

export interface ForwarderStatus extends ForwarderFigures {
  targets: TargetStatus[];
}

export interface ForwarderDeps {
  clock: Clock;
  config(): ExportConfig;
  /** The `instance` label: export.instance or the host name. */
  instance(): string;
  /** Where a shipped runbook's page is (notify.dashboardUrl, as in the PC's own messages). */
  dashboardUrl(): string;
  active(): readonly Alert[];
  rules(): readonly AlertRuleInfo[];
  env: Record<string, string | undefined>;
  fetchImpl: typeof fetch;
  log: { warn(m: string): void; info(m: string): void };
}

export interface Forwarder {
  /** An alert changed (the `alerts.changed` hook): send at once. */
  alertChanged(alert: Alert): void;
  /** The job tick: sends to every target whose refresh or retry is due. */
  sendDue(): Promise<void>;
  /** Sends to every target now (tests, the hook); resolves when done. */
  sendNow(): Promise<void>;
  status(): ForwarderStatus;
  figures(): ForwarderFigures;
  /** Waits for sends in flight (close). */
  settle(): Promise<void>;
}

/** Labels the forwarder sets itself; series and rule labels never override them. */
const OWN_LABELS = new Set(['alertname', 'severity', 'rule_id', 'instance']);
/** Rule labels that are links: annotations, not labels (labels are for routing and identity). */
const LINK_LABELS = new Set(['runbook_url', 'dashboard_url']);
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

interface Target {
  base: string;
  status: TargetStatus;
  /** Attempts that failed in the current resend round. */
  roundFailures: number;
  inFlight: Promise<void> | null;
  again: boolean;
}

interface Ending {
  alert: PostableAlert;
  /** Targets that have not accepted the end yet. */
  pending: Set<string>;
  /** Dropped after this: its last firing `endsAt` has passed, Alertmanager has ended it anyway. */
  until: number;
}

class SendError extends Error {
  constructor(
    message: string,
    /** 4xx and configuration problems: retrying within the round would not help. */
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

export function createForwarder(deps: ForwarderDeps): Forwarder {
  const targets = new Map<string, Target>();
  /** Alerts sent as firing last time, by alert id. */
  let firing = new Map<string, PostableAlert>();
  const ending = new Map<string, Ending>();
  const resolvedAt = new Map<string, number>();
  let sent = 0;
  let failed = 0;
  let lastSuccessAt: number | null = null;

  const am = () => deps.config().alertmanager;
  const resendMs = () => exportDurationMs(am().resendInterval);
  const enabled = () => am().enabled && am().urls.length > 0;

  function syncTargets(): void {
    const wanted = new Set(enabled() ? am().urls : []);
    for (const url of [...targets.keys()]) if (!wanted.has(url)) targets.delete(url);
    for (const url of wanted) {
      if (targets.has(url)) continue;
      targets.set(url, {
        base: url,
        status: {
          url: maskUrl(url),
          lastAttemptAt: null,
          lastSuccessAt: null,
          lastError: null,
          consecutiveFailures: 0,
          nextAttemptAt: null,
        },
        roundFailures: 0,
        inFlight: null,
        again: false,
      });
    }
  }

  /** The alerts to send now: firing ones refreshed, and ends not yet delivered to this target. */
  function payload(target: Target, now: number): PostableAlert[] {
    const rules = new Map(deps.rules().map((r) => [r.id, r]));
    const next = new Map<string, PostableAlert>();
    for (const a of deps.active()) {
      if ((a.state !== 'firing' && a.state !== 'acknowledged') || a.suppressed) continue;
      next.set(a.id, toPostable(a, rules.get(a.ruleId), now));
      ending.delete(a.id);
    }
    for (const [id, alert] of firing) {
      if (next.has(id)) continue;
      const end = resolvedAt.get(id) ?? now;
      ending.set(id, {
        alert: { ...alert, endsAt: new Date(end).toISOString() },
        pending: new Set(targets.keys()),
        until: now + 4 * resendMs(),
      });
    }
    firing = next;
    for (const [id, e] of ending) {
      if (e.until < now || e.pending.size === 0) ending.delete(id);
    }
    for (const id of resolvedAt.keys()) if (!ending.has(id) && !firing.has(id)) resolvedAt.delete(id);
    return [
      ...firing.values(),
      ...[...ending.values()].filter((e) => e.pending.has(target.base)).map((e) => e.alert),
    ];
  }

  function toPostable(a: Alert, rule: AlertRuleInfo | undefined, now: number): PostableAlert {
    const cfg = deps.config();
    const instance = deps.instance();
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(cfg.alertmanager.labels)) labels[k] = v;
    for (const [k, v] of Object.entries(rule?.labels ?? {})) {
      if (LABEL_NAME.test(k) && !LINK_LABELS.has(k) && !k.startsWith('__')) labels[k] = v;
    }
    // Series labels as the catalog bounds them (family, mount, core, ...): never free text.
    const def = findMetric(a.metric);
    for (const name of def?.labels ?? []) {
      const v = a.labels[name];
      if (v !== undefined && !OWN_LABELS.has(name)) labels[name] = v;
    }
    labels.alertname = alertName(a.ruleId);
    labels.severity = a.severity;
    labels.rule_id = a.ruleId;
    labels.instance = instance;

    const annotations: Record<string, string> = {
      summary: a.ruleName,
      description: maskSecrets(a.message),
      nexus_alert_id: a.id,
      nexus_state: a.state,
    };
    if (a.value !== null) annotations.value = String(a.value);
    if (a.state === 'acknowledged' && a.ackBy) annotations.acknowledged_by = a.ackBy;
    if (a.action) annotations.nexus_action = a.action;
    // The operator's link for Alertmanager first, then the rule's own runbook (a shipped runbook's id
    // becomes its page in the dashboard, as in the PC's messages), then a Prometheus-style label.
    const configured = cfg.alertmanager.runbooks[a.ruleId];
    const label = rule?.labels.runbook_url;
    const runbook = configured
      ? tryResolve(configured)
      : (runbookLink(a.runbook ?? rule?.runbook, deps.dashboardUrl(), a.id) ??
        (label ? tryResolve(label) : undefined));
    if (runbook) annotations.runbook_url = runbook;
    const dashboard = dashboardLink(cfg.dashboardUrl, instance) ?? rule?.labels.dashboard_url;
    if (dashboard) annotations.dashboard_url = dashboard;

    const out: PostableAlert = {
      labels,
      annotations,
      startsAt: new Date(a.firedAt ?? a.startedAt).toISOString(),
      endsAt: new Date(now + 4 * resendMs()).toISOString(),
    };
    if (dashboard) out.generatorURL = dashboard;
    return out;
  }

  function tryResolve(value: string): string | undefined {
    try {
      return resolveEnvRefs(value, deps.env);
    } catch {
      return undefined;
    }
  }

  function secretsOf(): string[] {
    const a = am();
    const values: string[] = [];
    for (const v of [a.bearerToken, a.basicAuth?.password]) {
      const resolved = v === undefined ? undefined : tryResolve(v);
      if (resolved) values.push(resolved);
    }
    // A URL is shown (it names the failing server); only a password inside it is a secret.
    for (const u of a.urls) {
      const resolved = tryResolve(u);
      try {
        const password = resolved ? decodeURIComponent(new URL(resolved).password) : '';
        if (password) values.push(password);
      } catch {
        // not a URL: the schema let a ${env:} reference through that resolved to garbage; nothing to mask
      }
    }
    return values;
  }

  async function post(target: Target, alerts: PostableAlert[]): Promise<void> {
    const a = am();
    let url: string;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    try {
      // fetch refuses credentials in a URL: `http://user:pw@host` becomes a Basic header.
      const parsed = new URL(resolveEnvRefs(target.base, deps.env));
      const inUrl = {
        user: decodeURIComponent(parsed.username),
        password: decodeURIComponent(parsed.password),
      };
      parsed.username = '';
      parsed.password = '';
      url = `${parsed.toString().replace(/\/+$/, '')}/api/v2/alerts`;
      if (a.bearerToken) headers.authorization = `Bearer ${resolveEnvRefs(a.bearerToken, deps.env)}`;
      else if (a.basicAuth) {
        const user = resolveEnvRefs(a.basicAuth.username, deps.env);
        const password = resolveEnvRefs(a.basicAuth.password, deps.env);
        headers.authorization = basic(user, password);
      } else if (inUrl.user || inUrl.password) headers.authorization = basic(inUrl.user, inUrl.password);
    } catch (err) {
      if (err instanceof MissingEnvError) {
        throw new SendError(
          `environment variable ${err.variable} (used in export.alertmanager) is not set: set it before starting Nexus Ops`,
          true,
        );
      }
      throw err;
    }
    let res: Response;
    try {
      res = await deps.fetchImpl(url, {
        method: 'POST',
        headers,
        body: JSON.stringify(alerts),
        signal: AbortSignal.timeout(exportDurationMs(a.timeout)),
      });
    } catch (err) {
      const cause =
        err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
      throw new SendError(`cannot reach ${url}: ${cause}`, false);
    }
    if (res.ok) {
      await res.body?.cancel();
      return;
    }
    const text = (await res.text().catch(() => '')).slice(0, 300);
    const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
    throw new SendError(`${url} answered ${res.status}: ${text.trim() || res.statusText}`, !retryable);
  }

  async function sendTo(target: Target): Promise<void> {
    const now = deps.clock.now();
    const alerts = payload(target, now);
    const st = target.status;
    st.lastAttemptAt = now;
    try {
      await post(target, alerts);
      sent++;
      const at = deps.clock.now();
      if (st.consecutiveFailures > 0) deps.log.info(`export: Alertmanager ${st.url} accepts alerts again`);
      st.lastSuccessAt = at;
      lastSuccessAt = at;
      st.lastError = null;
      st.consecutiveFailures = 0;
      target.roundFailures = 0;
      st.nextAttemptAt = at + resendMs();
      for (const e of ending.values()) e.pending.delete(target.base);
    } catch (err) {
      failed++;
      const message = maskKnown(err instanceof Error ? err.message : String(err), secretsOf());
      if (st.consecutiveFailures === 0 || message !== st.lastError) {
        deps.log.warn(`export: sending alerts to Alertmanager ${st.url} failed: ${message}`);
      }
      st.lastError = message;
      st.consecutiveFailures++;
      target.roundFailures++;
      const permanent = err instanceof SendError && err.permanent;
      const at = deps.clock.now();
      if (permanent || target.roundFailures >= am().maxAttempts) {
        // Give this round up; the next resend interval tries again with the then current alerts.
        target.roundFailures = 0;
        st.nextAttemptAt = at + resendMs();
      } else {
        st.nextAttemptAt = at + Math.min(resendMs(), 1000 * 2 ** target.roundFailures);
      }
    }
  }

  /** One send at a time per target; a request for another while one runs makes one more afterwards. */
  function run(target: Target): Promise<void> {
    if (target.inFlight) {
      target.again = true;
      return target.inFlight;
    }
    const p = (async () => {
      do {
        target.again = false;
        await sendTo(target);
      } while (target.again && targets.get(target.base) === target);
    })().finally(() => {
      target.inFlight = null;
    });
    target.inFlight = p;
    return p;
  }

  async function sendNow(): Promise<void> {
    syncTargets();
    await Promise.all([...targets.values()].map(run));
  }

  return {
    alertChanged(alert) {
      if (alert.resolvedAt !== null) resolvedAt.set(alert.id, alert.resolvedAt);
      if (!enabled()) return;
      // Only changes Alertmanager sees: pending alerts never leave the PC.
      if (alert.state === 'pending' || alert.state === 'inactive') return;
      sendNow().catch((err: unknown) =>
        deps.log.warn(
          `export: forwarding to Alertmanager: ${err instanceof Error ? err.message : String(err)}`,
        ),
      );
    },
    async sendDue() {
      syncTargets();
      const now = deps.clock.now();
      await Promise.all(
        [...targets.values()]
          .filter((t) => t.status.nextAttemptAt === null || t.status.nextAttemptAt <= now)
          .map(run),
      );
    },
    sendNow,
    status: () => ({
      ...figures(),
      targets: [...targets.values()].map((t) => ({ ...t.status })),
    }),
    figures,
    async settle() {
      await Promise.all([...targets.values()].map((t) => t.inFlight));
    },
  };

  function figures(): ForwarderFigures {
    return { enabled: enabled(), forwarded: firing.size, ending: ending.size, sent, failed, lastSuccessAt };
  }
}

/** `https://user:pw@am.example:9093/x` → `https://am.example:9093/…` ; `${env:X}` stays readable. */
function maskUrl(url: string): string {
  if (url.includes('${env:')) return url;
  try {
    const u = new URL(url);
    return u.username || u.password || u.search
      ? maskValue(url)
      : `${u.origin}${u.pathname.replace(/\/$/, '')}`;
  } catch {
    return maskValue(url);
  }
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

function dashboardLink(template: string | undefined, instance: string): string | undefined {
  return template?.replaceAll('{{instance}}', encodeURIComponent(instance));
}

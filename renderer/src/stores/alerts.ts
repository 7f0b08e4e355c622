import { create } from 'zustand';
import type {
  Alert,
  AlertHealth,
  AlertRuleInfo,
  MaintenanceWindowStatus,
  Silence,
} from '../../../shared/api/alerts.js';
import type { ApiError } from '../../../shared/api/index.js';
import type { AlertSeverity, RuleLoadError } from '../../../shared/config/alerts.js';
import { api } from '../api/client.js';
import { createPushOrder, mergeList } from './push-order.js';

export type ToastSeverity = 'critical' | 'warning' | 'info';

export interface Toast {
  id: number;
  severity: ToastSeverity;
  title: string;
  body: string;
  ts: number;
  /** Set for toasts raised by a newly firing alert (the page can link to it). */
  alertId?: string;
}

interface AlertsState {
  /** True once the first alerts.list reply arrived. */
  loaded: boolean;
  /** Why the last load failed (e.g. the engine is not running), null when fine. */
  loadError: ApiError | null;
  /** Open alerts (pending, firing, acknowledged) by id. */
  alerts: Record<string, Alert>;
  health: AlertHealth;
  evaluatedAt: number | null;
  /** Active and scheduled silences (ended or expired ones leave the list). */
  silences: Silence[];
  maintenance: MaintenanceWindowStatus[];
  rules: AlertRuleInfo[];
  ruleErrors: RuleLoadError[];
  /**
   * Newest sample of each open alert's series, from the 1 s `samples` push: the engine only pushes an
   * alert's own value once a minute.
   */
  liveValues: Record<string, number>;
  /** Bumped on every alert.changed push; the history view refetches its first page when it moves. */
  changeSeq: number;
  toasts: Toast[];
  dismissToast(id: number): void;
}

export const useAlerts = create<AlertsState>((set) => ({
  loaded: false,
  loadError: null,
  alerts: {},
  health: 'ok',
  evaluatedAt: null,
  silences: [],
  maintenance: [],
  rules: [],
  ruleErrors: [],
  liveValues: {},
  changeSeq: 0,
  toasts: [],
  dismissToast: (id) => set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) })),
}));

export const SEVERITY_ORDER: readonly AlertSeverity[] = ['critical', 'warning', 'info'];

export function severityRank(s: AlertSeverity): number {
  return SEVERITY_ORDER.indexOf(s);
}

/** Open alerts, most severe first, then oldest first. */
export function sortedAlerts(alerts: Record<string, Alert>): Alert[] {
  return Object.values(alerts).sort(
    (a, b) => severityRank(a.severity) - severityRank(b.severity) || a.startedAt - b.startedAt,
  );
}

/** What the navigation badge shows: open alerts an operator must look at (not pending, not suppressed). */
export function badgeSummary(alerts: Record<string, Alert>): {
  count: number;
  worst: AlertSeverity | null;
  unacknowledged: number;
} {
  let count = 0;
  let unacknowledged = 0;
  let worst: AlertSeverity | null = null;
  for (const a of Object.values(alerts)) {
    if (a.suppressed || a.state === 'pending') continue;
    count++;
    if (a.state === 'firing') unacknowledged++;
    if (worst === null || severityRank(a.severity) < severityRank(worst)) worst = a.severity;
  }
  return { count, worst, unacknowledged };
}

// ---- toasts ----

const MAX_TOASTS = 5;
/** A notify push and an alert.changed push about the same rule within this time are one event. */
const DEDUPE_MS = 60_000;
let nextToastId = 1;
const recentToastKeys = new Map<string, number>();

function seenRecently(keys: string[], now: number): boolean {
  for (const [key, ts] of recentToastKeys) if (now - ts > DEDUPE_MS) recentToastKeys.delete(key);
  return keys.some((k) => recentToastKeys.has(k));
}

function pushToast(toast: Omit<Toast, 'id' | 'ts'>, dedupeKeys: string[]): void {
  const now = Date.now();
  if (seenRecently(dedupeKeys, now)) return;
  for (const k of dedupeKeys) recentToastKeys.set(k, now);
  const full: Toast = { ...toast, id: nextToastId++, ts: now };
  useAlerts.setState((s) => ({ toasts: [...s.toasts, full].slice(-MAX_TOASTS) }));
  showBrowserNotification(full);
}

// ---- browser notifications (headless mode only: the desktop app shows native ones itself) ----

export function browserNotificationsSupported(): boolean {
  return api.transport === 'http' && typeof window !== 'undefined' && 'Notification' in window;
}

function showBrowserNotification(toast: Toast): void {
  if (!browserNotificationsSupported() || Notification.permission !== 'granted') return;
  try {
    const n = new Notification(toast.title, {
      body: toast.body,
      tag: toast.alertId ?? `toast-${toast.id}`,
      requireInteraction: toast.severity === 'critical',
    });
    n.onclick = () => {
      window.focus();
      window.location.hash = '#/alerts';
      n.close();
    };
  } catch {
    // Some browsers only allow notifications from a service worker; the in-page toast is enough.
  }
}

// ---- loading and pushes ----

const alertPushes = createPushOrder();

async function loadAlerts(): Promise<void> {
  const asked = alertPushes.ask();
  const r = await api.call('alerts.list', { includeSuppressed: true });
  if (!r.ok) {
    useAlerts.setState({ loadError: r.error });
    return;
  }
  useAlerts.setState((s) => ({
    loaded: true,
    loadError: null,
    alerts: mergeList(r.value.alerts, (a) => a.id, s.alerts, asked),
    health: r.value.health,
    evaluatedAt: r.value.evaluatedAt,
    changeSeq: s.changeSeq + 1,
  }));
}

/** Still in force or still to come: not ended early and not past its end. */
export function isCurrentSilence(s: Silence, now = Date.now()): boolean {
  return s.expiredAt === null && s.endsAt > now;
}

function upsertSilence(list: Silence[], silence: Silence): Silence[] {
  return [...list.filter((x) => x.id !== silence.id), silence]
    .filter((x) => isCurrentSilence(x))
    .sort((a, b) => a.endsAt - b.endsAt);
}

export async function loadSilences(): Promise<void> {
  const r = await api.call('alerts.silences', { includeExpired: false });
  if (r.ok) useAlerts.setState({ silences: r.value.silences.filter((s) => isCurrentSilence(s)) });
}

let maintenanceTimer: ReturnType<typeof setTimeout> | undefined;

/**
 * Windows open and close on a schedule, not by a push: after each load one timer is set for the next
 * boundary (start or end), and the list is fetched again then.
 */
export async function loadMaintenance(): Promise<void> {
  const r = await api.call('alerts.maintenance', {});
  if (!r.ok) return;
  useAlerts.setState({ maintenance: r.value.windows });
  clearTimeout(maintenanceTimer);
  const now = Date.now();
  const boundaries = r.value.windows
    .filter((w) => w.enabled)
    .flatMap((w) => [w.active ? w.lastEnd : null, w.nextStart])
    .filter((t): t is number => t !== null && t > now);
  if (boundaries.length > 0) {
    // setTimeout holds at most ~24.8 days; a later boundary is simply re-checked then.
    const wait = Math.min(Math.min(...boundaries) - now + 1000, 2 ** 31 - 1);
    maintenanceTimer = setTimeout(() => void loadMaintenance(), wait);
  }
}

export async function loadRules(): Promise<void> {
  const r = await api.call('alerts.rules', {});
  if (r.ok) useAlerts.setState({ rules: r.value.rules, ruleErrors: r.value.errors });
}

function loadEverything(): void {
  void loadAlerts();
  void loadSilences();
  void loadMaintenance();
  void loadRules();
}

function onAlertChanged(alert: Alert): void {
  alertPushes.pushed(alert.id);
  const before = useAlerts.getState().alerts[alert.id];
  useAlerts.setState((s) => {
    const alerts = { ...s.alerts };
    if (alert.state === 'pending' || alert.state === 'firing' || alert.state === 'acknowledged') {
      alerts[alert.id] = alert;
    } else {
      delete alerts[alert.id];
    }
    return { alerts, changeSeq: s.changeSeq + 1 };
  });
  const newlyFiring = alert.state === 'firing' && before?.state !== 'firing' && !alert.suppressed;
  if (newlyFiring) {
    pushToast(
      {
        severity: alert.severity,
        title: `${alert.severity.toUpperCase()}: ${alert.ruleName}`,
        body: alert.message,
        alertId: alert.id,
      },
      [`alert:${alert.id}`, `rule:${alert.ruleName}`],
    );
  }
}

function onSamples(samples: { key: string; value: number }[]): void {
  const keys = new Set(Object.values(useAlerts.getState().alerts).map((a) => a.seriesKey));
  if (keys.size === 0 && Object.keys(useAlerts.getState().liveValues).length === 0) return;
  const liveValues: Record<string, number> = {};
  for (const s of samples) if (keys.has(s.key)) liveValues[s.key] = s.value;
  useAlerts.setState({ liveValues });
}

/** The desktop channel's title for a first notice: `WARNING: <rule name>` (later notices add a suffix). */
const FIRST_NOTICE_TITLE = /^(?:CRITICAL|WARNING|INFO): (.+)$/;
const LATER_NOTICE_SUFFIX = / \[(?:escalation|still firing|test)\]$/;

function onNotify(n: { title: string; body: string; severity: ToastSeverity }): void {
  // The desktop channel announces the same firing alert as alert.changed: keep one toast for both.
  const ruleName = FIRST_NOTICE_TITLE.exec(n.title)?.[1];
  const keys = ruleName && !LATER_NOTICE_SUFFIX.test(ruleName) ? [`rule:${ruleName}`] : [];
  pushToast({ severity: n.severity, title: n.title, body: n.body }, keys);
}

let started = false;

/**
 * Opens the alert push subscription once for the whole app (idempotent: the badge, the toasts and the
 * page all call it). Everything is (re)loaded whenever the push channel (re)connects, so a dropped
 * connection never leaves stale state behind.
 */
export function startAlertUpdates(): void {
  if (started) return;
  started = true;
  api.subscribe(
    (event) => {
      switch (event.type) {
        case 'alert.changed':
          onAlertChanged(event.alert);
          break;
        case 'alert.health':
          useAlerts.setState({ health: event.health });
          break;
        case 'alert.silence':
          useAlerts.setState((s) => ({ silences: upsertSilence(s.silences, event.silence) }));
          break;
        case 'alert.rules':
          useAlerts.setState({ ruleErrors: event.errors });
          void loadRules();
          void loadMaintenance();
          void loadSilences();
          break;
        case 'notify':
          onNotify(event);
          break;
        case 'samples':
          onSamples(event.samples);
          break;
      }
    },
    (up) => {
      if (up) loadEverything();
    },
  );
}

// ---- actions ----

export { rememberedOperator, rememberOperator } from './operator.js';

export async function acknowledgeAlert(id: string, by: string, note: string) {
  const r = await api.call('alerts.ack', { id, by, ...(note.trim() ? { note: note.trim() } : {}) });
  if (r.ok) onAlertChanged(r.value);
  return r;
}

export async function endSilence(id: string, by: string) {
  const r = await api.call('alerts.unsilence', { id, by });
  if (r.ok) useAlerts.setState((s) => ({ silences: s.silences.filter((x) => x.id !== id) }));
  return r;
}

export async function createSilence(input: {
  ruleId?: string;
  matchers: { label: string; op: '=' | '!=' | '=~' | '!~'; value: string }[];
  endsAt?: number;
  durationMinutes?: number;
  reason: string;
  by: string;
}) {
  const r = await api.call('alerts.silence', input);
  if (r.ok) {
    const silence = r.value;
    useAlerts.setState((s) => ({ silences: upsertSilence(s.silences, silence) }));
  }
  return r;
}

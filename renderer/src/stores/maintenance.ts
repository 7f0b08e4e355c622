import { create } from 'zustand';
import type {
  ApiEvent,
  BackupView,
  CheckView,
  JobProgress,
  JobView,
  ReportView,
  RestoreResult,
  RunView,
} from '../../../shared/api/index.js';
import { api } from '../api/client.js';
import { createPushOrder, mergeArray } from './push-order.js';

interface MaintenanceState {
  loaded: boolean;
  error: string | null;
  timezone: string;
  jobs: JobView[];
  /** History of the selected job ('' = all), newest first. */
  historyJob: string;
  history: RunView[];
  backupsDir: string;
  backups: BackupView[];
  checks: CheckView[];
  reportsDir: string;
  reports: ReportView[];
  /** Progress of running jobs, by job id (from `maintenance.progress` pushes). */
  progress: Record<string, JobProgress>;
  lastRestore: RestoreResult | null;
}

export const useMaintenance = create<MaintenanceState>(() => ({
  loaded: false,
  error: null,
  timezone: '',
  jobs: [],
  historyJob: '',
  history: [],
  backupsDir: '',
  backups: [],
  checks: [],
  reportsDir: '',
  reports: [],
  progress: {},
  lastRestore: null,
}));

const HISTORY_LIMIT = 100;

/**
 * Pushes per list: a list's reply was taken before the pushes that overtook it, and must not undo them
 * (a job that finished in that gap would show as running until its next run).
 */
const pushed = {
  job: createPushOrder(),
  run: createPushOrder(),
  backup: createPushOrder(),
  check: createPushOrder(),
  report: createPushOrder(),
};
const idOf = (item: { id: string }) => item.id;
const newestRunFirst = (a: RunView, b: RunView) => b.startedAt - a.startedAt;
const newestBackupFirst = (a: BackupView, b: BackupView) => b.createdAt - a.createdAt;
const newestReportFirst = (a: ReportView, b: ReportView) => b.to - a.to;

async function loadHistory(jobId: string): Promise<void> {
  const asked = pushed.run.ask();
  const r = await api.call('maintenance.history', { limit: HISTORY_LIMIT, ...(jobId ? { jobId } : {}) });
  const s = useMaintenance.getState();
  if (r.ok && s.historyJob === jobId) {
    const runs = mergeArray(r.value.runs, idOf, s.history, asked);
    useMaintenance.setState({ history: runs.sort(newestRunFirst).slice(0, HISTORY_LIMIT) });
  }
}

export async function loadMaintenance(): Promise<void> {
  const asked = {
    job: pushed.job.ask(),
    backup: pushed.backup.ask(),
    check: pushed.check.ask(),
    report: pushed.report.ask(),
  };
  const [jobs, backups, checks, reports] = await Promise.all([
    api.call('maintenance.jobs', {}),
    api.call('maintenance.backups', {}),
    api.call('maintenance.checks', {}),
    api.call('maintenance.reports', {}),
  ]);
  if (!jobs.ok) {
    useMaintenance.setState({ loaded: true, error: jobs.error.message });
    return;
  }
  const s = useMaintenance.getState();
  useMaintenance.setState({
    loaded: true,
    error: null,
    timezone: jobs.value.timezone,
    jobs: mergeArray(jobs.value.jobs, idOf, s.jobs, asked.job),
    ...(backups.ok
      ? {
          backups: mergeArray(backups.value.backups, idOf, s.backups, asked.backup).sort(newestBackupFirst),
          backupsDir: backups.value.dir,
        }
      : {}),
    ...(checks.ok ? { checks: mergeArray(checks.value.checks, idOf, s.checks, asked.check) } : {}),
    ...(reports.ok
      ? {
          reports: mergeArray(reports.value.reports, idOf, s.reports, asked.report).sort(newestReportFirst),
          reportsDir: reports.value.dir,
        }
      : {}),
  });
  await loadHistory(useMaintenance.getState().historyJob);
}

export function selectHistoryJob(jobId: string): void {
  useMaintenance.setState({ historyJob: jobId, history: [] });
  void loadHistory(jobId);
}

function upsert<T extends { id: string }>(list: T[], item: T, first = false): T[] {
  const i = list.findIndex((x) => x.id === item.id);
  if (i >= 0) return list.map((x, k) => (k === i ? item : x));
  return first ? [item, ...list] : [...list, item];
}

function onEvent(e: ApiEvent): void {
  const s = useMaintenance.getState();
  switch (e.type) {
    case 'maintenance.job': {
      pushed.job.pushed(e.job.id);
      const progress = { ...s.progress };
      if (!e.job.running) delete progress[e.job.id];
      useMaintenance.setState({ jobs: upsert(s.jobs, e.job), progress });
      break;
    }
    case 'maintenance.run':
      pushed.run.pushed(e.run.id);
      if (s.historyJob === '' || s.historyJob === e.run.jobId) {
        useMaintenance.setState({ history: upsert(s.history, e.run, true).slice(0, HISTORY_LIMIT) });
      }
      break;
    case 'maintenance.progress':
      useMaintenance.setState({ progress: { ...s.progress, [e.jobId]: e.progress } });
      break;
    case 'maintenance.backup':
      pushed.backup.pushed(e.backup.id);
      useMaintenance.setState({ backups: upsert(s.backups, e.backup, true).sort(newestBackupFirst) });
      break;
    case 'maintenance.check':
      pushed.check.pushed(e.check.id);
      useMaintenance.setState({ checks: upsert(s.checks, e.check) });
      break;
    case 'maintenance.report':
      pushed.report.pushed(e.report.id);
      useMaintenance.setState({ reports: upsert(s.reports, e.report, true).sort(newestReportFirst) });
      break;
    case 'maintenance.restored':
      useMaintenance.setState({ lastRestore: e.result });
      void loadMaintenance();
      break;
    default:
  }
}

let started = false;
/** Loads once and follows the pushes; components never poll. */
export function startMaintenanceUpdates(): void {
  if (started) return;
  started = true;
  api.subscribe(onEvent, (up) => {
    if (up) void loadMaintenance();
  });
  void loadMaintenance();
}

export async function runJob(jobId: string): Promise<string | null> {
  const r = await api.call('maintenance.run', { jobId });
  return r.ok ? null : r.error.message;
}

export async function pauseJob(jobId: string, pause: boolean): Promise<string | null> {
  const r = await api.call(pause ? 'maintenance.pause' : 'maintenance.resume', { jobId });
  if (!r.ok) return r.error.message;
  useMaintenance.setState((s) => ({ jobs: upsert(s.jobs, r.value) }));
  return null;
}

export async function verifyBackup(backupId: string): Promise<string | null> {
  const r = await api.call('maintenance.verify', { backupId });
  return r.ok ? null : r.error.message;
}

export async function restoreBackup(
  backupId: string,
  scope: 'database' | 'all',
  actor: string,
): Promise<{ ok: true; result: RestoreResult } | { ok: false; message: string }> {
  const r = await api.call('maintenance.restore', { backupId, scope, actor, confirm: backupId });
  if (!r.ok) return { ok: false, message: r.error.message };
  useMaintenance.setState({ lastRestore: r.value });
  return { ok: true, result: r.value };
}

export async function openReport(id: string): Promise<string | null> {
  const r = await api.call('maintenance.report', { id });
  return r.ok ? r.value.html : null;
}

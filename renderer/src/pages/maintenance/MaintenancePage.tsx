import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { BackupView, JobView, RunView } from '../../../../shared/api/index.js';
import { formatBytes, formatDateTime } from '../../i18n/index.js';
import { useLive } from '../../stores/live.js';
import {
  openReport,
  pauseJob,
  restoreBackup,
  runJob,
  selectHistoryJob,
  startMaintenanceUpdates,
  useMaintenance,
  verifyBackup,
} from '../../stores/maintenance.js';
import { rememberedOperator, rememberOperator } from '../../stores/operator.js';
import { Dialog } from './Dialog.js';
import { describeCron } from './schedule-text.js';
import './maintenance.css';

function useLang(): 'ja' | 'en' {
  const { i18n } = useTranslation();
  return i18n.language === 'en' ? 'en' : 'ja';
}

function duration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** What a run did, in the operator's language (from its `changes`); the core's one-line summary otherwise. */
function RunSummary({ run }: { run: RunView }) {
  const { t } = useTranslation('maintenance');
  const changes = Object.entries(run.changes).filter(([, v]) => v !== 0);
  if (changes.length === 0) return <>{run.summary}</>;
  return (
    <>
      {changes
        .map(([k, v]) => `${t(`changes.${k}`, { defaultValue: k })} ${/bytes/i.test(k) ? formatBytes(v) : v}`)
        .join(' · ')}
    </>
  );
}

function StatusPill({ status }: { status: RunView['status'] }) {
  const { t } = useTranslation('maintenance');
  const tone =
    status === 'ok'
      ? 'ok'
      : status === 'failed' || status === 'timed-out'
        ? 'critical'
        : status === 'running'
          ? 'info'
          : 'warning';
  return (
    <span className={`maint-pill ${tone}`} data-testid="run-status" data-status={status}>
      {t(`status.${status}`)}
    </span>
  );
}

function scheduleWords(
  job: JobView,
  lang: 'ja' | 'en',
  t: (k: string, o?: Record<string, unknown>) => string,
): string {
  const words = describeCron(job.cron, lang);
  return job.window ? t('jobs.inWindow', { window: job.window, words }) : words;
}

function JobsPanel() {
  const { t } = useTranslation('maintenance');
  const lang = useLang();
  const jobs = useMaintenance((s) => s.jobs);
  const progress = useMaintenance((s) => s.progress);
  const timezone = useMaintenance((s) => s.timezone);
  const [error, setError] = useState<string | null>(null);

  async function act(work: Promise<string | null>) {
    setError(await work);
  }

  return (
    <section className="panel" data-testid="maint-jobs">
      <div className="panel-head">
        <h3>{t('jobs.title')}</h3>
        <span className="muted">{t('jobs.timezone', { tz: timezone })}</span>
      </div>
      {error && (
        <p className="maint-error" role="alert">
          {error}
        </p>
      )}
      <table className="maint-table">
        <thead>
          <tr>
            <th>{t('jobs.name')}</th>
            <th>{t('jobs.schedule')}</th>
            <th>{t('jobs.next')}</th>
            <th>{t('jobs.last')}</th>
            <th>{t('jobs.duration')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {jobs.map((job) => {
            const p = progress[job.id];
            return (
              <tr
                key={job.id}
                data-testid="job-row"
                data-job={job.id}
                className={job.enabled ? '' : 'disabled'}
              >
                <td>
                  <strong>{job.name}</strong>
                  <div className="muted small">
                    {job.id}
                    {job.tags.map((tag) => (
                      <span key={tag} className="maint-tag">
                        {tag}
                      </span>
                    ))}
                  </div>
                  {job.command && <code className="small">{job.command}</code>}
                  {job.problem && <div className="maint-error small">{job.problem}</div>}
                </td>
                <td>
                  <span data-testid="job-schedule">{scheduleWords(job, lang, t)}</span>
                  <div className="muted small">
                    <code>{job.cron}</code> ·{' '}
                    {t(`catchUp.${job.catchUp.policy}`, { hours: job.catchUp.windowHours })}
                  </div>
                </td>
                <td>
                  {!job.enabled
                    ? t('jobs.disabled')
                    : job.paused
                      ? t(job.pausedBy === 'stop' ? 'jobs.pausedByStop' : 'jobs.paused')
                      : job.nextRunAt
                        ? formatDateTime(job.nextRunAt)
                        : '—'}
                </td>
                <td>
                  {job.running ? (
                    <div className="maint-progress" data-testid="job-progress">
                      <StatusPill status="running" />
                      {p && p.total > 0 && (
                        <>
                          <progress value={p.done} max={p.total} />
                          <span className="small muted">
                            {t(`phase.${p.phase}`, { defaultValue: p.phase })}{' '}
                            {Math.floor((100 * p.done) / p.total)}%
                          </span>
                        </>
                      )}
                    </div>
                  ) : job.lastRun ? (
                    <>
                      <StatusPill status={job.lastRun.status} />
                      <div className="small muted">{formatDateTime(job.lastRun.startedAt)}</div>
                      <div className="small">
                        <RunSummary run={job.lastRun} />
                      </div>
                    </>
                  ) : (
                    <span className="muted">{t('jobs.never')}</span>
                  )}
                </td>
                <td>{duration(job.lastRun?.durationMs ?? null)}</td>
                <td className="maint-actions">
                  <button
                    type="button"
                    data-testid="job-run"
                    disabled={job.running || job.pausedBy === 'stop'}
                    onClick={() => void act(runJob(job.id))}
                  >
                    {t('jobs.runNow')}
                  </button>
                  <button
                    type="button"
                    data-testid="job-pause"
                    onClick={() => void act(pauseJob(job.id, !job.paused))}
                  >
                    {job.paused ? t('jobs.resume') : t('jobs.pause')}
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

function HistoryPanel() {
  const { t } = useTranslation('maintenance');
  const jobs = useMaintenance((s) => s.jobs);
  const history = useMaintenance((s) => s.history);
  const historyJob = useMaintenance((s) => s.historyJob);
  const [open, setOpen] = useState<string | null>(null);
  const name = (id: string) => jobs.find((j) => j.id === id)?.name ?? id;
  return (
    <section className="panel" data-testid="maint-history">
      <div className="panel-head">
        <h3>{t('history.title')}</h3>
        <select
          value={historyJob}
          onChange={(e) => selectHistoryJob(e.target.value)}
          aria-label={t('history.filter')}
        >
          <option value="">{t('history.all')}</option>
          {jobs.map((j) => (
            <option key={j.id} value={j.id}>
              {j.name}
            </option>
          ))}
        </select>
      </div>
      {history.length === 0 ? (
        <p className="muted">{t('history.none')}</p>
      ) : (
        <table className="maint-table">
          <thead>
            <tr>
              <th>{t('history.started')}</th>
              <th>{t('history.job')}</th>
              <th>{t('history.trigger')}</th>
              <th>{t('history.status')}</th>
              <th>{t('jobs.duration')}</th>
              <th>{t('history.summary')}</th>
            </tr>
          </thead>
          <tbody>
            {history.map((r) => (
              <HistoryRow
                key={r.id}
                run={r}
                name={name(r.jobId)}
                open={open === r.id}
                toggle={() => setOpen(open === r.id ? null : r.id)}
              />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function HistoryRow({
  run,
  name,
  open,
  toggle,
}: {
  run: RunView;
  name: string;
  open: boolean;
  toggle: () => void;
}) {
  const { t } = useTranslation('maintenance');
  const changes = Object.entries(run.changes);
  return (
    <>
      <tr data-testid="history-row" data-trigger={run.trigger} className="clickable" onClick={toggle}>
        <td>{formatDateTime(run.startedAt)}</td>
        <td>{name}</td>
        <td>
          {t(`trigger.${run.trigger}`)}
          {run.trigger === 'catch-up' && (
            <div className="small muted">{t('history.forSlot', { slot: formatDateTime(run.slot) })}</div>
          )}
        </td>
        <td>
          <StatusPill status={run.status} />
          {run.exitCode !== null && (
            <span className="small muted"> {t('history.exit', { code: run.exitCode })}</span>
          )}
        </td>
        <td>{duration(run.durationMs)}</td>
        <td>
          <RunSummary run={run} />
          {run.error && run.error !== run.summary && <div className="maint-error small">{run.error}</div>}
        </td>
      </tr>
      {open && (
        <tr className="maint-output-row">
          <td colSpan={6}>
            {changes.length > 0 && (
              <p className="small">
                {t('history.changes')}:{' '}
                {changes
                  .map(
                    ([k, v]) =>
                      `${t(`changes.${k}`, { defaultValue: k })} ${/bytes/i.test(k) ? formatBytes(v) : v}`,
                  )
                  .join(' · ')}
              </p>
            )}
            <pre data-testid="run-output">{run.output || t('history.noOutput')}</pre>
          </td>
        </tr>
      )}
    </>
  );
}

function VerificationPill({ backup }: { backup: BackupView }) {
  const { t } = useTranslation('maintenance');
  const v = backup.verification;
  const tone = v.status === 'ok' ? 'ok' : v.status === 'failed' ? 'critical' : 'warning';
  return (
    <span
      className={`maint-pill ${tone}`}
      data-testid="backup-verification"
      data-status={v.status}
      title={v.problems.join('\n')}
    >
      {t(`verification.${v.status}`)}
    </span>
  );
}

function BackupsPanel() {
  const { t } = useTranslation('maintenance');
  const backups = useMaintenance((s) => s.backups);
  const dir = useMaintenance((s) => s.backupsDir);
  const [restoring, setRestoring] = useState<BackupView | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  return (
    <section className="panel" data-testid="maint-backups">
      <div className="panel-head">
        <h3>{t('backups.title')}</h3>
        <span className="muted small">{dir}</span>
      </div>
      {error && <p className="maint-error">{error}</p>}
      {backups.length === 0 ? (
        <p className="muted">{t('backups.none')}</p>
      ) : (
        <table className="maint-table">
          <thead>
            <tr>
              <th>{t('backups.created')}</th>
              <th>{t('backups.size')}</th>
              <th>{t('backups.contents')}</th>
              <th>{t('backups.verification')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {backups.map((b) => (
              <tr key={b.id} data-testid="backup-row" data-backup={b.id}>
                <td>
                  {formatDateTime(b.createdAt)}
                  <div className="small muted">{b.id}</div>
                </td>
                <td>{formatBytes(b.sizeBytes)}</td>
                <td className="small">
                  {b.database && <div>{t('backups.database')}</div>}
                  {b.bots.map((x) => (
                    <div key={x.bot}>{t('backups.botFiles', { bot: x.bot, count: x.files })}</div>
                  ))}
                  {b.excludedSecrets.length > 0 && (
                    <div className="muted">
                      {t('backups.secretsExcluded', { count: b.excludedSecrets.length })}
                    </div>
                  )}
                  {b.encryptedSecrets.length > 0 && (
                    <div className="muted">
                      {t('backups.secretsEncrypted', { count: b.encryptedSecrets.length })}
                    </div>
                  )}
                </td>
                <td>
                  <VerificationPill backup={b} />
                  {b.verification.at && (
                    <div className="small muted">{formatDateTime(b.verification.at)}</div>
                  )}
                  {b.verification.problems.slice(0, 2).map((p) => (
                    <div key={p} className="maint-error small">
                      {p}
                    </div>
                  ))}
                </td>
                <td className="maint-actions">
                  <button
                    type="button"
                    disabled={busy !== null}
                    onClick={async () => {
                      setBusy(b.id);
                      setError(await verifyBackup(b.id));
                      setBusy(null);
                    }}
                  >
                    {busy === b.id ? t('backups.verifying') : t('backups.verify')}
                  </button>
                  <button
                    type="button"
                    data-testid="backup-restore"
                    disabled={b.verification.status === 'failed'}
                    title={b.verification.status === 'failed' ? t('restore.refusedFailed') : ''}
                    onClick={() => setRestoring(b)}
                  >
                    {t('backups.restore')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {restoring && <RestoreDialog backup={restoring} onClose={() => setRestoring(null)} />}
    </section>
  );
}

function RestoreDialog({ backup, onClose }: { backup: BackupView; onClose: () => void }) {
  const { t } = useTranslation('maintenance');
  const status = useLive((s) => s.status);
  const [scope, setScope] = useState<'database' | 'all'>('database');
  const [actor, setActor] = useState(rememberedOperator);
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [working, setWorking] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const dbFile = status ? `${status.dataDir}/nexus-ops.db` : 'nexus-ops.db';
  const ready = typed.trim() === backup.id && actor.trim().length > 0 && !working;
  return (
    <Dialog title={t('restore.title')} onClose={onClose} testId="restore-dialog">
      <p data-testid="restore-replaces">
        {t('restore.replacesDatabase', {
          file: dbFile,
          id: backup.id,
          date: formatDateTime(backup.createdAt),
        })}
      </p>
      {scope === 'all' && (
        <ul className="small">
          {backup.bots.map((b) => (
            <li key={b.bot}>{t('restore.replacesBot', { bot: b.bot, root: b.root, count: b.files })}</li>
          ))}
        </ul>
      )}
      <p className="small muted">{t('restore.kept')}</p>
      <fieldset className="maint-scope">
        <label>
          <input type="radio" checked={scope === 'database'} onChange={() => setScope('database')} />{' '}
          {t('restore.scopeDatabase')}
        </label>
        <label>
          <input
            type="radio"
            checked={scope === 'all'}
            onChange={() => setScope('all')}
            disabled={backup.bots.length === 0}
          />{' '}
          {t('restore.scopeAll')}
        </label>
      </fieldset>
      <label className="maint-field">
        {t('restore.actor')}
        <input value={actor} onChange={(e) => setActor(e.target.value)} data-autofocus />
      </label>
      <label className="maint-field">
        {t('restore.typeId', { id: backup.id })}
        <input value={typed} onChange={(e) => setTyped(e.target.value)} data-testid="restore-confirm-input" />
      </label>
      {error && (
        <p className="maint-error" role="alert" data-testid="restore-error">
          {error}
        </p>
      )}
      {done && (
        <p className="maint-ok" data-testid="restore-done">
          {done}
        </p>
      )}
      <div className="maint-dialog-actions">
        <button type="button" onClick={onClose}>
          {done ? t('dialog.close') : t('dialog.cancel')}
        </button>
        {!done && (
          <button
            type="button"
            className="danger"
            disabled={!ready}
            data-testid="restore-submit"
            onClick={async () => {
              setWorking(true);
              setError(null);
              rememberOperator(actor);
              const r = await restoreBackup(backup.id, scope, actor.trim());
              setWorking(false);
              if (r.ok)
                setDone(t('restore.done', { integrity: r.result.integrity, ms: r.result.durationMs }));
              else setError(r.message);
            }}
          >
            {working ? t('restore.working') : t('restore.submit')}
          </button>
        )}
      </div>
    </Dialog>
  );
}

function ChecksPanel() {
  const { t } = useTranslation('maintenance');
  const checks = useMaintenance((s) => s.checks);
  return (
    <section className="panel" data-testid="maint-checks">
      <div className="panel-head">
        <h3>{t('checks.title')}</h3>
      </div>
      {checks.length === 0 ? (
        <p className="muted">{t('checks.none')}</p>
      ) : (
        <table className="maint-table">
          <thead>
            <tr>
              <th>{t('checks.name')}</th>
              <th>{t('checks.state')}</th>
              <th>{t('checks.failures')}</th>
              <th>{t('checks.heals')}</th>
              <th>{t('checks.message')}</th>
            </tr>
          </thead>
          <tbody>
            {checks.map((c) => (
              <tr key={c.id} data-testid="check-row">
                <td>
                  {c.name}
                  <div className="small muted">{t(`checkKind.${c.kind}`)}</div>
                </td>
                <td>
                  <span className={`maint-pill ${c.up === null ? 'warning' : c.up ? 'ok' : 'critical'}`}>
                    {c.up === null ? t('checks.unknown') : c.up ? t('checks.up') : t('checks.down')}
                  </span>
                  {c.latencyMs !== null && <div className="small muted">{Math.round(c.latencyMs)} ms</div>}
                </td>
                <td>{c.consecutiveFailures}</td>
                <td>
                  {c.heals}
                  {c.guardTripped && <div className="maint-error small">{t('checks.guardTripped')}</div>}
                </td>
                <td className="small">{c.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function ReportsPanel() {
  const { t } = useTranslation('maintenance');
  const lang = useLang();
  const formatDate = (ts: number) => new Date(ts).toLocaleDateString(lang === 'en' ? 'en-GB' : 'ja-JP');
  const reports = useMaintenance((s) => s.reports);
  const [shown, setShown] = useState<{ id: string; html: string } | null>(null);
  return (
    <section className="panel" data-testid="maint-reports">
      <div className="panel-head">
        <h3>{t('reports.title')}</h3>
      </div>
      {reports.length === 0 ? (
        <p className="muted">{t('reports.none')}</p>
      ) : (
        <ul className="maint-reports">
          {reports.map((r) => (
            <li key={r.id}>
              <button
                type="button"
                className="link"
                data-testid="report-open"
                onClick={async () => {
                  const html = await openReport(r.id);
                  if (html) setShown({ id: r.id, html });
                }}
              >
                {t('reports.period', {
                  from: formatDate(r.from),
                  to: formatDate(r.to),
                })}
              </button>{' '}
              <span className="small muted">
                {formatDateTime(r.createdAt)} · {formatBytes(r.sizeBytes)}
              </span>
            </li>
          ))}
        </ul>
      )}
      {shown && (
        <Dialog title={t('reports.title')} onClose={() => setShown(null)} testId="report-dialog" wide>
          {/* No scripts in the report, and none allowed: an empty sandbox. */}
          <iframe className="maint-report-frame" title={shown.id} sandbox="" srcDoc={shown.html} />
        </Dialog>
      )}
    </section>
  );
}

export function MaintenancePage() {
  const { t } = useTranslation('maintenance');
  const loaded = useMaintenance((s) => s.loaded);
  const error = useMaintenance((s) => s.error);
  const lastRestore = useMaintenance((s) => s.lastRestore);
  useEffect(() => startMaintenanceUpdates(), []);
  return (
    <div className="page maintenance-page" data-testid="maintenance-page">
      {error && <div className="banner critical">{error}</div>}
      {lastRestore && (
        <div className="banner warning" data-testid="restored-banner">
          {t('restore.banner', { id: lastRestore.backupId, integrity: lastRestore.integrity })}
        </div>
      )}
      {!loaded ? <p className="muted">{t('loading')}</p> : <JobsPanel />}
      <HistoryPanel />
      <div className="maint-columns">
        <BackupsPanel />
        <ChecksPanel />
      </div>
      <ReportsPanel />
    </div>
  );
}

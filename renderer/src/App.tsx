import { type ReactNode, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatConfigIssue } from '../../shared/config/schema.js';
import { api } from './api/client.js';
import { AlertsBadge } from './components/AlertsBadge.js';
import { EmergencyStopButton, StopHistoryPage, StoppedBanner } from './components/stop/index.js';
import { Toasts } from './components/Toasts.js';
import { TelemetryView } from './components/telemetry/index.js';
import { LANGUAGES, type Language } from './i18n/index.js';
import { AlertsPage } from './pages/alerts/AlertsPage.js';
import { BotsPage } from './pages/bots/BotsPage.js';
import { ChecklistsPage } from './pages/checklists/ChecklistsPage.js';
import { IncidentsPage } from './pages/incidents/IncidentsPage.js';
import { LogsPage } from './pages/logs/LogsPage.js';
import { MaintenancePage } from './pages/maintenance/MaintenancePage.js';
import { OverviewPage } from './pages/Overview.js';
import { ProcessesPage } from './pages/processes/ProcessesPage.js';
import { SettingsPage } from './pages/settings/SettingsPage.js';
import { SystemPage } from './pages/system/SystemPage.js';
import { startLiveUpdates, useLive } from './stores/live.js';
import { chooseLanguage, startLocaleSync } from './stores/settings.js';

export const PAGES = [
  'overview',
  'system',
  'processes',
  'bots',
  'alerts',
  'telemetry',
  'maintenance',
  'checklists',
  'incidents',
  'logs',
  'settings',
  'stop-history',
] as const;
export type PageId = (typeof PAGES)[number];

const PAGE_VIEWS: Partial<Record<PageId, () => ReactNode>> = {
  overview: () => <OverviewPage />,
  alerts: () => <AlertsPage />,
  system: () => <SystemPage />,
  processes: () => <ProcessesPage />,
  bots: () => <BotsPage />,
  maintenance: () => <MaintenancePage />,
  logs: () => <LogsPage />,
  'stop-history': () => <StopHistoryPage />,
  checklists: () => <ChecklistsPage />,
  incidents: () => <IncidentsPage />,
  settings: () => <SettingsPage />,
  telemetry: () => <TelemetryView />,
};

function pageFromHash(): PageId {
  // `#/incidents/runbook/level1?subject=…`: the page is the first segment, the page reads the rest.
  const id = window.location.hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? '';
  return (PAGES as readonly string[]).includes(id) ? (id as PageId) : 'overview';
}

function useHashPage(): PageId {
  const [page, setPage] = useState(pageFromHash);
  useEffect(() => {
    const onChange = () => setPage(pageFromHash());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return page;
}

function StatusBanners() {
  const { t } = useTranslation();
  const status = useLive((s) => s.status);
  if (!status) return null;
  // Only notices (e.g. a file with no settings): informative, not a warning.
  const problems = status.configIssues.some((issue) => issue.severity !== 'notice');
  return (
    <>
      {status.configIssues.length > 0 && (
        <div
          className={`banner ${problems ? 'warning' : 'notice'}`}
          role={problems ? 'alert' : 'status'}
          data-testid={problems ? 'config-warning' : 'config-notice'}
        >
          <strong>{t(problems ? 'status.configIssues' : 'status.configNotices')}</strong>
          <ul>
            {status.configIssues.map((issue) => (
              <li key={formatConfigIssue(issue)}>
                <code>{formatConfigIssue(issue)}</code>
              </li>
            ))}
          </ul>
        </div>
      )}
      {status.storeError && (
        <div className="banner critical" role="alert">
          <strong>{t('status.storeError')}</strong> {status.storeError}
        </div>
      )}
    </>
  );
}

export function App() {
  const { t, i18n } = useTranslation();
  const page = useHashPage();
  const status = useLive((s) => s.status);
  const connected = useLive((s) => s.connected);
  const [unauthorized, setUnauthorized] = useState(false);

  useEffect(() => {
    startLiveUpdates();
    startLocaleSync();
    void api.call('app.status', {}).then((r) => {
      if (!r.ok && r.error.code === 'unauthorized') setUnauthorized(true);
    });
  }, []);

  useEffect(() => {
    const health = status ? t(`health.${status.health}`) : '';
    document.title = status ? `Nexus Ops · ${health}` : 'Nexus Ops';
  }, [status, t]);

  if (unauthorized) {
    return (
      <div className="auth">
        <h1>{t('auth.title')}</h1>
        <p>{t('auth.body')}</p>
      </div>
    );
  }

  const view = PAGE_VIEWS[page];
  return (
    <div className="shell">
      <nav className="nav">
        <div className="brand">
          <strong>{t('app.title')}</strong>
          <span>{t('app.subtitle')}</span>
        </div>
        {PAGES.map((id) => (
          <a key={id} href={`#/${id}`} className={id === page ? 'active' : ''} data-testid={`nav-${id}`}>
            {t(`nav.${id}`)}
            {id === 'alerts' && <AlertsBadge />}
          </a>
        ))}
        <div className="nav-foot">
          <label>
            {t('language.label')}
            <select
              value={i18n.language}
              onChange={(e) => void chooseLanguage(e.target.value as Language)}
              data-testid="language-select"
            >
              {LANGUAGES.map((l) => (
                <option key={l} value={l}>
                  {t(`language.${l}`)}
                </option>
              ))}
            </select>
          </label>
        </div>
      </nav>
      <main className="main">
        <header className="top">
          <h1>{t(`nav.${page}`)}</h1>
          <div className="top-right">
            <EmergencyStopButton />
            {status && (
              <span className={`pill ${status.health}`} data-testid="health">
                {t(`health.${status.health}`)}
              </span>
            )}
            <span className={`conn ${connected ? 'up' : 'down'}`}>
              {connected ? t('connection.up') : t('connection.down')}
            </span>
          </div>
        </header>
        <StoppedBanner />
        <StatusBanners />
        {view ? (
          view()
        ) : (
          <div className="panel">
            <p className="muted">{t('placeholder.body')}</p>
          </div>
        )}
        {status && (
          <footer className="foot muted">
            {t('status.sampler', {
              interval: status.sampler.intervalMs / 1000,
              lag: status.sampler.lagMs,
              skipped: status.sampler.skipped,
            })}
            {' · '}
            {status.mode} · v{status.version}
          </footer>
        )}
      </main>
      <Toasts />
    </div>
  );
}

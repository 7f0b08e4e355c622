import { useTranslation } from 'react-i18next';
import { LiveChart } from '../components/LiveChart.js';
import { formatBytes, formatTime } from '../i18n/index.js';
import { useLive } from '../stores/live.js';

function level(pct: number, warn: number, crit: number): 'ok' | 'warning' | 'critical' {
  return pct >= crit ? 'critical' : pct >= warn ? 'warning' : 'ok';
}

export function OverviewPage() {
  const { t } = useTranslation();
  const snapshot = useLive((s) => s.snapshot);

  if (!snapshot) return <p className="muted">{t('overview.waiting')}</p>;
  return (
    <div className="page">
      <div className="cards">
        <section className={`card ${level(snapshot.cpuPct, 80, 90)}`}>
          <h3>{t('overview.cpu')}</h3>
          <div className="figure" data-testid="cpu-value">
            {snapshot.cpuPct.toFixed(1)}
            <span className="unit">%</span>
          </div>
        </section>
        <section className={`card ${level(snapshot.memUsedPct, 85, 95)}`}>
          <h3>{t('overview.memory')}</h3>
          <div className="figure" data-testid="mem-value">
            {snapshot.memUsedPct.toFixed(1)}
            <span className="unit">%</span>
          </div>
          <div className="detail">
            {t('overview.memDetail', {
              used: formatBytes(snapshot.memUsedBytes),
              total: formatBytes(snapshot.memTotalBytes),
            })}
          </div>
        </section>
        {snapshot.disks.length === 0 && <section className="card">{t('overview.noDisk')}</section>}
        {snapshot.disks.map((d) => (
          <section key={d.mount} className={`card ${level(100 - d.freePct, 80, 95)}`}>
            <h3>{t('overview.disk', { mount: d.mount })}</h3>
            <div className="figure" data-testid="disk-value">
              {d.freePct.toFixed(1)}
              <span className="unit">%</span>
            </div>
            <div className="detail">
              {t('overview.diskDetail', { free: formatBytes(d.freeBytes), total: formatBytes(d.totalBytes) })}
            </div>
          </section>
        ))}
      </div>
      <section className="panel">
        <header className="panel-head">
          <h3>{t('overview.lastHour')}</h3>
          <span className="muted">{t('overview.updated', { time: formatTime(snapshot.ts) })}</span>
        </header>
        <LiveChart
          unit="%"
          domain={[0, 100]}
          series={[
            { key: 'cpu.total', label: t('overview.cpu'), color: 'var(--c1)' },
            { key: 'mem.used_pct', label: t('overview.memory'), color: 'var(--c2)' },
          ]}
        />
      </section>
    </div>
  );
}

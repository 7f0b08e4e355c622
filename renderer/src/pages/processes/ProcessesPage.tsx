import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { formatTime } from '../../i18n/index.js';
import { type SparkMetric, setSparkMetric, startMonitorUpdates, useMonitor } from '../../stores/monitor.js';
import { FamilyTable } from './FamilyTable.js';
import './processes.css';

const SPARK_METRICS: readonly SparkMetric[] = ['rss', 'cpu_pct'];

export function ProcessesPage() {
  const { t } = useTranslation('monitor');
  useEffect(() => startMonitorUpdates(), []);
  const families = useMonitor((s) => s.families);
  const loaded = useMonitor((s) => s.familiesLoaded);
  const error = useMonitor((s) => s.familiesError);
  const scanTs = useMonitor((s) => s.familiesTs);
  const total = useMonitor((s) => s.totalProcesses);
  const sparkMetric = useMonitor((s) => s.sparkMetric);

  return (
    <div className="page processes-page" data-testid="processes-page">
      <section className="panel">
        <header className="panel-head">
          <h3>{t('processes.title')}</h3>
          <div className="proc-head-right">
            {scanTs !== null && (
              <span className="muted small" data-testid="processes-summary">
                {t('processes.summary', { total, time: formatTime(scanTs) })}
              </span>
            )}
            <fieldset className="range-picker" aria-label={t('processes.spark.label')}>
              {SPARK_METRICS.map((m) => (
                <button
                  key={m}
                  type="button"
                  className={m === sparkMetric ? 'active' : ''}
                  aria-pressed={m === sparkMetric}
                  onClick={() => setSparkMetric(m)}
                  data-testid={`spark-${m}`}
                >
                  {t(`processes.spark.${m}`)}
                </button>
              ))}
            </fieldset>
          </div>
        </header>
        {error && !families && (
          <p className="form-error" role="alert">
            {t('processes.error', { message: error.message })}
          </p>
        )}
        {!error && !families && <p className="muted">{t('processes.waiting')}</p>}
        {loaded && families?.length === 0 && <p className="muted">{t('processes.none')}</p>}
        {families && families.length > 0 && <FamilyTable families={families} sparkMetric={sparkMetric} />}
      </section>
    </div>
  );
}

import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ProcessInstance } from '../../../../shared/api/monitor.js';
import { formatPct } from '../../components/charts/format.js';
import { formatBytes, formatDateTime } from '../../i18n/index.js';
import { fetchInstances, useMonitor } from '../../stores/monitor.js';
import { sortByRun } from './runs.js';

const CMDLINE_SHOWN = 90;

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * The processes of one family. The push carries only summaries, so the list is fetched when the row
 * opens and again after each scan the push announces (never on a timer).
 */
export function InstancesTable({ family }: { family: string }) {
  const { t } = useTranslation('monitor');
  const scanTs = useMonitor((s) => s.familiesTs);
  const [instances, setInstances] = useState<ProcessInstance[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  // biome-ignore lint/correctness/useExhaustiveDependencies: scanTs is the trigger, a new scan means new data
  useEffect(() => {
    let cancelled = false;
    void fetchInstances(family).then((r) => {
      if (cancelled) return;
      if (!r.ok) {
        setError(r.error.message);
        return;
      }
      setError(null);
      setInstances(r.value ? sortByRun(r.value.instances) : []);
    });
    return () => {
      cancelled = true;
    };
  }, [family, scanTs]);

  if (error && !instances) {
    return (
      <p className="form-error" role="alert">
        {t('processes.inst.error', { message: error })}
      </p>
    );
  }
  if (!instances) return <p className="muted">{t('processes.inst.loading')}</p>;
  if (instances.length === 0) {
    return (
      <p className="muted" data-testid="instances-empty">
        {t('processes.inst.none')}
      </p>
    );
  }
  return (
    <table className="instances" data-testid="instances-table" data-family={family}>
      <thead>
        <tr>
          <th className="num">{t('processes.inst.run')}</th>
          <th className="num">{t('processes.inst.pid')}</th>
          <th className="num">{t('processes.inst.ppid')}</th>
          <th>{t('processes.inst.name')}</th>
          <th>{t('processes.inst.cmdline')}</th>
          <th className="num">{t('processes.inst.cpu')}</th>
          <th className="num">{t('processes.inst.memory')}</th>
          <th>{t('processes.inst.start')}</th>
          <th>{t('processes.inst.state')}</th>
        </tr>
      </thead>
      <tbody>
        {instances.map((p) => (
          <tr
            key={p.pid}
            data-testid="instance-row"
            data-pid={p.pid}
            data-run={p.runPid}
            data-state={p.state}
            className={p.pid === p.runPid ? 'run-first' : 'run-member'}
          >
            <td className="num muted" title={t('processes.inst.runTitle')}>
              {p.pid === p.runPid ? p.runPid : '↳'}
            </td>
            <td className="num">{p.pid}</td>
            <td className="num">{p.ppid}</td>
            <td>{p.name}</td>
            <td className="cmdline">
              <code title={p.cmdline} data-testid="instance-cmdline">
                {truncate(p.cmdline, CMDLINE_SHOWN)}
              </code>
            </td>
            <td className="num">{formatPct(p.cpuPct)}</td>
            <td className="num">{formatBytes(p.rssBytes)}</td>
            <td className="nowrap">{formatDateTime(p.startTime)}</td>
            <td className="nowrap">
              <span className={`proc-state ${p.state}`}>{t(`processes.state.${p.state}`)}</span>
              {p.hung && <span className="badge critical">{t('processes.inst.hung')}</span>}
              {p.orphan && <span className="badge warning">{t('processes.inst.orphan')}</span>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

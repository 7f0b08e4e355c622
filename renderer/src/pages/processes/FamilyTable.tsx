import { Fragment, type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { FamilySummary } from '../../../../shared/api/monitor.js';
import { formatPct, formatValue } from '../../components/charts/format.js';
import { Sparkline } from '../../components/charts/Sparkline.js';
import { formatBytes } from '../../i18n/index.js';
import { type SparkMetric, sparkKey, useMonitor } from '../../stores/monitor.js';
import { InstancesTable } from './InstancesTable.js';

export type SortColumn = 'name' | 'runs' | 'count' | 'cpu' | 'memory' | 'status';
export interface SortState {
  column: SortColumn;
  descending: boolean;
}

/** Problems weigh more than numbers: a zombie or a hung process outranks a leak trend. */
export function problemScore(f: FamilySummary): number {
  return (f.hung + f.zombies) * 100 + f.orphans * 10 + (f.leak?.flagged ? 5 : 0);
}

const VALUE: Record<SortColumn, (f: FamilySummary) => number | string> = {
  name: (f) => f.name,
  runs: (f) => f.runs,
  count: (f) => f.count,
  cpu: (f) => f.cpuPct,
  memory: (f) => f.rssBytes,
  status: problemScore,
};

/** Sorted copy; ties keep the configured order (Array.prototype.sort is stable). */
export function sortFamilies(families: readonly FamilySummary[], sort: SortState | null): FamilySummary[] {
  if (!sort) return [...families];
  const get = VALUE[sort.column];
  const dir = sort.descending ? -1 : 1;
  return [...families].sort((a, b) => {
    const x = get(a);
    const y = get(b);
    const cmp = typeof x === 'string' && typeof y === 'string' ? x.localeCompare(y) : Number(x) - Number(y);
    return cmp * dir;
  });
}

function Badge(props: { level: 'critical' | 'warning'; kind: string; title: string; children: ReactNode }) {
  return (
    <span className={`badge ${props.level}`} title={props.title} data-testid={`badge-${props.kind}`}>
      {props.children}
    </span>
  );
}

function Badges({ family }: { family: FamilySummary }) {
  const { t } = useTranslation('monitor');
  const leak = family.leak;
  const badges = [
    family.zombies > 0 && (
      <Badge key="z" level="critical" kind="zombie" title={t('processes.badge.zombieTitle')}>
        {t('processes.badge.zombie', { count: family.zombies })}
      </Badge>
    ),
    family.hung > 0 && (
      <Badge key="h" level="critical" kind="hung" title={t('processes.badge.hungTitle')}>
        {t('processes.badge.hung', { count: family.hung })}
      </Badge>
    ),
    family.orphans > 0 && (
      <Badge key="o" level="warning" kind="orphan" title={t('processes.badge.orphanTitle')}>
        {t('processes.badge.orphan', { count: family.orphans })}
      </Badge>
    ),
    leak?.flagged && (
      <Badge
        key="l"
        level="warning"
        kind="leak"
        title={t('processes.badge.leakTitle', {
          rate: formatValue(leak.mbPerHour, 'mbPerHour'),
          hours: Math.round(leak.coveredHours * 10) / 10,
        })}
      >
        {t('processes.badge.leak', { rate: formatValue(leak.mbPerHour, 'mbPerHour') })}
      </Badge>
    ),
  ].filter(Boolean);
  if (badges.length === 0) return <span className="muted small">{t('processes.badge.ok')}</span>;
  return <>{badges}</>;
}

function SortHeader({
  column,
  sort,
  onSort,
  numeric,
}: {
  column: SortColumn;
  sort: SortState | null;
  onSort(column: SortColumn): void;
  numeric?: boolean;
}) {
  const { t } = useTranslation('monitor');
  const active = sort?.column === column;
  const label = t(`processes.col.${column}`);
  return (
    <th
      className={numeric ? 'num' : undefined}
      aria-sort={active ? (sort.descending ? 'descending' : 'ascending') : 'none'}
    >
      <button
        type="button"
        className={`sort${active ? ' active' : ''}`}
        onClick={() => onSort(column)}
        title={t('processes.sortBy', { column: label })}
        data-testid={`sort-${column}`}
      >
        {label}
        <span className="arrow" aria-hidden="true">
          {active ? (sort.descending ? '▼' : '▲') : '↕'}
        </span>
      </button>
    </th>
  );
}

function FamilySpark({ family, metric }: { family: FamilySummary; metric: SparkMetric }) {
  const { t } = useTranslation('monitor');
  const points = useMonitor((s) => s.sparks[sparkKey(family.name, metric)]) ?? [];
  const unit = metric === 'rss' ? 'bytes' : 'pct';
  let max = 0;
  for (const p of points) max = Math.max(max, p.max ?? p.value);
  const last = metric === 'rss' ? family.rssBytes : family.cpuPct;
  return (
    <Sparkline
      points={points}
      color={metric === 'rss' ? 'var(--c2)' : 'var(--c1)'}
      title={t('processes.spark.title', { max: formatValue(max, unit), last: formatValue(last, unit) })}
    />
  );
}

export function FamilyTable({
  families,
  sparkMetric,
}: {
  families: FamilySummary[];
  sparkMetric: SparkMetric;
}) {
  const { t } = useTranslation('monitor');
  const [sort, setSort] = useState<SortState | null>(null);
  const [expanded, setExpanded] = useState<Set<string>>(() => new Set());

  const onSort = (column: SortColumn) =>
    setSort((s) =>
      s?.column === column
        ? { column, descending: !s.descending }
        : { column, descending: column !== 'name' },
    );
  const toggle = (name: string) =>
    setExpanded((prev) => {
      const next = new Set(prev);
      if (next.has(name)) next.delete(name);
      else next.add(name);
      return next;
    });

  const rows = sortFamilies(families, sort);
  return (
    <table className="families" data-testid="families-table">
      <thead>
        <tr>
          <SortHeader column="name" sort={sort} onSort={onSort} />
          <SortHeader column="runs" sort={sort} onSort={onSort} numeric />
          <SortHeader column="count" sort={sort} onSort={onSort} numeric />
          <SortHeader column="cpu" sort={sort} onSort={onSort} numeric />
          <SortHeader column="memory" sort={sort} onSort={onSort} numeric />
          <th>{t('processes.col.trend')}</th>
          <SortHeader column="status" sort={sort} onSort={onSort} />
        </tr>
      </thead>
      <tbody>
        {rows.map((f) => {
          const open = expanded.has(f.name);
          return (
            <Fragment key={f.name}>
              <tr
                className={`family-row${open ? ' open' : ''}${f.count === 0 ? ' idle' : ''}`}
                data-testid="family-row"
                data-family={f.name}
              >
                <td className="name">
                  <button
                    type="button"
                    className="expand"
                    aria-expanded={open}
                    onClick={() => toggle(f.name)}
                    title={t(open ? 'processes.collapse' : 'processes.expand', { family: f.name })}
                    data-testid="family-expand"
                  >
                    <span className="chevron" aria-hidden="true">
                      {open ? '▾' : '▸'}
                    </span>
                    <strong data-testid="family-name">{f.name}</strong>
                  </button>
                  {f.stopOnEmergency && (
                    <span
                      className="tag emergency"
                      title={t('processes.emergencyTitle')}
                      data-testid="family-emergency"
                    >
                      {t('processes.emergency')}
                    </span>
                  )}
                </td>
                <td className="num" data-testid="family-runs" title={t('processes.runsTitle')}>
                  {f.runs}
                </td>
                <td className="num" data-testid="family-count">
                  {f.count}
                </td>
                <td className="num">{formatPct(f.cpuPct)}</td>
                <td className="num">{formatBytes(f.rssBytes)}</td>
                <td className="spark">
                  <FamilySpark family={f} metric={sparkMetric} />
                </td>
                <td className="badges">
                  <Badges family={f} />
                </td>
              </tr>
              {open && (
                <tr className="instances-row">
                  <td colSpan={7}>
                    <InstancesTable family={f.name} />
                  </td>
                </tr>
              )}
            </Fragment>
          );
        })}
      </tbody>
    </table>
  );
}

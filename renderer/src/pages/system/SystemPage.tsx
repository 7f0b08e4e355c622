import { type ReactNode, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SystemMetrics } from '../../../../shared/api/monitor.js';
import { seriesKey } from '../../../../shared/series.js';
import { chartUnitOf, formatPct, formatRate, formatValue } from '../../components/charts/format.js';
import {
  type ChartSeries,
  HistoryChart,
  type RangeId,
  RangePicker,
  SERIES_COLORS,
} from '../../components/charts/HistoryChart.js';
import { formatBytes, formatTime } from '../../i18n/index.js';
import { startMonitorUpdates, useMonitor } from '../../stores/monitor.js';
import './system.css';

type Level = 'ok' | 'warning' | 'critical';

function level(pct: number, warn: number, crit: number): Level {
  return pct >= crit ? 'critical' : pct >= warn ? 'warning' : 'ok';
}

function UsageBar({ pct, lvl, testId }: { pct: number; lvl: Level; testId?: string }) {
  const clamped = Math.max(0, Math.min(100, pct));
  return (
    <div className={`usage-bar ${lvl}`} data-testid={testId} data-pct={clamped.toFixed(1)}>
      <div className="usage-fill" style={{ width: `${clamped}%` }} />
    </div>
  );
}

function CpuCard({ metrics }: { metrics: SystemMetrics }) {
  const { t } = useTranslation('monitor');
  const { totalPct, cores } = metrics.cpu;
  return (
    <section className={`card sys-cpu ${level(totalPct, 80, 90)}`} data-testid="sys-cpu">
      <h3>{t('system.cpu.title')}</h3>
      <div className="figure" data-testid="sys-cpu-total">
        {totalPct.toFixed(1)}
        <span className="unit">%</span>
      </div>
      <div className="detail">{t('system.cpu.cores', { count: cores.length })}</div>
      <div className="core-bars" data-testid="sys-cpu-cores">
        {cores.map((pct, i) => (
          <div
            // cores never reorder: the index is their identity
            // biome-ignore lint/suspicious/noArrayIndexKey: see above
            key={i}
            className={`core-bar ${level(pct, 80, 90)}`}
            title={`${t('system.cpu.core', { n: i })}: ${formatPct(pct)}`}
            data-testid="sys-core"
          >
            <div className="core-fill" style={{ height: `${Math.max(0, Math.min(100, pct))}%` }} />
          </div>
        ))}
      </div>
    </section>
  );
}

function MemoryCard({ metrics }: { metrics: SystemMetrics }) {
  const { t } = useTranslation('monitor');
  const m = metrics.memory;
  return (
    <section className={`card ${level(m.usedPct, 85, 95)}`} data-testid="sys-memory">
      <h3>{t('system.memory.title')}</h3>
      <div className="figure" data-testid="sys-mem-pct">
        {m.usedPct.toFixed(1)}
        <span className="unit">%</span>
      </div>
      <UsageBar pct={m.usedPct} lvl={level(m.usedPct, 85, 95)} />
      <div className="detail">
        {t('system.memory.detail', { used: formatBytes(m.usedBytes), total: formatBytes(m.totalBytes) })}
      </div>
      <div className="detail">
        {t('system.memory.available', { available: formatBytes(m.availableBytes) })}
      </div>
      <div className="swap-line" data-testid="sys-swap">
        <span>{t('system.memory.swap')}</span>
        {m.swapTotalBytes > 0 ? (
          <>
            <UsageBar pct={m.swapUsedPct} lvl={level(m.swapUsedPct, 50, 80)} />
            <span className="muted">
              {formatPct(m.swapUsedPct)}{' '}
              {t('system.memory.swapDetail', {
                used: formatBytes(m.swapUsedBytes),
                total: formatBytes(m.swapTotalBytes),
              })}
            </span>
          </>
        ) : (
          <span className="muted">{t('system.memory.noSwap')}</span>
        )}
      </div>
    </section>
  );
}

function DiskSpacePanel({ metrics }: { metrics: SystemMetrics }) {
  const { t } = useTranslation('monitor');
  return (
    <section className="panel" data-testid="sys-disks">
      <header className="panel-head">
        <h3>{t('system.disk.title')}</h3>
        {metrics.disksTs !== null && (
          <span className="muted small">
            {t('system.disk.checked', { time: formatTime(metrics.disksTs) })}
          </span>
        )}
      </header>
      {metrics.disks.length === 0 ? (
        <p className="muted">{t('system.disk.none')}</p>
      ) : (
        <table className="sys-table">
          <thead>
            <tr>
              <th>{t('system.disk.mount')}</th>
              <th className="bar-col">{t('system.disk.usage')}</th>
              <th className="num">{t('system.disk.used')}</th>
              <th className="num">{t('system.disk.free')}</th>
              <th className="num">{t('system.disk.total')}</th>
            </tr>
          </thead>
          <tbody>
            {metrics.disks.map((d) => {
              const usedPct = 100 - d.freePct;
              return (
                <tr key={d.mount} data-testid="sys-disk-row" data-mount={d.mount}>
                  <td>
                    <code>{d.mount}</code>
                  </td>
                  <td className="bar-col">
                    <div className="bar-with-label">
                      <UsageBar pct={usedPct} lvl={level(usedPct, 80, 95)} />
                      <span>{formatPct(usedPct)}</span>
                    </div>
                  </td>
                  <td className="num">{formatBytes(d.usedBytes)}</td>
                  <td className="num">
                    {formatBytes(d.freeBytes)} <span className="muted">({formatPct(d.freePct)})</span>
                  </td>
                  <td className="num">{formatBytes(d.totalBytes)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

function DiskIoPanel({ metrics }: { metrics: SystemMetrics }) {
  const { t } = useTranslation('monitor');
  return (
    <section className="panel" data-testid="sys-io">
      <header className="panel-head">
        <h3>{t('system.io.title')}</h3>
      </header>
      {metrics.diskIo.length === 0 ? (
        <p className="muted">{t('system.io.none')}</p>
      ) : (
        <table className="sys-table">
          <thead>
            <tr>
              <th>{t('system.io.device')}</th>
              <th className="num">{t('system.io.read')}</th>
              <th className="num">{t('system.io.write')}</th>
              <th className="num">{t('system.io.readIops')}</th>
              <th className="num">{t('system.io.writeIops')}</th>
            </tr>
          </thead>
          <tbody>
            {metrics.diskIo.map((d) => (
              <tr key={d.device} data-testid="sys-io-row">
                <td>
                  <code>{d.device}</code>
                </td>
                <td className="num">{formatRate(d.readBps)}</td>
                <td className="num">{formatRate(d.writeBps)}</td>
                <td className="num">{formatValue(d.readIops, 'iops')}</td>
                <td className="num">{formatValue(d.writeIops, 'iops')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function NetPanel({ metrics }: { metrics: SystemMetrics }) {
  const { t } = useTranslation('monitor');
  return (
    <section className="panel" data-testid="sys-net">
      <header className="panel-head">
        <h3>{t('system.net.title')}</h3>
      </header>
      {metrics.net.length === 0 ? (
        <p className="muted">{t('system.net.none')}</p>
      ) : (
        <table className="sys-table">
          <thead>
            <tr>
              <th>{t('system.net.iface')}</th>
              <th className="num">{t('system.net.rx')}</th>
              <th className="num">{t('system.net.tx')}</th>
            </tr>
          </thead>
          <tbody>
            {metrics.net.map((n) => (
              <tr key={n.iface} data-testid="sys-net-row">
                <td>
                  <code>{n.iface}</code>
                </td>
                <td className="num">{formatRate(n.rxBps)}</td>
                <td className="num">{formatRate(n.txBps)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Chart series follow the devices the sampler reports; the list only changes when a device does. */
function useChartSeries(metrics: SystemMetrics | null) {
  const { t, i18n } = useTranslation('monitor');
  const mounts = metrics?.disks.map((d) => d.mount).join('\n') ?? '';
  const devices = metrics?.diskIo.map((d) => d.device).join('\n') ?? '';
  const ifaces = metrics?.net.map((n) => n.iface).join('\n') ?? '';
  const hasSwap = (metrics?.memory.swapTotalBytes ?? 0) > 0;
  // biome-ignore lint/correctness/useExhaustiveDependencies: the language changes the labels
  return useMemo(() => {
    const list = (text: string) => (text === '' ? [] : text.split('\n'));
    const color = (i: number) => SERIES_COLORS[i % SERIES_COLORS.length] ?? 'var(--c1)';
    const cpu: ChartSeries[] = [{ key: 'cpu.total', label: t('system.series.cpu'), color: color(0) }];
    const memory: ChartSeries[] = [
      { key: 'mem.used_pct', label: t('system.series.memory'), color: color(1) },
    ];
    if (hasSwap) memory.push({ key: 'swap.used_pct', label: t('system.series.swap'), color: color(2) });
    const diskSpace = list(mounts).map((mount, i) => ({
      key: seriesKey('disk.free_pct', { mount }),
      label: t('system.series.diskFree', { mount }),
      color: color(i),
    }));
    const diskIo = list(devices).flatMap((device, i) => [
      {
        key: seriesKey('disk.read_bps', { device }),
        label: t('system.series.read', { device }),
        color: color(2 * i),
      },
      {
        key: seriesKey('disk.write_bps', { device }),
        label: t('system.series.write', { device }),
        color: color(2 * i + 1),
      },
    ]);
    const net = list(ifaces).flatMap((iface, i) => [
      {
        key: seriesKey('net.rx_bps', { iface }),
        label: t('system.series.rx', { iface }),
        color: color(2 * i),
      },
      {
        key: seriesKey('net.tx_bps', { iface }),
        label: t('system.series.tx', { iface }),
        color: color(2 * i + 1),
      },
    ]);
    return { cpu, memory, diskSpace, diskIo, net };
  }, [mounts, devices, ifaces, hasSwap, t, i18n.language]);
}

function ChartPanel({ title, testId, children }: { title: string; testId: string; children: ReactNode }) {
  return (
    <section className="panel sys-chart" data-testid={testId}>
      <header className="panel-head">
        <h3>{title}</h3>
      </header>
      {children}
    </section>
  );
}

function Charts({ metrics }: { metrics: SystemMetrics | null }) {
  const { t } = useTranslation('monitor');
  const [range, setRange] = useState<RangeId>('1h');
  const series = useChartSeries(metrics);
  return (
    <>
      <div className="sys-charts-head">
        <h2>{t('system.charts.title')}</h2>
        <RangePicker value={range} onChange={setRange} />
      </div>
      <div className="sys-charts">
        <ChartPanel title={t('system.charts.cpu')} testId="chart-cpu">
          <HistoryChart series={series.cpu} unit={chartUnitOf('cpu.total')} range={range} domain={[0, 100]} />
        </ChartPanel>
        <ChartPanel title={t('system.charts.memory')} testId="chart-memory">
          <HistoryChart
            series={series.memory}
            unit={chartUnitOf('mem.used_pct')}
            range={range}
            domain={[0, 100]}
          />
        </ChartPanel>
        {series.diskSpace.length > 0 && (
          <ChartPanel title={t('system.charts.diskSpace')} testId="chart-disk-space">
            <HistoryChart
              series={series.diskSpace}
              unit={chartUnitOf('disk.free_pct')}
              range={range}
              domain={[0, 100]}
            />
          </ChartPanel>
        )}
        {series.diskIo.length > 0 && (
          <ChartPanel title={t('system.charts.diskIo')} testId="chart-disk-io">
            <HistoryChart series={series.diskIo} unit={chartUnitOf('disk.read_bps')} range={range} />
          </ChartPanel>
        )}
        {series.net.length > 0 && (
          <ChartPanel title={t('system.charts.net')} testId="chart-net">
            <HistoryChart series={series.net} unit={chartUnitOf('net.rx_bps')} range={range} />
          </ChartPanel>
        )}
      </div>
    </>
  );
}

export function SystemPage() {
  const { t } = useTranslation('monitor');
  useEffect(() => startMonitorUpdates(), []);
  const metrics = useMonitor((s) => s.metrics);
  const error = useMonitor((s) => s.metricsError);

  return (
    <div className="page system-page" data-testid="system-page">
      {!metrics && (
        <p className={error ? 'form-error' : 'muted'} role={error ? 'alert' : undefined}>
          {error ? t('system.error', { message: error.message }) : t('system.waiting')}
        </p>
      )}
      {metrics && (
        <>
          <div className="sys-status muted small" data-testid="sys-sampler">
            <span>{t('system.updated', { time: formatTime(metrics.ts) })}</span>
            <span>
              {t('system.sampler', {
                interval: metrics.sampler.intervalMs / 1000,
                lag: Math.round(metrics.sampler.lagMs),
                cycle: Math.round(metrics.sampler.lastCycleMs),
                skipped: metrics.sampler.skipped,
              })}
            </span>
          </div>
          <div className="sys-cards">
            <CpuCard metrics={metrics} />
            <MemoryCard metrics={metrics} />
          </div>
          <DiskSpacePanel metrics={metrics} />
          <div className="sys-columns">
            <DiskIoPanel metrics={metrics} />
            <NetPanel metrics={metrics} />
          </div>
        </>
      )}
      <Charts metrics={metrics} />
    </div>
  );
}

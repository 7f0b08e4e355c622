import { describe, expect, it } from 'vitest';
import { createExposition, type ExpositionSources } from '../../electron/core/export/exposition.js';
import { alertName, customExportedName, exportedName } from '../../electron/core/export/index.js';
import { createLatestTable } from '../../electron/core/export/latest.js';
import type { Alert } from '../../shared/api/alerts.js';
import type { StopStatus } from '../../shared/api/stop.js';
import type { AppStatus } from '../../shared/api/system.js';
import { allMetrics, type MetricDef } from '../../shared/metrics/catalog.js';
import { seriesKey } from '../../shared/series.js';
import { missing, promtool } from '../helpers/export-stack.js';

const def = (over: Partial<MetricDef>): MetricDef => ({
  name: 'x.y',
  unit: 'count',
  kind: 'gauge',
  labels: [],
  help: { ja: 'x', en: 'X' },
  ...over,
});

describe('Prometheus names of catalog metrics', () => {
  it('puts the unit in base units in the name and scales the value with it', () => {
    expect(exportedName(def({ name: 'mem.used_pct', unit: 'percent' }))).toMatchObject({
      name: 'nexus_mem_used_ratio',
      scale: 0.01,
      type: 'gauge',
    });
    expect(exportedName(def({ name: 'app.sampler_lag_ms', unit: 'milliseconds' }))).toMatchObject({
      name: 'nexus_app_sampler_lag_seconds',
      scale: 0.001,
    });
    expect(
      exportedName(def({ name: 'disk.read_bps', unit: 'bytes_per_second', kind: 'rate' })),
    ).toMatchObject({
      name: 'nexus_disk_read_bytes_per_second',
      type: 'gauge',
    });
    const leak = exportedName(def({ name: 'proc.leak_mb_per_h', unit: 'megabytes_per_hour' }));
    expect(leak.name).toBe('nexus_proc_leak_bytes_per_second');
    // 10 MiB per hour in bytes per second
    expect(10 * leak.scale).toBeCloseTo((10 * 1024 * 1024) / 3600, 6);
    expect(exportedName(def({ name: 'proc.rss', unit: 'bytes' })).name).toBe('nexus_proc_rss_bytes');
  });

  it('gives counters _total and keeps reserved suffixes off gauges', () => {
    expect(exportedName(def({ name: 'bot.tweets', kind: 'counter' })).name).toBe('nexus_bot_tweets_total');
    expect(exportedName(def({ name: 'bot.cost_usd', unit: 'usd', kind: 'counter' })).name).toBe(
      'nexus_bot_cost_usd_total',
    );
    expect(exportedName(def({ name: 'bot.retry_count' })).name).toBe('nexus_bot_retry_count_value');
    expect(exportedName(def({ name: 'bot.calls_total' })).name).toBe('nexus_bot_calls_total_value');
    expect(exportedName(def({ name: 'bot.qps', exportName: 'nexus_bot_queries_per_second' })).name).toBe(
      'nexus_bot_queries_per_second',
    );
  });

  it('names every catalog metric uniquely and validly', () => {
    const names = allMetrics().map((d) => exportedName(d).name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^nexus_[a-z0-9_]+$/);
    expect(customExportedName('custom.orders-per min')?.name).toBe('nexus_custom_orders_per_min');
    expect(customExportedName('cpu.total')).toBeUndefined();
  });

  it('turns rule ids into alert names', () => {
    expect(alertName('cpu-critical')).toBe('NexusCpuCritical');
    expect(alertName('stop.api_limit')).toBe('NexusStopApiLimit');
  });
});

function sources(over: Partial<ExpositionSources> = {}): ExpositionSources {
  const stop: StopStatus = {
    stopped: false,
    since: null,
    running: false,
    latest: null,
    killSwitch: { file: 'EMERGENCY_STOP', present: [] },
    cooldownUntil: null,
    unrecorded: 0,
  };
  const app = {
    version: '9.9.9',
    mode: 'headless',
    dataDir: '/data',
    configFile: '/data/config.yaml',
    configIssues: [],
    storeError: null,
    writes: {
      file: '/data/x.db',
      error: null,
      since: null,
      waitingWrites: 0,
      waitingRows: 0,
      recoveredRows: 0,
      droppedRows: 3,
    },
    health: 'warning',
    sampler: { intervalMs: 1000, lagMs: 5, skipped: 0 },
    locale: 'ja',
  } satisfies AppStatus;
  return {
    latest: createLatestTable(1000),
    live: {},
    alerts: () => [],
    stop: () => stop,
    jobs: () => [],
    app: () => app,
    forwarder: () => ({ enabled: false, forwarded: 0, ending: 0, sent: 0, failed: 0, lastSuccessAt: null }),
    processFigures: () => ({ cpuSeconds: 1.5, residentBytes: 1e8, startTimeSeconds: 1.7e9 }),
    ...over,
  };
}

/** Value lines: `name{labels} value`, keyed by `name{labels}`. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

describe('the exposition', () => {
  it('exports every catalog metric from the latest samples, in base units, and passes promtool', async () => {
    const latest = createLatestTable(1000);
    const ts = Date.UTC(2026, 0, 5);
    latest.update(
      allMetrics().map((d, i) => {
        const labels = Object.fromEntries(d.labels.map((l) => [l, `${l}-a`]));
        // A label outside the catalog (a PID) must never come through.
        const withPid = { ...labels, pid: '4242' };
        return { name: d.name, labels: withPid, key: seriesKey(d.name, withPid), ts, value: 10 + i };
      }),
      ts,
    );
    const text = await createExposition(sources({ latest })).render();
    const values = parse(text);
    allMetrics().forEach((d, i) => {
      const e = exportedName(d);
      const labels = d.labels.map((l) => `${l}="${l}-a"`).join(',');
      const key = labels ? `${e.name}{${labels}}` : e.name;
      const expected = (10 + i) * e.scale;
      // Within the 12 significant digits the exposition keeps.
      expect(Math.abs((values.get(key) ?? Number.NaN) - expected) / expected, key).toBeLessThan(1e-11);
    });
    expect(text).not.toContain('pid=');
    expect(text).not.toContain('4242');
    expect(values.get('nexus_last_sample_timestamp_seconds')).toBe(ts / 1000);
    expect(values.get('nexus_health{state="warning"}')).toBe(1);
    expect(values.get('nexus_health{state="ok"}')).toBe(0);
    expect(values.get('nexus_store_dropped_rows_total')).toBe(3);
    expect(values.get('nexus_build_info{version="9.9.9",mode="headless"}')).toBe(1);
    const reason = missing('promtool');
    if (reason) {
      console.warn(`promtool check metrics ${reason}`);
      return;
    }
    const lint = promtool(['check', 'metrics'], text);
    expect(lint.output).toBe('');
    expect(lint.code).toBe(0);
  });

  it('shows nothing for a metric before its first sample, not a made-up 0', async () => {
    const text = await createExposition(sources()).render();
    expect(text).toContain('# TYPE nexus_cpu_total_ratio gauge');
    expect(parse(text).has('nexus_cpu_total_ratio')).toBe(false);
  });

  it('reads the live figures of the app at scrape time', async () => {
    let queue = 7;
    const exposition = createExposition(sources({ live: { 'app.write_queue': () => queue } }));
    expect(parse(await exposition.render()).get('nexus_app_write_queue')).toBe(7);
    queue = 0;
    expect(parse(await exposition.render()).get('nexus_app_write_queue')).toBe(0);
  });

  it('exports open alerts ALERTS-style with bounded labels only', async () => {
    const alert = {
      id: 'a1',
      ruleId: 'memory-leak',
      ruleName: 'メモリリーク検出',
      seriesKey: 'proc.leak_mb_per_h{family=bot-runner}',
      metric: 'proc.leak_mb_per_h',
      labels: { family: 'bot-runner', cmdline: 'python -m reply_bot.multi_main --token=abc' },
      state: 'firing',
      severity: 'warning',
      value: 12,
      threshold: 10,
      op: '>',
      message: 'free text the exposition must not carry',
      suppressed: false,
      suppressedBy: null,
      startedAt: 1,
      firedAt: 2,
      ackedAt: null,
      ackBy: null,
      ackNote: null,
      resolvedAt: null,
      lastNotifiedAt: null,
      escalationLevel: 0,
      action: null,
      actionState: null,
    } satisfies Alert;
    const text = await createExposition(sources({ alerts: () => [alert] })).render();
    expect(
      parse(text).get(
        'nexus_alerts{family="bot-runner",alertname="NexusMemoryLeak",alertstate="firing",severity="warning",rule_id="memory-leak",suppressed="false"}',
      ),
    ).toBe(1);
    expect(text).not.toContain('cmdline');
    expect(text).not.toContain('free text');
  });

  it('exports operator metrics unlabelled, and a full table drops new series and counts them', async () => {
    const latest = createLatestTable(2);
    const ts = 1_000;
    const sample = (name: string, labels: Record<string, string>, value: number) => ({
      name,
      labels,
      key: seriesKey(name, labels),
      ts,
      value,
    });
    latest.update(
      [sample('custom.orders', {}, 5), sample('cpu.total', {}, 50), sample('cpu.core', { core: '0' }, 1)],
      ts,
    );
    const values = parse(await createExposition(sources({ latest })).render());
    expect(values.get('nexus_custom_orders')).toBe(5);
    expect(values.get('nexus_cpu_total_ratio')).toBe(0.5);
    expect(values.has('nexus_cpu_core_ratio{core="0"}')).toBe(false);
    expect(values.get('nexus_export_dropped_series_total')).toBe(1);
  });

  it('forgets series that stopped coming', () => {
    const latest = createLatestTable(100);
    latest.update(
      [{ name: 'proc.count', labels: { family: 'old' }, key: 'proc.count{family=old}', ts: 1, value: 1 }],
      1_000,
    );
    latest.update(
      [{ name: 'proc.count', labels: { family: 'new' }, key: 'proc.count{family=new}', ts: 2, value: 1 }],
      9_000,
    );
    latest.prune(5_000);
    expect(latest.of('proc.count').map((v) => v.labels.family)).toEqual(['new']);
    expect(latest.size()).toBe(1);
  });
});

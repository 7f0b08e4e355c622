import {
  CUSTOM_PREFIX,
  type MetricDef,
  type MetricKind,
  type MetricUnit,
} from '../../../shared/metrics/catalog.js';

/**
 * Catalog names → Prometheus names, derived from the catalog entry alone so a new entry is exported
 * without a change here: `nexus_` prefix, dots to underscores, the unit in base units as the suffix
 * (seconds, bytes, ratio), `_total` for counters. The unit's short forms already in a name are
 * replaced (`mem.used_pct` → `nexus_mem_used_ratio`, `disk.read_bps` →
 * `nexus_disk_read_bytes_per_second`, `app.sampler_lag_ms` → `nexus_app_sampler_lag_seconds`), and the
 * value is scaled with it (percent ÷ 100, ms ÷ 1000, MiB/h → bytes/s). A catalog entry may name its
 * export outright (`exportName`) where the rule would mislead.
 */

export const PREFIX = 'nexus_';

interface UnitRule {
  /** Base-unit suffix ('' for plain counts). */
  suffix: string;
  /** Multiply the catalog value by this to get the base unit. */
  scale: number;
  /** Short forms of the unit at the end of a catalog name, dropped before the suffix is added. */
  shortForms: readonly string[];
  /** How the help text names the exported unit. */
  describe: string;
}

const MIB = 1024 * 1024;

const UNITS: Record<MetricUnit, UnitRule> = {
  percent: { suffix: 'ratio', scale: 0.01, shortForms: ['pct', 'percent'], describe: 'ratio 0-1' },
  ratio: { suffix: 'ratio', scale: 1, shortForms: ['ratio'], describe: 'ratio 0-1' },
  bytes: { suffix: 'bytes', scale: 1, shortForms: ['bytes'], describe: 'bytes' },
  bytes_per_second: {
    suffix: 'bytes_per_second',
    scale: 1,
    shortForms: ['bps'],
    describe: 'bytes per second',
  },
  ops_per_second: {
    suffix: 'ops_per_second',
    scale: 1,
    shortForms: ['iops', 'ops'],
    describe: 'operations per second',
  },
  megabytes_per_hour: {
    suffix: 'bytes_per_second',
    scale: MIB / 3600,
    shortForms: ['mb_per_h', 'mb_per_hour'],
    describe: 'bytes per second',
  },
  milliseconds: { suffix: 'seconds', scale: 0.001, shortForms: ['ms'], describe: 'seconds' },
  seconds: { suffix: 'seconds', scale: 1, shortForms: ['s', 'sec', 'seconds'], describe: 'seconds' },
  usd: { suffix: 'usd', scale: 1, shortForms: ['usd'], describe: 'US dollars' },
  count: { suffix: '', scale: 1, shortForms: [], describe: 'count' },
};

/** Suffixes Prometheus reserves for histograms and summaries (and `_total` for counters). */
const RESERVED_SUFFIXES = ['_count', '_sum', '_bucket', '_total', '_info'];

export interface ExportedName {
  /** The Prometheus metric name. */
  name: string;
  type: 'gauge' | 'counter';
  /** Catalog value × scale = exported value. */
  scale: number;
  help: string;
}

/** Letters, digits and `_` only; never starting with a digit. */
export function sanitizeName(text: string): string {
  const clean = text
    .replace(/[^a-zA-Z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '');
  return /^[0-9]/.test(clean) ? `_${clean}` : clean;
}

function prometheusType(kind: MetricKind): 'gauge' | 'counter' {
  return kind === 'counter' ? 'counter' : 'gauge';
}

/** The Prometheus name, type, scale and help of a catalog metric. */
export function exportedName(def: MetricDef): ExportedName {
  const unit = UNITS[def.unit];
  const type = prometheusType(def.kind);
  const help = `${def.help.en} (Nexus Ops ${def.name}, ${def.unit}; exported in ${unit.describe})`;
  if (def.exportName) return { name: def.exportName, type, scale: unit.scale, help };

  let base = sanitizeName(def.name.replace(/\./g, '_').toLowerCase());
  for (const short of unit.shortForms) {
    if (base.endsWith(`_${short}`)) {
      base = base.slice(0, -(short.length + 1));
      break;
    }
  }
  let name = `${PREFIX}${base}`;
  if (unit.suffix && !name.endsWith(`_${unit.suffix}`)) name += `_${unit.suffix}`;
  if (type === 'counter') {
    if (!name.endsWith('_total')) name += '_total';
  } else if (RESERVED_SUFFIXES.some((s) => name.endsWith(s))) {
    // A gauge called `x_count` would read as part of a histogram (promtool refuses it).
    name += '_value';
  }
  return { name, type, scale: unit.scale, help };
}

/** An operator's `custom.*` metric (an extraction rule): a unit-less gauge without labels. */
export function customExportedName(metric: string): ExportedName | undefined {
  if (!metric.startsWith(CUSTOM_PREFIX)) return undefined;
  const rest = sanitizeName(metric.slice(CUSTOM_PREFIX.length).toLowerCase());
  if (!rest) return undefined;
  let name = `${PREFIX}custom_${rest}`;
  if (RESERVED_SUFFIXES.some((s) => name.endsWith(s))) name += '_value';
  return { name, type: 'gauge', scale: 1, help: `Operator metric ${metric} (extraction rule)` };
}

/** The Prometheus alert name of a Nexus Ops rule id: `cpu-critical` → `NexusCpuCritical`. */
export function alertName(ruleId: string): string {
  const words = ruleId.split(/[^a-zA-Z0-9]+/).filter(Boolean);
  return `Nexus${words.map((w) => w[0]?.toUpperCase() + w.slice(1)).join('')}`;
}

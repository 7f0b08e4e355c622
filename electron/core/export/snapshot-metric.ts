import { Counter, Gauge, type Registry } from 'prom-client';

/** One series of a metric as read at scrape time. */
export interface Point {
  labels: Readonly<Record<string, string>>;
  value: number;
}

export type ReadPoints = () => readonly Point[];

interface SnapshotConfig {
  name: string;
  help: string;
  labelNames: readonly string[];
  registry: Registry;
  read: ReadPoints;
}

/**
 * prom-client gauges and counters whose values are read from a snapshot when Prometheus scrapes, not
 * pushed as they happen: Nexus Ops already keeps the state (the latest samples, the alerts, the job
 * runner), so the exposition is a view of it. A metric with no point has no series (an unlabelled
 * prom-client metric would otherwise show 0 before the first sample, which would be a lie). prom-client
 * still validates names and label names and formats the text.
 */
export class SnapshotGauge extends Gauge<string> {
  private readonly read: ReadPoints;

  constructor(config: SnapshotConfig) {
    super({
      name: config.name,
      help: config.help,
      labelNames: [...config.labelNames],
      registers: [config.registry],
    });
    this.read = config.read;
  }

  override async get() {
    const points = this.read();
    this.reset();
    for (const p of points) if (Number.isFinite(p.value)) this.set(p.labels, p.value);
    const metric = await super.get();
    if (points.length === 0) metric.values = [];
    return metric;
  }
}

export class SnapshotCounter extends Counter<string> {
  private readonly read: ReadPoints;

  constructor(config: SnapshotConfig) {
    super({
      name: config.name,
      help: config.help,
      labelNames: [...config.labelNames],
      registers: [config.registry],
    });
    this.read = config.read;
  }

  override async get() {
    const points = this.read();
    this.reset();
    // A counter never goes down; a negative or broken value is left out rather than failing the scrape.
    for (const p of points) if (Number.isFinite(p.value) && p.value >= 0) this.inc(p.labels, p.value);
    const metric = await super.get();
    if (points.length === 0) metric.values = [];
    return metric;
  }
}

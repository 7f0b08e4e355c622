/**
 * Disk and network I/O on Windows from ONE long-lived `typeperf` child sampling every second, instead
 * of a process per cycle. typeperf prints CSV: an empty line, a header naming each counter path
 * ("\\HOST\PhysicalDisk(0 C:)\Disk Read Bytes/sec"), then one line of rates per interval.
 *
 * The Platform port reports cumulative counters (like Linux /proc/diskstats) so the monitor derives
 * rates the same way on both platforms: each typeperf line adds rate × interval to running totals.
 *
 * Columns are mapped to counters by ORDER, not by name: typeperf expands each requested path in turn,
 * so the k-th run of consecutive columns sharing a counter belongs to the k-th requested counter. That
 * keeps the parser working when Windows prints localised counter names.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { Clock } from '../../clock/index.js';
import type { IoCounters } from '../types.js';
import { parseCsvLine } from './csv.js';

export type IoField = 'readBytes' | 'writeBytes' | 'reads' | 'writes' | 'rxBytes' | 'txBytes';

export interface TypeperfCounter {
  path: string;
  kind: 'disk' | 'net';
  field: IoField;
}

export const TYPEPERF_COUNTERS: readonly TypeperfCounter[] = [
  { path: '\\PhysicalDisk(*)\\Disk Read Bytes/sec', kind: 'disk', field: 'readBytes' },
  { path: '\\PhysicalDisk(*)\\Disk Write Bytes/sec', kind: 'disk', field: 'writeBytes' },
  { path: '\\PhysicalDisk(*)\\Disk Reads/sec', kind: 'disk', field: 'reads' },
  { path: '\\PhysicalDisk(*)\\Disk Writes/sec', kind: 'disk', field: 'writes' },
  { path: '\\Network Interface(*)\\Bytes Received/sec', kind: 'net', field: 'rxBytes' },
  { path: '\\Network Interface(*)\\Bytes Sent/sec', kind: 'net', field: 'txBytes' },
];

export const TYPEPERF_INTERVAL_SECONDS = 1;

export function typeperfArgs(counters: readonly TypeperfCounter[] = TYPEPERF_COUNTERS): string[] {
  return [...counters.map((counter) => counter.path), '-si', String(TYPEPERF_INTERVAL_SECONDS)];
}

export interface TypeperfColumn {
  kind: 'disk' | 'net';
  field: IoField;
  /** Disk instance ("0 C:") or interface name. */
  instance: string;
}

/** Splits "\\HOST\Object(instance)\Counter" (the host part is optional). */
export function splitCounterPath(path: string): { object: string; instance: string; counter: string } | null {
  const withoutHost = path.startsWith('\\\\') ? path.slice(path.indexOf('\\', 2)) : path;
  const open = withoutHost.indexOf('(');
  const close = withoutHost.lastIndexOf(')\\');
  if (!withoutHost.startsWith('\\') || open < 0 || close < open) return null;
  return {
    object: withoutHost.slice(1, open),
    instance: withoutHost.slice(open + 1, close),
    counter: withoutHost.slice(close + 2),
  };
}

/**
 * Maps each CSV column to a counter and instance; null for the timestamp column, _Total and anything
 * unrecognised. Returns null when the line is not a typeperf header.
 */
export function parseTypeperfHeader(
  line: string,
  counters: readonly TypeperfCounter[] = TYPEPERF_COUNTERS,
): (TypeperfColumn | null)[] | null {
  const fields = parseCsvLine(line.trim());
  if (!fields[0]?.startsWith('(PDH-CSV')) return null;
  const columns: (TypeperfColumn | null)[] = [null];
  let group = -1;
  let previousKey = '';
  for (const field of fields.slice(1)) {
    const parts = splitCounterPath(field);
    if (!parts) {
      columns.push(null);
      continue;
    }
    const key = `${parts.object}\\${parts.counter}`;
    if (key !== previousKey) {
      group++;
      previousKey = key;
    }
    const counter = counters[group];
    columns.push(
      counter && parts.instance !== '_Total'
        ? { kind: counter.kind, field: counter.field, instance: parts.instance }
        : null,
    );
  }
  return columns;
}

export interface TypeperfSample {
  column: TypeperfColumn;
  /** Per second. */
  rate: number;
}

/** One data line → the rate of every mapped column. Blank or unparsable values are left out. */
export function parseTypeperfLine(
  line: string,
  columns: readonly (TypeperfColumn | null)[],
): TypeperfSample[] {
  const fields = parseCsvLine(line.trim());
  const samples: TypeperfSample[] = [];
  for (let index = 1; index < fields.length; index++) {
    const column = columns[index];
    const text = fields[index]?.trim();
    if (!column || !text) continue;
    // Some locales print a decimal comma; the field is quoted, so it cannot be a separator.
    const rate = Number(text.replace(',', '.'));
    if (Number.isFinite(rate) && rate >= 0) samples.push({ column, rate });
  }
  return samples;
}

type DiskTotals = { readBytes: number; writeBytes: number; reads: number; writes: number };
type NetTotals = { rxBytes: number; txBytes: number };

/** Running totals built from typeperf rates. Pure: feed it lines, read counters. */
export class IoIntegrator {
  private columns: (TypeperfColumn | null)[] | null = null;
  private readonly disks = new Map<string, DiskTotals>();
  private readonly nets = new Map<string, NetTotals>();

  constructor(private readonly counters: readonly TypeperfCounter[] = TYPEPERF_COUNTERS) {}

  /** Feeds one output line; returns true when it carried data. */
  accept(line: string): boolean {
    const trimmed = line.trim();
    if (!trimmed.startsWith('"')) return false; // blank line, "Exiting, please wait...", errors
    const header = parseTypeperfHeader(trimmed, this.counters);
    if (header) {
      this.columns = header;
      return false;
    }
    if (!this.columns) return false;
    for (const { column, rate } of parseTypeperfLine(trimmed, this.columns)) {
      const amount = rate * TYPEPERF_INTERVAL_SECONDS;
      if (column.kind === 'disk') {
        const totals = this.disks.get(column.instance) ?? {
          readBytes: 0,
          writeBytes: 0,
          reads: 0,
          writes: 0,
        };
        totals[column.field as keyof DiskTotals] += amount;
        this.disks.set(column.instance, totals);
      } else {
        const totals = this.nets.get(column.instance) ?? { rxBytes: 0, txBytes: 0 };
        totals[column.field as keyof NetTotals] += amount;
        this.nets.set(column.instance, totals);
      }
    }
    return true;
  }

  snapshot(at: number): IoCounters {
    return {
      disks: [...this.disks].map(([device, t]) => ({
        device,
        readBytes: Math.round(t.readBytes),
        writeBytes: Math.round(t.writeBytes),
        reads: Math.round(t.reads),
        writes: Math.round(t.writes),
      })),
      nets: [...this.nets].map(([iface, t]) => ({
        iface,
        rxBytes: Math.round(t.rxBytes),
        txBytes: Math.round(t.txBytes),
      })),
      at,
    };
  }
}

/** After typeperf exits on its own, wait this long before starting it again. */
const RESTART_BACKOFF_MS = 60_000;

/**
 * Owns the typeperf child: started on the first io() call (never at construction), restarted with a
 * back-off if it dies, killed by close(). Wildcards are expanded when typeperf starts, so a disk or
 * adapter added later appears after the next restart.
 */
export class TypeperfIoSource {
  private child: ChildProcess | null = null;
  private integrator = new IoIntegrator();
  private lastExitAt = Number.NEGATIVE_INFINITY;
  private closed = false;
  /** Last status or error line typeperf printed (e.g. "Error: No valid counters."), for diagnostics. */
  lastMessage = '';

  constructor(
    private readonly typeperfPath: string,
    private readonly clock: Clock,
    /** typeperf writes in the OEM code page; instance names (adapters) may be non-ASCII. */
    private readonly decode: (bytes: Buffer) => string = (bytes) => bytes.toString('utf8'),
  ) {}

  async read(): Promise<IoCounters> {
    this.ensureRunning();
    const counters = this.integrator.snapshot(this.clock.now());
    if (!this.child && this.lastMessage) counters.problem = `typeperf stopped: ${this.lastMessage}`;
    return counters;
  }

  private ensureRunning(): void {
    if (this.child || this.closed) return;
    if (this.clock.now() - this.lastExitAt < RESTART_BACKOFF_MS) return;
    const child = spawn(this.typeperfPath, typeperfArgs(), {
      windowsHide: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    // Split on the newline byte before decoding: no multi-byte OEM character contains 0x0A.
    let pending: Buffer = Buffer.alloc(0);
    child.stdout!.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let newline = pending.indexOf(0x0a);
      while (newline >= 0) {
        const line = this.decode(pending.subarray(0, newline));
        pending = pending.subarray(newline + 1);
        const text = line.trim();
        // Keep status and error lines ("Error: No valid counters."), not the CSV header.
        if (!this.integrator.accept(line) && text && !text.startsWith('"')) this.lastMessage = text;
        newline = pending.indexOf(0x0a);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      const text = this.decode(chunk).trim();
      if (text) this.lastMessage = text;
    });
    const onGone = () => {
      if (this.child !== child) return;
      this.child = null;
      this.lastExitAt = this.clock.now();
    };
    child.on('exit', onGone);
    child.on('error', (error) => {
      this.lastMessage = error.message;
      onGone();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    this.child = null;
    if (child && child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill();
      await exited;
    }
  }
}

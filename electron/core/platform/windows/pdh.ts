/**
 * Disk and network I/O on Windows, in-process through PDH (pdh.dll), with no child process: one query
 * opened on the first io() call, six counters added by their ENGLISH names (PdhAddEnglishCounterW, so
 * the names work on Japanese, German or any display language), sampled once per io() call
 * (PdhCollectQueryData) and read raw (PdhGetRawCounterArrayW): every instance of a `(*)` counter with
 * its raw value.
 *
 * The raw value of these counters is already cumulative (bytes or operations since the disk or adapter
 * came up; Disk Reads/sec and Disk Writes/sec are 32-bit and wrap, which the monitor reads as a reset),
 * which is what the Platform port reports, like Linux /proc/diskstats: the monitor derives rates from
 * two readings on both platforms. Each value is tied to its counter by the counter it was read from,
 * never by position: a counter that cannot be added (a damaged performance counter registry) costs its
 * own figures, reported in `problem`, and shifts nothing into another.
 */
import type { Clock } from '../../clock/index.js';
import type { IoCounters } from '../types.js';
import type { RawCounterItem } from './decode.js';
import type { CounterQuery, Win32Api } from './win32.js';

export type IoField = 'readBytes' | 'writeBytes' | 'reads' | 'writes' | 'rxBytes' | 'txBytes';

export interface IoCounterPath {
  /** English counter path with a wildcard instance. */
  path: string;
  kind: 'disk' | 'net';
  field: IoField;
}

export const IO_COUNTERS: readonly IoCounterPath[] = [
  { path: '\\PhysicalDisk(*)\\Disk Read Bytes/sec', kind: 'disk', field: 'readBytes' },
  { path: '\\PhysicalDisk(*)\\Disk Write Bytes/sec', kind: 'disk', field: 'writeBytes' },
  { path: '\\PhysicalDisk(*)\\Disk Reads/sec', kind: 'disk', field: 'reads' },
  { path: '\\PhysicalDisk(*)\\Disk Writes/sec', kind: 'disk', field: 'writes' },
  { path: '\\Network Interface(*)\\Bytes Received/sec', kind: 'net', field: 'rxBytes' },
  { path: '\\Network Interface(*)\\Bytes Sent/sec', kind: 'net', field: 'txBytes' },
];

/** PDH_CSTATUS_VALID_DATA (0) and PDH_CSTATUS_NEW_DATA (1): the value is usable. */
function isUsable(status: number): boolean {
  return status === 0 || status === 1;
}

const PDH_STATUS_WORDS: Record<number, string> = {
  3221228472: 'PDH_CSTATUS_NO_OBJECT: the counter object is missing',
  3221228473: 'PDH_CSTATUS_NO_COUNTER: the counter is missing',
  3221228480: 'PDH_CSTATUS_BAD_COUNTERNAME',
  3221228486: 'PDH_INVALID_DATA',
  2147485653: 'PDH_NO_DATA',
};

export function pdhStatusText(status: number): string {
  const code = status >>> 0;
  const words = PDH_STATUS_WORDS[code];
  return `0x${code.toString(16).toUpperCase().padStart(8, '0')}${words ? ` (${words})` : ''}`;
}

const REPAIR_HINT =
  'a damaged performance counter registry is rebuilt by "lodctr /R" in an administrator console';

/**
 * Turns what each counter returned (its instances, or the PDH status that refused it) into the port's
 * cumulative counters. `_Total` and instances with an unusable status are skipped. Pure.
 */
export function ioCountersFromRaw(
  values: readonly (readonly RawCounterItem[] | number)[],
  at: number,
  counters: readonly IoCounterPath[] = IO_COUNTERS,
): IoCounters {
  const disks = new Map<string, IoCounters['disks'][number]>();
  const nets = new Map<string, IoCounters['nets'][number]>();
  const problems: string[] = [];
  counters.forEach((counter, index) => {
    const value = values[index];
    if (value === undefined) return;
    if (typeof value === 'number') {
      problems.push(`${counter.path}: ${pdhStatusText(value)}`);
      return;
    }
    for (const item of value) {
      if (item.instance === '' || item.instance === '_Total' || !isUsable(item.status)) continue;
      if (counter.kind === 'disk') {
        let disk = disks.get(item.instance);
        if (!disk) {
          disk = { device: item.instance, readBytes: 0, writeBytes: 0, reads: 0, writes: 0 };
          disks.set(item.instance, disk);
        }
        disk[counter.field as 'readBytes' | 'writeBytes' | 'reads' | 'writes'] = item.value;
      } else {
        let net = nets.get(item.instance);
        if (!net) {
          net = { iface: item.instance, rxBytes: 0, txBytes: 0 };
          nets.set(item.instance, net);
        }
        net[counter.field as 'rxBytes' | 'txBytes'] = item.value;
      }
    }
  });
  const result: IoCounters = { disks: [...disks.values()], nets: [...nets.values()], at };
  if (problems.length > 0) result.problem = `PDH: ${problems.join('; ')}; ${REPAIR_HINT}`;
  return result;
}

/** After the query could not be opened, wait this long before trying again. */
const REOPEN_BACKOFF_MS = 60_000;

/** Owns the PDH query: opened on the first read (never at construction), closed by close(). */
export class PdhIoSource {
  private query: CounterQuery | null = null;
  private failedAt = Number.NEGATIVE_INFINITY;
  private failure = '';
  private closed = false;

  constructor(
    private readonly win32: () => Promise<Win32Api>,
    private readonly clock: Clock,
    private readonly counters: readonly IoCounterPath[] = IO_COUNTERS,
  ) {}

  async read(): Promise<IoCounters> {
    const at = this.clock.now();
    if (!this.query) {
      if (this.closed || at - this.failedAt < REOPEN_BACKOFF_MS) {
        return { disks: [], nets: [], at, ...(this.failure ? { problem: this.failure } : {}) };
      }
      try {
        this.query = (await this.win32()).openCounterQuery(this.counters.map((c) => c.path));
        this.failure = '';
      } catch (error) {
        this.failedAt = at;
        this.failure = `PDH: ${error instanceof Error ? error.message : String(error)}`;
        return { disks: [], nets: [], at, problem: this.failure };
      }
    }
    const query = this.query;
    const status = query.collect();
    if (status !== 0) {
      return { disks: [], nets: [], at, problem: `PDH: PdhCollectQueryData ${pdhStatusText(status)}` };
    }
    const values = this.counters.map((_, index) => {
      const added = query.addStatus[index] ?? -1;
      return added === 0 ? query.rawValues(index) : added;
    });
    return ioCountersFromRaw(values, at, this.counters);
  }

  close(): void {
    this.closed = true;
    this.query?.close();
    this.query = null;
  }
}

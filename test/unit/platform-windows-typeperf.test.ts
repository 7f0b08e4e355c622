import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  IoIntegrator,
  parseTypeperfHeader,
  parseTypeperfLine,
  splitCounterPath,
  TYPEPERF_COUNTERS,
  typeperfArgs,
} from '../../electron/core/platform/windows/typeperf.js';

const recorded = readFileSync(new URL('../fixtures/windows/typeperf.csv', import.meta.url), 'utf8').split(
  '\r\n',
);
// Same layout with translated counter names, as a locale that localises them prints (illustrative names).
const recordedLocalised = readFileSync(
  new URL('../fixtures/windows/typeperf-localised.csv', import.meta.url),
  'utf8',
).split('\r\n');

describe('typeperf arguments', () => {
  it('asks for the six counters with a one-second interval', () => {
    expect(typeperfArgs()).toEqual([
      '\\PhysicalDisk(*)\\Disk Read Bytes/sec',
      '\\PhysicalDisk(*)\\Disk Write Bytes/sec',
      '\\PhysicalDisk(*)\\Disk Reads/sec',
      '\\PhysicalDisk(*)\\Disk Writes/sec',
      '\\Network Interface(*)\\Bytes Received/sec',
      '\\Network Interface(*)\\Bytes Sent/sec',
      '-si',
      '1',
    ]);
  });
});

describe('splitCounterPath', () => {
  it('splits host, object, instance and counter', () => {
    expect(splitCounterPath('\\\\BOT-PC01\\PhysicalDisk(0 C:)\\Disk Read Bytes/sec')).toEqual({
      object: 'PhysicalDisk',
      instance: '0 C:',
      counter: 'Disk Read Bytes/sec',
    });
    expect(
      splitCounterPath('\\Network Interface(Intel[R] Ethernet Connection [7] I219-V)\\Bytes Sent/sec'),
    ).toEqual({
      object: 'Network Interface',
      instance: 'Intel[R] Ethernet Connection [7] I219-V',
      counter: 'Bytes Sent/sec',
    });
    expect(splitCounterPath('11/22/2026 18:00:01.412')).toBeNull();
  });
});

describe('parseTypeperfHeader / parseTypeperfLine', () => {
  const header = parseTypeperfHeader(recorded[1]!);

  it('recognises the PDH-CSV header, maps columns in order and skips _Total', () => {
    expect(header).not.toBeNull();
    expect(header).toHaveLength(1 + 4 * 3 + 2 * 2);
    expect(header![0]).toBeNull(); // timestamp
    expect(header![1]).toEqual({ kind: 'disk', field: 'readBytes', instance: '0 C:' });
    expect(header![3]).toBeNull(); // PhysicalDisk(_Total)
    expect(header![11]).toEqual({ kind: 'disk', field: 'writes', instance: '1 D:' });
    expect(header![13]).toEqual({
      kind: 'net',
      field: 'rxBytes',
      instance: 'Intel[R] Ethernet Connection [7] I219-V',
    });
    expect(header![16]).toEqual({
      kind: 'net',
      field: 'txBytes',
      instance: 'Realtek RTL8852BE WiFi 6 802.11ax PCIe Adapter',
    });
    expect(parseTypeperfHeader(recorded[2]!)).toBeNull(); // a data line is not a header
    expect(parseTypeperfHeader('')).toBeNull();
  });

  it('maps a header with localised counter names by position', () => {
    expect(parseTypeperfHeader(recordedLocalised[1]!)).toEqual(header);
  });

  it('reads rates from a data line, leaving out blank values', () => {
    const samples = parseTypeperfLine(recorded[4]!, header!);
    expect(samples).toContainEqual({
      column: { kind: 'disk', field: 'writeBytes', instance: '0 C:' },
      rate: 0,
    });
    expect(samples.some((s) => s.column.instance === '1 D:' && s.column.field === 'readBytes')).toBe(false);
    expect(samples.some((s) => s.column.instance === '_Total')).toBe(false);
  });

  it('accepts a decimal comma', () => {
    const columns = [null, { kind: 'net' as const, field: 'rxBytes' as const, instance: 'eth' }];
    expect(parseTypeperfLine('"11/22/2026","1520,500000"', columns)).toEqual([
      { column: columns[1], rate: 1520.5 },
    ]);
  });
});

describe('IoIntegrator', () => {
  it('turns the recorded rates into cumulative counters (one second per line)', () => {
    const integrator = new IoIntegrator(TYPEPERF_COUNTERS);
    const data = recorded.map((line) => integrator.accept(line));
    expect(data).toEqual([false, false, true, true, true, false, false, false]);
    expect(integrator.snapshot(1234)).toEqual({
      disks: [
        { device: '0 C:', readBytes: 65536, writeBytes: 49152, reads: 2, writes: 12 },
        { device: '1 D:', readBytes: 4096, writeBytes: 8192, reads: 1, writes: 2 },
      ],
      nets: [
        { iface: 'Intel[R] Ethernet Connection [7] I219-V', rxBytes: 4081, txBytes: 2100 },
        { iface: 'Realtek RTL8852BE WiFi 6 802.11ax PCIe Adapter', rxBytes: 128, txBytes: 64 },
      ],
      at: 1234,
    });
  });

  it('ignores data before the header and status lines', () => {
    const integrator = new IoIntegrator();
    expect(integrator.accept(recorded[2]!)).toBe(false);
    expect(integrator.accept('Error: No valid counters.')).toBe(false);
    expect(integrator.snapshot(0)).toEqual({ disks: [], nets: [], at: 0 });
  });
});

import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/core/clock/index.js';
import { TypeperfIoSource, typeperfArgs } from '../../electron/core/platform/windows/typeperf.js';

// typeperf.exe cannot run here; a stand-in executable replays the recorded output through a real pipe,
// so the long-lived child handling (lazy start, line splitting, restart back-off, close) runs for real.

const fixture = fileURLToPath(new URL('../fixtures/windows/typeperf.csv', import.meta.url));
let dir: string;
const sources: TypeperfIoSource[] = [];

async function fakeTypeperf(options: { exitAfterReplay: boolean }): Promise<string> {
  const path = join(dir, 'typeperf');
  await writeFile(
    path,
    `#!/usr/bin/env python3
import sys, time
with open(${JSON.stringify(join(dir, 'argv.txt'))}, 'a') as f:
    f.write('\\t'.join(sys.argv[1:]) + '\\n')
data = open(${JSON.stringify(fixture)}, 'rb').read().split(b'\\r\\n')
for line in data[:5]:
    sys.stdout.buffer.write(line + b'\\r\\n')
    sys.stdout.flush()
    time.sleep(0.02)
${options.exitAfterReplay ? 'sys.exit(0)' : 'time.sleep(60)'}
`,
  );
  await chmod(path, 0o755);
  return path;
}

async function until<T>(probe: () => Promise<T>, accept: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met; last value ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nexus-typeperf-'));
});

afterEach(async () => {
  for (const source of sources.splice(0)) await source.close();
  await rm(dir, { recursive: true, force: true });
});

describe('TypeperfIoSource with a replaying stand-in', () => {
  it('starts one child on first read, with the exact arguments, and integrates its lines', async () => {
    const clock = new ManualClock();
    const source = new TypeperfIoSource(await fakeTypeperf({ exitAfterReplay: false }), clock);
    sources.push(source);

    const first = await source.read();
    expect(first).toEqual({ disks: [], nets: [], at: clock.now() });

    const filled = await until(
      () => source.read(),
      (io) => io.disks.find((d) => d.device === '0 C:')?.readBytes === 65536,
    );
    expect(filled.disks).toEqual([
      { device: '0 C:', readBytes: 65536, writeBytes: 49152, reads: 2, writes: 12 },
      { device: '1 D:', readBytes: 4096, writeBytes: 8192, reads: 1, writes: 2 },
    ]);
    expect(filled.nets.map((n) => n.iface)).toEqual([
      'Intel[R] Ethernet Connection [7] I219-V',
      'Realtek RTL8852BE WiFi 6 802.11ax PCIe Adapter',
    ]);

    const argv = (await readFile(join(dir, 'argv.txt'), 'utf8')).trim().split('\n');
    expect(argv).toEqual([typeperfArgs().join('\t')]); // one child for many reads
  });

  it('restarts a child that died only after the back-off', async () => {
    const clock = new ManualClock();
    const source = new TypeperfIoSource(await fakeTypeperf({ exitAfterReplay: true }), clock);
    sources.push(source);
    await source.read();
    const starts = async () =>
      (await readFile(join(dir, 'argv.txt'), 'utf8').catch(() => '')).trim().split('\n').length;
    await until(
      async () => (await source.read()).disks.length,
      (count) => count === 2,
    );
    await new Promise((resolve) => setTimeout(resolve, 300)); // let it exit
    await source.read();
    expect(await starts()).toBe(1);

    clock.advance(61_000);
    await source.read();
    await until(starts, (count) => count === 2);
  });

  it('close() ends the child and later reads do not start another', async () => {
    const clock = new ManualClock();
    const source = new TypeperfIoSource(await fakeTypeperf({ exitAfterReplay: false }), clock);
    await source.read();
    await until(
      async () => (await source.read()).disks.length,
      (count) => count === 2,
    );
    await source.close();
    clock.advance(120_000);
    await source.read();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await readFile(join(dir, 'argv.txt'), 'utf8')).trim().split('\n')).toHaveLength(1);
  });

  it('reports why typeperf stopped', async () => {
    const path = join(dir, 'typeperf');
    await writeFile(path, '#!/bin/sh\nprintf "\\r\\nError: No valid counters.\\r\\n"\nexit 1\n');
    await chmod(path, 0o755);
    const clock = new ManualClock();
    const source = new TypeperfIoSource(path, clock);
    sources.push(source);
    const first = await source.read();
    expect(first.problem).toBeUndefined();
    const later = await until(
      () => source.read(),
      (io) => io.problem !== undefined,
    );
    expect(later).toEqual({
      disks: [],
      nets: [],
      at: clock.now(),
      problem: 'typeperf stopped: Error: No valid counters.',
    });
  });

  it('a missing executable is reported, not thrown', async () => {
    const clock = new ManualClock();
    const source = new TypeperfIoSource(join(dir, 'no-such-typeperf'), clock);
    sources.push(source);
    await expect(source.read()).resolves.toEqual({ disks: [], nets: [], at: clock.now() });
    await until(
      async () => source.lastMessage,
      (message) => message.includes('ENOENT'),
    );
    expect((await source.read()).problem).toMatch(/^typeperf stopped: .*ENOENT/);
  });
});

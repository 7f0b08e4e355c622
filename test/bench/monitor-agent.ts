/**
 * The monitor alone, as a child process for the overhead benchmark: 1 s live tick on the core job
 * runner, full process scan every tick, stored samples written to a real SQLite file. The benchmark
 * bundles it with esbuild the way the app is built (tsx's loader alone costs ~0.4 % of a core at idle)
 * and runs it with plain node:
 *   node monitor-agent.cjs <dataDir> [botFolder]
 * (`node --import tsx test/bench/monitor-agent.ts ...` works too.) Prints "ready" after the first
 * cycle and runs until SIGTERM, then prints its cycle count as JSON.
 */
import { join } from 'node:path';
import { systemClock } from '../../electron/core/clock/index.js';
import { schemaMigrations } from '../../electron/core/index.js';
import { createJobRunner } from '../../electron/core/jobs/index.js';
import { createMonitor } from '../../electron/core/monitor/index.js';
import { openStore } from '../../electron/core/store/index.js';
import { monitorConfigSchema } from '../../shared/config/monitor.js';

const [dataDir, botFolder] = process.argv.slice(2);
if (!dataDir) throw new Error('usage: monitor-agent.ts <dataDir> [botFolder]');

const file = join(dataDir, 'nexus-ops.db');
const store = openStore({ file, clock: systemClock, migrations: schemaMigrations });
const config = monitorConfigSchema.parse({ liveIntervalSeconds: 1, processIntervalSeconds: 1 });
let cycles = 0;
let scanned = 0;
const jobs = createJobRunner({
  clock: systemClock,
  log: (m) => process.stderr.write(`monitor: ${m}\n`),
});
const monitor = createMonitor({
  clock: systemClock,
  config: () => config,
  botFolders: () => (botFolder ? [botFolder] : []),
  db: store.db,
  onError(err) {
    process.stderr.write(`monitor: ${String(err)}\n`);
  },
});

process.on('SIGTERM', () => {
  const sample = jobs.status('monitor.sample');
  process.stdout.write(
    `${JSON.stringify({ cycles, scanned, skipped: sample?.skipped ?? 0, lastCycleMs: monitor.stats().lastCycleMs })}\n`,
  );
  void jobs.close().then(async () => {
    await monitor.close();
    store.close();
    process.exit(0);
  });
});

// The runner's timers are unref'd (they must not keep an app alive): hold the process open ourselves.
const keepAlive = setInterval(() => {}, 1 << 30);
process.on('exit', () => clearInterval(keepAlive));
void monitor.sampleOnce().then(() => {
  jobs.add({
    name: 'monitor.sample',
    schedule: { every: 1000, startAfter: 1000 },
    async run() {
      const cycle = await monitor.sampleOnce();
      store.writeSamples(cycle.toStore);
      cycles++;
      if (cycle.processes) scanned = cycle.processes.total;
    },
  });
  jobs.start();
  process.stdout.write('ready\n');
});

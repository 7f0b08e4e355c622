/**
 * The monitor alone, as a child process for the overhead benchmark: 1 s live tick, full process scan
 * every tick, stored samples written to a real SQLite file. The benchmark bundles it with esbuild the
 * way the app is built (tsx's loader alone costs ~0.4 % of a core at idle) and runs it with plain node:
 *   node monitor-agent.cjs <dataDir> [botFolder]
 * (`node --import tsx test/bench/monitor-agent.ts ...` works too.) Prints "ready" after the first
 * cycle and runs until SIGTERM, then prints its cycle count as JSON.
 */
import { join } from 'node:path';
import { systemClock } from '../../electron/core/clock/index.js';
import { createMonitor } from '../../electron/core/monitor/index.js';
import { migrate, openStore } from '../../electron/core/store/index.js';
import { coreMigration } from '../../electron/core/store/migrations/001-core.js';
import { tiersMigration } from '../../electron/core/store/migrations/002-tiers.js';
import { monitorConfigSchema } from '../../shared/config/monitor.js';

const [dataDir, botFolder] = process.argv.slice(2);
if (!dataDir) throw new Error('usage: monitor-agent.ts <dataDir> [botFolder]');

const file = join(dataDir, 'nexus-ops.db');
const store = openStore({ file, clock: systemClock });
// Until the store's migration list includes 002-tiers (then openStore has applied it already).
if (!store.db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'samples_5m'").get()) {
  migrate(store.db, [coreMigration, tiersMigration], file);
}
const config = monitorConfigSchema.parse({ liveIntervalSeconds: 1, processIntervalSeconds: 1 });
let cycles = 0;
let scanned = 0;
const monitor = createMonitor({
  clock: systemClock,
  config: () => config,
  botFolders: () => (botFolder ? [botFolder] : []),
  db: store.db,
  onCycle(cycle) {
    store.writeSamples(cycle.toStore);
    cycles++;
    if (cycle.processes) scanned = cycle.processes.total;
  },
  onError(err) {
    process.stderr.write(`monitor: ${String(err)}\n`);
  },
});

process.on('SIGTERM', () => {
  const stats = monitor.stats();
  process.stdout.write(
    `${JSON.stringify({ cycles, scanned, skipped: stats.skipped, lastCycleMs: stats.lastCycleMs })}\n`,
  );
  void monitor.close().then(() => {
    store.close();
    process.exit(0);
  });
});

// The cadence's timers are unref'd (they must not keep an app alive): hold the process open ourselves.
const keepAlive = setInterval(() => {}, 1 << 30);
process.on('exit', () => clearInterval(keepAlive));
void monitor.sampleOnce().then(() => {
  monitor.start();
  process.stdout.write('ready\n');
});

// A headless Nexus Ops core with its jobs running (the same composition as `serve`, without the HTTP
// server): `node --import tsx logs-runner.ts <dataDir>`. Prints "ready" once started; runs until killed.
import { resolve } from 'node:path';
import { createCore } from '../../electron/core/index.js';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: logs-runner.ts <dataDir>');
const core = createCore({
  dataDir,
  resourcesDir: resolve(import.meta.dirname, '..', '..', 'resources'),
  mode: 'headless',
  version: 'test',
  logger: { info() {}, warn: (m) => console.error(m), error: (m) => console.error(m) },
});
core.start();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void core.close().then(() => process.exit(0));
});
setInterval(() => {}, 60_000);

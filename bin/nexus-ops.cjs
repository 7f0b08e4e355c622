#!/usr/bin/env node
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const cli = join(__dirname, '..', 'dist', 'electron', 'cli.cjs');
if (!existsSync(cli)) {
  process.stderr.write('nexus-ops: not built yet. Run `npm run build` in the Nexus Ops folder first.\n');
  process.exit(1);
}
const { main } = require(cli);
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`nexus-ops: ${err?.stack ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);

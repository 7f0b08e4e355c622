// Builds the three Electron/Node bundles with esbuild and the renderer with Vite.
// `--if-stale` skips the build when dist/ is newer than every source file.
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build as esbuild } from 'esbuild';
import { build as viteBuild } from 'vite';

const root = resolve(import.meta.dirname, '..');
const stamp = join(root, 'dist', '.build-stamp');
const sources = ['electron', 'shared', 'renderer', 'package.json', 'scripts/build.mjs'];

function newestMtime(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

if (process.argv.includes('--if-stale') && existsSync(stamp)) {
  const built = statSync(stamp).mtimeMs;
  if (sources.every((s) => newestMtime(join(root, s)) <= built)) process.exit(0);
}

const started = Date.now();
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  // Native addons and Electron itself stay outside the bundle.
  external: ['electron', 'better-sqlite3', 'koffi'],
};
await Promise.all([
  esbuild({
    ...common,
    entryPoints: { cli: join(root, 'electron/cli.ts') },
    outdir: join(root, 'dist/electron'),
    outExtension: { '.js': '.cjs' },
  }),
  esbuild({
    ...common,
    entryPoints: { main: join(root, 'electron/main.ts') },
    outdir: join(root, 'dist/electron'),
    outExtension: { '.js': '.cjs' },
  }),
  // The relay that runs a supervised bot outside Nexus Ops (electron/core/bots/relay.ts): its own small file,
  // started with our binary as plain Node (ELECTRON_RUN_AS_NODE=1).
  esbuild({
    ...common,
    entryPoints: { 'bot-relay': join(root, 'electron/core/bots/relay-entry.ts') },
    outdir: join(root, 'dist/electron'),
    outExtension: { '.js': '.cjs' },
  }),
  // A sandboxed preload cannot require chunks or node modules: one self-contained file.
  esbuild({
    ...common,
    platform: 'browser',
    target: 'chrome130',
    entryPoints: { preload: join(root, 'electron/preload.ts') },
    outdir: join(root, 'dist/electron'),
    outExtension: { '.js': '.cjs' },
  }),
]);
await viteBuild({ configFile: join(root, 'renderer/vite.config.ts'), logLevel: 'warn' });
writeFileSync(stamp, new Date().toISOString());
console.log(`built dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);

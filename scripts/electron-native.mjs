// Produces better-sqlite3's binary for Electron's ABI in .native/electron/, apart from the Node binary
// in node_modules that the tests use (rebuilding that one in place would break `npm test`).
// Tries the prebuilt binary first (prebuild-install), then compiles against Electron's headers.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const require = createRequire(join(root, 'package.json'));
const electronVersion = JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version;
const outDir = join(root, '.native', 'electron');
const stampFile = join(outDir, 'version.txt');
const stamp = `electron ${electronVersion} ${process.platform}-${process.arch}`;

if (
  existsSync(stampFile) &&
  readFileSync(stampFile, 'utf8') === stamp &&
  existsSync(join(outDir, 'better_sqlite3.node'))
) {
  process.exit(0);
}

const source = dirname(require.resolve('better-sqlite3/package.json'));
const work = join(root, '.native', 'build', 'better-sqlite3');
rmSync(work, { recursive: true, force: true });
mkdirSync(dirname(work), { recursive: true });
cpSync(source, work, { recursive: true, filter: (p) => !p.includes(`${join(source, 'build')}`) });

const bin = (name) => join(root, 'node_modules', '.bin', process.platform === 'win32' ? `${name}.cmd` : name);
const run = (cmd, args) =>
  spawnSync(cmd, args, { cwd: work, stdio: 'inherit', shell: process.platform === 'win32' });

console.log(`Preparing better-sqlite3 for ${stamp}…`);
let result = run(bin('prebuild-install'), [
  '--runtime',
  'electron',
  '--target',
  electronVersion,
  '--arch',
  process.arch,
]);
if (result.status !== 0) {
  console.log('No prebuilt binary; compiling against Electron headers (needs a C++ toolchain).');
  result = run(bin('node-gyp'), [
    'rebuild',
    '--release',
    `--target=${electronVersion}`,
    `--arch=${process.arch}`,
    '--dist-url=https://electronjs.org/headers',
  ]);
}
const built = join(work, 'build', 'Release', 'better_sqlite3.node');
if (result.status !== 0 || !existsSync(built)) {
  console.error(
    'Could not produce better-sqlite3 for Electron. The desktop app cannot open its database; headless mode (npm run serve) still works.',
  );
  process.exit(1);
}
mkdirSync(outDir, { recursive: true });
cpSync(built, join(outDir, 'better_sqlite3.node'));
writeFileSync(stampFile, stamp);
rmSync(join(root, '.native', 'build'), { recursive: true, force: true });
console.log(`better-sqlite3 for Electron ready in ${outDir}`);

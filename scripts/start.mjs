// `npm start`: the desktop app where an Electron runtime can be had; otherwise headless mode, said so.
import { spawn, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const node = process.execPath;

const build = spawnSync(node, [join(root, 'scripts/build.mjs'), '--if-stale'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

function electronBinary() {
  if (process.env.NEXUS_OPS_HEADLESS === '1') return { reason: 'NEXUS_OPS_HEADLESS=1' };
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return { reason: 'no desktop session: DISPLAY is not set' };
  }
  // electron >= 42 fetches its runtime on first use; a machine that cannot download it lands here.
  const probe = spawnSync(node, ['-e', 'process.stdout.write(require("electron"))'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 10 * 60 * 1000,
  });
  if (probe.status === 0 && probe.stdout) return { path: probe.stdout.trim() };
  return { reason: 'the Electron runtime is not installed and could not be downloaded' };
}

const electron = electronBinary();
if (electron.path) {
  const native = spawnSync(node, [join(root, 'scripts/electron-native.mjs')], { stdio: 'inherit' });
  if (native.status !== 0) console.error('Continuing: the desktop app will report the database problem.');
  const child = spawn(electron.path, [root], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  console.log(`Nexus Ops: desktop window unavailable (${electron.reason}); starting headless mode instead.`);
  const child = spawn(node, [join(root, 'dist/electron/cli.cjs'), 'serve', ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code) => process.exit(code ?? 0));
}

/**
 * How a supervised bot is launched, as pure functions over argument lists (tested as such for Windows):
 *
 * Nexus Ops ── spawn(detached, hidden, stdin = spec) ──▶ relay ── spawn(hidden console, pipes) ──▶ bot
 *
 * The relay is started detached: on Windows, Node puts every non-detached child into a job object that
 * kills it when Nexus Ops exits, updates or crashes; a detached child (DETACHED_PROCESS) is not put
 * there, so the relay and its bot outlive Nexus Ops and are adopted by the next one. On POSIX detached
 * means a new session: a signal to Nexus Ops' process group does not reach the bot either.
 *
 * The bot itself is NOT detached: it gets its own hidden console (the relay has none, so Windows creates
 * one, and windowsHide keeps it invisible), which the platform killer's Ctrl+C attaches to.
 */
import type { SpawnOptions } from 'node:child_process';
import { win32 as winPath } from 'node:path';
import type { RotationPolicy } from './capture.js';

/** What Nexus Ops hands the relay on its stdin (JSON): everything needed to start one run. */
export interface RelaySpec {
  version: 1;
  botId: string;
  runId: string;
  /** As configured; a relative path with a separator is already resolved against the bot's root. */
  command: string;
  args: string[];
  cwd: string;
  /** Set on top of the relay's environment (which is Nexus Ops' own, minus its API token). */
  env: Record<string, string>;
  output: RotationPolicy;
  /** A partial line (no newline yet) is written out after the stream has been quiet this long. */
  partialFlushMs: number;
}

/**
 * Python block-buffers stdout when it is a pipe, so a supervised Python bot would seem silent for
 * minutes (PM2 issue #3076, open since 2017); and without UTF-8 mode it prints cp932 on Japanese
 * Windows. Set for every supervised bot: only Python reads them, and a bot's own `env` overrides them.
 */
export const PYTHON_ENV: Readonly<Record<string, string>> = {
  PYTHONUNBUFFERED: '1',
  PYTHONUTF8: '1',
  PYTHONIOENCODING: 'utf-8',
};

/** Variables of Nexus Ops that a bot must never inherit. */
const PRIVATE_VARIABLES = ['NEXUS_OPS_TOKEN', 'ELECTRON_RUN_AS_NODE'];

type Env = Record<string, string | undefined>;

function sameName(a: string, b: string, platform: NodeJS.Platform): boolean {
  return platform === 'win32' ? a.toUpperCase() === b.toUpperCase() : a === b;
}

/** A copy of `base` without `drop`, then `set` on top; on Windows names compare case-insensitively. */
function editEnv(base: Env, drop: readonly string[], set: Record<string, string>, platform: NodeJS.Platform) {
  const out: Record<string, string> = {};
  const replaced = [...drop, ...Object.keys(set)];
  for (const [name, value] of Object.entries(base)) {
    if (value === undefined) continue;
    if (replaced.some((r) => sameName(r, name, platform))) continue;
    out[name] = value;
  }
  return Object.assign(out, set);
}

/** The relay's environment: Nexus Ops' own without its API token, running our binary as plain Node. */
export function relayEnvironment(base: Env, platform: NodeJS.Platform = process.platform) {
  return editEnv(base, ['NEXUS_OPS_TOKEN'], { ELECTRON_RUN_AS_NODE: '1' }, platform);
}

/** The bot's environment, built by the relay from its own: the Python settings, then the bot's `env`. */
export function botEnvironment(
  base: Env,
  overrides: Record<string, string>,
  platform: NodeJS.Platform = process.platform,
) {
  const withPython = editEnv(base, PRIVATE_VARIABLES, { ...PYTHON_ENV }, platform);
  return editEnv(withPython, [], overrides, platform);
}

export interface RelaySpawn {
  file: string;
  args: string[];
  options: SpawnOptions;
}

/**
 * The relay's spawn: our own binary (Electron with ELECTRON_RUN_AS_NODE=1, or Node in headless mode)
 * running the bundled relay script, detached, hidden, stdin a pipe for the spec, no stdout/stderr (the
 * relay logs to relay.log). Its working folder is the bot's data folder, never a folder an operator may
 * want to delete.
 */
export function relaySpawn(opts: {
  execPath: string;
  relayScript: string;
  botDir: string;
  env: Env;
  platform?: NodeJS.Platform;
}): RelaySpawn {
  return {
    file: opts.execPath,
    args: [opts.relayScript, opts.botDir],
    options: {
      cwd: opts.botDir,
      detached: true,
      windowsHide: true,
      stdio: ['pipe', 'ignore', 'ignore'],
      env: relayEnvironment(opts.env, opts.platform),
    },
  };
}

export interface ResolvedLaunch {
  file: string;
  args: string[];
  /** Windows: the arguments are already quoted for cmd.exe (a .cmd/.bat runs through it). */
  windowsVerbatimArguments: boolean;
}

// cmd.exe metacharacters, escaped with ^ (the algorithm cross-spawn uses, written here from its description).
const CMD_META = /([()\][%!^"`<>&|;, *?])/g;

function escapeCmdCommand(command: string): string {
  return command.replace(CMD_META, '^$1');
}

function escapeCmdArgument(arg: string, twice: boolean): string {
  // Quotes and the backslashes before them, for the program's own command-line parsing...
  let quoted = arg.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\*)$/, '$1$1');
  quoted = `"${quoted}"`;
  // ...then every metacharacter for cmd.exe (twice when a .cmd shim passes %* on to another cmd line).
  quoted = quoted.replace(CMD_META, '^$1');
  return twice ? quoted.replace(CMD_META, '^$1') : quoted;
}

function envValue(env: Env, name: string): string | undefined {
  const key = Object.keys(env).find((k) => k.toUpperCase() === name);
  return key === undefined ? undefined : env[key];
}

/**
 * The program to start for `command args` on this platform. Windows does not search PATHEXT and cannot
 * start a .cmd/.bat without cmd.exe (`pnpm` is `pnpm.cmd`): the command is looked up on PATH with
 * PATHEXT, and a batch file runs as `cmd.exe /d /s /c "<escaped line>"`. POSIX starts the command as
 * given (execvp searches PATH).
 */
export function resolveLaunch(
  command: string,
  args: readonly string[],
  opts: { platform: NodeJS.Platform; env: Env; cwd: string; exists: (path: string) => boolean },
): ResolvedLaunch {
  if (opts.platform !== 'win32') return { file: command, args: [...args], windowsVerbatimArguments: false };
  const found = findWindowsProgram(command, opts.env, opts.cwd, opts.exists) ?? command;
  if (!/\.(cmd|bat)$/i.test(found)) return { file: found, args: [...args], windowsVerbatimArguments: false };
  const shim = /node_modules[\\/]\.bin[\\/][^\\/]+\.cmd$/i.test(found);
  const line = [
    escapeCmdCommand(winPath.normalize(found)),
    ...args.map((a) => escapeCmdArgument(a, shim)),
  ].join(' ');
  const comspec = envValue(opts.env, 'COMSPEC') ?? 'cmd.exe';
  return { file: comspec, args: ['/d', '/s', '/c', `"${line}"`], windowsVerbatimArguments: true };
}

/** PATH (or the given folder) × PATHEXT, the way cmd.exe finds a program; undefined when none exists. */
export function findWindowsProgram(
  command: string,
  env: Env,
  cwd: string,
  exists: (path: string) => boolean,
): string | undefined {
  const exts = (envValue(env, 'PATHEXT') ?? '.COM;.EXE;.BAT;.CMD')
    .split(';')
    .map((e) => e.trim())
    .filter(Boolean);
  const hasExt = exts.some((e) => command.toUpperCase().endsWith(e.toUpperCase()));
  const withFolder = /[\\/]/.test(command) || winPath.isAbsolute(command);
  const bases = withFolder
    ? [winPath.resolve(cwd, command)]
    : (envValue(env, 'PATH') ?? '')
        .split(';')
        .map((d) => d.trim().replace(/^"(.*)"$/, '$1'))
        .filter(Boolean)
        .map((d) => winPath.join(d, command));
  for (const base of bases) {
    if (hasExt && exists(base)) return base;
    for (const ext of exts) {
      const candidate = `${base}${ext.toLowerCase()}`;
      if (exists(candidate)) return candidate;
    }
  }
  return undefined;
}

/** The bot's spawn options inside the relay: its own hidden console, pipes for stdout and stderr. */
export function botSpawnOptions(
  launch: ResolvedLaunch,
  cwd: string,
  env: Record<string, string>,
): SpawnOptions {
  return {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    windowsHide: true,
    detached: false,
    windowsVerbatimArguments: launch.windowsVerbatimArguments,
  };
}

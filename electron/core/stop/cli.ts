/**
 * `nexus-ops stop | resume | stop-status` for electron/cli.ts.
 *
 * The command first asks the running app (headless or desktop) over HTTP on 127.0.0.1 with the API
 * token, so the app records, notifies and shows the stop. When no app answers (not running, hung, or
 * it refuses our token), it performs the stop itself with the same core code: same kill-switch, same
 * process trees, same database. The config is read section by section, so a broken section elsewhere
 * in the file never keeps the stop from finding the bot folders.
 */
import { existsSync } from 'node:fs';

import { join } from 'node:path';
import type { StopApiEvent, StopRun, StopStatus } from '../../../shared/api/stop.js';
import { botFolders } from '../../../shared/config/bots.js';
import { DEFAULT_PORT } from '../../../shared/config/core.js';
import type { FamilyDef } from '../../../shared/config/monitor.js';
import { type Config, configSchema, formatConfigIssue } from '../../../shared/config/schema.js';
import { cliActor, readApiToken } from '../cli/index.js';
import { systemClock } from '../clock/index.js';
import { lastGoodConfigFile, loadConfigFile, readLastGood, SECTION_NAMES } from '../config/index.js';
import { classifyProcesses } from '../monitor/index.js';
import { createPlatform } from '../platform/index.js';
import { type Migration, openStore, type Store } from '../store/index.js';
import { createStop, type StopConfigView } from './index.js';

export type StopCliCommand = 'stop' | 'resume' | 'status';

export interface StopCliOptions {
  reason?: string;
  actor?: string;
  dataDir: string;
  /** --config; else NEXUS_OPS_CONFIG; else <dataDir>/config.yaml when it exists; else defaults. */
  configFile?: string;
  /** --port; else NEXUS_OPS_PORT; else the config's server.port. */
  port?: string;
  json?: boolean;
  env?: NodeJS.ProcessEnv;
  /** better-sqlite3 binary for another ABI (when run inside Electron). */
  nativeBinding?: string;
  /** The app's whole schema (the composition root's list), so the CLI opens the same database. */
  migrations: readonly Migration[];
}

export interface StopCliIo {
  out(text: string): void;
  err(text: string): void;
}

const processIo: StopCliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

export const STOP_CLI_HELP = `  stop [--reason "…"]      Emergency stop: asks the running app, or stops the bots itself when none answers.
  resume --reason "…"      Resume after an emergency stop (removes the kill-switch, re-enables tasks).
  status                   Shows whether the bots are stopped, and the last stop.

Options (stop, resume, status):
  --reason <text>    Why (recorded in the audit trail; required for resume).
  --actor <name>     Who (default cli:<user>).
  --json             Print the result as JSON.
`;

interface ResolvedConfig {
  view: StopConfigView;
  families: FamilyDef[];
  port: number;
  file: string | null;
  warnings: string[];
}

/**
 * Reads the config with the app's own loader: each section that is valid as written is used, the
 * others come from the copy of the last config that loaded (kept in the data directory by the app) or
 * the defaults, so a typo or a syntax error in one section never costs the stop its bot folders. A
 * FIFO, an oversized file or an alias bomb is refused like any other broken file, never read blindly.
 */
export function loadStopCliConfig(
  options: Pick<StopCliOptions, 'dataDir' | 'configFile' | 'port' | 'env'>,
): ResolvedConfig {
  const env = options.env ?? process.env;
  const explicit = options.configFile ?? env.NEXUS_OPS_CONFIG;
  const candidate = explicit ?? join(options.dataDir, 'config.yaml');
  const warnings: string[] = [];
  let config: Config = configSchema.parse({});
  let file: string | null = null;
  // existsSync is a stat: it never opens (and never blocks on) what is there.
  if (explicit || existsSync(candidate)) {
    file = candidate;
    const result = loadConfigFile(candidate);
    if (result.ok) config = result.config;
    else {
      const copy = readLastGood(lastGoodConfigFile(options.dataDir));
      const baseName = copy ? 'the last good config' : 'the defaults';
      const sections = result.partial?.sections ?? {};
      config = { ...(copy?.config ?? config), ...sections };
      for (const issue of result.issues) warnings.push(`config: ${formatConfigIssue(issue)}`);
      for (const name of Object.keys(result.partial?.raw ?? {})) {
        if ((SECTION_NAMES as string[]).includes(name) && !(name in sections)) {
          warnings.push(`config section "${name}" is invalid; using ${baseName} for it`);
        }
      }
      const fromFile = Object.keys(sections);
      warnings.push(
        fromFile.length > 0
          ? `using the sections that are valid as written (${fromFile.join(', ')}) and ${baseName} for the others`
          : `using ${baseName}`,
      );
    }
  }
  const view: StopConfigView = {
    stop: config.stop,
    bots: config.bots,
    monitor: config.monitor,
    ui: config.ui,
  };
  const portText = options.port ?? env.NEXUS_OPS_PORT;
  const port = portText !== undefined ? Number(portText) : (config.server.port ?? DEFAULT_PORT);
  return { view, families: config.monitor.families, port, file, warnings };
}

type AppAnswer<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'refused'; code: string; message: string }
  | { kind: 'absent'; why: string };

async function askApp<T>(
  port: number,
  token: string | null,
  method: string,
  input: unknown,
  timeoutMs: number,
): Promise<AppAnswer<T>> {
  const base = `http://127.0.0.1:${port}`;
  try {
    const health = await fetch(`${base}/api/health`, { signal: AbortSignal.timeout(1500) });
    if (!health.ok) return { kind: 'absent', why: `no Nexus Ops on port ${port} (HTTP ${health.status})` };
  } catch {
    return { kind: 'absent', why: `no Nexus Ops answers on 127.0.0.1:${port}` };
  }
  if (!token) return { kind: 'absent', why: 'the app is running but no API token was found' };
  try {
    const res = await fetch(`${base}/api/call/${method}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(input),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await res.json()) as { ok: boolean; value?: T; error?: { code: string; message: string } };
    if (body.ok) return { kind: 'ok', value: body.value as T };
    const code = body.error?.code ?? 'internal';
    // Our token refused, or an app without the stop wired: do it ourselves.
    if (code === 'unauthorized' || code === 'unknown_method') {
      return { kind: 'absent', why: `the running app answered ${code}` };
    }
    return { kind: 'refused', code, message: body.error?.message ?? code };
  } catch (err) {
    return {
      kind: 'absent',
      why: `the running app did not answer (${err instanceof Error ? err.message : String(err)})`,
    };
  }
}

function formatRun(run: StopRun): string {
  const c = run.counts;
  const lines = [
    `Emergency stop ${run.status === 'done' ? 'done' : run.status}: stopped ${c.stopped} of ${c.targets} process(es), forced ${c.forced}, survivors ${c.survivors}, ${run.durationMs ?? '?'} ms`,
    `  run ${run.id} · reason: ${run.reason} · by ${run.actor} (${run.source})`,
  ];
  for (const s of run.survivors) lines.push(`  survivor: pid ${s.pid} ${s.name} (${s.family}): ${s.reason}`);
  for (const p of run.killSwitch.written) lines.push(`  kill-switch: ${p}`);
  if (run.disabledTasks.length > 0) lines.push(`  disabled tasks: ${run.disabledTasks.join(', ')}`);
  if (run.pausedSchedules.length > 0) lines.push(`  paused schedules: ${run.pausedSchedules.join(', ')}`);
  for (const e of run.errors) lines.push(`  problem: ${e}`);
  if (run.recordedLate)
    lines.push('  note: the database refused writes; the record waits until it accepts them');
  return `${lines.join('\n')}\n`;
}

function formatStatus(status: StopStatus): string {
  const lines = [
    status.stopped
      ? `STOPPED${status.running ? ' (stop in progress)' : ''}`
      : 'running normally (not stopped)',
  ];
  if (status.since !== null) lines.push(`  since ${new Date(status.since).toISOString()}`);
  if (status.latest) {
    const l = status.latest;
    lines.push(
      `  last stop ${l.id}: ${l.status}, ${l.counts.stopped}/${l.counts.targets} stopped, reason: ${l.reason}`,
    );
    if (l.resumedAt !== null)
      lines.push(`  resumed ${new Date(l.resumedAt).toISOString()} by ${l.resumedBy}: ${l.resumeReason}`);
  }
  for (const p of status.killSwitch.present) lines.push(`  kill-switch present: ${p}`);
  if (status.cooldownUntil !== null) {
    lines.push(`  automatic stops refused until ${new Date(status.cooldownUntil).toISOString()}`);
  }
  if (status.unrecorded > 0) lines.push(`  ${status.unrecorded} record(s) waiting for the database`);
  return `${lines.join('\n')}\n`;
}

/** A stop built from the data directory alone, for when no app answers. */
function openLocalStop(
  options: StopCliOptions,
  config: ResolvedConfig,
  io: StopCliIo,
  onEvent?: (e: StopApiEvent) => void,
) {
  let store: Store;
  const file = join(options.dataDir, 'nexus-ops.db');
  try {
    store = openStore({
      file,
      clock: systemClock,
      nativeBinding: options.nativeBinding,
      migrations: options.migrations,
    });
  } catch (err) {
    io.err(
      `nexus-ops: ${err instanceof Error ? err.message : String(err)}; the stop is recorded in the kill-switch file only\n`,
    );
    store = openStore({
      file: ':memory:',
      clock: systemClock,
      nativeBinding: options.nativeBinding,
      migrations: options.migrations,
    });
  }
  const platform = createPlatform({ clock: systemClock });
  const stop = createStop({
    platform,
    store,
    clock: systemClock,
    config: () => config.view,
    classify: (processes) =>
      classifyProcesses(processes, config.families, { botFolders: botFolders(config.view.bots) }),
    onEvent,
    log: (message) => io.err(`nexus-ops: ${message}\n`),
  });
  return {
    stop,
    async close() {
      store.close();
      await platform.close();
    },
  };
}

function progressPrinter(io: StopCliIo): (e: StopApiEvent) => void {
  return (e) => {
    if (e.type !== 'stop.progress') return;
    io.err(
      `  ${e.phase}: ${e.counts.stopped}/${e.counts.targets} stopped, ${e.remaining} left${e.message ? ` (${e.message})` : ''}\n`,
    );
  };
}

/** Runs one command; returns the process exit code (0 ok, 1 failure, 2 usage, 3 stop left survivors). */
export async function runStopCli(
  command: StopCliCommand,
  options: StopCliOptions,
  io: StopCliIo = processIo,
): Promise<number> {
  const config = loadStopCliConfig(options);
  for (const w of config.warnings) io.err(`nexus-ops: ${w}\n`);
  if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65535) {
    io.err(`nexus-ops: port "${config.port}" is not a number between 0 and 65535\n`);
    return 2;
  }
  const token = readApiToken(options.dataDir, options.env);
  const actor = cliActor(options.actor, options.env);
  const print = (value: unknown, text: string) =>
    io.out(options.json ? `${JSON.stringify(value, null, 2)}\n` : text);

  if (command === 'resume' && !options.reason?.trim()) {
    io.err('nexus-ops: resume needs --reason "…" (recorded in the audit trail)\n');
    return 2;
  }

  const runBudgetMs = (config.view.stop.graceSeconds + config.view.stop.verifySeconds) * 1000 + 60_000;
  const input =
    command === 'stop'
      ? { source: 'cli', actor, reason: options.reason?.trim() ?? '' }
      : command === 'resume'
        ? { actor, reason: options.reason?.trim() }
        : {};
  const method = command === 'stop' ? 'stop.trigger' : command === 'resume' ? 'stop.resume' : 'stop.status';
  const answer = await askApp<StopRun | StopStatus>(config.port, token, method, input, runBudgetMs);

  if (answer.kind === 'refused') {
    io.err(`nexus-ops: ${command} refused by the running app: ${answer.message} (${answer.code})\n`);
    return 1;
  }
  if (answer.kind === 'ok') {
    if (command === 'stop') {
      const run = answer.value as StopRun;
      print(run, formatRun(run));
      return run.status === 'done' ? 0 : 3;
    }
    const status = answer.value as StopStatus;
    print(status, formatStatus(status));
    return 0;
  }

  if (command === 'stop') io.err(`nexus-ops: ${answer.why}: stopping the bots from here\n`);
  const local = openLocalStop(options, config, io, options.json ? undefined : progressPrinter(io));
  try {
    if (command === 'stop') {
      const run = await local.stop.trigger({ source: 'cli', actor, reason: options.reason?.trim() ?? '' });
      print(run, formatRun(run));
      return run.status === 'done' ? 0 : 3;
    }
    if (command === 'resume') {
      const status = await local.stop.resume({ actor, reason: options.reason!.trim() });
      print(status, formatStatus(status));
      return 0;
    }
    const status = local.stop.status();
    print(status, formatStatus(status));
    return 0;
  } catch (err) {
    io.err(`nexus-ops: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await local.close();
  }
}

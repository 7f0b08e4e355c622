/**
 * `nexus-ops bot list | start | stop | restart <id>` for electron/cli.ts. Bots are supervised by the
 * running app, so the command asks it over HTTP on 127.0.0.1 with the API token (as `nexus-ops stop`
 * does); the app audits the action. With no app answering it says so and changes nothing.
 */
import { existsSync, readFileSync } from 'node:fs';

import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { BotStatus } from '../../../shared/api/bots.js';
import { DEFAULT_PORT, serverConfigSchema } from '../../../shared/config/core.js';
import { cliActor, readApiToken } from '../cli/index.js';

export const BOT_CLI_HELP = `  bot list                 Lists the bots with their state, pid, uptime and restarts.
  bot start <id>           Starts a supervised bot (clears its crash-loop guard).
  bot stop <id>            Stops it: Ctrl+C, then its process tree after its grace period.
  bot restart <id>         Stops it and starts it again. The bot commands ask the running app;
                           --reason and --actor are recorded in the audit trail, --json prints JSON.
`;

export type BotCliCommand = 'list' | 'start' | 'stop' | 'restart';

export interface BotCliOptions {
  dataDir: string;
  configFile?: string;
  port?: string;
  reason?: string;
  actor?: string;
  json?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface BotCliIo {
  out(text: string): void;
  err(text: string): void;
}

const processIo: BotCliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

function configuredPort(options: BotCliOptions): number {
  const env = options.env ?? process.env;
  const text = options.port ?? env.NEXUS_OPS_PORT;
  if (text !== undefined) return Number(text);
  const file = options.configFile ?? env.NEXUS_OPS_CONFIG ?? join(options.dataDir, 'config.yaml');
  if (!existsSync(file)) return DEFAULT_PORT;
  try {
    const raw = parseYaml(readFileSync(file, 'utf8')) as { server?: unknown } | null;
    const server = serverConfigSchema.safeParse(raw?.server ?? {});
    return server.success ? server.data.port : DEFAULT_PORT;
  } catch {
    return DEFAULT_PORT;
  }
}

type Answer<T> = { ok: true; value: T } | { ok: false; message: string; exit: number };

async function call<T>(
  port: number,
  bearer: string | null,
  method: string,
  input: unknown,
): Promise<Answer<T>> {
  const base = `http://127.0.0.1:${port}`;
  try {
    const health = await fetch(`${base}/api/health`, { signal: AbortSignal.timeout(1500) });
    if (!health.ok) throw new Error(`HTTP ${health.status}`);
  } catch {
    return {
      ok: false,
      exit: 1,
      message: `no Nexus Ops answers on 127.0.0.1:${port}: bots are supervised by the running app; start it (nexus-ops serve or the desktop app) first`,
    };
  }
  if (!bearer) {
    return {
      ok: false,
      exit: 1,
      message: 'the app is running but no API token was found (NEXUS_OPS_TOKEN or <data-dir>/api-token)',
    };
  }
  try {
    const res = await fetch(`${base}/api/call/${method}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify(input),
      // A stop waits for the bot's grace period and the forced kill.
      signal: AbortSignal.timeout(15 * 60_000),
    });
    const body = (await res.json()) as { ok: boolean; value?: T; error?: { code: string; message: string } };
    if (body.ok) return { ok: true, value: body.value as T };
    return {
      ok: false,
      exit: 1,
      message: `${body.error?.message ?? 'failed'} (${body.error?.code ?? 'internal'})`,
    };
  } catch (err) {
    return {
      ok: false,
      exit: 1,
      message: `the app did not answer: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}

function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h}h${String(m % 60).padStart(2, '0')}m` : `${Math.floor(h / 24)}d${h % 24}h`;
}

export function formatBotLine(b: BotStatus, now = Date.now()): string {
  const parts = [
    b.id.padEnd(16),
    b.state.padEnd(9),
    b.mode === 'supervised' ? (b.start ?? '').padEnd(9) : 'external ',
  ];
  parts.push(b.pid !== null ? `pid ${b.pid}` : '-');
  if (b.startedAt !== null) parts.push(`up ${duration(now - b.startedAt)}`);
  parts.push(`restarts ${b.restarts.count}`);
  if (b.unstable.count > 0) parts.push(`unstable ${b.unstable.count}/${b.unstable.max}`);
  if (b.held) parts.push('HELD by the emergency stop');
  if (b.nextRestartAt !== null) parts.push(`restart at ${new Date(b.nextRestartAt).toLocaleTimeString()}`);
  if (b.schedule?.nextRunAt) parts.push(`next run ${new Date(b.schedule.nextRunAt).toLocaleString()}`);
  if (b.lastExit) {
    const e = b.lastExit;
    parts.push(
      `last exit ${e.outcome}${e.code !== null ? ` ${e.code}` : ''}${e.signal ? ` ${e.signal}` : ''}`,
    );
  }
  if (b.problem) parts.push(`problem: ${b.problem}`);
  return `${parts.join('  ')}\n`;
}

/** Runs one bot command; returns the exit code (0 ok, 1 failure, 2 usage). */
export async function runBotCli(
  command: string | undefined,
  id: string | undefined,
  options: BotCliOptions,
  io: BotCliIo = processIo,
): Promise<number> {
  if (command !== 'list' && command !== 'start' && command !== 'stop' && command !== 'restart') {
    io.err(`nexus-ops: usage: nexus-ops bot list | start <id> | stop <id> | restart <id>\n`);
    return 2;
  }
  if (command !== 'list' && !id) {
    io.err(`nexus-ops: bot ${command} needs the bot id (see nexus-ops bot list)\n`);
    return 2;
  }
  const port = configuredPort(options);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    io.err(`nexus-ops: port "${port}" is not a number between 1 and 65535\n`);
    return 2;
  }
  const bearer = readApiToken(options.dataDir, options.env);
  if (command === 'list') {
    const answer = await call<{ bots: BotStatus[]; held: boolean }>(port, bearer, 'bots.list', {});
    if (!answer.ok) {
      io.err(`nexus-ops: ${answer.message}\n`);
      return answer.exit;
    }
    if (options.json) {
      io.out(`${JSON.stringify(answer.value, null, 2)}\n`);
      return 0;
    }
    if (answer.value.held) io.out('The emergency stop holds the supervised bots until resume.\n');
    if (answer.value.bots.length === 0) io.out('No bots in the config (bots:).\n');
    for (const b of answer.value.bots) io.out(formatBotLine(b));
    return 0;
  }
  const input = {
    id,
    actor: cliActor(options.actor, options.env),
    ...(options.reason?.trim() ? { reason: options.reason.trim() } : {}),
  };
  const answer = await call<BotStatus>(port, bearer, `bots.${command}`, input);
  if (!answer.ok) {
    io.err(`nexus-ops: bot ${command} ${id}: ${answer.message}\n`);
    return answer.exit;
  }
  io.out(options.json ? `${JSON.stringify(answer.value, null, 2)}\n` : formatBotLine(answer.value));
  return 0;
}

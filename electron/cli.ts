import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BOT_CLI_HELP, runBotCli } from './core/bots/index.js';
import { systemClock } from './core/clock/index.js';
import { createCore, schemaMigrations } from './core/index.js';
import { BACKUP_CLI_HELP, runBackupCli } from './core/maintenance/index.js';
import { loadOrCreateToken, MIN_TOKEN_LENGTH, startServer, TokenError } from './core/server/index.js';
import { loadStopCliConfig, runStopCli, STOP_CLI_HELP } from './core/stop/index.js';
import { openStore } from './core/store/index.js';
import { defaultDataDir, packageVersion, rendererDir, resourcesDir } from './paths.js';

const HELP = `Nexus Ops ${packageVersion()}: the operator console for the PC that runs your bots.

Usage: nexus-ops <command> [options]

Commands:
  serve                    Start headless mode: monitoring core + web dashboard on 127.0.0.1.
  token                    Print the dashboard login link (it carries the API token: keep it private).
  --help                   Show this help.
  audit verify             Checks the hash-chained audit trail; names the first broken row.
${BACKUP_CLI_HELP}${BOT_CLI_HELP}${STOP_CLI_HELP}Options (serve, and where to find the app for stop/resume/status):
  --port <n>         Port on 127.0.0.1 (env NEXUS_OPS_PORT; default from config, 17380). 0 = any free port.
  --data-dir <dir>   Data directory (env NEXUS_OPS_DATA_DIR; default ${defaultDataDir()}).
  --config <file>    Config file (env NEXUS_OPS_CONFIG; default <data-dir>/config.yaml).

Environment:
  NEXUS_OPS_TOKEN    API token for headless mode (at least ${MIN_TOKEN_LENGTH} characters). When unset, one is
                     generated and kept in <data-dir>/api-token (owner-only). The login link that
                     carries it is printed once, when it is created; \`nexus-ops token\` prints it again.
`;

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      config: { type: 'string' },
      reason: { type: 'string' },
      actor: { type: 'string' },
      json: { type: 'boolean' },
      yes: { type: 'boolean' },
      scope: { type: 'string' },
    },
  });
  const command = positionals[0];
  if (values.help || !command || command === 'help') {
    process.stdout.write(HELP);
    return command || values.help ? 0 : 1;
  }
  if (command === 'serve') return serve(values);
  if (command === 'token') return printToken(values);
  if (command === 'stop' || command === 'resume' || command === 'status') {
    return runStopCli(command, {
      reason: values.reason,
      actor: values.actor,
      json: values.json,
      dataDir: values['data-dir'] ?? process.env.NEXUS_OPS_DATA_DIR ?? defaultDataDir(),
      configFile: values.config,
      port: values.port,
      migrations: schemaMigrations,
    });
  }
  if (command === 'audit') return auditCommand(positionals[1], values);
  if (command === 'bot') {
    return runBotCli(positionals[1], positionals[2], {
      ...values,
      dataDir: values['data-dir'] ?? process.env.NEXUS_OPS_DATA_DIR ?? defaultDataDir(),
      configFile: values.config,
    });
  }
  if (command === 'backup') {
    return runBackupCli(positionals[1], positionals[2], {
      dataDir: values['data-dir'] ?? process.env.NEXUS_OPS_DATA_DIR ?? defaultDataDir(),
      configFile: values.config,
      port: values.port,
      json: values.json,
      yes: values.yes,
      scope: values.scope,
      actor: values.actor,
      migrations: schemaMigrations,
    });
  }
  process.stderr.write(`nexus-ops: unknown command "${command}". Run nexus-ops --help.\n`);
  return 2;
}

/** `nexus-ops audit verify`: exit 0 when the chain holds, 1 when a row is broken or the database cannot be read. */
function auditCommand(sub: string | undefined, values: { 'data-dir'?: string; json?: boolean }): number {
  if (sub !== 'verify') {
    process.stderr.write('nexus-ops: usage: nexus-ops audit verify [--data-dir DIR] [--json]\n');
    return 2;
  }
  const dataDir = values['data-dir'] ?? process.env.NEXUS_OPS_DATA_DIR ?? defaultDataDir();
  const file = join(dataDir, 'nexus-ops.db');
  let store: ReturnType<typeof openStore>;
  try {
    store = openStore({ file, clock: systemClock, migrations: schemaMigrations });
  } catch (err) {
    process.stderr.write(`nexus-ops: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  try {
    const result = store.verifyAudit();
    if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else if (result.ok) process.stdout.write(`audit trail ok: ${result.rows} rows in ${file}\n`);
    else process.stdout.write(`audit trail BROKEN at row ${result.brokenAt}: ${result.problem} (${file})\n`);
    return result.ok ? 0 : 1;
  } finally {
    store.close();
  }
}

async function serve(values: { port?: string; 'data-dir'?: string; config?: string }): Promise<number> {
  const env = process.env;
  const dataDir = values['data-dir'] ?? env.NEXUS_OPS_DATA_DIR ?? defaultDataDir();
  const version = packageVersion();
  const core = createCore({
    dataDir,
    configFile: values.config ?? env.NEXUS_OPS_CONFIG,
    resourcesDir: resourcesDir(),
    mode: 'headless',
    version,
  });
  const portText = values.port ?? env.NEXUS_OPS_PORT;
  const port = portText !== undefined ? Number(portText) : core.config.current().server.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(
      `nexus-ops: port "${portText}" is not a number between 0 and 65535 (--port or NEXUS_OPS_PORT)\n`,
    );
    await core.close();
    return 2;
  }
  let tokenInfo: ReturnType<typeof loadOrCreateToken>;
  try {
    tokenInfo = loadOrCreateToken(dataDir, env.NEXUS_OPS_TOKEN);
  } catch (err) {
    if (!(err instanceof TokenError)) throw err;
    process.stderr.write(`nexus-ops: ${err.message}\n`);
    await core.close();
    return 2;
  }
  const { token, source, file } = tokenInfo;
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({
      dispatcher: core.dispatcher,
      events: core.events,
      token,
      port,
      staticDir: rendererDir(),
      version,
    });
  } catch (err) {
    process.stderr.write(`nexus-ops: ${err instanceof Error ? err.message : String(err)}\n`);
    await core.close();
    return 1;
  }
  core.start();
  // Last resort: a bug in one capability is logged; monitoring, alerts and the stop keep running.
  process.on('uncaughtException', (err) =>
    process.stderr.write(`nexus-ops: uncaught: ${err.stack ?? err.message}\n`),
  );
  process.on('unhandledRejection', (err) =>
    process.stderr.write(`nexus-ops: unhandled rejection: ${String(err)}\n`),
  );
  // The login link carries the token: printed once, when the token is created, so later starts put
  // nothing secret into a captured log.
  const tokenNote =
    source === 'env'
      ? 'token from NEXUS_OPS_TOKEN'
      : `token kept in ${file}${source === 'new' ? ' (new)' : ''}`;
  const login =
    source === 'new'
      ? `Dashboard: ${server.loginUrl}\n(This link carries the new API token and is printed only this once; \`nexus-ops token\` prints it again.)\n`
      : `Dashboard: ${server.url}\nLog in with the link that \`nexus-ops token\` prints${source === 'env' ? ' (it uses NEXUS_OPS_TOKEN)' : ''}.\n`;
  process.stdout.write(
    `Nexus Ops ${version} headless mode (data: ${dataDir}; config: ${core.config.file}; ${tokenNote})\n${login}`,
  );
  const shutdown = async () => {
    await server.close();
    await core.close();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  return new Promise<number>(() => {});
}

/**
 * `nexus-ops token`: the login link for the dashboard, on demand. The port is the one `serve` uses
 * (--port, NEXUS_OPS_PORT, the config's server.port); the token is created if there is none yet.
 */
function printToken(values: { port?: string; 'data-dir'?: string; config?: string }): number {
  const env = process.env;
  const dataDir = values['data-dir'] ?? env.NEXUS_OPS_DATA_DIR ?? defaultDataDir();
  let info: ReturnType<typeof loadOrCreateToken>;
  try {
    info = loadOrCreateToken(dataDir, env.NEXUS_OPS_TOKEN);
  } catch (err) {
    if (!(err instanceof TokenError)) throw err;
    process.stderr.write(`nexus-ops: ${err.message}\n`);
    return 2;
  }
  const config = loadStopCliConfig({ dataDir, configFile: values.config, port: values.port, env });
  for (const w of config.warnings) process.stderr.write(`nexus-ops: ${w}\n`);
  if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65535) {
    process.stderr.write(`nexus-ops: port "${config.port}" is not a number between 0 and 65535\n`);
    return 2;
  }
  const port = config.port === 0 ? '<port>' : String(config.port);
  process.stdout.write(`http://127.0.0.1:${port}/?token=${encodeURIComponent(info.token)}\n`);
  process.stderr.write(
    info.source === 'env'
      ? 'nexus-ops: the token comes from NEXUS_OPS_TOKEN. Keep this link private: it opens the dashboard.\n'
      : `nexus-ops: the token is kept in ${info.file}${info.source === 'new' ? ' (created now)' : ''}. Keep this link private: it opens the dashboard.\n`,
  );
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`nexus-ops: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}

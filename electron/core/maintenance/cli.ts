/**
 * `nexus-ops backup list | verify <id> | restore <id> [--scope database|all] --yes` for electron/cli.ts.
 *
 * list and verify read the backups folder (verify restores into a temporary folder and records the
 * result next to the archive). restore asks the running app first (its connection is the database's
 * writer, so the app restores, checks and carries on); when no app answers it opens the database itself
 * and does the same. Without --yes it only says what would be replaced.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { BackupView, RestoreResult } from '../../../shared/api/maintenance.js';
import { botsConfigSchema } from '../../../shared/config/bots.js';
import { DEFAULT_PORT, serverConfigSchema } from '../../../shared/config/core.js';
import { maintenanceConfigSchema } from '../../../shared/config/maintenance.js';
import { stopConfigSchema } from '../../../shared/config/stop.js';
import { cliActor, readApiToken } from '../cli/index.js';
import { systemClock } from '../clock/index.js';
import { type Migration, openStore } from '../store/index.js';
import { backupsDir, listBackups, NotFoundError, verifyBackup } from './backup.js';
import { RestoreRefused, restoreBackup } from './restore.js';

export interface BackupCliOptions {
  dataDir: string;
  configFile?: string;
  port?: string;
  json?: boolean;
  yes?: boolean;
  scope?: string;
  actor?: string;
  env?: NodeJS.ProcessEnv;
  nativeBinding?: string;
  migrations: readonly Migration[];
}

export interface BackupCliIo {
  out(text: string): void;
  err(text: string): void;
}

const processIo: BackupCliIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

export const BACKUP_CLI_HELP = `  backup list              Lists the backups with their verification status.
  backup verify <id>       Restores a backup into a temporary folder and compares it (hashes, integrity, rows).
  backup restore <id> --yes [--scope database|all]
                           Replaces the database (all: also the bots' data, only while the emergency
                           stop holds) with a verified backup; refuses one whose verification failed.
`;

function loadSections(options: BackupCliOptions, io: BackupCliIo) {
  const env = options.env ?? process.env;
  const file = options.configFile ?? env.NEXUS_OPS_CONFIG ?? join(options.dataDir, 'config.yaml');
  let raw: Record<string, unknown> = {};
  if (existsSync(file)) {
    try {
      const parsed: unknown = parseYaml(readFileSync(file, 'utf8'));
      if (parsed && typeof parsed === 'object') raw = parsed as Record<string, unknown>;
    } catch (err) {
      io.err(`nexus-ops: ${file}: ${err instanceof Error ? err.message : String(err)}; using defaults\n`);
    }
  }
  const section = <T>(name: string, schema: { safeParse(v: unknown): { success: boolean; data?: T } }): T => {
    const r = schema.safeParse(raw[name] ?? {});
    if (r.success) return r.data as T;
    io.err(`nexus-ops: config section "${name}" is invalid; using its defaults\n`);
    return schema.safeParse(name === 'bots' ? [] : {}).data as T;
  };
  const server = section('server', serverConfigSchema);
  return {
    maintenance: section('maintenance', maintenanceConfigSchema),
    bots: section('bots', botsConfigSchema),
    stop: section('stop', stopConfigSchema),
    port: Number(options.port ?? env.NEXUS_OPS_PORT ?? server.port ?? DEFAULT_PORT),
  };
}

/** The running app's answer, or null when none answers (then the CLI does the work itself). */
async function askApp<T>(
  port: number,
  tok: string | null,
  method: string,
  input: unknown,
): Promise<{ ok: true; value: T } | { ok: false; message: string } | null> {
  const base = `http://127.0.0.1:${port}`;
  try {
    const health = await fetch(`${base}/api/health`, { signal: AbortSignal.timeout(1500) });
    if (!health.ok || !tok) return null;
  } catch {
    return null;
  }
  try {
    const res = await fetch(`${base}/api/call/${method}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' },
      body: JSON.stringify(input),
      signal: AbortSignal.timeout(3_600_000),
    });
    const body = (await res.json()) as { ok: boolean; value?: T; error?: { code: string; message: string } };
    if (body.ok) return { ok: true, value: body.value as T };
    if (body.error?.code === 'unauthorized' || body.error?.code === 'unknown_method') return null;
    return { ok: false, message: body.error?.message ?? 'refused' };
  } catch {
    return null;
  }
}

function line(b: BackupView): string {
  const date = new Date(b.createdAt).toLocaleString();
  const size = `${(b.sizeBytes / 1024 / 1024).toFixed(1)} MiB`;
  const v = b.verification;
  const status =
    v.status === 'ok'
      ? 'verified'
      : v.status === 'failed'
        ? `VERIFICATION FAILED: ${v.problems[0] ?? ''}`
        : 'not verified';
  return `${b.id}  ${date}  ${size}  ${b.bots.reduce((s, x) => s + x.files, 0)} bot file(s)  ${status}`;
}

function describeRestore(r: RestoreResult): string {
  return [
    `restored ${r.backupId} (${r.scope}) in ${r.durationMs} ms; integrity_check ${r.integrity}`,
    ...r.replaced.map((p) => `  replaced: ${p}`),
    ...r.keptAt.map((p) => `  previous version kept at: ${p}`),
    `  rows: ${JSON.stringify(r.rowCounts)}`,
    ...r.warnings.map((w) => `  warning: ${w}`),
  ].join('\n');
}

/** Returns the exit code: 0 ok, 1 failure or refusal, 2 usage. */
export async function runBackupCli(
  sub: string | undefined,
  id: string | undefined,
  options: BackupCliOptions,
  io: BackupCliIo = processIo,
): Promise<number> {
  const c = loadSections(options, io);
  const dir = backupsDir(options.dataDir, c.maintenance.backup);
  const print = (value: unknown, text: string) =>
    io.out(options.json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
  try {
    if (sub === 'list') {
      const list = await listBackups(dir);
      print(list, list.length ? list.map(line).join('\n') : `no backups in ${dir}`);
      return 0;
    }
    if (!id || (sub !== 'verify' && sub !== 'restore')) {
      io.err(`nexus-ops: usage:\n${BACKUP_CLI_HELP}`);
      return 2;
    }
    if (sub === 'verify') {
      const view = await verifyBackup({
        dir,
        id,
        dataDir: options.dataDir,
        now: Date.now(),
        nativeBinding: options.nativeBinding,
      });
      print(view, line(view));
      return view.verification.status === 'ok' ? 0 : 1;
    }
    const scope = options.scope ?? 'database';
    if (scope !== 'database' && scope !== 'all') {
      io.err('nexus-ops: --scope is database or all\n');
      return 2;
    }
    const target = (await listBackups(dir)).find((b) => b.id === id);
    if (!target) throw new NotFoundError(`no backup "${id}" in ${dir}`);
    if (!options.yes) {
      const what = [
        `the database ${join(options.dataDir, 'nexus-ops.db')}`,
        ...(scope === 'all'
          ? target.bots.map((b) => `the data folders of bot ${b.bot} under ${b.root}`)
          : []),
      ];
      io.err(
        `nexus-ops: restore ${id} would replace ${what.join(', ')} (the current versions are kept aside). Add --yes to do it.\n`,
      );
      return 2;
    }
    const actor = cliActor(options.actor, options.env);
    const answer = await askApp<RestoreResult>(
      c.port,
      readApiToken(options.dataDir, options.env),
      'maintenance.restore',
      {
        backupId: id,
        scope,
        actor,
        confirm: id,
      },
    );
    if (answer?.ok === false) {
      io.err(`nexus-ops: restore refused by the running app: ${answer.message}\n`);
      return 1;
    }
    if (answer?.ok) {
      print(answer.value, describeRestore(answer.value));
      return 0;
    }
    const store = openStore({
      file: join(options.dataDir, 'nexus-ops.db'),
      clock: systemClock,
      migrations: options.migrations,
      nativeBinding: options.nativeBinding,
    });
    try {
      const result = await restoreBackup({
        dir,
        id,
        scope,
        dataDir: options.dataDir,
        db: store.db,
        migrations: options.migrations,
        cfg: c.maintenance.backup,
        bots: c.bots,
        killSwitchFile: c.stop.killSwitchFile,
        now: Date.now(),
        nativeBinding: options.nativeBinding,
      });
      store.appendAudit({ actor, action: 'maintenance.restored', details: { ...result } });
      print(result, describeRestore(result));
      return 0;
    } finally {
      store.close();
    }
  } catch (err) {
    const refused = err instanceof RestoreRefused || err instanceof NotFoundError;
    io.err(`nexus-ops: ${refused ? '' : 'backup: '}${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CronExpressionParser } from 'cron-parser';
import type { BotConfig } from '../../../shared/config/bots.js';
import type { Config, ConfigIssue } from '../../../shared/config/schema.js';
import { seriesKey } from '../../../shared/series.js';
import type { Capability, CoreContext, HandlersOf } from '../capability/index.js';
import { localTimeZone } from '../clock/index.js';
import type { JobRunner, JobSpec } from '../jobs/index.js';
import type { Platform, ProcessInfo } from '../platform/index.js';
import type { BotSchedulePauser } from '../stop/index.js';
import { LEARNING_FOLDERS, readLearningData } from './learning.js';
import { nodeRelayLauncher, type RelayLauncher } from './relay-launcher.js';
import { createBotsRepo } from './repo.js';
import { nextCronSlot } from './schedule.js';
import { createSupervisor, type Supervisor } from './supervisor.js';

export interface BotsCapability extends Capability {
  readonly supervisor: Supervisor;
  /** For the emergency stop (createStopCapability's `schedules`): holds supervised bots until resume. */
  readonly pauser: BotSchedulePauser;
}

export interface BotsCapabilityDeps {
  platform: Pick<Platform, 'processes' | 'killer'>;
  /**
   * The process table for the bots' process counts: the monitor's last scan when it is young enough,
   * so that a configured bot does not mean a second scan of every process each second. Default: a scan.
   */
  recentProcesses?: (maxAgeMs: number) => Promise<ProcessInfo[]>;
  /** The core job runner: one calendar job per scheduled bot, re-made when the config changes. */
  jobs: Pick<JobRunner, 'add' | 'remove' | 'has'>;
  /** The relay bundle; default `bot-relay.cjs` next to the running bundle (dist/electron). */
  relayScript?: string;
  /** Starts relays; default our own binary (tests may pass another). */
  launcher?: RelayLauncher;
  /** Supervision tick (run ends, restarts, timeouts), ms; default 1000. */
  tickMs?: number;
  selfPid?: number;
  pollMs?: number;
}

/** Ids the stop records for the bots it paused, so they never collide with other schedules' ids. */
const PAUSED_PREFIX = 'bot:';

/** dist/electron/bot-relay.cjs next to the bundle that runs core; unpacked from app.asar when packaged. */
export function defaultRelayScript(): string | null {
  if (typeof __dirname !== 'string') return null; // ESM (tests run the sources): pass relayScript
  const packed = join(__dirname, 'bot-relay.cjs');
  const unpacked = packed.replace(/app\.asar([\\/])/, 'app.asar.unpacked$1');
  if (unpacked !== packed && existsSync(unpacked)) return unpacked;
  return existsSync(packed) ? packed : null;
}

function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * Bots as objects: supervised launches through the relay, captured output, the restart policy with a
 * crash-loop guard that survives restarts, schedules, adoption after a restart of Nexus Ops, the
 * emergency stop's hold, the `restart-bot` action, bot metrics and the `bots.*` API.
 */
export function createBotsCapability(ctx: CoreContext, deps: BotsCapabilityDeps): BotsCapability {
  const relayScript = deps.relayScript ?? defaultRelayScript();
  const launcher = deps.launcher ?? (relayScript ? nodeRelayLauncher(relayScript) : null);
  const bots = (): readonly BotConfig[] => ctx.config.current().bots;
  const repo = createBotsRepo(ctx.store, (m) => ctx.log.warn(`bots: ${m}`));
  const supervisor = createSupervisor({
    clock: ctx.clock,
    dataDir: ctx.dataDir,
    log: ctx.log,
    bots,
    repo,
    processes: deps.platform.processes,
    scanProcesses: () => {
      // One interval and a half: this job and the monitor's share a wake-up, and whichever runs first,
      // the monitor's table from one interval ago must still count (else every second scans twice).
      const maxAge = ctx.config.current().monitor.processIntervalSeconds * 1500;
      return deps.recentProcesses ? deps.recentProcesses(maxAge) : deps.platform.processes.list();
    },
    killer: deps.platform.killer,
    launcher: () => launcher,
    env: process.env,
    selfPid: deps.selfPid ?? process.pid,
    pollMs: deps.pollMs,
    onState(bot) {
      ctx.emit({ type: 'bots.state', bot });
      ctx.hooks.emit('bots.state', { bot });
    },
    onOutput: (id, size) => ctx.emit({ type: 'bots.output', id, size }),
    audit: (actor, action, details) => repo.audit({ actor, action, details }),
    killSwitchPresent() {
      const name = ctx.config.current().stop.killSwitchFile;
      const roots = [...new Set(bots().map((b) => b.root))].filter((r) => existsSync(r));
      if (roots.length === 0) return null;
      return roots.some((r) => existsSync(join(r, name)));
    },
  });

  // ---- schedules: one calendar job per scheduled bot ----
  const scheduled = new Map<string, string>(); // bot id → "cron|zone" its job was made for
  const jobName = (id: string) => `bots.schedule.${id}`;
  function syncSchedules(config: Config): void {
    const wanted = new Map<string, { cron: string; tz: string }>();
    for (const b of config.bots) {
      if (!b.enabled || b.run.mode !== 'supervised' || b.run.start !== 'schedule' || !b.run.cron) continue;
      const tz = b.run.timezone ?? localTimeZone();
      if (!isValidTimeZone(tz) || nextCronSlot(b.run.cron, tz, ctx.clock.now()) === null) continue;
      wanted.set(b.id, { cron: b.run.cron, tz });
    }
    for (const [id, made] of scheduled) {
      const w = wanted.get(id);
      if (w && `${w.cron}|${w.tz}` === made) continue;
      deps.jobs.remove(jobName(id));
      scheduled.delete(id);
    }
    for (const [id, w] of wanted) {
      if (scheduled.has(id)) continue;
      deps.jobs.add({
        name: jobName(id),
        schedule: {
          next: (after) => nextCronSlot(w.cron, w.tz, after),
          describe: `cron ${w.cron} (${w.tz})`,
        },
        run: () => supervisor.runScheduled(id),
      });
      scheduled.set(id, `${w.cron}|${w.tz}`);
    }
  }

  // ---- config problems the schema cannot see ----
  function check(config: Config): ConfigIssue[] {
    const locate = ctx.config.locate();
    const issues: ConfigIssue[] = [];
    const issue = (path: (string | number)[], message: string) => {
      const at = locate(path);
      issues.push({
        file: ctx.config.file,
        ...(at ? { line: at.line, col: at.col } : {}),
        path: path.join('.'),
        message,
      });
    };
    config.bots.forEach((b, i) => {
      for (const key of ['cmdline', 'exe'] as const) {
        const pattern = b.processes?.[key];
        if (!pattern) continue;
        try {
          new RegExp(pattern);
        } catch (err) {
          issue(['bots', i, 'processes', key], `not a regular expression: ${(err as Error).message}`);
        }
      }
      if (b.run.mode !== 'supervised') return;
      if (!launcher && b.enabled) {
        issue(
          ['bots', i, 'run'],
          'supervised bots need the relay program (bot-relay.cjs), which is missing: rebuild or reinstall Nexus Ops',
        );
      }
      const tz = b.run.timezone ?? localTimeZone();
      if (b.run.timezone && !isValidTimeZone(b.run.timezone)) {
        issue(['bots', i, 'run', 'timezone'], `unknown time zone "${b.run.timezone}" (e.g. Asia/Tokyo)`);
      }
      if (b.run.cron) {
        try {
          CronExpressionParser.parse(b.run.cron, { tz: isValidTimeZone(tz) ? tz : 'UTC' });
        } catch (err) {
          issue(['bots', i, 'run', 'cron'], `not a cron expression: ${(err as Error).message}`);
        }
      }
      if (!existsSync(b.root)) {
        issue(['bots', i, 'root'], `the folder ${b.root} does not exist: this bot cannot start`);
      }
    });
    return issues;
  }

  let issues = check(ctx.config.current());
  syncSchedules(ctx.config.current());

  // ---- metrics: stored at the monitor's store cadence, announced every scan ----
  let lastStored = 0;
  async function scan(): Promise<void> {
    const { ts, samples } = await supervisor.scan();
    if (samples.length === 0) return;
    const live = samples.map((s) => ({ ...s, ts, key: seriesKey(s.name, s.labels) }));
    ctx.hooks.emit('samples', { ts, samples: live });
    const storeEvery = ctx.config.current().monitor.storeIntervalSeconds * 1000;
    if (ts - lastStored >= storeEvery) {
      lastStored = ts;
      ctx.store.writeSamples(live.map(({ name, labels, value }) => ({ name, labels, ts, value })));
    }
  }

  const RUNS_KEPT_PER_BOT = 500;
  const jobs: JobSpec[] = [
    { name: 'bots.supervise', schedule: { every: deps.tickMs ?? 1000 }, run: () => supervisor.tick() },
    {
      name: 'bots.scan',
      schedule: { every: () => ctx.config.current().monitor.processIntervalSeconds * 1000 },
      run: scan,
      timeoutMs: 30_000,
    },
    {
      name: 'bots.retention',
      schedule: { every: 86_400_000, startAfter: 600_000 },
      run: () => repo.pruneRuns(RUNS_KEPT_PER_BOT),
    },
  ];

  const actorOf = (actor: string | undefined, fallback: string) => actor?.trim() || fallback;
  const handlers: HandlersOf<'bots'> = {
    'bots.list': () => {
      const hold = supervisor.hold();
      return { bots: supervisor.list(), held: hold.held, heldSince: hold.since };
    },
    'bots.get': ({ id }) => supervisor.get(id),
    'bots.start': ({ id, actor, reason }) => supervisor.start(id, actorOf(actor, 'operator'), reason),
    'bots.stop': ({ id, actor, reason }) => supervisor.stop(id, actorOf(actor, 'operator'), reason),
    'bots.restart': ({ id, actor, reason }) => supervisor.restart(id, actorOf(actor, 'operator'), reason),
    'bots.output': ({ id, lines }) => supervisor.output(id, lines),
  };

  ctx.actions.provide('restart-bot', async (a) => {
    if (!a.target) throw new Error('restart-bot needs the bot id as its target');
    await supervisor.restart(a.target, `rule:${a.ruleId}`, a.reason);
  });
  const unhook = ctx.hooks.on('stop.changed', ({ stopped }) => supervisor.stopChanged(stopped));

  // Evidence for the checklists ("bot runs since 18:00"): the supervised runs that started in the window,
  // and how many of them ended with an error.
  const runsIn = ctx.store.db.prepare<[number, number], { runs: number; failed: number }>(
    `SELECT count(*) AS runs, coalesce(sum(outcome IN ('failed', 'timeout', 'vanished', 'start-failed')), 0) AS failed
     FROM bot_runs WHERE started_at BETWEEN ? AND ?`,
  );
  ctx.evidence.provide('bots.runs', {
    label: { ja: 'ボットの実行回数', en: 'Bot runs' },
    read({ from, to }) {
      const r = runsIn.get(from, to) ?? { runs: 0, failed: 0 };
      return {
        value: r.runs,
        text: {
          ja: `${r.runs} 回${r.failed > 0 ? `（うち失敗 ${r.failed}）` : ''}`,
          en: `${r.runs} run${r.runs === 1 ? '' : 's'}${r.failed > 0 ? ` (${r.failed} failed)` : ''}`,
        },
        verdict: r.failed > 0 ? 'attention' : 'pass',
      };
    },
  });

  // Evidence for 「学習データ蓄積状況確認」 (evening) and 「学習データ品質」 (weekly): the learning files
  // the bots wrote in the window, in their learning folders.
  ctx.evidence.provide('bots.learning-data', {
    label: { ja: '学習データの蓄積', en: 'Learning data accumulated' },
    read({ from, to }) {
      const enabled = bots().filter((b) => b.enabled);
      const d = readLearningData(enabled, from, to);
      if (d.bots.length === 0) {
        const where = LEARNING_FOLDERS.join(', ');
        return {
          value: null,
          text: {
            ja: `学習データのフォルダ（${where}）がどのボットにもありません`,
            en: `no bot has a learning data folder (${where})`,
          },
          // No bot at all: nothing to judge (shown as information); bots without the folder: look.
          verdict: enabled.length === 0 ? undefined : 'attention',
        };
      }
      const mb = (d.bytes / 1_048_576).toFixed(1);
      return {
        value: d.updated,
        text: {
          ja: `${d.updated} 件更新（全 ${d.files} 件・${mb} MB、${d.bots.join('・')}）`,
          en: `${d.updated} updated (of ${d.files} files, ${mb} MB; ${d.bots.join(', ')})`,
        },
        verdict: d.updated > 0 ? 'pass' : 'attention',
        ...(d.newest !== null ? { at: d.newest } : {}),
      };
    },
  });

  const pauser: BotSchedulePauser = {
    async pauseBotSchedules() {
      return (await supervisor.pause()).map((id) => `${PAUSED_PREFIX}${id}`);
    },
    async resumeBotSchedules(ids) {
      supervisor.release(
        ids.filter((id) => id.startsWith(PAUSED_PREFIX)).map((id) => id.slice(PAUSED_PREFIX.length)),
      );
    },
  };

  return {
    name: 'bots',
    supervisor,
    pauser,
    handlers,
    jobs,
    onConfig(config) {
      issues = check(config);
      syncSchedules(config);
      supervisor.applyConfig();
      return issues;
    },
    configIssues: () => issues,
    health: () => (supervisor.list().some((b) => b.state === 'errored') ? 'warning' : 'ok'),
    start() {
      supervisor
        .init()
        .catch((err: unknown) =>
          ctx.log.error(`bots: start failed: ${err instanceof Error ? err.message : String(err)}`),
        );
    },
    close() {
      // Supervised bots keep running: the next Nexus Ops adopts them.
      supervisor.close();
      unhook();
      for (const id of scheduled.keys()) deps.jobs.remove(jobName(id));
      scheduled.clear();
    },
  };
}

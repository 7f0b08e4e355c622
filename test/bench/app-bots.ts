/**
 * The whole app at the SHIPPED cadences while bots write 100 lines/s (issue 11), next to Glances
 * measured in the same run. For test/bench/run.ts (`npm run bench -- app-with-bots`).
 *
 * The built app (`dist/electron/cli.cjs serve`, headless: monitor, alerts, store, logs, bots, API
 * server; no dashboard open) runs with a temporary data folder and a config that only declares two bots
 * (every cadence is the shipped default):
 * - `sup`: supervised, a python3 bot that logs ~50 lines/s to stdout in Nexus 02's Python logging
 *   format (Japanese and ASCII, a traceback every 100th record), captured by the relay and ingested;
 * - `ext`: external, a python3 writer (started by the bench, like Task Scheduler would) appends ~50
 *   lines/s in the same format to the bot's `log/*.log`, followed through `logs:`.
 *
 * The app's CPU is its process tree from /proc: the app process, the children it reaped during the
 * window (cutime/cstime) and its relays; the bots' own python processes are reported apart, they are
 * the bots' cost, not Nexus Ops'. Glances runs alongside at its default refresh (2 s) and at 1 s (what
 * issue 11 names) over the same window. Records stored per bot over the window prove the load ran.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startHeadless } from '../helpers/headless.js';
import { pythonExe } from '../helpers/python.js';

const CLOCK_TICKS = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () => loadavg().map((v) => Math.round(v * 100) / 100);

/** A Python logging bot: `%(asctime)s - %(levelname)s - %(message)s`, `rate` records/s, to stdout or a file. */
const BOT_SCRIPT = `
import logging, sys, time
rate = float(sys.argv[1])
target = sys.argv[2] if len(sys.argv) > 2 else None
handler = logging.FileHandler(target, encoding="utf-8") if target else logging.StreamHandler(sys.stdout)
handler.setFormatter(logging.Formatter("%(asctime)s - %(levelname)s - %(message)s"))
log = logging.getLogger("bench")
log.addHandler(handler)
log.setLevel(logging.INFO)
accounts = ["nexus_main", "nexus_sub1", "nexus_sub2"]
start = time.monotonic()
n = 0
while True:
    account = accounts[n % len(accounts)]
    if n % 100 == 99:
        try:
            raise TimeoutError("いいね操作がタイムアウトしました")
        except TimeoutError:
            log.exception("[%s] [like] failed: tweet %d", account, 1966000000000000000 + n)
    elif n % 10 == 9:
        log.warning("[%s] [reply] 返信をスキップしました: 同じ相手に24時間以内 (%d)", account, n)
    else:
        log.info("[%s] [like] success: %d いいね完了", account, 1966000000000000000 + n)
    n += 1
    delay = start + n / rate - time.monotonic()
    if delay > 0:
        time.sleep(delay)
`;

interface ProcEntry {
  pid: number;
  ppid: number;
  /** utime + stime, clock ticks. */
  ticks: number;
  /** cutime + cstime: children waited for. */
  childTicks: number;
  cmdline: string;
}

function readProc(pid: number): ProcEntry | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "pid (comm) ": state=0 ppid=1 … utime=11 stime=12 cutime=13 cstime=14.
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    return {
      pid,
      ppid: Number(f[1]),
      ticks: Number(f[11]) + Number(f[12]),
      childTicks: Number(f[13]) + Number(f[14]),
      cmdline,
    };
  } catch {
    return null;
  }
}

/** The process and all its descendants (by parent pid), read from /proc. */
function processTree(root: number): Map<number, ProcEntry> {
  const all = new Map<number, ProcEntry>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const e = readProc(Number(name));
    if (e) all.set(e.pid, e);
  }
  const tree = new Map<number, ProcEntry>();
  const rootEntry = all.get(root);
  if (!rootEntry) return tree;
  tree.set(root, rootEntry);
  let grew = true;
  while (grew) {
    grew = false;
    for (const e of all.values()) {
      if (!tree.has(e.pid) && tree.has(e.ppid)) {
        tree.set(e.pid, e);
        grew = true;
      }
    }
  }
  return tree;
}

function rssMb(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}

const pct = (ticks: number, seconds: number) => Math.round((ticks / CLOCK_TICKS / seconds) * 10_000) / 100;

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await Promise.race([once(child, 'exit'), sleep(5000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

export interface AppWithBotsOptions {
  /** Seconds after the app is up before the window starts (startup, first ingest, JIT). */
  warmupSeconds?: number;
  windowSeconds?: number;
  /** Records per second per bot (two bots). */
  linesPerSecondPerBot?: number;
}

export async function benchAppWithBots(options: AppWithBotsOptions = {}) {
  const warmup = options.warmupSeconds ?? 30;
  const windowSeconds = options.windowSeconds ?? 60;
  const rate = options.linesPerSecondPerBot ?? 50;
  const dir = mkdtempSync(join(tmpdir(), 'nexus-bench-app-bots-'));
  const supRoot = join(dir, 'bots', 'sup bot');
  const extRoot = join(dir, 'bots', 'ext bot');
  const dataDir = join(dir, 'app');
  mkdirSync(supRoot, { recursive: true });
  mkdirSync(join(extRoot, 'log'), { recursive: true });
  mkdirSync(dataDir);
  const script = join(dir, 'bots', 'logging_bot.py');
  writeFileSync(script, BOT_SCRIPT);
  const python = pythonExe();
  const config = [
    'bots:',
    '  - id: sup',
    `    root: ${JSON.stringify(supRoot)}`,
    '    run:',
    '      mode: supervised',
    `      command: ${JSON.stringify(python)}`,
    `      args: [${JSON.stringify(script)}, "${rate}"]`,
    '      start: always',
    '      stopGraceSeconds: 2',
    '  - id: ext',
    `    root: ${JSON.stringify(extRoot)}`,
    '    run: { mode: external }',
    '    logs:',
    '      - path: log/*.log',
    '',
  ].join('\n');
  const children: ChildProcess[] = [];
  /** What this run started under the app (relays, the supervised bot), by pid and command line. */
  const leftovers = new Map<number, string>();
  let app: Awaited<ReturnType<typeof startHeadless>> | undefined;
  try {
    if (spawnSync('sh', ['-c', 'command -v glances']).status !== 0)
      throw new Error('glances is missing: apt-get install glances');
    app = await startHeadless({ dataDir, config });
    const writer = spawn(python, [script, String(rate), join(extRoot, 'log', 'ext_20250913_120000.log')], {
      stdio: 'ignore',
    });
    children.push(writer);
    const glancesDefault = spawn('glances', ['-q'], { stdio: 'ignore' });
    const glances1s = spawn('glances', ['-q', '-t', '1'], { stdio: 'ignore' });
    children.push(glancesDefault, glances1s);

    await sleep(warmup * 1000);
    const appPid = app.child.pid!;
    const sup = (await app.call<{ state: string; pid: number | null }>('bots.get', { id: 'sup' })).value;
    if (!sup?.pid) throw new Error(`the supervised bot is not running: ${JSON.stringify(sup)}`);

    const db = new Database(join(dataDir, 'nexus-ops.db'), { readonly: true });
    const stored = () =>
      Object.fromEntries(
        db
          .prepare<[], { bot_id: string; n: number }>(
            'SELECT bot_id, count(*) AS n FROM log_records GROUP BY bot_id',
          )
          .all()
          .map((r) => [r.bot_id, r.n]),
      ) as Record<string, number>;
    const one = (pid: number | undefined) => (pid === undefined ? null : readProc(pid));

    const loadBefore = load();
    const storedBefore = stored();
    const t0 = performance.now();
    const tree0 = processTree(appPid);
    const g0 = { def: one(glancesDefault.pid), one: one(glances1s.pid), writer: one(writer.pid) };
    await sleep(windowSeconds * 1000);
    const tree1 = processTree(appPid);
    const g1 = { def: one(glancesDefault.pid), one: one(glances1s.pid), writer: one(writer.pid) };
    const wall = (performance.now() - t0) / 1000;
    const storedAfter = stored();
    const loadAfter = load();
    db.close();

    // The bot processes under the relay run the bot's script; the rest of the tree is Nexus Ops.
    const isBot = (e: ProcEntry) => e.cmdline.includes(script);
    let appTicks = 0;
    let relayTicks = 0;
    let botTicks = 0;
    const relays: number[] = [];
    for (const e of tree1.values()) {
      if (e.pid !== appPid) leftovers.set(e.pid, e.cmdline);
      const before = tree0.get(e.pid);
      const delta = e.ticks - (before?.ticks ?? 0);
      if (isBot(e)) {
        botTicks += delta;
      } else if (e.pid === appPid) {
        appTicks += delta + (e.childTicks - (before?.childTicks ?? e.childTicks));
      } else {
        relays.push(e.pid);
        relayTicks += delta;
      }
    }
    const glancesPct = (a: ProcEntry | null, b: ProcEntry | null) =>
      a && b ? pct(b.ticks - a.ticks, wall) : null;
    const nexusPct = pct(appTicks + relayTicks, wall);
    const glancesDefaultPct = glancesPct(g0.def, g1.def);
    const glances1sPct = glancesPct(g0.one, g1.one);
    const ratio = (g: number | null) => (g && g > 0 ? Math.round((nexusPct / g) * 1000) / 1000 : null);
    const linesStored = Object.fromEntries(
      ['sup', 'ext'].map((id) => [id, (storedAfter[id] ?? 0) - (storedBefore[id] ?? 0)]),
    );
    return {
      name: 'app.withBots',
      command: 'npm run bench -- app-with-bots (test/bench/app-bots.ts benchAppWithBots)',
      cadences: 'shipped defaults (live 5 s, process scan 5 s, store 30 s)',
      bots: {
        sup: 'supervised python3, logging to stdout, captured by the relay',
        ext: 'external, python3 writer appending to log/*.log',
      },
      linesPerSecondWritten: rate * 2,
      linesStoredPerSecond: Object.fromEntries(
        Object.entries(linesStored).map(([id, n]) => [id, Math.round((n / wall) * 10) / 10]),
      ),
      warmupSeconds: warmup,
      windowSeconds: Math.round(wall * 10) / 10,
      app: {
        cpuPctOneCore: nexusPct,
        mainProcessPctOneCore: pct(appTicks, wall),
        relaysPctOneCore: pct(relayTicks, wall),
        relays: relays.length,
        rssMb: rssMb(appPid),
      },
      botsCpu: {
        supervisedBotPctOneCore: pct(botTicks, wall),
        externalWriterPctOneCore: glancesPct(g0.writer, g1.writer),
      },
      glances: {
        defaultRefresh: { command: 'glances -q', cpuPctOneCore: glancesDefaultPct },
        oneSecond: { command: 'glances -q -t 1', cpuPctOneCore: glances1sPct },
      },
      appCpuRatioToGlancesDefault: ratio(glancesDefaultPct),
      appCpuRatioToGlances1s: ratio(glances1sPct),
      loadAverage: { before: loadBefore, after: loadAfter },
    };
  } finally {
    // The relay and its bot are detached on purpose (they outlive Nexus Ops); stop the bot through the
    // app first, then end whatever of this run is left, by its own pid.
    if (app) {
      await app.call('bots.stop', { id: 'sup', reason: 'bench done' }).catch(() => undefined);
      for (const e of processTree(app.child.pid ?? -1).values())
        if (e.pid !== app.child.pid) leftovers.set(e.pid, e.cmdline);
      await app.close();
    }
    await Promise.all(children.map((c) => stopChild(c)));
    for (const [pid, cmdline] of leftovers) {
      if (readProc(pid)?.cmdline !== cmdline) continue; // gone (or the pid is someone else's now)
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // ended meanwhile
      }
    }
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}

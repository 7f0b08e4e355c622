/**
 * The relay: a small program (bundled to dist/electron/bot-relay.cjs by scripts/build.mjs) that runs one
 * supervised bot run outside Nexus Ops. Started detached by Nexus Ops with the run's spec on stdin and
 * the bot's data folder as its argument, it
 *   1. records itself in run.json (state starting),
 *   2. starts the bot with pipes for stdout and stderr (hidden console on Windows),
 *   3. writes every line, with its arrival time and stream, to output/current.log (capture.ts),
 *   4. records the bot's pid and start time, then its exit code, in run.json, and exits.
 * It never restarts anything: the restart policy is Nexus Ops' (which may have restarted meanwhile and
 * adopts the run from run.json). A signal to the relay itself (a logoff, a service manager) is passed
 * on to the bot.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type CapturedLine, CaptureWriter, LineSplitter } from './capture.js';
import { botEnvironment, botSpawnOptions, type RelaySpec, resolveLaunch } from './launch.js';
import { OUTPUT_DIR, type RunFile, writeRunFile } from './run-file.js';

/** After the bot's exit, wait this long for its pipes to drain (a grandchild may hold them open). */
const DRAIN_AFTER_EXIT_MS = 3000;
const SPEC_TIMEOUT_MS = 15_000;
/** Captured lines are appended at most this long after they arrived, or at once by this many. */
const WRITE_EVERY_MS = 50;
const WRITE_BATCH_LINES = 2000;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => reject(new Error('no run spec on stdin')), SPEC_TIMEOUT_MS);
    process.stdin.on('data', (c: Buffer) => chunks.push(c));
    process.stdin.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    process.stdin.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

function parseSpec(text: string): RelaySpec {
  const spec = JSON.parse(text) as RelaySpec;
  if (spec?.version !== 1 || typeof spec.botId !== 'string' || typeof spec.command !== 'string') {
    throw new Error('the run spec on stdin is not one this relay understands');
  }
  return spec;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export async function runRelay(dir: string): Promise<number> {
  const started = Math.round(performance.timeOrigin);
  const relayLog = (message: string) => {
    try {
      appendFileSync(join(dir, 'relay.log'), `${new Date().toISOString()} [${process.pid}] ${message}\n`);
    } catch {
      // nowhere left to say it
    }
  };
  mkdirSync(dir, { recursive: true });
  let spec: RelaySpec;
  try {
    spec = parseSpec(await readStdin());
  } catch (err) {
    relayLog(`cannot start: ${errorText(err)}`);
    return 2;
  }

  const run: RunFile = {
    version: 1,
    botId: spec.botId,
    runId: spec.runId,
    state: 'starting',
    relay: { pid: process.pid, startedAt: started },
    bot: null,
    exit: null,
    updatedAt: Date.now(),
  };
  const save = () => {
    run.updatedAt = Date.now();
    try {
      writeRunFile(dir, run);
    } catch (err) {
      relayLog(`cannot write run.json: ${errorText(err)}`);
    }
  };
  save();

  const writer = new CaptureWriter(join(dir, OUTPUT_DIR), spec.output, Date.now, relayLog);
  try {
    mkdirSync(join(dir, OUTPUT_DIR), { recursive: true });
    writer.open();
  } catch (err) {
    run.state = 'exited';
    run.exit = {
      code: null,
      signal: null,
      at: Date.now(),
      error: `cannot open the output file: ${errorText(err)}`,
    };
    save();
    return 1;
  }

  // Lines of both streams go out in arrival order, gathered for up to WRITE_EVERY_MS into one append:
  // an unbuffered bot writes each line on its own, and a write per line cost more CPU than the bot.
  // Each line keeps the time it arrived.
  let queue: CapturedLine[] = [];
  let scheduled: NodeJS.Timeout | null = null;
  const writeQueued = () => {
    if (scheduled) clearTimeout(scheduled);
    scheduled = null;
    const lines = queue;
    queue = [];
    try {
      writer.write(lines);
    } catch (err) {
      relayLog(`cannot write output (${lines.length} line(s) lost): ${errorText(err)}`);
    }
  };
  const enqueue = (line: CapturedLine) => {
    queue.push(line);
    if (queue.length >= WRITE_BATCH_LINES) writeQueued();
    else scheduled ??= setTimeout(writeQueued, WRITE_EVERY_MS);
  };

  const env = botEnvironment(process.env, spec.env);
  const launch = resolveLaunch(spec.command, spec.args, {
    platform: process.platform,
    env,
    cwd: spec.cwd,
    exists: isFile,
  });

  let child: ChildProcess;
  try {
    child = spawn(launch.file, launch.args, botSpawnOptions(launch, spec.cwd, env));
  } catch (err) {
    run.state = 'exited';
    run.exit = { code: null, signal: null, at: Date.now(), error: startError(spec, err) };
    save();
    writer.close();
    return 1;
  }

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const) {
    try {
      process.on(signal, () => {
        relayLog(`${signal} received: passing it on to the bot`);
        child.kill(signal);
      });
    } catch {
      // a signal this platform does not have
    }
  }

  const splitters = {
    o: new LineSplitter('o', enqueue),
    e: new LineSplitter('e', enqueue),
  };
  const quietTimers: Partial<Record<'o' | 'e', NodeJS.Timeout>> = {};
  const watch = (stream: NodeJS.ReadableStream | null, mark: 'o' | 'e') => {
    if (!stream) return;
    stream.on('data', (chunk: Buffer) => {
      const splitter = splitters[mark];
      splitter.push(chunk, Date.now());
      clearTimeout(quietTimers[mark]);
      if (splitter.hasPartial) {
        quietTimers[mark] = setTimeout(() => splitter.flush(Date.now()), spec.partialFlushMs);
      }
    });
    stream.on('error', (err) => relayLog(`${mark === 'o' ? 'stdout' : 'stderr'}: ${errorText(err)}`));
  };
  watch(child.stdout, 'o');
  watch(child.stderr, 'e');

  return new Promise<number>((resolve) => {
    let finished = false;
    const finish = (exit: NonNullable<RunFile['exit']>) => {
      if (finished) return;
      finished = true;
      for (const timer of Object.values(quietTimers)) clearTimeout(timer);
      const now = Date.now();
      splitters.o.flush(now);
      splitters.e.flush(now);
      writeQueued();
      writer.close();
      run.state = 'exited';
      run.exit = exit;
      save();
      resolve(0);
    };

    child.once('spawn', () => {
      run.state = 'running';
      run.bot = { pid: child.pid ?? 0, startedAt: Date.now(), command: spec.command };
      save();
    });
    child.once('error', (err) => {
      // Only a failure to start (or to signal) reaches here; a failed start has no exit event.
      if (run.bot === null)
        finish({ code: null, signal: null, at: Date.now(), error: startError(spec, err) });
      else relayLog(`bot process: ${errorText(err)}`);
    });
    child.once('exit', (code, signal) => {
      const exit = { code, signal, at: Date.now(), error: null };
      // Keep reading what the bot wrote before it ended; give up on pipes a grandchild still holds.
      const drained = setTimeout(() => finish(exit), DRAIN_AFTER_EXIT_MS);
      child.once('close', () => {
        clearTimeout(drained);
        finish(exit);
      });
    });
  });
}

function startError(spec: RelaySpec, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') {
    return `cannot start "${spec.command}": not found (not on PATH, or ${spec.cwd} does not exist)`;
  }
  if (code === 'EACCES') return `cannot start "${spec.command}": permission denied`;
  return `cannot start "${spec.command}": ${errorText(err)}`;
}

/** The bundle's entry (scripts/build.mjs): `bot-relay.cjs <bot data folder>`. */
export function relayMain(): void {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: bot-relay <bot data folder> (run spec on stdin)\n');
    process.exit(2);
  }
  runRelay(dir).then(
    (code) => process.exit(code),
    (err: unknown) => {
      try {
        appendFileSync(
          join(dir, 'relay.log'),
          `${new Date().toISOString()} relay failed: ${errorText(err)}\n`,
        );
      } catch {
        // nothing more to do
      }
      process.exit(1);
    },
  );
}

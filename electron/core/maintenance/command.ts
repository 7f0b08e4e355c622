/**
 * Command jobs, command health checks and audit commands: one child process, run without a shell
 * (Windows .cmd/.bat through cmd.exe, which cannot be avoided for pnpm/npm), its output kept as a
 * bounded tail, and, when the signal aborts (timeout, Nexus Ops closing), stopped as a whole tree with
 * the platform's killer: one snapshot, the child and every descendant (parent links checked against
 * start times), forced, then re-scanned for stragglers started meanwhile.
 */
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { win32 } from 'node:path';
import type { Platform, ProcessInfo } from '../platform/index.js';
import { maskKnown } from '../secrets/index.js';

export interface CommandSpec {
  command: string;
  args: readonly string[];
  cwd?: string;
  env?: Record<string, string>;
  /** Resolved secret values (from ${env:NAME}) to mask in the output. */
  secrets?: readonly string[];
}

export interface CommandResult {
  exitCode: number | null;
  /** The signal that ended it, when one did. */
  signal: string | null;
  /** Stopped because the signal aborted (timeout or close). */
  aborted: boolean;
  /** Last lines of stdout and stderr interleaved, masked. */
  output: string;
  /** Processes the tree kill stopped. */
  killed: number;
  pid: number | null;
}

export type TreeKiller = Pick<Platform, 'processes' | 'killer'>;

const TAIL_BYTES = 16 * 1024;

/** Keeps the last TAIL_BYTES of what was written, cut at a line start. */
export class OutputTail {
  private chunks: string[] = [];
  private size = 0;
  add(text: string): void {
    this.chunks.push(text);
    this.size += text.length;
    while (this.size > TAIL_BYTES * 2 && this.chunks.length > 1) this.size -= this.chunks.shift()!.length;
  }
  text(): string {
    const all = this.chunks.join('');
    if (all.length <= TAIL_BYTES) return all;
    const cut = all.slice(all.length - TAIL_BYTES);
    const nl = cut.indexOf('\n');
    return `…\n${nl >= 0 ? cut.slice(nl + 1) : cut}`;
  }
}

/** How to start `command` on this OS: Windows batch files go through cmd.exe (Node refuses them bare). */
export function spawnPlan(
  spec: Pick<CommandSpec, 'command' | 'args'>,
  platform: NodeJS.Platform,
  env: NodeJS.ProcessEnv,
  exists: (p: string) => boolean = isFile,
): { file: string; args: string[]; verbatim: boolean } {
  if (platform !== 'win32') return { file: spec.command, args: [...spec.args], verbatim: false };
  const resolved = resolveOnPath(spec.command, env, exists) ?? spec.command;
  if (!/\.(cmd|bat)$/i.test(resolved)) return { file: resolved, args: [...spec.args], verbatim: false };
  const line = [resolved, ...spec.args].map(quoteForCmd).join(' ');
  return {
    file: env.ComSpec ?? env.COMSPEC ?? 'cmd.exe',
    args: ['/d', '/s', '/c', `"${line}"`],
    verbatim: true,
  };
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** PATH + PATHEXT lookup as cmd.exe does it (only on Windows). */
export function resolveOnPath(
  command: string,
  env: NodeJS.ProcessEnv,
  exists: (p: string) => boolean = isFile,
): string | null {
  const exts = (env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean);
  const candidates = (base: string) =>
    win32.extname(base) ? [base] : exts.map((e) => base + e.toLowerCase());
  if (win32.isAbsolute(command) || /[\\/]/.test(command)) {
    return candidates(command).find(exists) ?? null;
  }
  for (const dir of (env.PATH ?? env.Path ?? '').split(';')) {
    if (!dir) continue;
    const found = candidates(win32.join(dir, command)).find(exists);
    if (found) return found;
  }
  return null;
}

/** Quotes one argument for cmd.exe /s /c "…" (metacharacters escaped with ^ inside no quotes). */
export function quoteForCmd(arg: string): string {
  if (arg === '') return '""';
  if (!/[\s"&|<>^%()!,;=]/.test(arg)) return arg;
  return `"${arg.replace(/"/g, '""')}"`;
}

/** The process and its descendants in one snapshot, parents first (a child never older than its parent). */
export function descendantsOf(processes: readonly ProcessInfo[], rootPid: number): ProcessInfo[] {
  const children = new Map<number, ProcessInfo[]>();
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  for (const p of processes) {
    const parent = byPid.get(p.ppid);
    if (!parent || parent.pid === p.pid || p.startTime + 1000 < parent.startTime) continue;
    const list = children.get(parent.pid);
    if (list) list.push(p);
    else children.set(parent.pid, [p]);
  }
  const root = byPid.get(rootPid);
  if (!root) return [];
  const out: ProcessInfo[] = [];
  const queue = [root];
  const seen = new Set<number>();
  while (queue.length > 0) {
    const p = queue.shift()!;
    if (seen.has(p.pid)) continue;
    seen.add(p.pid);
    out.push(p);
    queue.push(...(children.get(p.pid) ?? []));
  }
  return out;
}

/**
 * Stops a process tree by force: snapshot, kill all, re-scan (a child forked meanwhile), up to 3 rounds.
 * Returns how many processes it signalled. Never touches PID 0/1 or our own process.
 */
export async function killTree(
  platform: TreeKiller,
  rootPid: number,
  known: Set<number> = new Set(),
): Promise<number> {
  let killed = 0;
  let targets = new Map<number, ProcessInfo>();
  for (let round = 0; round < 3; round++) {
    const list = await platform.processes.list();
    const tree = descendantsOf(list, rootPid);
    // Children of processes already killed were reparented: find them through the pids we know.
    for (const pid of known) for (const p of descendantsOf(list, pid)) tree.push(p);
    const fresh = tree.filter((p) => p.pid > 1 && p.pid !== process.pid && p.state !== 'zombie');
    if (fresh.length === 0) break;
    targets = new Map(fresh.map((p) => [p.pid, p]));
    for (const p of fresh) known.add(p.pid);
    const outcomes = await platform.killer.stop(
      [...targets.values()].map((p) => ({ pid: p.pid, startTime: p.startTime })),
      'force',
    );
    killed += outcomes.filter((o) => o.result === 'sent').length;
    await new Promise((r) => setTimeout(r, 100));
  }
  return killed;
}

/**
 * Runs a command to its end; when `signal` aborts, kills its tree and resolves once it has exited.
 * A command that cannot start resolves with exitCode null and the reason in the output.
 */
export function runCommand(
  spec: CommandSpec,
  signal: AbortSignal,
  platform: TreeKiller,
): Promise<CommandResult> {
  const env = { ...process.env, ...spec.env };
  const plan = spawnPlan(spec, process.platform, env, existsSync);
  const tail = new OutputTail();
  const secrets = spec.secrets ?? [];
  return new Promise((resolve) => {
    let settled = false;
    let aborted = false;
    let killed = 0;
    let killing: Promise<void> | null = null;
    const child = spawn(plan.file, plan.args, {
      cwd: spec.cwd,
      env,
      windowsHide: true,
      windowsVerbatimArguments: plan.verbatim,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const known = new Set<number>();
    child.stdout?.setEncoding('utf8').on('data', (d: string) => tail.add(d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => tail.add(d));
    const finish = (exitCode: number | null, sig: string | null) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      const done = () =>
        resolve({
          exitCode,
          signal: sig,
          aborted,
          output: maskKnown(tail.text(), secrets),
          killed,
          pid: child.pid ?? null,
        });
      // The direct child may exit first while its children still run: finish the tree kill.
      if (killing) void killing.then(done);
      else done();
    };
    const onAbort = () => {
      aborted = true;
      if (child.pid === undefined || killing) return;
      const reason =
        signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'aborted');
      tail.add(`\n[nexus-ops] ${reason}: stopping the process tree\n`);
      killing = killTree(platform, child.pid, known).then(
        (n) => {
          killed = n;
        },
        (err: unknown) => {
          tail.add(`[nexus-ops] tree kill failed: ${err instanceof Error ? err.message : String(err)}\n`);
          child.kill('SIGKILL');
        },
      );
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', (err) => {
      tail.add(`[nexus-ops] cannot start ${spec.command}: ${err.message}\n`);
      finish(null, null);
    });
    child.on('close', (code, sig) => finish(code, sig));
    // A grandchild that keeps our pipes open must not hold the run: 2 s after the exit it is over.
    child.on('exit', (code, sig) => {
      const t = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish(code, sig);
      }, 2000);
      t.unref();
    });
  });
}

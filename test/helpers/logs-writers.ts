import { appendFileSync, closeSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** `2025-09-13 12:02:34,123`: Python's asctime in this process's local time. */
export function asctime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())},${p(d.getMilliseconds(), 3)}`;
}

/** One Python logging line, `%(asctime)s - %(levelname)s - %(message)s`. */
export function pythonLine(ms: number, level: string, message: string): string {
  return `${asctime(ms)} - ${level} - ${message}`;
}

/**
 * The supervisor's capture format (`<epoch ms>\t<o|e>\t<text>`), written the way the real supervisor
 * writes it: one file `current.log`, rotated by close, rename to `output-<YYYYMMDD-HHMMSS>[-N].log`,
 * reopen. A small stand-in until the supervisor's own writer lands.
 */
export class CaptureWriter {
  private fd: number;
  private rotations = 0;
  readonly dir: string;

  constructor(
    dataDir: string,
    botId: string,
    private readonly now: () => number = Date.now,
  ) {
    this.dir = join(dataDir, 'bots', botId, 'output');
    mkdirSync(this.dir, { recursive: true });
    this.fd = openSync(join(this.dir, 'current.log'), 'a');
  }

  write(stream: 'o' | 'e', text: string): void {
    writeSync(this.fd, `${this.now()}\t${stream}\t${text}\n`);
  }

  /** Close, rename, reopen: nothing is copied or truncated, so no line can be lost. */
  rotate(): string {
    closeSync(this.fd);
    const d = new Date(this.now());
    const p = (n: number) => String(n).padStart(2, '0');
    const stamp = `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
    const name = `output-${stamp}-${++this.rotations}.log`;
    renameSync(join(this.dir, 'current.log'), join(this.dir, name));
    this.fd = openSync(join(this.dir, 'current.log'), 'a');
    return name;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/**
 * A log file rotated by rename every `every` lines, as Python's RotatingFileHandler does:
 * `app.log` → `app.log.1` (older ones shift up), then a new `app.log`.
 */
export class RenameRotatingWriter {
  private fd: number;
  private lines = 0;
  rotations = 0;

  constructor(
    readonly file: string,
    private readonly every: number,
    private readonly keep = 1000,
  ) {
    mkdirSync(dirname(file), { recursive: true });
    this.fd = openSync(file, 'a');
  }

  write(line: string): void {
    writeSync(this.fd, `${line}\n`);
    if (++this.lines % this.every === 0) this.rotate();
  }

  rotate(): void {
    closeSync(this.fd);
    for (let i = Math.min(this.rotations, this.keep - 1); i >= 1; i--) {
      try {
        renameSync(`${this.file}.${i}`, `${this.file}.${i + 1}`);
      } catch {
        // not there yet
      }
    }
    renameSync(this.file, `${this.file}.1`);
    this.rotations++;
    this.fd = openSync(this.file, 'a');
  }

  close(): void {
    closeSync(this.fd);
  }
}

export function appendLines(file: string, lines: readonly string[], eol = '\n'): void {
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, lines.map((l) => `${l}${eol}`).join(''));
}

import { appendFileSync, existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type LogsHarness, openLogsCore, q, seqCounts, tempDir } from '../helpers/logs-core.js';

// A bot's rotation can land between the moment the engine looks at a followed path (stat) and the
// moment it opens it again to read. On a loaded machine that window is wide; here it is staged exactly:
// node:fs stays the real one (real files, real rename), and a stat of the armed path runs the rotation
// right after it returns, before the engine's next open.
const race = vi.hoisted(() => ({ armed: null as { path: string; rotate: () => void } | null }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const stat = ((path: Parameters<typeof fs.statSync>[0], opts?: Parameters<typeof fs.statSync>[1]) => {
    const st = fs.statSync(path, opts);
    const armed = race.armed;
    if (armed && String(path) === armed.path) {
      race.armed = null;
      armed.rotate();
    }
    return st;
  }) as typeof fs.statSync;
  return { ...fs, statSync: stat, default: { ...fs, statSync: stat } };
});

const harnesses: LogsHarness[] = [];
afterEach(async () => {
  race.armed = null;
  for (const h of harnesses.splice(0)) await h.close();
});

function countsOf(counts: Map<number, number>, total: number): { missing: number[]; twice: number[] } {
  const missing: number[] = [];
  const twice: number[] = [];
  for (let i = 1; i <= total; i++) {
    const n = counts.get(i) ?? 0;
    if (n === 0) missing.push(i);
    if (n > 1) twice.push(i);
  }
  return { missing, twice };
}

/** The supervisor's capture layout, written line by line like logs-rotating-writer.mjs does. */
function captureFiles(dataDir: string) {
  const dir = join(dataDir, 'bots', 'w', 'output');
  mkdirSync(dir, { recursive: true });
  const current = join(dir, 'current.log');
  let seq = 0;
  let rotations = 0;
  return {
    current,
    write(n: number) {
      let text = '';
      for (let i = 0; i < n; i++) {
        seq++;
        text += `${Date.now()}\t${seq % 5 === 0 ? 'e' : 'o'}\t✅ 行 seq=${String(seq).padStart(7, '0')} 処理完了\n`;
      }
      appendFileSync(current, text);
    },
    /** The rename half of close-rename-reopen: current.log is briefly absent. */
    renameAway() {
      renameSync(current, join(dir, `output-20250913-120000-${++rotations}.log`));
    },
    get seq() {
      return seq;
    },
  };
}

function open(): LogsHarness {
  const h = openLogsCore({
    config: () => `
bots:
  - id: w
    root: ${q(tempDir())}
    run: { mode: supervised, command: node, args: [bot.js] }
`,
  });
  harnesses.push(h);
  return h;
}

describe('a rotation between looking at a followed file and opening it', () => {
  for (const variant of ['the new current.log is already there', 'current.log is briefly absent'] as const) {
    it(`is followed, not taken for a truncation (${variant}): every line once`, () => {
      const h = open();
      const files = captureFiles(h.dir);
      files.write(10);
      h.logs.ingestNow({ discover: true }); // current.log followed, its first line's checksum taken
      files.write(140); // it grows: the next look checks the first line
      race.armed = {
        path: files.current,
        rotate: () => {
          files.renameAway();
          if (variant === 'the new current.log is already there') files.write(3);
        },
      };
      // No discovery in this pass: the stat that sees the growth is the tail's own.
      h.logs.ingestNow({ discover: false });
      expect(race.armed).toBeNull(); // the staged rotation ran
      if (!existsSync(files.current)) files.write(3);
      expect(statSync(files.current).size).toBeGreaterThan(0);
      files.write(7);
      h.drain({ discover: true });
      expect(countsOf(seqCounts(h), files.seq)).toEqual({ missing: [], twice: [] });
    });
  }
});

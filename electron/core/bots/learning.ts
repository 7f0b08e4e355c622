import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where the bots keep their learning data: TradingAssistantX's `data/learning/*.yaml` (BOTS.md), the
 * operations document's `src/data/learning/` (TASK-003 STEP-2), relative to a bot's root.
 */
export const LEARNING_FOLDERS = ['data/learning', 'src/data/learning'] as const;
const MAX_FILES = 10_000;

export interface LearningData {
  /** Bots that have a learning folder. */
  bots: string[];
  files: number;
  /** Files written in the window. */
  updated: number;
  bytes: number;
  newest: number | null;
}

/** Counts the learning files of the bots (two folder levels deep, at most 10 000 files). */
export function readLearningData(
  bots: readonly { id: string; root: string }[],
  from: number,
  to: number,
): LearningData {
  const out: LearningData = { bots: [], files: 0, updated: 0, bytes: 0, newest: null };
  for (const bot of bots) {
    let found = false;
    for (const folder of LEARNING_FOLDERS) {
      const stack: { dir: string; depth: number }[] = [{ dir: join(bot.root, folder), depth: 0 }];
      while (stack.length > 0 && out.files < MAX_FILES) {
        const { dir, depth } = stack.pop()!;
        let entries: import('node:fs').Dirent[];
        try {
          entries = readdirSync(dir, { withFileTypes: true });
        } catch {
          continue; // no such folder, or not readable
        }
        found = true;
        for (const e of entries) {
          const path = join(dir, e.name);
          if (e.isDirectory()) {
            if (depth < 2) stack.push({ dir: path, depth: depth + 1 });
            continue;
          }
          if (!e.isFile()) continue;
          try {
            const st = statSync(path);
            out.files++;
            out.bytes += st.size;
            if (st.mtimeMs >= from && st.mtimeMs <= to) out.updated++;
            if (out.newest === null || st.mtimeMs > out.newest) out.newest = st.mtimeMs;
          } catch {
            // removed meanwhile
          }
        }
      }
    }
    if (found) out.bots.push(bot.id);
  }
  return out;
}

import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readLearningData } from '../../electron/core/bots/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0))
    rmSync(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 1, 9, 0);

function file(path: string, bytes: number, mtime: number): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, 'x'.repeat(bytes));
  utimesSync(path, mtime / 1000, mtime / 1000);
}

describe('learning data evidence (学習データ蓄積状況確認)', () => {
  it('counts the files each bot wrote in the window, in data/learning and src/data/learning', () => {
    const root = mkdtempSync(join(tmpdir(), 'nexus-learning-'));
    dirs.push(root);
    const tax = join(root, 'ボット 置き場', 'TradingAssistantX');
    const nexus = join(root, 'ボット 置き場', 'TwitterBot Nexus 02');
    file(join(tax, 'data', 'learning', 'engagement-patterns.yaml'), 300, NOW - 2 * 3_600_000);
    file(join(tax, 'data', 'learning', 'old', 'success-patterns.yaml'), 200, NOW - 3 * DAY);
    file(join(nexus, 'src', 'data', 'learning', '学習.json'), 100, NOW - 10 * 60_000);
    const none = join(root, 'no-learning');
    mkdirSync(none);

    const day = readLearningData(
      [
        { id: 'tax', root: tax },
        { id: 'nexus02', root: nexus },
        { id: 'plain', root: none },
      ],
      NOW - DAY,
      NOW,
    );
    expect(day).toEqual({
      bots: ['tax', 'nexus02'],
      files: 3,
      updated: 2,
      bytes: 600,
      newest: NOW - 10 * 60_000,
    });
    // A week back the old file counts too; a window before anything was written counts none.
    expect(readLearningData([{ id: 'tax', root: tax }], NOW - 7 * DAY, NOW).updated).toBe(2);
    expect(readLearningData([{ id: 'tax', root: tax }], NOW - 9 * DAY, NOW - 8 * DAY).updated).toBe(0);
    expect(readLearningData([{ id: 'plain', root: none }], NOW - DAY, NOW).bots).toEqual([]);
  });
});

import { closeSync, openSync, writeSync } from 'node:fs';

/** A small seeded PRNG (mulberry32): the same corpus on every run. */
export function prng(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ACCOUNTS = ['alice', 'bob', 'carol', 'dave', 'erin'];
const WORDS = [
  '投稿',
  '成功',
  '失敗',
  '認証',
  'エラー',
  'リトライ',
  'アカウント',
  '処理',
  '完了',
  '開始',
  '待機',
  'レスポンス',
  'メモリ',
  '使用量',
  '再起動',
  'タイムアウト',
  '接続',
  '予算',
  '警告',
  'いいね',
  'コメント',
  '返信',
  '検索',
  '取得',
  '更新',
  '保存',
  '削除',
  'スケジュール',
  '実行',
  '結果',
  '朝の挨拶',
  '占い',
  '星座',
  '運勢',
  'プロフィール',
  'ブラウザ',
  '確認',
  '応答',
  '生成',
  '送信',
];
const TRACEBACK = [
  'Traceback (most recent call last):',
  '  File "C:\\GenerativeAI\\TwitterBot_Nexus_02\\reply_bot\\reply_processor.py", line 212, in post_reply',
  '    driver.find_element(By.CSS_SELECTOR, "[data-testid=\'tweetButton\']").click()',
  'selenium.common.exceptions.ElementClickInterceptedException: Message: element click intercepted',
];

function digits(r: () => number, n: number): string {
  let s = String(1 + Math.floor(r() * 9));
  while (s.length < n) s += String(Math.floor(r() * 10));
  return s;
}

/** One message in the shape of Nexus 02's lines (BOTS.md), with their mix of repeated and unique text. */
export function nexusMessage(r: () => number): { level: string; message: string } {
  const acct = ACCOUNTS[Math.floor(r() * ACCOUNTS.length)];
  const x = r();
  const words = (n: number) => {
    let s = '';
    for (let i = 0; i < n; i++) s += WORDS[Math.floor(r() * WORDS.length)] + (r() < 0.25 ? ' ' : '');
    return s;
  };
  if (x < 0.2)
    return { level: 'INFO', message: `[${acct}] [like] success: ${digits(r, 19)} をいいねしました` };
  if (x < 0.35)
    return {
      level: 'INFO',
      message: `[${acct}] 現在のメモリ使用量: ${300 + Math.floor(r() * 600)} MB (上限 2048 MB)`,
    };
  if (x < 0.45)
    return {
      level: 'INFO',
      message: `[${acct}] WebDriverを再起動しました（起動回数: ${1 + Math.floor(r() * 20)}）プロファイルを再利用します`,
    };
  if (x < 0.55)
    return { level: 'WARNING', message: `[${acct}] [comment] hourly limit reached: 次の枠まで待機します` };
  if (x < 0.62)
    return {
      level: 'WARNING',
      message: `[${acct}] [profile-lock] timeout waiting: profile/${acct}/.profile.lock`,
    };
  if (x < 0.7)
    return { level: 'DEBUG', message: `[${acct}] ${words(3)}: ステップ ${Math.floor(r() * 50)} を通過` };
  return {
    level: 'INFO',
    message: `[${acct}] ${words(4 + Math.floor(r() * 4))}: 対象ツイート ${digits(r, 19)} を処理しました`,
  };
}

/**
 * Writes `lines` lines of Python logging text (`%(asctime)s - %(levelname)s - %(message)s`, Japanese
 * and ASCII, ~120 bytes a line) with 5 % of the lines in tracebacks joined to an ERROR record, in one
 * stream. Timestamps run over the hour before `end`. Returns the records written.
 */
export function writePythonLog(file: string, lines: number, end: number, seed = 7): number {
  const r = prng(seed);
  const fd = openSync(file, 'w');
  let buf = '';
  let written = 0;
  let records = 0;
  const step = 3_600_000 / lines;
  const stamp = (i: number) => {
    const d = new Date(end - 3_600_000 + Math.floor(i * step));
    const p = (n: number, w = 2) => String(n).padStart(w, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())},${p(d.getMilliseconds(), 3)}`;
  };
  while (written < lines) {
    if (r() < 0.05 / TRACEBACK.length && written + TRACEBACK.length + 1 <= lines) {
      buf += `${stamp(written)} - ERROR - [${ACCOUNTS[Math.floor(r() * 5)]}] 返信の投稿に失敗しました\n`;
      for (const t of TRACEBACK) buf += `${t}\n`;
      written += TRACEBACK.length + 1;
    } else {
      const m = nexusMessage(r);
      buf += `${stamp(written)} - ${m.level} - ${m.message}\n`;
      written++;
    }
    records++;
    if (buf.length > 1 << 20) {
      writeSync(fd, buf);
      buf = '';
    }
  }
  writeSync(fd, buf);
  closeSync(fd);
  return records;
}

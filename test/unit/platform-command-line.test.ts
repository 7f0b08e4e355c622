import { describe, expect, it } from 'vitest';
import { classifyProcesses, parseDefaultFamilies, profileDirs } from '../../electron/core/monitor/index.js';
import {
  joinArgs,
  programOf,
  quoteArg,
  splitCommandLine,
} from '../../electron/core/platform/command-line.js';
import { parseCmdline } from '../../electron/core/platform/linux-parse.js';
import type { ProcessInfo } from '../../electron/core/platform/types.js';

/**
 * Argument boundaries (issue 10, item 6): Windows quotes its command lines (CommandLineToArgvW rules),
 * Linux joins argv the same way, and one splitter reads both, so a profile folder with a space, a quote
 * or Japanese in its name is one argument.
 */

const TRICKY = [
  'plain',
  '',
  'with space',
  'tab\there',
  'new\nline',
  'say "hi"',
  '"',
  '\\',
  'C:\\dir\\',
  'C:\\dir with space\\',
  'a\\\\"b',
  'trailing\\\\',
  '--user-data-dir=/srv/bot folder/profile',
  '--user-data-dir=/srv/ボット フォルダ/プロファイル',
  "it's",
  '--flag=C:\\Users\\太郎 Y\\bots\\p1',
  'emoji 🤖 ok',
];

describe('quoting and splitting a command line', () => {
  it('gives every argument back unchanged after a round trip', () => {
    const argv = ['/usr/bin/prog', ...TRICKY];
    expect(splitCommandLine(joinArgs(argv))).toEqual(argv);
    for (const arg of TRICKY) expect(splitCommandLine(`prog ${quoteArg(arg)}`)).toEqual(['prog', arg]);
  });

  it('quotes only what needs it', () => {
    expect(quoteArg('--headless')).toBe('--headless');
    expect(quoteArg('C:\\a\\b')).toBe('C:\\a\\b');
    expect(quoteArg('a b')).toBe('"a b"');
    expect(quoteArg('')).toBe('""');
    expect(quoteArg('C:\\a b\\')).toBe('"C:\\a b\\\\"');
    expect(quoteArg('say "hi"')).toBe('"say \\"hi\\""');
  });

  it('reads Windows command lines as CommandLineToArgvW does', () => {
    expect(
      splitCommandLine(
        '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" "--user-data-dir=C:\\Users\\太郎 Y\\bots\\p1" --headless',
      ),
    ).toEqual([
      'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
      '--user-data-dir=C:\\Users\\太郎 Y\\bots\\p1',
      '--headless',
    ]);
    // a quote in the middle of an argument, as chromedriver writes it
    expect(splitCommandLine('chrome.exe --user-data-dir="C:\\a b\\p" --x')).toEqual([
      'chrome.exe',
      '--user-data-dir=C:\\a b\\p',
      '--x',
    ]);
    // backslashes: 2n before a quote -> n and the quote toggles; 2n+1 -> n and a literal quote
    expect(splitCommandLine('p a\\\\\\"b "c d\\\\" e\\f')).toEqual(['p', 'a\\"b', 'c d\\', 'e\\f']);
    expect(splitCommandLine('p "a""b"')).toEqual(['p', 'a"b']);
    // the program is read without escapes: a folder path may end in a backslash
    expect(splitCommandLine('"C:\\tools\\"x y')).toEqual(['C:\\tools\\x', 'y']);
    expect(programOf('  "C:\\Program Files\\nodejs\\node.exe" cli.mjs')).toBe(
      'C:\\Program Files\\nodejs\\node.exe',
    );
    expect(splitCommandLine('   ')).toEqual([]);
  });
});

describe('the Linux command line keeps argv boundaries', () => {
  it('joins /proc/<pid>/cmdline with Windows quoting', () => {
    expect(parseCmdline('python3\0-m\0reply_bot.multi_main\0--config\0a b.yaml\0')).toBe(
      'python3 -m reply_bot.multi_main --config "a b.yaml"',
    );
    const raw = ['/usr/lib/chromium/chromium', '', '--user-data-dir=/tmp/bot "q" フォルダ/p', 'about:blank'];
    expect(splitCommandLine(parseCmdline(`${raw.join('\0')}\0`))).toEqual(raw);
  });

  it('keeps a rewritten process title (one string, spaces its own) as written', () => {
    const title = '/usr/lib/chromium/chromium --type=renderer --user-data-dir=/tmp/a --lang=en-US';
    expect(parseCmdline(`${title}\0`)).toBe(title);
  });
});

let nextPid = 500;
function proc(name: string, cmdline: string, extra: Partial<ProcessInfo> = {}): ProcessInfo {
  const pid = extra.pid ?? nextPid++;
  return {
    pid,
    ppid: 1,
    name,
    cmdline,
    startTime: 1_000_000 + pid,
    state: 'sleeping',
    cpuTimeMs: 0,
    rssBytes: 1,
    ...extra,
  };
}

describe('bot Chrome in folders with spaces, quotes and Japanese', () => {
  const families = parseDefaultFamilies();
  const cases = [
    { os: 'linux', folder: '/home/op/bots/bot folder', name: 'chromium' },
    { os: 'linux', folder: '/home/op/bots/say "hi" bot', name: 'chromium' },
    { os: 'linux', folder: '/home/op/ボット/ツイッター ボット', name: 'chromium' },
    { os: 'windows', folder: 'C:\\Users\\太郎 Y\\bots\\TwitterBot Nexus 02', name: 'chrome.exe' },
    { os: 'windows', folder: 'C:\\bots\\Ünïcode bot', name: 'chrome.exe' },
  ] as const;

  for (const c of cases) {
    it(`${c.os}: ${c.folder}`, () => {
      const sep = c.os === 'windows' ? '\\' : '/';
      const exe =
        c.os === 'windows'
          ? 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe'
          : '/usr/lib/chromium/chromium';
      const profileIn = (folder: string) => `${folder}${sep}profile${sep}acc1`;
      const commandFor = (folder: string) =>
        c.os === 'windows'
          ? `${quoteArg(exe)} --headless ${quoteArg(`--user-data-dir=${profileIn(folder)}`)} --remote-debugging-port=0`
          : parseCmdline(
              [exe, '--headless', `--user-data-dir=${profileIn(folder)}`, 'about:blank', ''].join('\0'),
            );
      const cmdline = commandFor(c.folder);
      expect(profileDirs(cmdline)).toEqual([profileIn(c.folder)]);
      const browser = proc(c.name, cmdline);
      const lookalike = proc(c.name, commandFor(`${c.folder} old`));
      const helper = proc(c.name, `${quoteArg(exe)} --type=renderer`, { ppid: browser.pid });
      const m = classifyProcesses([browser, helper, lookalike], families, { botFolders: [c.folder] });
      expect(m.get('bot-chrome')?.map((p) => p.pid)).toEqual([browser.pid, helper.pid]);
    });
  }

  it('a Python bot run from a folder with a space is a bot-runner (program path quoted)', () => {
    const py = proc(
      'python3',
      parseCmdline(
        ['/home/op/bot folder/venv/bin/python3', '/home/op/bot folder/reply_bot/multi_main.py', ''].join(
          '\0',
        ),
      ),
      { name: 'python3' },
    );
    const m = classifyProcesses([py], families, { botFolders: [] });
    expect(m.get('bot-runner')?.map((p) => p.pid)).toEqual([py.pid]);
  });
});

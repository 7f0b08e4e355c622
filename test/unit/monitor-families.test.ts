import { describe, expect, it } from 'vitest';
import {
  classifyProcesses,
  findOrphans,
  parseDefaultFamilies,
  profileDirs,
} from '../../electron/core/monitor/index.js';
import type { ProcessInfo } from '../../electron/core/platform/types.js';
import { familiesSchema } from '../../shared/config/monitor.js';

let nextPid = 100;
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
    rssBytes: 1_000_000,
    ...extra,
  };
}

const families = parseDefaultFamilies();
const winBotFolders = ['C:\\bots\\TwitterBot_Nexus_02'];

function membersOf(map: Map<string, ProcessInfo[]>, family: string): number[] {
  return (map.get(family) ?? []).map((p) => p.pid);
}

describe('default families on Windows command lines', () => {
  const runner = proc(
    'python.exe',
    'C:\\bots\\TwitterBot_Nexus_02\\venv\\Scripts\\python.exe -m reply_bot.multi_main --config .\\config\\accounts_X.yaml --live-run',
  );
  const tsx = proc('node.exe', 'node C:\\x\\node_modules\\tsx\\dist\\cli.mjs src/main.ts');
  const tsxDev = proc(
    'node.exe',
    '"C:\\Program Files\\nodejs\\node.exe" C:\\x\\node_modules\\tsx\\dist\\cli.mjs src\\dev.ts --action post',
  );
  const plainNode = proc('node.exe', 'node C:\\x\\server.js src/main.ts');
  const driver = proc(
    'chromedriver.exe',
    'C:\\bots\\TwitterBot_Nexus_02\\fixed_chrome\\chromedriver.exe --port=51234',
    {
      ppid: runner.pid,
    },
  );
  const botChromeByProfile = proc(
    'chrome.exe',
    '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --headless --user-data-dir=C:\\bots\\TwitterBot_Nexus_02\\profile\\acc1 --remote-debugging-port=0',
  );
  const botChromeChild = proc(
    'chrome.exe',
    '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=renderer --lang=ja',
    { ppid: botChromeByProfile.pid },
  );
  const chromeUnderDriver = proc('chrome.exe', 'chrome.exe --user-data-dir=C:\\Temp\\scoped_dir123', {
    ppid: driver.pid,
  });
  const operatorChrome = proc(
    'chrome.exe',
    '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --profile-directory=Default',
  );
  const operatorChild = proc(
    'chrome.exe',
    '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=gpu-process',
    {
      ppid: operatorChrome.pid,
    },
  );
  const otherPython = proc('python.exe', 'python.exe C:\\tools\\backup.py');
  const all = [
    runner,
    tsx,
    tsxDev,
    plainNode,
    driver,
    botChromeByProfile,
    botChromeChild,
    chromeUnderDriver,
    operatorChrome,
    operatorChild,
    otherPython,
  ];
  const map = classifyProcesses(all, families, { botFolders: winBotFolders });

  it('finds the Python bot (-m reply_bot.*) and both tsx entry points as bot-runner', () => {
    expect(membersOf(map, 'bot-runner')).toEqual([runner.pid, tsx.pid, tsxDev.pid]);
  });

  it('puts every Python in python and every Chrome in chrome', () => {
    expect(membersOf(map, 'python')).toEqual([runner.pid, otherPython.pid]);
    expect(membersOf(map, 'chrome')).toEqual([
      botChromeByProfile.pid,
      botChromeChild.pid,
      chromeUnderDriver.pid,
      operatorChrome.pid,
      operatorChild.pid,
    ]);
  });

  it('finds chromedriver under a bot runner', () => {
    expect(membersOf(map, 'bot-driver')).toEqual([driver.pid]);
  });

  it('bot-chrome: profile under a bot folder, its children, and Chrome under a bot driver; never the operator', () => {
    expect(membersOf(map, 'bot-chrome')).toEqual([
      botChromeByProfile.pid,
      botChromeChild.pid,
      chromeUnderDriver.pid,
    ]);
  });

  it('returns one entry per family in definition order', () => {
    expect([...map.keys()]).toEqual([
      'chrome',
      'python',
      'bot-runner',
      'bot-driver',
      'bot-chrome',
      'bot-relay',
    ]);
  });

  it('is pure: the same input gives the same answer', () => {
    const again = classifyProcesses(all, families, { botFolders: winBotFolders });
    expect([...again.entries()].map(([k, v]) => [k, v.map((p) => p.pid)])).toEqual(
      [...map.entries()].map(([k, v]) => [k, v.map((p) => p.pid)]),
    );
  });

  it('without bot folders the profile rule matches nothing (only the driver route remains)', () => {
    const none = classifyProcesses(all, families, { botFolders: [] });
    expect(membersOf(none, 'bot-chrome')).toEqual([chromeUnderDriver.pid]);
  });

  it('the bot folder comparison ignores case, separators and trailing slashes', () => {
    const m = classifyProcesses([botChromeByProfile], families, {
      botFolders: ['c:/BOTS/twitterbot_nexus_02/'],
    });
    expect(membersOf(m, 'bot-chrome')).toEqual([botChromeByProfile.pid]);
  });

  it('a folder that only shares a prefix is not "under" the bot folder', () => {
    const lookalike = proc(
      'chrome.exe',
      'chrome.exe --user-data-dir=C:\\bots\\TwitterBot_Nexus_02_old\\profile',
    );
    const m = classifyProcesses([lookalike], families, { botFolders: winBotFolders });
    expect(membersOf(m, 'bot-chrome')).toEqual([]);
  });

  it('reads a whole-argument quoted profile path with spaces', () => {
    expect(profileDirs('chrome.exe "--user-data-dir=C:\\Users\\Taro Y\\bots\\p1" --headless')).toEqual([
      'C:\\Users\\Taro Y\\bots\\p1',
    ]);
    expect(profileDirs('chrome.exe --user-data-dir="C:\\a b\\p"')).toEqual(['C:\\a b\\p']);
  });
});

describe('default families on Linux command lines', () => {
  it('recognises python3 -m and a path to reply_bot, and tsx through its preflight child', () => {
    const a = proc('python3', '/usr/bin/python3 -m reply_bot.schedule_tweet_main');
    const b = proc('python3', 'python3 /home/u/bot/reply_bot/operate_latest_tweet.py');
    const c = proc('node', 'node /repo/node_modules/.pnpm/tsx@4/node_modules/tsx/dist/cli.mjs src/main.ts');
    const d = proc(
      'node',
      'node --require /repo/node_modules/tsx/dist/preflight.cjs --import file:///repo/node_modules/tsx/dist/loader.mjs src/main.ts',
      { ppid: c.pid },
    );
    const notBot = proc('python3', 'python3 -m http.server');
    const m = classifyProcesses([a, b, c, d, notBot], families, { botFolders: [] });
    expect(membersOf(m, 'bot-runner')).toEqual([a.pid, b.pid, c.pid, d.pid]);
  });

  it('ignores a PID-reused parent that started after its child', () => {
    const runner = proc('python3', 'python3 -m reply_bot.multi_main', { startTime: 5_000_000 });
    const driver = proc('chromedriver', 'chromedriver --port=1', { ppid: runner.pid, startTime: 1_000 });
    const m = classifyProcesses([runner, driver], families, { botFolders: [] });
    expect(membersOf(m, 'bot-driver')).toEqual([]);
  });
});

describe('orphans', () => {
  it('a bot Chrome whose runner died has no runner ancestor', () => {
    const runner = proc('python.exe', 'python -m reply_bot.multi_main');
    const driver = proc('chromedriver.exe', 'chromedriver.exe', { ppid: runner.pid });
    const live = proc('chrome.exe', 'chrome.exe', { ppid: driver.pid });
    const orphan = proc('chrome.exe', 'chrome.exe --user-data-dir=C:\\bots\\b\\profile\\x', { ppid: 99_999 });
    const all = [runner, driver, live, orphan];
    const m = classifyProcesses(all, families, { botFolders: ['C:\\bots\\b'] });
    expect(membersOf(m, 'bot-chrome')).toEqual([live.pid, orphan.pid]);
    expect(findOrphans(m.get('bot-chrome')!, m.get('bot-runner')!, all).map((p) => p.pid)).toEqual([
      orphan.pid,
    ]);
  });
});

describe('family config', () => {
  it('normalises the shorthand and rejects unknown references and bad regexes', () => {
    const ok = familiesSchema.parse([{ name: 'x', exe: 'foo', descendantOf: 'x' }]);
    expect(ok[0]).toMatchObject({ match: [{ exe: 'foo' }], descendantOf: ['x'], stopOnEmergency: false });
    expect(familiesSchema.safeParse([{ name: 'x', exe: 'foo', descendantOf: 'nope' }]).success).toBe(false);
    expect(familiesSchema.safeParse([{ name: 'x', cmdline: '(' }]).success).toBe(false);
    expect(familiesSchema.safeParse([{ name: 'x' }]).success).toBe(false);
  });

  it('stops bot-runner, bot-driver, bot-chrome and the relays of supervised bots, in that order, by default', () => {
    expect(families.filter((f) => f.stopOnEmergency).map((f) => f.name)).toEqual([
      'bot-runner',
      'bot-driver',
      'bot-chrome',
      'bot-relay',
    ]);
  });
});

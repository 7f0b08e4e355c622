import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type LiveConfig,
  lastGoodConfigFile,
  loadConfigFile,
  MAX_CONFIG_BYTES,
  openLiveConfig,
  parseConfigText,
} from '../../electron/core/config/index.js';
import { botFolders } from '../../shared/config/bots.js';
import { type Config, type ConfigIssue, configSchema } from '../../shared/config/schema.js';

/**
 * What the outside tests did to the config (issue 10, items 1-4 and 9): empty and half-written saves on
 * a running app, syntax errors at start, alias bombs, a FIFO as the config path, an oversized file.
 */

const defaults = configSchema.parse({});
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-config-safety-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
  return dir;
}

const OPERATOR_CONFIG = `# the operator's config
server:
  port: 17380
ui:
  locale: ja
bots:
  folders:
    - /srv/bots/TwitterBot_Nexus_02
    - /srv/bots/TradingAssistantX
stop:
  graceSeconds: 7
monitor:
  liveIntervalSeconds: 2
alerts:
  rules:
    - id: cpu-high
      name: CPU high
      expr: cpu.total > 90
      severity: warning
`;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(25);
  expect(cond()).toBe(true);
}

interface Watched {
  live: LiveConfig;
  file: string;
  dir: string;
  changes: Config[];
  issueLists: ConfigIssue[][];
}

function watched(text = OPERATOR_CONFIG, dir = tempDir()): Watched {
  const file = join(dir, 'config.yaml');
  writeFileSync(file, text);
  const changes: Config[] = [];
  const issueLists: ConfigIssue[][] = [];
  const live = openLiveConfig({
    file,
    fallback: defaults,
    lastGoodFile: lastGoodConfigFile(dir),
    debounceMs: 30,
    settleMs: 400,
    onChange: (c) => changes.push(c),
    onIssues: (i) => issueLists.push(i),
  });
  cleanups.push(() => live.close());
  return { live, file, dir, changes, issueLists };
}

const problems = (issues: ConfigIssue[]) => issues.filter((i) => i.severity !== 'notice');
const notices = (issues: ConfigIssue[]) => issues.filter((i) => i.severity === 'notice');

describe('a live edit is not applied until it has settled (item 1)', () => {
  it('an emptied file (`: > config.yaml`) keeps the bot folders and warns, and the defaults never run', async () => {
    const w = watched();
    expect(botFolders(w.live.current().bots)).toHaveLength(2);
    writeFileSync(w.file, '');
    await waitFor(() => problems(w.live.issues()).length > 0);
    expect(botFolders(w.live.current().bots)).toEqual([
      '/srv/bots/TwitterBot_Nexus_02',
      '/srv/bots/TradingAssistantX',
    ]);
    expect(w.live.current().stop.graceSeconds).toBe(7);
    expect(problems(w.live.issues())[0]!.message).toMatch(/empty.*\{\}/);
    // the defaults were never handed to the capabilities, not even for a moment
    expect(w.changes.filter((c) => botFolders(c.bots).length === 0)).toEqual([]);
  });

  it('an editor saving in two writes a few hundred ms apart never applies the first half', async () => {
    const w = watched();
    const edited = OPERATOR_CONFIG.replace('graceSeconds: 7', 'graceSeconds: 9');
    // the first write ends before `bots:`: valid YAML on its own, but it would drop the bot folders
    const cut = edited.indexOf('bots:');
    writeFileSync(w.file, edited.slice(0, cut));
    await sleep(250);
    writeFileSync(w.file, edited);
    await waitFor(() => w.live.current().stop.graceSeconds === 9);
    expect(w.changes.map((c) => botFolders(c.bots).length)).not.toContain(0);
    expect(botFolders(w.live.current().bots)).toHaveLength(2);
    expect(w.live.issues()).toEqual([]);
  });

  it('nor the first half when it is longer than the old file (a comment block added at the top)', async () => {
    const w = watched();
    const edited = `${'# notes on the bots, written today\n'.repeat(40)}${OPERATOR_CONFIG.replace('graceSeconds: 7', 'graceSeconds: 9')}`;
    const firstHalf = edited.slice(0, edited.indexOf('bots:'));
    expect(firstHalf.length).toBeGreaterThan(OPERATOR_CONFIG.length);
    writeFileSync(w.file, firstHalf);
    await sleep(250);
    writeFileSync(w.file, edited);
    await waitFor(() => w.live.current().stop.graceSeconds === 9);
    expect(w.changes.map((c) => botFolders(c.bots).length)).not.toContain(0);
  });

  it('`{}` runs on the defaults on purpose, with a notice that says so', async () => {
    const w = watched();
    writeFileSync(w.file, '{}\n');
    await waitFor(() => botFolders(w.live.current().bots).length === 0);
    expect(w.live.current()).toEqual(defaults);
    expect(problems(w.live.issues())).toEqual([]);
    expect(notices(w.live.issues())).toHaveLength(1);
    expect(notices(w.live.issues())[0]!.message).toMatch(/no settings.*default/);
  });

  it('a file with comments only is the same deliberate choice', () => {
    const result = parseConfigText('# everything at its default\n\n# (for now)\n', 'c.yaml');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config).toEqual(defaults);
    expect(result.notices[0]).toMatchObject({ severity: 'notice' });
  });

  it('a smaller file that stays as it is (a section deleted on purpose) is applied once settled', async () => {
    const w = watched();
    const smaller = OPERATOR_CONFIG.slice(0, OPERATOR_CONFIG.indexOf('alerts:'));
    writeFileSync(w.file, smaller);
    await waitFor(() => w.changes.length > 1);
    expect(w.live.current().alerts.rules).toBeUndefined();
    expect(botFolders(w.live.current().bots)).toHaveLength(2);
    expect(w.live.issues()).toEqual([]);
  });

  it('a broken edit that settles keeps the last good config and says so; an undone edit clears it', async () => {
    const w = watched();
    writeFileSync(w.file, OPERATOR_CONFIG.replace('graceSeconds: 7', 'graceSeconds: [7'));
    await waitFor(() => problems(w.live.issues()).length > 0);
    expect(w.live.current().stop.graceSeconds).toBe(7);
    expect(notices(w.live.issues()).at(-1)!.message).toMatch(/keeping the last good config/);
    writeFileSync(w.file, OPERATOR_CONFIG);
    await waitFor(() => w.live.issues().length === 0);
    expect(w.changes).toHaveLength(1); // only the start: the same text is not applied twice
  });
});

describe('a start with a broken file (item 2)', () => {
  // an unclosed quote opened at line 5, column 11
  const BROKEN_QUOTE = OPERATOR_CONFIG.replace('locale: ja', 'locale: "ja');

  it('points at the quote that was opened, not where the parser gave up', () => {
    expect(BROKEN_QUOTE.split('\n')[4]).toBe('  locale: "ja');
    const result = parseConfigText(BROKEN_QUOTE, 'c.yaml');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues[0]).toMatchObject({ file: 'c.yaml', line: 5, col: 11 });
    expect(result.issues[0]!.message).toMatch(/quote.*never closed/);
  });

  it('points at an unclosed bracket where it was opened', () => {
    const text = 'ui:\n  locale: ja\nbots:\n  folders: [/srv/a, /srv/b\nstop:\n  graceSeconds: 2\n';
    const result = parseConfigText(text, 'c.yaml');
    expect(!result.ok && result.issues[0]).toMatchObject({ line: 4, col: 12 });
  });

  it('keeps every section that still parses, without a last good copy', () => {
    const dir = tempDir();
    const file = join(dir, 'config.yaml');
    writeFileSync(file, BROKEN_QUOTE);
    const live = openLiveConfig({
      file,
      fallback: defaults,
      lastGoodFile: lastGoodConfigFile(dir),
      watch: false,
    });
    cleanups.push(() => live.close());
    expect(botFolders(live.current().bots)).toHaveLength(2);
    expect(live.current().stop.graceSeconds).toBe(7);
    expect(live.current().monitor.liveIntervalSeconds).toBe(2);
    expect(live.current().alerts.rules?.[0]).toMatchObject({ id: 'cpu-high' });
    expect(live.current().ui.locale).toBe('ja'); // the broken section: its default
    expect(problems(live.issues())[0]).toMatchObject({ line: 5, col: 11 });
    expect(notices(live.issues()).at(-1)!.message).toMatch(/valid as written \(.*bots.*\).*defaults/);
    // rule errors still find their lines in the pieces that parsed
    expect(live.locate()(['alerts', 'rules', 0, 'expr'])).toEqual({ line: 18, col: 13 });
  });

  it('takes a broken section from the copy of the last config that loaded, kept atomically', () => {
    const dir = tempDir();
    const file = join(dir, 'config.yaml');
    writeFileSync(file, OPERATOR_CONFIG.replace('locale: ja', 'locale: en'));
    openLiveConfig({ file, fallback: defaults, lastGoodFile: lastGoodConfigFile(dir), watch: false }).close();
    const copy = lastGoodConfigFile(dir);
    expect(statSync(copy).mode & 0o777).toBe(0o600);
    expect(readFileSync(copy, 'utf8')).toContain(`last good copy of ${file}`);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp'))).toEqual([]);

    // the bots section itself is the broken one: its folders come from the copy
    writeFileSync(
      file,
      OPERATOR_CONFIG.replace('- /srv/bots/TradingAssistantX', '- "/srv/bots/TradingAssistantX'),
    );
    const live = openLiveConfig({ file, fallback: defaults, lastGoodFile: copy, watch: false });
    cleanups.push(() => live.close());
    expect(botFolders(live.current().bots)).toEqual([
      '/srv/bots/TwitterBot_Nexus_02',
      '/srv/bots/TradingAssistantX',
    ]);
    expect(live.current().ui.locale).toBe('ja'); // as written now, not as in the copy
    expect(problems(live.issues())[0]).toMatchObject({ line: 9, col: 7 });
    expect(notices(live.issues()).at(-1)!.message).toMatch(
      /last good config \(saved .* from .*config\.yaml\)/,
    );
  });

  it('an empty or unreadable file at start runs on the last good copy, with the reason', () => {
    const dir = tempDir();
    const file = join(dir, 'config.yaml');
    writeFileSync(file, OPERATOR_CONFIG);
    openLiveConfig({ file, fallback: defaults, lastGoodFile: lastGoodConfigFile(dir), watch: false }).close();
    writeFileSync(file, '');
    const live = openLiveConfig({
      file,
      fallback: defaults,
      lastGoodFile: lastGoodConfigFile(dir),
      watch: false,
    });
    cleanups.push(() => live.close());
    expect(botFolders(live.current().bots)).toHaveLength(2);
    expect(problems(live.issues())[0]!.message).toMatch(/empty/);
    // the broken file did not overwrite the copy
    expect(readFileSync(lastGoodConfigFile(dir), 'utf8')).toContain('TradingAssistantX');
  });
});

const ALIAS_BOMB = `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
`;

describe('an alias bomb (item 3)', () => {
  it('is a config error with its place, never an exception', () => {
    const result = parseConfigText(ALIAS_BOMB, 'bomb.yaml');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues[0]).toMatchObject({ file: 'bomb.yaml', line: 2, col: 8 });
    expect(result.issues[0]!.message).toMatch(/alias/i);
  });

  it('at start: the app runs on the defaults and says why', () => {
    const dir = tempDir();
    const file = join(dir, 'config.yaml');
    writeFileSync(file, ALIAS_BOMB);
    const live = openLiveConfig({ file, fallback: defaults, watch: false });
    cleanups.push(() => live.close());
    expect(live.current()).toEqual(defaults);
    expect(problems(live.issues())[0]!.message).toMatch(/alias/i);
  });

  it('as a live edit: a warning is shown and the last good config stays', async () => {
    const w = watched();
    writeFileSync(w.file, ALIAS_BOMB);
    await waitFor(() => problems(w.live.issues()).length > 0);
    expect(problems(w.live.issues())[0]!.message).toMatch(/alias/i);
    expect(botFolders(w.live.current().bots)).toHaveLength(2);
  });
});

describe('a config path that is not a regular file (item 4)', () => {
  let writer: ChildProcess | undefined;
  afterEach(() => {
    writer?.kill('SIGKILL');
    writer = undefined;
  });

  it('refuses a FIFO without opening it for a blocking read', () => {
    const dir = tempDir();
    const fifo = join(dir, 'config.yaml');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    // Should the loader block reading the pipe, this writer unblocks it after 3 s with YAML, so a
    // wrong loader fails this test instead of hanging it.
    writer = spawn('sh', ['-c', `sleep 3; printf 'ui:\\n  locale: en\\n' > '${fifo}'`], { stdio: 'ignore' });
    const result = loadConfigFile(fifo);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.issues[0]!.message).toMatch(/named pipe \(FIFO\), not a file/);
  });

  it('refuses a folder with the same kind of message', () => {
    const dir = tempDir();
    const folder = join(dir, 'config.yaml');
    mkdirSync(folder);
    const result = loadConfigFile(folder);
    expect(!result.ok && result.issues[0]!.message).toMatch(/a folder, not a file/);
  });
});

describe('config size (item 9)', () => {
  it('refuses a file over 2 MB with the limit in the message, keeping the last good config', async () => {
    const w = watched();
    const filler = `# ${'x'.repeat(1000)}\n`.repeat(Math.ceil((MAX_CONFIG_BYTES + 1) / 1003));
    writeFileSync(w.file, OPERATOR_CONFIG + filler);
    await waitFor(() => problems(w.live.issues()).length > 0);
    expect(problems(w.live.issues())[0]!.message).toMatch(/at most 2 MB/);
    expect(botFolders(w.live.current().bots)).toHaveLength(2);
  });

  it('reads a config saved as cp932 (Notepad "ANSI") and says to save it as UTF-8', () => {
    const dir = tempDir();
    const file = join(dir, 'config.yaml');
    // "bots:\n  folders: [C:/ボット]\n" in Shift_JIS
    const sjis = Buffer.concat([
      Buffer.from('bots:\n  folders: [C:/'),
      Buffer.from([0x83, 0x7b, 0x83, 0x62, 0x83, 0x67]),
      Buffer.from(']\n'),
    ]);
    writeFileSync(file, sjis);
    const result = loadConfigFile(file);
    expect(result.ok && botFolders(result.config.bots)).toEqual(['C:/ボット']);
    expect(result.ok && result.notices[0]!.message).toMatch(/UTF-8/);
    expect(existsSync(file)).toBe(true);
  });
});

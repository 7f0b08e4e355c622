/**
 * How a supervised bot is launched on Windows, checked as exact argument lists and options (this
 * repository is developed on Linux): the relay spawn (detached = outside Node's kill-on-close job object,
 * hidden, our binary as Node, no API token), the bot's environment (Python unbuffered and UTF-8, names
 * case-insensitive), and `pnpm start` resolved through PATHEXT and run by cmd.exe.
 */
import { describe, expect, it } from 'vitest';
import {
  botEnvironment,
  botSpawnOptions,
  PYTHON_ENV,
  relaySpawn,
  resolveLaunch,
} from '../../electron/core/bots/index.js';

const windowsEnv = {
  Path: 'C:\\Windows\\system32;C:\\Program Files\\nodejs\\;C:\\Users\\運用者\\AppData\\Roaming\\npm',
  PATHEXT: '.COM;.EXE;.BAT;.CMD;.VBS;.JS',
  ComSpec: 'C:\\Windows\\system32\\cmd.exe',
  SystemRoot: 'C:\\Windows',
  NEXUS_OPS_TOKEN: 'secret-token-of-the-api',
  USERPROFILE: 'C:\\Users\\運用者',
};

describe('the relay spawn (Windows)', () => {
  it('is our binary running the relay script, detached and hidden, stdin for the spec, no token', () => {
    const s = relaySpawn({
      execPath: 'C:\\Program Files\\Nexus Ops\\Nexus Ops.exe',
      relayScript:
        'C:\\Program Files\\Nexus Ops\\resources\\app.asar.unpacked\\dist\\electron\\bot-relay.cjs',
      botDir: 'C:\\Users\\運用者\\AppData\\Roaming\\Nexus Ops\\bots\\tax',
      env: windowsEnv,
      platform: 'win32',
    });
    expect(s.file).toBe('C:\\Program Files\\Nexus Ops\\Nexus Ops.exe');
    expect(s.args).toEqual([
      'C:\\Program Files\\Nexus Ops\\resources\\app.asar.unpacked\\dist\\electron\\bot-relay.cjs',
      'C:\\Users\\運用者\\AppData\\Roaming\\Nexus Ops\\bots\\tax',
    ]);
    expect(s.options).toEqual({
      cwd: 'C:\\Users\\運用者\\AppData\\Roaming\\Nexus Ops\\bots\\tax',
      detached: true,
      windowsHide: true,
      stdio: ['pipe', 'ignore', 'ignore'],
      env: {
        Path: windowsEnv.Path,
        PATHEXT: windowsEnv.PATHEXT,
        ComSpec: windowsEnv.ComSpec,
        SystemRoot: 'C:\\Windows',
        USERPROFILE: 'C:\\Users\\運用者',
        ELECTRON_RUN_AS_NODE: '1',
      },
    });
  });

  it('drops the token whatever its case on Windows, only its exact name on POSIX', () => {
    expect(
      relaySpawn({
        execPath: 'n',
        relayScript: 'r',
        botDir: 'd',
        env: { nexus_ops_token: 'x' },
        platform: 'win32',
      }).options.env,
    ).toEqual({
      ELECTRON_RUN_AS_NODE: '1',
    });
    expect(
      relaySpawn({
        execPath: 'n',
        relayScript: 'r',
        botDir: 'd',
        env: { NEXUS_OPS_TOKEN: 'x', nexus_ops_token: 'y' },
        platform: 'linux',
      }).options.env,
    ).toEqual({
      nexus_ops_token: 'y',
      ELECTRON_RUN_AS_NODE: '1',
    });
  });
});

describe("the bot's environment", () => {
  it('adds unbuffered UTF-8 Python, lets the bot override it, drops our variables', () => {
    const env = botEnvironment(
      { ...windowsEnv, ELECTRON_RUN_AS_NODE: '1', pythonutf8: '0' },
      { PATH: 'C:\\bots\\venv\\Scripts;C:\\Windows\\system32', API_KEY: 'k', PYTHONIOENCODING: 'cp932' },
      'win32',
    );
    expect(env).toEqual({
      PATHEXT: windowsEnv.PATHEXT,
      ComSpec: windowsEnv.ComSpec,
      SystemRoot: 'C:\\Windows',
      USERPROFILE: 'C:\\Users\\運用者',
      PYTHONUNBUFFERED: '1',
      PYTHONUTF8: '1',
      PYTHONIOENCODING: 'cp932',
      PATH: 'C:\\bots\\venv\\Scripts;C:\\Windows\\system32',
      API_KEY: 'k',
    });
    expect(PYTHON_ENV).toEqual({ PYTHONUNBUFFERED: '1', PYTHONUTF8: '1', PYTHONIOENCODING: 'utf-8' });
  });
});

describe('resolving the command on Windows', () => {
  const files = new Set([
    'C:\\Users\\運用者\\AppData\\Roaming\\npm\\pnpm.cmd',
    'C:\\Program Files\\nodejs\\node.exe',
    'C:\\bots\\TradingAssistantX\\node_modules\\.bin\\tsx.cmd',
    'C:\\bots\\nexus02\\venv\\Scripts\\python.exe',
  ]);
  const exists = (p: string) => files.has(p);

  it('runs `pnpm start` (pnpm.cmd on PATH) through cmd.exe with an escaped line', () => {
    const launch = resolveLaunch('pnpm', ['start'], {
      platform: 'win32',
      env: windowsEnv,
      cwd: 'C:\\bots\\TradingAssistantX',
      exists,
    });
    expect(launch).toEqual({
      file: 'C:\\Windows\\system32\\cmd.exe',
      args: ['/d', '/s', '/c', '"C:\\Users\\運用者\\AppData\\Roaming\\npm\\pnpm.cmd ^"start^""'],
      windowsVerbatimArguments: true,
    });
    expect(botSpawnOptions(launch, 'C:\\bots\\TradingAssistantX', { A: '1' })).toEqual({
      cwd: 'C:\\bots\\TradingAssistantX',
      env: { A: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
      detached: false,
      windowsVerbatimArguments: true,
    });
  });

  it('escapes cmd.exe metacharacters (twice for node_modules/.bin shims) and quotes', () => {
    const launch = resolveLaunch(
      'node_modules\\.bin\\tsx',
      ['src/dev.ts', '--action', 'post & del *', 'say "hi"'],
      {
        platform: 'win32',
        env: windowsEnv,
        cwd: 'C:\\bots\\TradingAssistantX',
        exists,
      },
    );
    expect(launch.file).toBe('C:\\Windows\\system32\\cmd.exe');
    expect(launch.args.slice(0, 3)).toEqual(['/d', '/s', '/c']);
    expect(launch.args[3]).toBe(
      '"C:\\bots\\TradingAssistantX\\node_modules\\.bin\\tsx.cmd ^^^"src/dev.ts^^^" ^^^"--action^^^" ^^^"post^^^ ^^^&^^^ del^^^ ^^^*^^^" ^^^"say^^^ \\^^^"hi\\^^^"^^^""',
    );
  });

  it('starts an .exe directly, found on PATH by PATHEXT or by its path relative to the working folder', () => {
    expect(
      resolveLaunch('node', ['bot.js'], { platform: 'win32', env: windowsEnv, cwd: 'C:\\x', exists }),
    ).toEqual({
      file: 'C:\\Program Files\\nodejs\\node.exe',
      args: ['bot.js'],
      windowsVerbatimArguments: false,
    });
    expect(
      resolveLaunch(
        'venv\\Scripts\\python.exe',
        ['-m', 'reply_bot.multi_main', '--config', '.\\config\\accounts_1.yaml'],
        {
          platform: 'win32',
          env: windowsEnv,
          cwd: 'C:\\bots\\nexus02',
          exists,
        },
      ),
    ).toEqual({
      file: 'C:\\bots\\nexus02\\venv\\Scripts\\python.exe',
      args: ['-m', 'reply_bot.multi_main', '--config', '.\\config\\accounts_1.yaml'],
      windowsVerbatimArguments: false,
    });
  });

  it('leaves an unknown program as given (the start fails with "not found"), and POSIX untouched', () => {
    expect(
      resolveLaunch('nosuch', [], { platform: 'win32', env: windowsEnv, cwd: 'C:\\x', exists }).file,
    ).toBe('nosuch');
    expect(resolveLaunch('pnpm', ['start'], { platform: 'linux', env: {}, cwd: '/srv', exists })).toEqual({
      file: 'pnpm',
      args: ['start'],
      windowsVerbatimArguments: false,
    });
  });
});

import { existsSync, readFileSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { extname, isAbsolute, join, normalize, relative } from 'node:path';
import { app, BrowserWindow, globalShortcut, ipcMain, protocol, shell } from 'electron';
import { type Core, createCore } from './core/index.js';
import {
  CONTENT_SECURITY_POLICY,
  loadOrCreateToken,
  type RunningServer,
  startServer,
} from './core/server/index.js';
import { createDesktop } from './desktop.js';
import { appRoot, packageVersion, rendererDir, resourcesDir } from './paths.js';
import { mainStrings } from './strings.js';

/** Global shortcut for the emergency stop, active while the app runs (even when hidden in the tray). */
const STOP_SHORTCUT = 'CommandOrControl+Shift+F12';

const APP_ORIGIN = 'app://nexus';
const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

protocol.registerSchemesAsPrivileged([{ scheme: 'app', privileges: { standard: true, secure: true } }]);

/** better-sqlite3 built for Electron's ABI (npm run native:electron), kept apart from the Node test binary. */
function electronNativeBinding(): string | undefined {
  const candidates = [
    join(process.resourcesPath ?? '', 'native', 'better_sqlite3.node'),
    join(appRoot(), '.native', 'electron', 'better_sqlite3.node'),
  ];
  return candidates.find((p) => existsSync(p));
}

let core: Core | undefined;
let server: RunningServer | undefined;
let window: BrowserWindow | undefined;
let quitting = false;

/** The built renderer file an app:// URL names, or undefined for anything outside it or not a file. */
function rendererFile(root: string, url: string): string | undefined {
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(url).pathname);
  } catch {
    return undefined;
  }
  const file = normalize(join(root, pathname));
  const rel = relative(root, file);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return undefined;
  try {
    return statSync(file).isFile() ? file : undefined;
  } catch {
    return undefined;
  }
}

function operatorName(): string {
  try {
    return userInfo().username || 'operator';
  } catch {
    return 'operator';
  }
}

function isTrustedSender(url: string): boolean {
  return url.startsWith(`${APP_ORIGIN}/`);
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    title: 'Nexus Ops',
    backgroundColor: '#0f141a',
    show: false,
    webPreferences: {
      preload: join(__dirname, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  win.webContents.on('will-navigate', (event, url) => {
    if (!isTrustedSender(url)) event.preventDefault();
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    try {
      const parsed = new URL(url);
      if (parsed.protocol === 'https:' || parsed.protocol === 'http:')
        void shell.openExternal(parsed.toString());
    } catch {
      // not a URL: ignore
    }
    return { action: 'deny' };
  });
  win.on('close', (event) => {
    // Closing the window keeps monitoring in the tray; Quit in the tray menu ends the app.
    if (!quitting) {
      event.preventDefault();
      win.hide();
    }
  });
  void win.loadURL(`${APP_ORIGIN}/index.html`);
  return win;
}

function showWindow(): void {
  if (!window || window.isDestroyed()) window = createWindow();
  window.show();
  window.focus();
}

// Last resort: a bug in one capability is logged; the monitor, the tray and the stop keep running.
process.on('uncaughtException', (err) => console.error(`[nexus-ops] uncaught: ${err.stack ?? err.message}`));
process.on('unhandledRejection', (err) => console.error(`[nexus-ops] unhandled rejection: ${String(err)}`));

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', showWindow);
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });

  app.whenReady().then(() => {
    const root = rendererDir();
    protocol.handle('app', (request) => {
      const file = rendererFile(root, request.url);
      if (!file) return new Response('not found', { status: 404 });
      return new Response(readFileSync(file), {
        headers: {
          'content-type': MIME[extname(file)] ?? 'application/octet-stream',
          'content-security-policy': CONTENT_SECURITY_POLICY,
        },
      });
    });

    const resources = resourcesDir();
    const emergencyStop = (source: 'tray' | 'shortcut') => {
      // Runs in the main process: a hung renderer cannot block it.
      void core?.dispatcher
        .call('stop.trigger', { source, actor: operatorName(), reason: '' })
        .then(() => showWindow());
    };
    const desktop = createDesktop(
      resources,
      {
        open: showWindow,
        emergencyStop: () => emergencyStop('tray'),
        quit: () => {
          quitting = true;
          app.quit();
        },
      },
      () => mainStrings(core?.config.current().ui.locale ?? 'ja'),
      () => window,
    );
    if (!globalShortcut.register(STOP_SHORTCUT, () => emergencyStop('shortcut'))) {
      console.error(`[nexus-ops] the emergency-stop shortcut ${STOP_SHORTCUT} is taken by another program`);
    }

    core = createCore({
      dataDir: process.env.NEXUS_OPS_DATA_DIR ?? app.getPath('userData'),
      configFile: process.env.NEXUS_OPS_CONFIG,
      resourcesDir: resources,
      mode: 'desktop',
      version: packageVersion(),
      desktop: desktop.port,
      nativeBinding: electronNativeBinding(),
    });

    ipcMain.handle('nexus:call', (event, method: unknown, input: unknown) => {
      if (!event.senderFrame || !isTrustedSender(event.senderFrame.url)) {
        return { ok: false, error: { code: 'unauthorized', message: 'untrusted sender' } };
      }
      if (typeof method !== 'string') {
        return { ok: false, error: { code: 'invalid_input', message: 'method must be a string' } };
      }
      return core!.dispatcher.call(method, input);
    });
    core.events.subscribe((event) => {
      if (window && !window.isDestroyed()) window.webContents.send('nexus:event', event);
    });
    core.start();
    showWindow();

    // The same local API as headless mode, so `nexus-ops stop` and a second screen reach this app.
    const dataDir = process.env.NEXUS_OPS_DATA_DIR ?? app.getPath('userData');
    const portText = process.env.NEXUS_OPS_PORT;
    let port = core.config.current().server.port;
    if (portText !== undefined) {
      const wanted = Number(portText);
      if (Number.isInteger(wanted) && wanted >= 0 && wanted <= 65535) port = wanted;
      else console.error(`[nexus-ops] NEXUS_OPS_PORT "${portText}" is not a port (0-65535): using ${port}`);
    }
    // A NEXUS_OPS_TOKEN that is too short refuses the local API, not the app.
    Promise.resolve()
      .then(() =>
        startServer({
          dispatcher: core!.dispatcher,
          events: core!.events,
          token: loadOrCreateToken(dataDir, process.env.NEXUS_OPS_TOKEN).token,
          port,
          staticDir: rendererDir(),
          version: packageVersion(),
        }),
      )
      .then(
        (running) => {
          server = running;
        },
        (err: unknown) =>
          console.error(
            `[nexus-ops] local API not started: ${err instanceof Error ? err.message : String(err)}`,
          ),
      );
  });

  app.on('before-quit', () => {
    quitting = true;
  });
  // Quit waits for core to close (jobs settle, what waits for the database is written), at most 10 s.
  let closedForQuit = false;
  app.on('will-quit', (event) => {
    globalShortcut.unregisterAll();
    if (closedForQuit) return;
    event.preventDefault();
    const bound = new Promise<void>((r) => setTimeout(r, 10_000).unref());
    void Promise.race([Promise.allSettled([server?.close(), core?.close()]), bound]).finally(() => {
      closedForQuit = true;
      app.quit();
    });
  });
  app.on('window-all-closed', () => {
    // Stay in the tray.
  });
}

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { type RelaySpec, relaySpawn } from './launch.js';

/** Starts a relay for one run; the default spawns our own binary (launch.ts). */
export interface RelayLauncher {
  launch(dir: string, spec: RelaySpec): LaunchedRelay;
}

export interface LaunchedRelay {
  pid: number | undefined;
  /** Called once when the relay process ends (or could not be started). */
  onExit(listener: () => void): void;
}

export function nodeRelayLauncher(relayScript: string, execPath = process.execPath): RelayLauncher {
  return {
    launch(dir, spec) {
      // Its working folder must exist, or the spawn fails as if our own binary were missing (ENOENT).
      mkdirSync(dir, { recursive: true });
      const s = relaySpawn({ execPath, relayScript, botDir: dir, env: process.env });
      const child: ChildProcess = spawn(s.file, s.args, s.options);
      const listeners: (() => void)[] = [];
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        for (const l of listeners.splice(0)) l();
      };
      child.once('exit', end);
      child.once('error', end);
      child.stdin?.on('error', () => {
        // the relay ended before reading its spec: its exit says the rest
      });
      child.stdin?.end(JSON.stringify(spec));
      // The relay must not keep Nexus Ops alive, nor die with it.
      child.unref();
      return {
        pid: child.pid,
        onExit(listener) {
          if (ended) listener();
          else listeners.push(listener);
        },
      };
    },
  };
}

/**
 * The weekly database maintenance (Phase 6 weekly_maintenance, 日曜日 02:00-04:00: データベースメンテナンス
 * インデックス最適化・統計更新, 依存関係脆弱性スキャン, Chrome・WebDriverバージョン確認):
 * ANALYZE, PRAGMA optimize, incremental vacuum (when the database uses auto_vacuum = INCREMENTAL) and
 * integrity_check in a worker on its own connection; the configured audit commands (npm audit --json,
 * pip-audit -f json, ...) whose findings become `audit.findings{audit}`; the pinned Chrome /
 * chromedriver versions, whose mismatch becomes `browser.version_mismatch{browser}`.
 */
import { readdir } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import type { BotConfig } from '../../../shared/config/bots.js';
import type { MaintenanceConfig } from '../../../shared/config/maintenance.js';
import { runCommand, type TreeKiller } from './command.js';
import { type OptimizeResult, optimizeDatabase } from './sqlite-worker.js';

/** Findings in an audit tool's JSON output: npm audit, pip-audit (both formats), safety; else by exit code. */
export function countFindings(output: string, exitCode: number | null): { findings: number; how: string } {
  const start = output.search(/[[{]/);
  if (start >= 0) {
    try {
      const json: unknown = JSON.parse(output.slice(start));
      const obj = json as {
        metadata?: { vulnerabilities?: Record<string, number> };
        dependencies?: { vulns?: unknown[] }[];
        vulnerabilities?: unknown[] | Record<string, unknown>;
      };
      const npm = obj.metadata?.vulnerabilities;
      if (npm) {
        const total =
          npm.total ?? Object.entries(npm).reduce((s, [k, v]) => (k === 'info' ? s : s + (v ?? 0)), 0);
        return { findings: total, how: 'npm audit' };
      }
      const deps = Array.isArray(json) ? (json as { vulns?: unknown[] }[]) : obj.dependencies;
      if (Array.isArray(deps) && deps.every((d) => d && typeof d === 'object' && 'vulns' in d)) {
        return { findings: deps.reduce((s, d) => s + (d.vulns?.length ?? 0), 0), how: 'pip-audit' };
      }
      if (Array.isArray(obj.vulnerabilities))
        return { findings: obj.vulnerabilities.length, how: 'vulnerabilities[]' };
      if (Array.isArray(json)) return { findings: json.length, how: 'JSON list' };
    } catch {
      // not JSON after all: by exit code
    }
  }
  return { findings: exitCode === 0 ? 0 : 1, how: `exit code ${exitCode}` };
}

/** `131.0.6778.85` matches pinned `131`, `131.0` or the whole version. */
export function versionMatches(installed: string, pinned: string): boolean {
  const a = installed.split('.');
  return pinned.split('.').every((part, i) => a[i] === part);
}

const VERSION = /(\d+\.\d+\.\d+\.\d+)/;

/** `chrome --version` (Windows chrome.exe prints nothing: the `<version>.manifest` beside it tells). */
export async function browserVersion(path: string, platform: TreeKiller): Promise<string | null> {
  const r = await runCommand({ command: path, args: ['--version'] }, AbortSignal.timeout(15_000), platform);
  const m = VERSION.exec(r.output);
  if (m?.[1]) return m[1];
  try {
    for (const name of await readdir(dirname(path))) {
      const v = /^(\d+\.\d+\.\d+\.\d+)(\.manifest)?$/.exec(name);
      if (v?.[1]) return v[1];
    }
  } catch {
    // no folder to look in
  }
  return null;
}

export interface DatabaseMaintenanceResult {
  optimize: OptimizeResult;
  audits: { id: string; findings: number; how: string }[];
  browsers: { id: string; installed: string | null; pinned: string; matches: boolean }[];
  lines: string[];
}

export async function maintainDatabase(o: {
  file: string;
  cfg: MaintenanceConfig['database'];
  bots: readonly BotConfig[];
  platform: TreeKiller;
  signal: AbortSignal;
  progress(phase: string, done: number, total: number): void;
  nativeBinding?: string;
}): Promise<DatabaseMaintenanceResult> {
  const lines: string[] = [];
  const optimize = await optimizeDatabase(o.file, o.cfg.vacuumPagesPerStep, {
    nativeBinding: o.nativeBinding,
    signal: o.signal,
    onProgress: o.progress,
  });
  lines.push(
    `ANALYZE ${optimize.analyzeMs} ms, PRAGMA optimize ${optimize.optimizeMs} ms, integrity_check ${optimize.integrity.join('; ')} (${optimize.integrityMs} ms)`,
    optimize.autoVacuum === 2
      ? `incremental vacuum: ${optimize.pagesVacuumed} free page(s) returned (${optimize.freelistBefore} → ${optimize.freelistAfter})`
      : `incremental vacuum: not enabled on this database (auto_vacuum ${optimize.autoVacuum}); ${optimize.freelistBefore} free page(s)`,
  );
  const rootOf = (bot?: string) => o.bots.find((b) => b.id === bot)?.root;
  const audits: DatabaseMaintenanceResult['audits'] = [];
  for (const a of o.cfg.audits) {
    o.progress('audit', audits.length, o.cfg.audits.length);
    const r = await runCommand(
      { command: a.command, args: a.args, cwd: a.cwd ?? rootOf(a.bot) },
      AbortSignal.any([o.signal, AbortSignal.timeout(a.timeoutSeconds * 1000)]),
      o.platform,
    );
    const { findings, how } = countFindings(r.output, r.exitCode);
    audits.push({ id: a.id, findings, how });
    lines.push(`audit ${a.id}: ${findings} finding(s) (${how})`);
  }
  const browsers: DatabaseMaintenanceResult['browsers'] = [];
  for (const b of o.cfg.browsers) {
    const root = rootOf(b.bot);
    const path = isAbsolute(b.path) || !root ? b.path : join(root, b.path);
    const installed = await browserVersion(path, o.platform);
    const matches = installed !== null && versionMatches(installed, b.pinned);
    browsers.push({ id: b.id, installed, pinned: b.pinned, matches });
    lines.push(
      `${b.id}: ${installed ?? 'version unknown'} (pinned ${b.pinned})${matches ? '' : ' — MISMATCH'}`,
    );
  }
  return { optimize, audits, browsers, lines };
}

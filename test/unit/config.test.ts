import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigFile, openLiveConfig, parseConfigText } from '../../electron/core/config/index.js';
import { configSchema, formatConfigIssue } from '../../shared/config/schema.js';

const dirs: string[] = [];
function tempFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-config-'));
  dirs.push(dir);
  const file = join(dir, 'config.yaml');
  writeFileSync(file, text);
  return file;
}
afterEach(() => {
  for (const d of dirs.splice(0))
    rmSync(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

describe('config validation', () => {
  it('accepts the shipped default file and fills defaults', () => {
    const result = loadConfigFile(join(import.meta.dirname, '../../resources/config/default.yaml'));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.server.port).toBe(17380);
    expect(result.config.monitor.liveIntervalSeconds).toBe(5);
    expect(result.config.ui.locale).toBe('ja');
  });

  it('treats an empty file as not a config (a save in progress), and `{}` as all defaults', () => {
    const empty = parseConfigText('', 'empty.yaml');
    expect(empty).toMatchObject({ ok: false, empty: true });
    const result = parseConfigText('{}', 'defaults.yaml');
    expect(result.ok && result.config).toEqual(configSchema.parse({}));
  });

  it('reports a YAML syntax error with file, line and column', () => {
    const result = parseConfigText('server:\n  port: 1\nmonitor:\n  disks: [C:, D:\n', 'bad.yaml');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const issue = result.issues[0]!;
    expect(issue.file).toBe('bad.yaml');
    expect(issue.line).toBeGreaterThanOrEqual(4);
    expect(issue.message).toMatch(/YAML syntax/);
  });

  it('reports a wrong type at the line of the value', () => {
    const result = parseConfigText(
      'server:\n  port: 17380\nmonitor:\n  liveIntervalSeconds: fast\n',
      'c.yaml',
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toHaveLength(1);
    expect(result.issues[0]).toMatchObject({
      file: 'c.yaml',
      line: 4,
      col: 24,
      path: 'monitor.liveIntervalSeconds',
    });
    expect(formatConfigIssue(result.issues[0]!)).toMatch(
      /^c\.yaml:4:24: monitor\.liveIntervalSeconds: .*number/i,
    );
  });

  it('reports an out-of-range value', () => {
    const result = parseConfigText('server:\n  port: 70000\n', 'c.yaml');
    expect(!result.ok && result.issues[0]).toMatchObject({ line: 2, path: 'server.port' });
  });

  it('reports an unknown key (a typo) at the key itself', () => {
    const result = parseConfigText('ui:\n  locale: ja\nmonitr:\n  disks: []\n', 'c.yaml');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues[0]).toMatchObject({ line: 3, path: 'monitr' });
    expect(result.issues[0]!.message).toMatch(/monitr/);
  });

  it('reports a bad enum value with the allowed ones', () => {
    const result = parseConfigText('ui:\n  locale: fr\n', 'c.yaml');
    expect(!result.ok && result.issues[0]?.message).toMatch(/ja|en/);
  });

  it('reports duplicate keys', () => {
    const result = parseConfigText('ui:\n  locale: ja\n  locale: en\n', 'c.yaml');
    expect(!result.ok && result.issues[0]).toMatchObject({ line: 3 });
  });

  it('names a missing file and the fix', () => {
    const result = loadConfigFile('/nonexistent/nexus/config.yaml');
    expect(!result.ok && result.issues[0]?.message).toMatch(/not found/);
  });
});

describe('live config', () => {
  it('keeps the last good config on a broken edit and recovers on a fixed one', () => {
    const file = tempFile('monitor:\n  liveIntervalSeconds: 2\n');
    const live = openLiveConfig({ file, fallback: configSchema.parse({}), watch: false });
    expect(live.current().monitor.liveIntervalSeconds).toBe(2);
    expect(live.issues()).toEqual([]);
    live.close();

    writeFileSync(file, 'monitor:\n  liveIntervalSeconds: [\n');
    const broken = openLiveConfig({ file, fallback: configSchema.parse({}), watch: false });
    expect(broken.issues().length).toBeGreaterThan(0);
    expect(broken.current().monitor.liveIntervalSeconds).toBe(5); // defaults at start when broken
    broken.close();
  });

  it('at start, a broken section falls back alone: the others (bot folders, stop) stay as written', () => {
    const file = tempFile(
      'ui:\n  locale: fr\nbots:\n  folders: [/srv/bots/nexus]\nstop:\n  graceSeconds: 2\nmonitr: {}\n',
    );
    const live = openLiveConfig({ file, fallback: configSchema.parse({}), watch: false });
    expect(live.issues().map((i) => i.path)).toEqual(expect.arrayContaining(['ui.locale', 'monitr']));
    expect(live.current().bots.map((b) => b.root)).toEqual(['/srv/bots/nexus']);
    expect(live.current().stop.graceSeconds).toBe(2);
    expect(live.current().ui.locale).toBe('ja');
    live.close();
  });

  it('follows edits on disk: a broken edit warns and keeps the last good values', async () => {
    const file = tempFile('monitor:\n  liveIntervalSeconds: 2\n');
    const changes: number[] = [];
    const issueCounts: number[] = [];
    const live = openLiveConfig({
      file,
      fallback: configSchema.parse({}),
      onChange: (c) => changes.push(c.monitor.liveIntervalSeconds),
      onIssues: (i) => issueCounts.push(i.length),
    });
    const waitFor = async (cond: () => boolean) => {
      for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
      expect(cond()).toBe(true);
    };
    writeFileSync(file, 'monitor:\n  liveIntervalSeconds: nope\n');
    await waitFor(() => live.issues().length > 0);
    expect(live.current().monitor.liveIntervalSeconds).toBe(2);
    expect(live.issues()[0]).toMatchObject({ line: 2 });

    writeFileSync(file, 'monitor:\n  liveIntervalSeconds: 3\n');
    await waitFor(() => live.current().monitor.liveIntervalSeconds === 3);
    expect(live.issues()).toEqual([]);
    expect(changes).toContain(3);
    live.close();
  });
});

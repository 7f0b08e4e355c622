import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCore } from '../../electron/core/index.js';
import { openerCommand } from '../../electron/core/settings/index.js';
import type { MethodName, MethodOutput } from '../../shared/api/index.js';

const resourcesDir = resolve(import.meta.dirname, '..', '..', 'resources');
const quiet = { info() {}, warn() {}, error() {} };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A data folder whose config is the shipped, commented default file, under a path with spaces and Japanese. */
function harness() {
  const dir = mkdtempSync(join(tmpdir(), 'nexus opsday 設定-'));
  const file = join(dir, 'config.yaml');
  copyFileSync(join(resourcesDir, 'config', 'default.yaml'), file);
  const core = createCore({ dataDir: dir, resourcesDir, mode: 'headless', version: 'test', logger: quiet });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
  cleanups.push(() => core.close());
  async function call<M extends MethodName>(method: M, input: unknown) {
    return core.dispatcher.call(method, input) as Promise<
      { ok: true; value: MethodOutput<M> } | { ok: false; error: { code: string; message: string } }
    >;
  }
  return { core, file, call };
}

const comments = (text: string) => text.split('\n').filter((l) => l.trimStart().startsWith('#'));

describe('settings written back to the config file', () => {
  it('keeps every comment, changes only the line it sets, and the live config picks it up', async () => {
    const h = harness();
    const before = readFileSync(h.file, 'utf8');
    const r = await h.call('settings.update', {
      changes: [{ path: ['ui', 'locale'], value: 'en' }],
      by: 'tester',
    });
    expect(r.ok).toBe(true);
    const after = readFileSync(h.file, 'utf8');
    expect(comments(after)).toEqual(comments(before));
    const changed = after.split('\n').filter((l, i) => l !== before.split('\n')[i]);
    expect(changed).toEqual(['  locale: en']);
    // The live config reloads it as it does any edit: the tray and stop texts follow ui.locale.
    await expect.poll(() => h.core.status().locale, { timeout: 5000 }).toBe('en');
  });

  it('refuses a bad value with its reason and leaves the file byte for byte as it was', async () => {
    const h = harness();
    const before = readFileSync(h.file, 'utf8');
    const bad = await h.call('settings.update', {
      changes: [{ path: ['ui', 'locale'], value: 'fr' }],
      by: 'tester',
    });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.error.code).toBe('invalid_input');
    expect(bad.error.message).toMatch(/ui\.locale/);
    expect(bad.error.message).toMatch(/:\d+:\d+/);
    const cron = await h.call('settings.update', {
      changes: [{ path: ['checklists', 'schedules', 'morning'], value: '0 25 * * *' }],
      by: 'tester',
    });
    expect(cron.ok || cron.error.message).toMatch(/checklists\.schedules\.morning: bad schedule/);
    const minutes = await h.call('settings.update', {
      changes: [{ path: ['checklists', 'reminders', 'afterMinutes'], value: -5 }],
      by: 'tester',
    });
    expect(minutes.ok || minutes.error.message).toMatch(/afterMinutes/);
    const elsewhere = await h.call('settings.update', {
      changes: [{ path: ['server', 'port'], value: 80 }],
      by: 'tester',
    });
    expect(elsewhere.ok || elsewhere.error.message).toMatch(/not a setting/);
    expect(readFileSync(h.file, 'utf8')).toBe(before);
  });

  it('takes secrets write-only, finds list items by id, and refuses a stale page', async () => {
    const h = harness();
    const secret = 'https://hooks.slack.com/services/T0000/B0000/abcdefSECRET123456';
    const r = await h.call('settings.update', {
      changes: [
        { path: ['notify', 'channels', '#slack', 'webhookUrl'], value: secret },
        { path: ['notify', 'channels', '#slack', 'enabled'], value: true },
        { path: ['alerts', 'rules', '#checklist-overdue', 'enabled'], value: true },
      ],
      by: 'tester',
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(JSON.stringify(r.value)).not.toContain('abcdefSECRET');
    const slack = r.value.channels.find((c) => c.id === 'slack');
    expect(slack?.enabled).toBe(true);
    expect(slack?.secrets.find((s) => s.key === 'webhookUrl')).toEqual({
      key: 'webhookUrl',
      state: 'set',
      envRef: null,
    });
    expect(r.value.overdueEscalation).toEqual({ present: true, enabled: true });
    expect(readFileSync(h.file, 'utf8')).toContain(secret);
    const email = r.value.channels.find((c) => c.id === 'email-management');
    expect(email?.secrets.find((s) => s.key === 'password')).toMatchObject({
      state: 'env',
      envRef: '${env:NEXUS_SMTP_PASSWORD}',
    });

    const got = await h.call('settings.get', {});
    expect(got.ok && JSON.stringify(got.value)).not.toContain('abcdefSECRET');
    const stale = await h.call('settings.update', {
      changes: [{ path: ['ui', 'locale'], value: 'en' }],
      by: 'tester',
      baseHash: 'not-the-hash',
    });
    expect(stale.ok || stale.error.code).toBe('conflict');
  });

  it('opens the config file with the OS opener as an argument list (no shell)', () => {
    const file = 'C:\\Users\\山田 太郎\\AppData\\Roaming\\Nexus Ops\\config.yaml';
    expect(openerCommand('win32', file)).toEqual({ command: 'explorer.exe', args: [file] });
    expect(openerCommand('linux', '/home/a b/config.yaml')).toEqual({
      command: 'xdg-open',
      args: ['/home/a b/config.yaml'],
    });
    expect(openerCommand('darwin', '/x')).toEqual({ command: 'open', args: ['/x'] });
  });
});

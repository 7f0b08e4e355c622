import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Core, createCore } from '../../electron/core/index.js';
import { botFolders } from '../../shared/config/bots.js';

/**
 * The whole core on a real config file edited on disk (issue 10, item 1): a save that arrives in two
 * writes, or a file emptied by `: > config.yaml`, must neither drop the bot folders nor make an
 * acknowledged alert come back unacknowledged.
 */

const resourcesDir = resolve(import.meta.dirname, '..', '..', 'resources');
const warnings: string[] = [];
const logger = { info() {}, warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m) };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  warnings.length = 0;
});

const HEAD = `monitor:
  liveIntervalSeconds: 1
  storeIntervalSeconds: 1
bots:
  folders: [/srv/bots/TwitterBot_Nexus_02]
stop:
  graceSeconds: 4
`;
const ALERTS = `alerts:
  rules:
    - id: always
      name: always firing
      expr: cpu.total >= 0
      severity: warning
`;

async function until(cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond()) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  expect(await cond()).toBe(true);
}

function start(): { core: Core; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-config-live-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(file, HEAD + ALERTS);
  const core = createCore({ dataDir: dir, resourcesDir, mode: 'headless', version: 'test', logger });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
  cleanups.push(() => core.close());
  core.start();
  return { core, file };
}

type OpenAlert = { id: string; ruleId: string; state: string };
async function openAlerts(core: Core): Promise<OpenAlert[]> {
  const r = await core.dispatcher.call('alerts.list', {});
  return r.ok ? (r.value as { alerts: OpenAlert[] }).alerts : [];
}

async function acknowledgedAlert(core: Core): Promise<OpenAlert> {
  await until(async () =>
    (await openAlerts(core)).some((a) => a.ruleId === 'always' && a.state === 'firing'),
  );
  const alert = (await openAlerts(core)).find((a) => a.ruleId === 'always')!;
  const ack = await core.dispatcher.call('alerts.ack', { id: alert.id, by: 'operator' });
  expect(ack.ok).toBe(true);
  return alert;
}

describe('live config edits on a running core', () => {
  it('a save in two writes keeps the acknowledged alert acknowledged and the bot folders in place', async () => {
    const { core, file } = start();
    const alert = await acknowledgedAlert(core);
    const folders: number[] = [];
    const timer = setInterval(() => folders.push(botFolders(core.config.current().bots).length), 20);
    cleanups.push(() => clearInterval(timer));

    // the editor's first write stops before the alerts section; the rest follows 300 ms later
    const edited = HEAD.replace('graceSeconds: 4', 'graceSeconds: 5') + ALERTS;
    writeFileSync(file, edited.slice(0, edited.indexOf('bots:')));
    await new Promise((r) => setTimeout(r, 300));
    writeFileSync(file, edited);
    await until(() => core.config.current().stop.graceSeconds === 5);
    // two more evaluation cycles on the edited config
    await new Promise((r) => setTimeout(r, 2500));

    const now = (await openAlerts(core)).filter((a) => a.ruleId === 'always');
    expect(now).toEqual([expect.objectContaining({ id: alert.id, state: 'acknowledged' })]);
    expect(folders).not.toContain(0);
    expect(core.status().configIssues).toEqual([]);
  });

  it('an emptied file is refused with a warning in the status; the alert stays acknowledged', async () => {
    const { core, file } = start();
    const alert = await acknowledgedAlert(core);
    writeFileSync(file, '');
    await until(() => core.status().configIssues.some((i) => /empty/.test(i.message)));
    await new Promise((r) => setTimeout(r, 1500));
    expect(botFolders(core.config.current().bots)).toEqual(['/srv/bots/TwitterBot_Nexus_02']);
    const now = (await openAlerts(core)).filter((a) => a.ruleId === 'always');
    expect(now).toEqual([expect.objectContaining({ id: alert.id, state: 'acknowledged' })]);
    expect(warnings.join('\n')).toMatch(/config\.yaml: the file is empty/);
  });

  it('`{}` on purpose shows a notice in the status, not a problem', async () => {
    const { core, file } = start();
    writeFileSync(file, '{}\n');
    await until(() => botFolders(core.config.current().bots).length === 0);
    const issues = core.status().configIssues;
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ severity: 'notice' });
    expect(issues[0]!.message).toMatch(/every setting is at its default/);
  });
});

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it } from 'vitest';
import { createCore } from '../../electron/core/index.js';
import { parseSteps } from '../../electron/core/runbooks/index.js';
import { SafeMarkdown, safeUrl } from '../../renderer/src/pages/runbooks/SafeMarkdown.js';
import type { MethodName, MethodOutput } from '../../shared/api/index.js';

const resourcesDir = resolve(import.meta.dirname, '..', '..', 'resources');
const quiet = { info() {}, warn() {}, error() {} };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function harness(config: string) {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-opsday-runbooks-'));
  writeFileSync(join(dir, 'config.yaml'), config);
  const core = createCore({ dataDir: dir, resourcesDir, mode: 'headless', version: 'test', logger: quiet });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
  cleanups.push(() => core.close());
  async function call<M extends MethodName>(method: M, input: unknown): Promise<MethodOutput<M>> {
    const r = await core.dispatcher.call(method, input);
    if (!r.ok) throw new Error(`${method}: ${r.error.code}: ${r.error.message}`);
    return r.value as never;
  }
  return { core, call };
}

describe('runbooks', () => {
  it('ship the documents’ steps for Level 1-3, word for word, in order', () => {
    const steps = (id: string) =>
      parseSteps(readFileSync(join(resourcesDir, 'runbooks', 'ja', `${id}.md`), 'utf8')).map((s) => s.text);
    expect(steps('level1-api-latency')).toEqual([
      'QPS設定確認・調整',
      'ネットワーク状況確認',
      'TwitterAPI.io状況確認',
    ]);
    expect(steps('level2-api-auth')).toEqual([
      'APIキー有効性確認',
      '権限設定確認',
      'APIキーローテーション実行',
    ]);
    expect(steps('level3-system-stop')).toEqual([
      '緊急停止実行',
      'ログ収集・分析',
      '根本原因調査',
      '修正・再開手順実行',
    ]);
    // English has the same number of steps.
    for (const id of ['level1-api-latency', 'level2-api-auth', 'level3-system-stop']) {
      const en = parseSteps(readFileSync(join(resourcesDir, 'runbooks', 'en', `${id}.md`), 'utf8'));
      expect(en.length).toBe(steps(id).length);
    }
    // Nested items and code blocks are not steps.
    expect(
      parseSteps('1. a\n   1. nested\n```\n2. code\n```\n2. b').map((s) => [s.n, s.line, s.text]),
    ).toEqual([
      [1, 1, 'a'],
      [2, 6, 'b'],
    ]);
  });

  it('link rules to runbooks, report a rule naming a runbook that does not exist, and record steps per subject', async () => {
    const h = harness(`alerts:
  rules:
    - { id: slow, expr: cpu.total > 99, severity: warning, runbook: level1-api-latency }
    - { id: wiki, expr: cpu.total > 98, severity: warning, runbook: "https://wiki.example.com/runbooks/cpu" }
    - { id: typo, expr: cpu.total > 97, severity: warning, runbook: level9-nothing }
`);
    const list = await h.call('runbooks.list', {});
    expect(list.ruleLinks).toEqual({
      slow: 'level1-api-latency',
      wiki: 'https://wiki.example.com/runbooks/cpu',
      typo: 'level9-nothing',
    });
    expect(list.runbooks.find((r) => r.id === 'level1-api-latency')?.rules).toEqual(['slow']);
    const issue = h.core.status().configIssues.find((i) => i.path === 'alerts.rules[2].runbook');
    expect(issue?.message).toMatch(/no runbook "level9-nothing"/);
    expect(issue?.line).toBe(5);

    const en = await h.call('runbooks.get', { id: 'level3-system-stop', locale: 'en' });
    expect(en.steps.map((s) => s.text)[0]).toBe('Run the emergency stop');
    await h.call('runbooks.tickStep', {
      subject: 'incident:INC-20260105-001',
      runbookId: 'level3-system-stop',
      step: 1,
      done: true,
      by: '山田',
    });
    await h.call('runbooks.tickStep', {
      subject: 'incident:INC-20260105-001',
      runbookId: 'level3-system-stop',
      step: 2,
      done: true,
      by: '山田',
    });
    const p = await h.call('runbooks.tickStep', {
      subject: 'incident:INC-20260105-001',
      runbookId: 'level3-system-stop',
      step: 1,
      done: false,
      by: '鈴木',
      note: 'やり直し',
    });
    expect(p.steps.map((s) => [s.step, s.done, s.by])).toEqual([
      [1, false, '鈴木'],
      [2, true, '山田'],
    ]);
    expect(p.history).toHaveLength(3);
    const other = await h.call('runbooks.progress', { subject: 'alert:x', runbookId: 'level3-system-stop' });
    expect(other.steps).toEqual([]);
    const tooFar = await h.core.dispatcher.call('runbooks.tickStep', {
      subject: 'alert:x',
      runbookId: 'level3-system-stop',
      step: 9,
      done: true,
      by: 'x',
    });
    expect(tooFar.ok || tooFar.error.message).toMatch(/4 steps/);
  });
});

describe('runbook Markdown in the page', () => {
  const href = (id: string) => `#/incidents/runbook/${id}`;

  it('renders <script> and other raw HTML inert, and drops unsafe links', () => {
    const markdown = [
      '# 手順',
      '',
      '<script>window.pwned = true</script>',
      '',
      '<img src=x onerror="alert(1)">',
      '',
      '1. [危険なリンク](javascript:alert(1))',
      '2. [data](data:text/html;base64,PHNjcmlwdD4=) と [ファイル](file:///C:/Windows)',
      '3. [Level 2](runbook:level2-api-auth)、[アラート](#/alerts)、[外部](https://status.twitterapi.io/)',
      '',
      '<iframe src="https://evil.example.com"></iframe>',
    ].join('\n');
    const html = renderToStaticMarkup(createElement(SafeMarkdown, { markdown, runbookHref: href }));
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<iframe/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/onerror/i);
    expect(html).not.toMatch(/href="(javascript|data|file):/i);
    expect(html).toContain('危険なリンク');
    expect(html).toContain('href="#/incidents/runbook/level2-api-auth"');
    expect(html).toContain('href="#/alerts"');
    expect(html).toContain('href="https://status.twitterapi.io/" target="_blank" rel="noopener noreferrer"');
  });

  it('checks each link', () => {
    expect(safeUrl('JavaScript:alert(1)', href)).toBeNull();
    expect(safeUrl(' vbscript:x', href)).toBeNull();
    expect(safeUrl('runbook:level1-api-latency', href)).toBe('#/incidents/runbook/level1-api-latency');
    expect(safeUrl('runbook:../../etc', href)).toBeNull();
    expect(safeUrl('mailto:ops@example.com', href)).toBe('mailto:ops@example.com');
  });
});

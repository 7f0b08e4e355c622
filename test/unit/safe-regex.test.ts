/**
 * Operator-written patterns run in linear time. With a backtracking engine, `(a+)+$` against forty
 * "a"s and a "b" takes about 2^40 steps (hours): these tests would hang before the fix.
 */
import { describe, expect, it } from 'vitest';
import { compileRules } from '../../electron/core/alerts/index.js';
import { classifyProcesses } from '../../electron/core/monitor/index.js';
import type { ProcessInfo } from '../../electron/core/platform/index.js';
import { monitorConfigSchema } from '../../shared/config/monitor.js';
import { compileSafeRegex, UnsafeRegexError } from '../../shared/regex/index.js';

const crafted = `${'a'.repeat(40)}b`;

function proc(pid: number, cmdline: string): ProcessInfo {
  return {
    pid,
    ppid: 1,
    name: 'python3',
    cmdline,
    startTime: 1,
    state: 'running',
    cpuTimeMs: 0,
    rssBytes: 0,
  };
}

describe('operator patterns run in linear time', () => {
  it('a family pattern that backtracks catastrophically cannot hold the monitor on a crafted command line', () => {
    const { families } = monitorConfigSchema.parse({
      families: [{ name: 'evil', match: [{ cmdline: '(a+)+$' }] }],
    });
    const found = classifyProcesses([proc(10, crafted), proc(11, 'aaaa')], families, { botFolders: [] });
    expect(found.get('evil')?.map((p) => p.pid)).toEqual([11]);
  });

  it('an alert label matcher that backtracks catastrophically evaluates at once', () => {
    const { rules, errors } = compileRules(
      [{ id: 'evil', expr: 'proc.count{family=~"(a+)+"} > 1', for: '0', severity: 'info' }],
      { file: 'x.yaml' },
    );
    expect(errors).toEqual([]);
    const m = rules[0]!.expr.selector.matchers[0]!;
    expect(m.re?.test(crafted)).toBe(false);
    expect(m.re?.test('aaaa')).toBe(true);
  });

  it('refuses look-around and back-references with the reason, in the config and in rules', () => {
    expect(() => compileSafeRegex('(?=x)y')).toThrow(UnsafeRegexError);
    expect(() => compileSafeRegex('(a)\\1')).toThrow(/back-references/);
    const parsed = monitorConfigSchema.safeParse({
      families: [{ name: 'x', match: [{ cmdline: '(a)\\1' }] }],
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toMatch(/linear time/);
    const { errors } = compileRules(
      [{ id: 'look', expr: 'proc.count{family=~"(?!x).*"} > 1', for: '0', severity: 'info' }],
      { file: 'x.yaml' },
    );
    expect(errors[0]?.reason).toMatch(/linear time/);
  });

  it('the shipped families are all linear-time patterns', () => {
    expect(() => monitorConfigSchema.parse({})).not.toThrow();
  });

  it('matches whole text or anywhere, case-insensitively when asked, with named groups', () => {
    const re = compileSafeRegex('reply_bot\\.(?P<module>\\w+)', { ignoreCase: true });
    expect(re.test('python -m REPLY_BOT.multi_main')).toBe(true);
    expect(re.groups('python -m reply_bot.multi_main --live-run')).toEqual({ module: 'multi_main' });
    expect(compileSafeRegex('chrome|chromium', { whole: true }).test('chromium-browser')).toBe(false);
  });
});

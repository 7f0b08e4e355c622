/**
 * Extraction rules on a JSON field (`field:`), against JSON-lines records in the Phase 6 schema as the
 * logs capability really parses and announces them: its JSON parser lifts `metadata`'s keys into the
 * record's fields, so a rule written as the config documents it (`path: metadata.status`) must match
 * them as well as `path: status`; `equals` and a field pattern with captures decide, a record without
 * the field does not match.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/core/clock/index.js';
import { createWallClock, parseJsonLine } from '../../electron/core/logs/index.js';
import { type TelemetryHarness, telemetryHarness } from '../fixtures/telemetry/harness.js';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

const T0 = Date.parse('2026-01-05T10:00:00+09:00');

/** A JSON line through the logs capability's parser, shaped as its `logs.records` hook announces it. */
function announced(id: number, line: string) {
  const parsed = parseJsonLine(
    { text: line, offset: 0, end: line.length + 1, flags: 0 },
    createWallClock('UTC'),
  );
  if (!parsed) throw new Error(`not a JSON record: ${line}`);
  return {
    id,
    ts: parsed.ts,
    level: parsed.level,
    botId: 'nexus02',
    account: parsed.account,
    traceId: parsed.traceId,
    logger: parsed.logger,
    stream: null,
    message: parsed.message,
    fields: parsed.fields,
    raw: false,
    truncated: false,
    fileId: 1,
  };
}

function jsonLine(ts: number, message: string, metadata: Record<string, unknown>, level = 'INFO'): string {
  return JSON.stringify({
    timestamp: new Date(ts).toISOString(),
    level,
    logger_name: 'reply_bot.api_client',
    account_id: 'alice',
    correlation_id: `req-${ts}`,
    message,
    metadata,
  });
}

function harness(rules: unknown[]): TelemetryHarness {
  const clock = new ManualClock(T0 + 60_000);
  const h = telemetryHarness(clock, {
    telemetry: {
      providers: [{ id: 'gemini', costPerCallUsd: 0.002 }],
      defaultProvider: 'gemini',
      kpis: { minOutcomesForRate: 2 },
      bots: [{ bot: 'nexus02' }],
      rules,
    },
  });
  closers.push(() => h.close());
  return h;
}

describe('a rule on a JSON field', () => {
  it('path metadata.status (as documented) and path status both match the parsed record; a pattern captures the status', () => {
    const h = harness([
      {
        id: 'json-answer',
        field: { path: 'metadata.status', match: '^(?P<status>\\d{3})$' },
        event: 'api-call',
      },
      { id: 'json-liked', field: { path: 'result', equals: 'success' }, event: 'success' },
      { id: 'json-failed', field: { path: 'metadata.result', equals: 'failure' }, event: 'failure' },
    ]);
    const lines = [
      jsonLine(T0, 'Gemini 応答', { status: 200, duration_ms: 812 }),
      jsonLine(T0 + 1000, 'Gemini 応答', { status: 503 }, 'ERROR'),
      jsonLine(T0 + 2000, 'いいね処理を完了しました', { result: 'success', tweet_id: '1966512345678901234' }),
      jsonLine(T0 + 3000, 'いいね処理に失敗しました', { result: 'failure' }, 'WARNING'),
      jsonLine(T0 + 4000, 'いいね処理に失敗しました', { result: 'failure' }, 'WARNING'),
      // No status field, and a result the rules do not name: nothing.
      jsonLine(T0 + 5000, 'profile-lock acquired', {}),
      jsonLine(T0 + 6000, 'いいね処理', { result: 'skipped' }),
    ];
    h.feed(lines.map((l, i) => announced(i + 1, l)) as never);

    const k = h.telemetry.kpiViews().find((v) => v.bot === 'nexus02');
    // Two answers (200 and 503): two billed calls, one an error.
    expect(k?.counters.apiCalls).toBe(2);
    expect(h.telemetry.costView().day.calls).toBe(2);
    expect(h.telemetry.costView().day.spentUsd).toBeCloseTo(2 * 0.002, 9);
    expect(k?.successes).toBe(1);
    expect(k?.failures).toBe(2);
    expect(k?.consecutiveFailures).toBe(2);
    const matches = Object.fromEntries(
      h.telemetry.ruleStatus().rules.map((r) => [r.id, r.matches.nexus02 ?? 0]),
    );
    expect(matches).toEqual({ 'json-answer': 2, 'json-liked': 1, 'json-failed': 2 });
    // The error rate reflects the captured status (1 of 2 calls failed), over the rate window.
    expect(k?.apiErrorRatePct).toBe(50);
  });

  it('equals compares the value as written (the number 500 is not the text "500")', () => {
    const h = harness([
      { id: 'json-500-text', field: { path: 'metadata.status', equals: '500' }, event: 'error' },
      {
        id: 'json-500',
        field: { path: 'metadata.status', equals: 500 },
        event: 'count',
        metric: 'custom.http_500',
      },
    ]);
    h.feed([announced(1, jsonLine(T0, 'x', { status: 500 }, 'ERROR'))] as never);
    const matches = Object.fromEntries(
      h.telemetry.ruleStatus().rules.map((r) => [r.id, r.matches.nexus02 ?? 0]),
    );
    expect(matches).toEqual({ 'json-500-text': 0, 'json-500': 1 });
  });
});

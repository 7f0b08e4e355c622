import type { EvidenceResult, ItemVerdict } from '../../../shared/api/checklists.js';
import type { EvidenceRegistry } from '../capability/index.js';
import { windowStart } from './calendar.js';
import type { EvidenceSpec } from './templates.js';

export interface EvidenceContext {
  /** The slot the item belongs to: `since: "18:00"` means the last 18:00 before it. */
  slotAt: number;
  now: number;
  tz: string;
}

/** True when `value` satisfies a condition such as `== 0` or `< 24`. */
export function holds(condition: string, value: number): boolean {
  const m = /^\s*(==|!=|<=|>=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/.exec(condition);
  if (!m) return false;
  const limit = Number(m[2]);
  switch (m[1]) {
    case '==':
      return value === limit;
    case '!=':
      return value !== limit;
    case '<':
      return value < limit;
    case '<=':
      return value <= limit;
    case '>':
      return value > limit;
    default:
      return value >= limit;
  }
}

/**
 * Reads one piece of evidence. Never throws: a provider nobody offers yet (a capability not installed),
 * bad parameters or a failing read become `unavailable` with the reason.
 */
export async function readEvidence(
  registry: EvidenceRegistry,
  spec: EvidenceSpec,
  ctx: EvidenceContext,
): Promise<EvidenceResult> {
  const condition = spec.pass?.trim() ?? null;
  const base = { label: spec.label, source: spec.source, condition, to: ctx.now };
  let from = ctx.now;
  try {
    from = Math.min(windowStart(spec.since, ctx.slotAt, ctx.now, ctx.tz), ctx.now);
  } catch (err) {
    return unavailable(base, from, (err as Error).message);
  }
  const provider = registry.get(spec.source);
  if (!provider) {
    return {
      ...base,
      from,
      verdict: 'unavailable',
      value: null,
      text: {
        ja: `未提供: ${spec.source} を提供する機能がまだありません`,
        en: `not available yet: nothing offers ${spec.source}`,
      },
      at: null,
      error: `no capability offers the evidence "${spec.source}"`,
    };
  }
  try {
    const reading = await provider.read({ params: spec.params, from, to: ctx.now, now: ctx.now });
    let verdict: EvidenceResult['verdict'];
    // No value: a condition cannot be judged, but a provider that says what no value means is believed
    // (no backup at all needs attention; it is not "not available").
    if (reading.value === null) verdict = condition ? 'unavailable' : (reading.verdict ?? 'info');
    else if (condition) verdict = holds(condition, reading.value) ? 'pass' : 'attention';
    else verdict = reading.verdict ?? 'info';
    return {
      ...base,
      from,
      verdict,
      value: reading.value,
      text: reading.text,
      at: reading.at ?? null,
      error: null,
    };
  } catch (err) {
    return unavailable(base, from, `${spec.source}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function unavailable(
  base: Pick<EvidenceResult, 'label' | 'source' | 'condition' | 'to'>,
  from: number,
  error: string,
): EvidenceResult {
  return {
    ...base,
    from,
    verdict: 'unavailable',
    value: null,
    text: { ja: `読み取れません: ${error}`, en: `cannot read: ${error}` },
    at: null,
    error,
  };
}

/** pass: every reading passes (info readings do not count against it); attention: any does not. */
export function itemVerdict(results: readonly EvidenceResult[]): ItemVerdict {
  if (results.length === 0) return 'none';
  if (results.some((r) => r.verdict === 'attention')) return 'attention';
  const judged = results.filter((r) => r.verdict !== 'info');
  if (judged.length === 0) return 'none';
  if (judged.some((r) => r.verdict === 'unavailable')) return 'unavailable';
  return 'pass';
}

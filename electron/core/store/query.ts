import type { SeriesPoint } from '../../../shared/api/system.js';

/**
 * Reduces points to at most maxPoints buckets of equal time width. Each bucket keeps its average as the
 * value and its min/max, so a one-sample spike stays visible however far the chart zooms out.
 */
export function downsample(
  points: readonly { ts: number; value: number; min?: number; max?: number }[],
  from: number,
  to: number,
  maxPoints: number,
): SeriesPoint[] {
  if (points.length <= maxPoints) return points.map((p) => ({ ...p }));
  const width = Math.max(1, (to - from) / maxPoints);
  const out: SeriesPoint[] = [];
  let bucket = -1;
  let sum = 0;
  let n = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let firstTs = 0;
  const flush = () => {
    if (n > 0) out.push({ ts: firstTs, value: sum / n, min, max });
  };
  for (const p of points) {
    const b = Math.floor((p.ts - from) / width);
    if (b !== bucket) {
      flush();
      bucket = b;
      sum = 0;
      n = 0;
      min = Number.POSITIVE_INFINITY;
      max = Number.NEGATIVE_INFINITY;
      firstTs = p.ts;
    }
    sum += p.value;
    n++;
    min = Math.min(min, p.min ?? p.value);
    max = Math.max(max, p.max ?? p.value);
  }
  flush();
  return out;
}

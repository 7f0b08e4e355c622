import type { ChartPoint } from '../../stores/monitor.js';
import './charts.css';

/**
 * A tiny line over the last hour, drawn as plain SVG (dozens of rows would be heavy in recharts). The
 * shaded area under it is the bucket maximum, so a short spike stays visible.
 */
export function Sparkline({
  points,
  width = 120,
  height = 28,
  color = 'var(--c1)',
  title,
  windowMs = 60 * 60 * 1000,
  now,
}: {
  points: readonly ChartPoint[];
  width?: number;
  height?: number;
  color?: string;
  title?: string;
  windowMs?: number;
  /** Right edge of the window; default the newest point. */
  now?: number;
}) {
  if (points.length === 0) {
    return <svg className="sparkline empty" width={width} height={height} aria-hidden="true" />;
  }
  const end = now ?? points[points.length - 1]?.ts ?? 0;
  const start = end - windowMs;
  let top = 0;
  for (const p of points) top = Math.max(top, p.max ?? p.value);
  const scaleY = (v: number) => height - 2 - (top > 0 ? (v / top) * (height - 4) : 0);
  const scaleX = (ts: number) => Math.max(0, ((ts - start) / windowMs) * (width - 2));
  const line = points.map((p) => `${scaleX(p.ts).toFixed(1)},${scaleY(p.value).toFixed(1)}`).join(' ');
  const peak = points.map((p) => `${scaleX(p.ts).toFixed(1)},${scaleY(p.max ?? p.value).toFixed(1)}`);
  const firstX = scaleX(points[0]?.ts ?? start).toFixed(1);
  const lastPoint = points[points.length - 1];
  const lastX = scaleX(lastPoint?.ts ?? end).toFixed(1);
  const area = `${firstX},${height} ${peak.join(' ')} ${lastX},${height}`;
  return (
    <svg
      className="sparkline"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={title}
      data-points={points.length}
    >
      {title && <title>{title}</title>}
      <polygon points={area} fill={color} fillOpacity={0.18} stroke="none" />
      <polyline points={line} fill="none" stroke={color} strokeWidth={1.4} strokeLinejoin="round" />
      <circle cx={lastX} cy={scaleY(lastPoint?.value ?? 0).toFixed(1)} r={1.8} fill={color} />
    </svg>
  );
}

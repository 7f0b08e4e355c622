import i18next from 'i18next';
import type { ReactNode } from 'react';

/** A record's time in the operator's local time, to the millisecond (log lines come in bursts). */
export function formatLogTime(ts: number): string {
  return new Date(ts).toLocaleString(i18next.language === 'en' ? 'en-GB' : 'ja-JP', {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    fractionalSecondDigits: 3,
  });
}

/** The message with its matching ranges in <mark>. */
export function Highlighted({
  text,
  ranges,
}: {
  text: string;
  ranges: readonly [number, number][];
}): ReactNode {
  if (ranges.length === 0) return text;
  const parts: ReactNode[] = [];
  let at = 0;
  for (const [s, e] of ranges) {
    if (s > at) parts.push(text.slice(at, s));
    parts.push(<mark key={s}>{text.slice(s, e)}</mark>);
    at = e;
  }
  if (at < text.length) parts.push(text.slice(at));
  return parts;
}

/** `<input type="datetime-local">` value ↔ epoch ms, in local time. */
export function toLocalInput(ts: number | null): string {
  if (ts === null) return '';
  const d = new Date(ts);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function fromLocalInput(v: string): number | null {
  if (!v) return null;
  const t = new Date(v).getTime();
  return Number.isFinite(t) ? t : null;
}

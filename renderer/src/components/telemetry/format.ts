import i18next from 'i18next';

/** USD with cents (or more digits for small amounts: a call costs $0.00015). */
export function formatUsd(v: number): string {
  const digits = v !== 0 && Math.abs(v) < 1 ? 4 : 2;
  return `$${v.toLocaleString(i18next.language === 'en' ? 'en-US' : 'ja-JP', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  })}`;
}

export function formatNumber(v: number, digits = 0): string {
  return v.toLocaleString(i18next.language === 'en' ? 'en-US' : 'ja-JP', {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
}

/** 95 s → "1 min 35 s" / "1分35秒"; hours and days for longer spans. */
export function formatSpan(seconds: number): string {
  const t = i18next.getFixedT(null, 'telemetry');
  if (seconds < 60) return t('span.seconds', { s: Math.round(seconds) });
  const m = Math.floor(seconds / 60);
  if (m < 60) return t('span.minutes', { m, s: Math.round(seconds % 60) });
  const h = Math.floor(m / 60);
  if (h < 48) return t('span.hours', { h, m: m % 60 });
  return t('span.days', { d: Math.floor(h / 24), h: h % 24 });
}

/** Local date and time (the operator's machine), short. */
export function formatWhen(ts: number | null | undefined): string {
  if (ts === null || ts === undefined) return '–';
  return new Date(ts).toLocaleString(i18next.language === 'en' ? 'en-GB' : 'ja-JP', {
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  });
}

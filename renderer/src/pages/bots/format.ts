import type { TFunction } from 'i18next';
import { useEffect, useState } from 'react';

/** 3 秒 / 4 分 5 秒 / 2 時間 3 分 / 1 日 4 時間. */
export function formatDuration(ms: number, t: TFunction): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const s = total % 60;
  const m = Math.floor(total / 60) % 60;
  const h = Math.floor(total / 3600) % 24;
  const d = Math.floor(total / 86_400);
  if (d > 0) return t('duration.d', { d, h });
  if (total >= 3600) return t('duration.h', { h, m });
  if (total >= 60) return t('duration.m', { m, s });
  return t('duration.s', { s });
}

/** The current time, once a second: uptimes and waits count on screen without asking core. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

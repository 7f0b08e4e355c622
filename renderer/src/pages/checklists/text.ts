import i18next from 'i18next';
import type { Bilingual } from '../../../../shared/api/checklists.js';

/** The operator's language of a ja/en text. */
export function bi(text: Bilingual | null | undefined): string {
  if (!text) return '';
  return i18next.language === 'en' ? text.en : text.ja;
}

/** HH:MM of an epoch in local time. */
export function hhmm(ts: number): string {
  return new Date(ts).toLocaleTimeString(i18next.language === 'en' ? 'en-GB' : 'ja-JP', {
    hour: '2-digit',
    minute: '2-digit',
  });
}

import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import enAlerts from './en/alerts.json';
import enCommon from './en/common.json';
import enMonitor from './en/monitor.json';
import enStop from './en/stop.json';
import jaAlerts from './ja/alerts.json';
import jaCommon from './ja/common.json';
import jaMonitor from './ja/monitor.json';
import jaStop from './ja/stop.json';

export const LANGUAGES = ['ja', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

const STORAGE_KEY = 'nexus-ops.language';

/** Every UI string goes through here. Japanese first; the operator's choice is remembered. */
export function initI18n(): typeof i18next {
  const saved = localStorage.getItem(STORAGE_KEY);
  const lng: Language = saved === 'en' || saved === 'ja' ? saved : 'ja';
  void i18next.use(initReactI18next).init({
    lng,
    fallbackLng: 'ja',
    defaultNS: 'common',
    ns: ['common', 'alerts', 'monitor', 'stop'],
    resources: {
      ja: { common: jaCommon, alerts: jaAlerts, monitor: jaMonitor, stop: jaStop },
      en: { common: enCommon, alerts: enAlerts, monitor: enMonitor, stop: enStop },
    },
    interpolation: { escapeValue: false },
  });
  document.documentElement.lang = lng;
  return i18next;
}

export function setLanguage(lng: Language): void {
  localStorage.setItem(STORAGE_KEY, lng);
  document.documentElement.lang = lng;
  void i18next.changeLanguage(lng);
}

/** Local-time formatting in the operator's language. */
export function formatTime(ts: number, withSeconds = true): string {
  return new Date(ts).toLocaleTimeString(i18next.language === 'en' ? 'en-GB' : 'ja-JP', {
    hour: '2-digit',
    minute: '2-digit',
    ...(withSeconds ? { second: '2-digit' } : {}),
  });
}

export function formatDateTime(ts: number): string {
  return new Date(ts).toLocaleString(i18next.language === 'en' ? 'en-GB' : 'ja-JP');
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v >= 100 || i === 0 ? 0 : 1)} ${units[i]}`;
}

import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';

/**
 * Every `<lang>/<namespace>.json` file is a namespace: a capability's page adds its own file (ja and en)
 * and nothing here changes.
 */
const files = import.meta.glob<{ default: Record<string, unknown> }>('./*/*.json', { eager: true });
const resources: Record<string, Record<string, Record<string, unknown>>> = {};
for (const [path, module] of Object.entries(files)) {
  const [, lng, ns] = /^\.\/([^/]+)\/([^/]+)\.json$/.exec(path) ?? [];
  if (!lng || !ns) continue;
  resources[lng] ??= {};
  resources[lng][ns] = module.default;
}
const namespaces = Object.keys(resources.ja ?? {});

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
    ns: namespaces,
    resources,
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

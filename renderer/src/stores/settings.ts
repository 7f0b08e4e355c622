import i18n from 'i18next';
import { create } from 'zustand';
import type { SettingsChange, SettingsView } from '../../../shared/api/settings.js';
import { api } from '../api/client.js';
import { type Language, setLanguage } from '../i18n/index.js';
import { rememberedOperator } from './alerts.js';
import { useLive } from './live.js';

interface SettingsState {
  view: SettingsView | null;
  loadError: string | null;
  /** The last refused change, with the reason core gave (the place in the file and the fix). */
  saveError: string | null;
  saving: boolean;
}

export const useSettings = create<SettingsState>(() => ({
  view: null,
  loadError: null,
  saveError: null,
  saving: false,
}));

export async function loadSettings(): Promise<void> {
  const r = await api.call('settings.get', {});
  if (r.ok) useSettings.setState({ view: r.value, loadError: null });
  else useSettings.setState({ loadError: r.error.message });
}

/** Writes changes into the config file (validated, comments kept); returns the refusal, if any. */
export async function saveSettings(changes: SettingsChange[]): Promise<string | null> {
  useSettings.setState({ saving: true, saveError: null });
  const baseHash = useSettings.getState().view?.baseHash;
  const r = await api.call('settings.update', {
    changes,
    by: rememberedOperator() || 'operator',
    ...(baseHash ? { baseHash } : {}),
  });
  if (r.ok) {
    useSettings.setState({ view: r.value, saving: false });
    return null;
  }
  useSettings.setState({ saving: false, saveError: r.error.message });
  return r.error.message;
}

/**
 * The UI language is `ui.locale` in the config: the same setting the tray and the emergency-stop texts
 * use. Choosing a language here switches the page at once and writes it to the config; every open page
 * (and the next start) follows the config through the status push. localStorage only remembers it for
 * the first paint before the status arrives.
 */
export async function chooseLanguage(lng: Language): Promise<string | null> {
  setLanguage(lng);
  if (useLive.getState().status?.locale === lng) return null;
  return saveSettings([{ path: ['ui', 'locale'], value: lng }]);
}

let syncing = false;

/** Keeps the page's language equal to the config's `ui.locale` (pushed with the app status). */
export function startLocaleSync(): void {
  if (syncing) return;
  syncing = true;
  const follow = (locale: Language | undefined) => {
    if (locale && locale !== i18n.language) setLanguage(locale);
  };
  follow(useLive.getState().status?.locale);
  useLive.subscribe((s, prev) => {
    if (s.status?.locale !== prev.status?.locale) follow(s.status?.locale);
  });
}

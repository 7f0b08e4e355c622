/** The few strings the main process shows itself (tray menu, tooltips, dialogs), in ja and en. */
const strings = {
  ja: {
    open: 'Nexus Ops を開く',
    stop: '緊急停止',
    quit: '終了',
    health: { ok: '正常', warning: '警告', critical: '重大', stopped: '緊急停止中' },
  },
  en: {
    open: 'Open Nexus Ops',
    stop: 'Emergency stop',
    quit: 'Quit',
    health: { ok: 'OK', warning: 'Warning', critical: 'Critical', stopped: 'Emergency stop' },
  },
} as const;

export type Locale = keyof typeof strings;
export type MainStrings = (typeof strings)[Locale];

export function mainStrings(locale: Locale): MainStrings {
  return strings[locale] ?? strings.ja;
}

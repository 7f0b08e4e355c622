import cronstrue from 'cronstrue';
import 'cronstrue/locales/ja';

const DAYS_JA = ['日', '月', '火', '水', '木', '金', '土'];
const DAYS_EN = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const NTH_EN = ['', 'first', 'second', 'third', 'fourth', 'fifth'];

const pad = (n: string) => n.padStart(2, '0');

/**
 * A cron schedule in words. The common shapes of the shipped jobs read naturally in Japanese
 * ("毎日 02:00", "毎週日曜日 02:00", "30 分ごと", "毎月第1日曜日 01:00"); anything else goes to
 * cronstrue (its own Japanese locale for the rest). Offsets (window jobs) are added by the caller.
 */
export function describeCron(cron: string, lang: 'ja' | 'en'): string {
  const f = cron.trim().split(/\s+/);
  if (f.length === 5) {
    const [min, hour, dom, mon, dow] = f as [string, string, string, string, string];
    const fixedTime = /^\d+$/.test(min) && /^\d+$/.test(hour);
    const time = fixedTime ? `${pad(hour)}:${pad(min)}` : '';
    const every = /^\*\/(\d+)$/.exec(min);
    if (every && hour === '*' && dom === '*' && mon === '*' && dow === '*') {
      return lang === 'ja' ? `${every[1]} 分ごと` : `Every ${every[1]} minutes`;
    }
    if (fixedTime && dom === '*' && mon === '*') {
      if (dow === '*') return lang === 'ja' ? `毎日 ${time}` : `Every day at ${time}`;
      if (/^[0-7]$/.test(dow)) {
        const d = Number(dow) % 7;
        return lang === 'ja' ? `毎週${DAYS_JA[d]}曜日 ${time}` : `Every ${DAYS_EN[d]} at ${time}`;
      }
      const nth = /^([0-7])#([1-5])$/.exec(dow);
      if (nth) {
        const d = Number(nth[1]) % 7;
        return lang === 'ja'
          ? `毎月第${nth[2]}${DAYS_JA[d]}曜日 ${time}`
          : `On the ${NTH_EN[Number(nth[2])]} ${DAYS_EN[d]} of every month at ${time}`;
      }
    }
  }
  try {
    return cronstrue.toString(cron, { locale: lang, use24HourTimeFormat: true, verbose: false });
  } catch {
    return cron;
  }
}

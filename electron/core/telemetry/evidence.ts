/**
 * The records behind each KPI, kept in small rings per bot, so an alert (and the automatic stop it
 * runs) can name the log records that caused it: the failures since the last success, the API errors
 * and rate-limit answers, the busiest calls, the Chrome start failures.
 */
import type { EvidenceRecord } from './repo.js';
import type { TelemetryEvent } from './types.js';

type Category = 'failures' | 'errors' | 'api' | 'calls' | 'chrome' | 'budget';

const CAPACITY: Record<Category, number> = {
  failures: 20,
  errors: 10,
  api: 20,
  calls: 5,
  chrome: 10,
  budget: 5,
};
const MAX_TEXT = 500;

interface Entry extends EvidenceRecord {
  account: string | undefined;
}

export class EvidenceRings {
  private readonly rings = new Map<string, Entry[]>();

  private push(bot: string, cat: Category, ev: TelemetryEvent): void {
    const key = `${bot}\u0000${cat}`;
    let ring = this.rings.get(key);
    if (!ring) {
      ring = [];
      this.rings.set(key, ring);
    }
    ring.push({ id: ev.recordId, ts: ev.ts, text: ev.text.slice(0, MAX_TEXT), account: ev.account });
    if (ring.length > CAPACITY[cat]) ring.shift();
  }

  /** `countsAsOutcome`: the event came from the bot's outcome source (a success ends the failure streak). */
  note(ev: TelemetryEvent, countsAsOutcome: boolean): void {
    switch (ev.kind) {
      case 'success':
        if (countsAsOutcome) this.rings.delete(`${ev.bot}\u0000failures`);
        break;
      case 'failure':
        this.push(ev.bot, 'failures', ev);
        break;
      case 'error':
        this.push(ev.bot, 'errors', ev);
        break;
      case 'api-call':
        this.push(ev.bot, 'calls', ev);
        if ((ev.status ?? 200) >= 400) this.push(ev.bot, 'api', ev);
        break;
      case 'api-error':
      case 'rate-limit-answer':
      case 'qps-wait':
        this.push(ev.bot, 'api', ev);
        break;
      case 'chrome-start-failure':
        this.push(ev.bot, 'chrome', ev);
        break;
      case 'budget-warning':
        this.push(ev.bot, 'budget', ev);
        break;
      default:
        break;
    }
  }

  clearFailures(bot: string): void {
    this.rings.delete(`${bot}\u0000failures`);
  }

  /** The records that explain a metric of a bot (newest last). */
  recordsFor(metric: string, bot: string | undefined, account?: string): EvidenceRecord[] {
    const cats = categoriesOf(metric);
    const out: Entry[] = [];
    for (const [key, ring] of this.rings) {
      const [b, cat] = key.split('\u0000') as [string, Category];
      if (bot !== undefined && b !== bot) continue;
      if (!cats.includes(cat)) continue;
      for (const e of ring) if (account === undefined || e.account === account) out.push(e);
    }
    return out.sort((a, b) => a.ts - b.ts).map(({ id, ts, text }) => ({ id, ts, text }));
  }
}

function categoriesOf(metric: string): Category[] {
  if (metric.includes('consecutive_failures') || metric.includes('success_rate')) return ['failures'];
  if (metric === 'bot.errors') return ['errors'];
  if (metric === 'bot.chrome_start_failures') return ['chrome'];
  if (metric === 'bot.qps' || metric === 'bot.qps_violations' || metric === 'bot.rate_limit_answers')
    return ['api', 'calls'];
  if (
    metric === 'bot.api_outage' ||
    metric === 'bot.api_error_rate_pct' ||
    metric.startsWith('bot.response_time')
  )
    return ['api'];
  if (metric.startsWith('cost.') || metric.startsWith('bot.cost')) return ['calls', 'budget'];
  return [];
}

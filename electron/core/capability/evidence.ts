/**
 * Evidence providers: named readings that checklist items, the Overview and incident timelines use,
 * offered by whichever capability owns the data. The checklists capability offers the built-in ones
 * (metrics through the store, alerts, stops, jobs); a capability that lands later offers its own
 * (`logs.errors`, `api.cost`, `bots.runs`, `backup.last`, ...) with `ctx.evidence.provide(...)`, and a
 * checklist item that names it becomes live without a change anywhere else. Like the action registry,
 * it exists before any capability, so the order in which capabilities are created does not matter.
 */

/** Text in both UI languages (Japanese first). */
export interface EvidenceText {
  ja: string;
  en: string;
}

/** What a reading is about: the time window and the item's parameters (from the checklist template). */
export interface EvidenceQuery {
  /** Parameters from the template, e.g. `{ metric: 'cpu.total', agg: 'max' }`; providers validate them. */
  params: Readonly<Record<string, string | number | boolean | Readonly<Record<string, string>>>>;
  /** Window start (epoch ms), e.g. "since 18:00 yesterday" resolved in the operator's zone. */
  from: number;
  /** Window end: now, for a live reading. */
  to: number;
  now: number;
}

export interface EvidenceReading {
  /** The figure a template's `pass` condition compares (null: no data). */
  value: number | null;
  /** The reading as the operator reads it, e.g. "3 件" / "3 alerts", "$12.40 / $30". */
  text: EvidenceText;
  /** The provider's own verdict, used when the item has no `pass` condition (e.g. backup: verified). */
  verdict?: 'pass' | 'attention';
  /** Time of the newest data behind the reading (epoch ms), when known. */
  at?: number | null;
}

/** One entry of an incident's timeline (alerts, stops, job failures, error log records around it). */
export interface TimelineEntry {
  at: number;
  /** `alert`, `stop`, `job`, `log`, ... */
  kind: string;
  severity?: 'critical' | 'warning' | 'info';
  text: string;
  /** Id of the record it comes from (alert id, stop run id, job name, log record id). */
  ref?: string;
}

export interface EvidenceProvider {
  /** What it reads, for the UI and the list of providers. */
  label: EvidenceText;
  read(query: EvidenceQuery): EvidenceReading | Promise<EvidenceReading>;
  /** Records in [from, to] for an incident's timeline; optional. */
  timeline?(window: { from: number; to: number; limit: number }): TimelineEntry[] | Promise<TimelineEntry[]>;
}

export interface EvidenceRegistry {
  provide(id: string, provider: EvidenceProvider): void;
  has(id: string): boolean;
  get(id: string): EvidenceProvider | undefined;
  /** Every provider, by id, in the order they were offered. */
  list(): { id: string; label: EvidenceText; timeline: boolean }[];
}

const PROVIDER_ID = /^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)+$/;

export function createEvidenceRegistry(): EvidenceRegistry {
  const providers = new Map<string, EvidenceProvider>();
  return {
    provide(id, provider) {
      if (!PROVIDER_ID.test(id)) {
        throw new Error(`evidence provider id "${id}": use <capability>.<what>, e.g. logs.errors`);
      }
      if (providers.has(id)) throw new Error(`evidence provider "${id}" is already provided`);
      providers.set(id, provider);
    },
    has: (id) => providers.has(id),
    get: (id) => providers.get(id),
    list: () =>
      [...providers.entries()].map(([id, p]) => ({ id, label: p.label, timeline: p.timeline !== undefined })),
  };
}

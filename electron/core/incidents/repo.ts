import type BetterSqlite3 from 'better-sqlite3';
import type {
  Incident,
  IncidentCategory,
  IncidentSummary,
  PostIncidentStep,
  TimelineEntryView,
} from '../../../shared/api/incidents.js';
import { postIncidentSteps } from '../../../shared/api/incidents.js';
import { planSearch } from '../../../shared/search/index.js';
import { gramQuery } from './grams.js';

export interface IncidentRow {
  seq: number;
  id: string;
  title: string;
  category: IncidentCategory;
  severity: 'critical' | 'warning' | 'info';
  status: 'open' | 'resolved';
  symptoms: string;
  root_cause: string;
  solution: string;
  prevention: string;
  impact: string;
  source: 'alert' | 'stop' | 'manual';
  rule_id: string | null;
  alert_id: string | null;
  stop_id: string | null;
  bot: string | null;
  exception_type: string | null;
  first_error: string | null;
  runbook: string | null;
  opened_at: number;
  resolved_at: number | null;
  created_at: number;
  updated_at: number;
  created_by: string;
  context: string;
}

export interface IncidentContext {
  timeline: TimelineEntryView[];
  contextSources: Incident['contextSources'];
}

interface StepDb {
  step: PostIncidentStep;
  done: number;
  actor: string;
  at: number;
  note: string | null;
}

/** SQLite's lower() folds ASCII only: terms are folded the same way so substring tests agree. */
export function asciiLower(text: string): string {
  return text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

const SUMMARY_COLUMNS =
  'i.seq, i.id, i.title, i.category, i.severity, i.status, i.symptoms, i.rule_id, i.bot, i.exception_type, i.opened_at, i.resolved_at';

export class IncidentRepo {
  private readonly byId;
  private readonly steps;
  private readonly stepCounts;

  constructor(private readonly db: BetterSqlite3.Database) {
    this.byId = db.prepare<[string], IncidentRow>('SELECT * FROM incidents WHERE id = ?');
    this.steps = db.prepare<[string], StepDb>(
      'SELECT step, done, actor, at, note FROM incident_steps WHERE incident_id = ?',
    );
    this.stepCounts = db.prepare<[string], { n: number }>(
      'SELECT count(*) AS n FROM incident_steps WHERE incident_id = ? AND done = 1',
    );
  }

  row(id: string): IncidentRow | undefined {
    return this.byId.get(id);
  }

  /** The next incident_id for a local date: INC-YYYYMMDD-NNN. */
  nextId(date: string): string {
    const prefix = `INC-${date.replaceAll('-', '')}-`;
    const last = this.db
      .prepare<[string], { id: string }>(
        "SELECT id FROM incidents WHERE id LIKE ? || '%' ORDER BY seq DESC LIMIT 1",
      )
      .get(prefix);
    const n = last ? Number(last.id.slice(prefix.length)) + 1 : 1;
    return `${prefix}${String(n).padStart(3, '0')}`;
  }

  summary(row: SummaryRow): IncidentSummary {
    return {
      id: row.id,
      title: row.title,
      category: row.category,
      severity: row.severity,
      status: row.status,
      symptoms: row.symptoms,
      ruleId: row.rule_id,
      bot: row.bot,
      exceptionType: row.exception_type,
      openedAt: row.opened_at,
      resolvedAt: row.resolved_at,
      stepsDone: this.stepCounts.get(row.id)?.n ?? 0,
    };
  }

  full(row: IncidentRow): Incident {
    const context = parseContext(row.context);
    const stored = new Map(this.steps.all(row.id).map((s) => [s.step, s]));
    return {
      ...this.summary(row),
      root_cause: row.root_cause,
      solution: row.solution,
      prevention: row.prevention,
      impact: row.impact,
      source: row.source,
      alertId: row.alert_id,
      stopId: row.stop_id,
      firstError: row.first_error,
      runbook: row.runbook,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      createdBy: row.created_by,
      timeline: context.timeline,
      contextSources: context.contextSources,
      steps: postIncidentSteps.map((step) => {
        const s = stored.get(step);
        return {
          step,
          done: s?.done === 1,
          by: s?.actor ?? null,
          at: s?.at ?? null,
          note: s?.note ?? null,
        };
      }),
    };
  }

  /**
   * Full-text search correct for Japanese: terms of 3+ characters go to the trigram index (MATCH), shorter
   * ones are substring tests on the same rows; every term must match. Newest first.
   */
  search(opts: { q: string; category?: string; status?: string; limit: number; offset: number }): {
    rows: SummaryRow[];
    terms: string[];
  } {
    const plan = planSearch(opts.q);
    const where: string[] = [];
    const args: (string | number)[] = [];
    const grams = plan.substrings.length > 0 ? gramQuery(plan.substrings) : null;
    if (grams && plan.match) {
      where.push('i.seq IN (SELECT rowid FROM incidents_grams WHERE incidents_grams MATCH ?)');
      args.push(grams);
    }
    for (const term of plan.substrings) {
      where.push('instr(i.search_text, ?) > 0');
      args.push(asciiLower(term));
    }
    if (opts.category) {
      where.push('i.category = ?');
      args.push(opts.category);
    }
    if (opts.status) {
      where.push('i.status = ?');
      args.push(opts.status);
    }
    const filter = where.length > 0 ? ` AND ${where.join(' AND ')}` : '';
    let sql: string;
    if (plan.match) {
      // Newest first, in the index's own rowid order: SQLite stops after the page instead of scoring
      // every match (bm25 over a common term's 40 k matches took 190 ms on 100 k incidents).
      sql = `SELECT ${SUMMARY_COLUMNS} FROM incidents_fts JOIN incidents i ON i.seq = incidents_fts.rowid
             WHERE incidents_fts MATCH ?${filter} ORDER BY incidents_fts.rowid DESC LIMIT ? OFFSET ?`;
      args.unshift(plan.match);
    } else if (grams) {
      sql = `SELECT ${SUMMARY_COLUMNS} FROM incidents_grams JOIN incidents i ON i.seq = incidents_grams.rowid
             WHERE incidents_grams MATCH ?${filter} ORDER BY incidents_grams.rowid DESC LIMIT ? OFFSET ?`;
      args.unshift(grams);
    } else {
      sql = `SELECT ${SUMMARY_COLUMNS} FROM incidents i WHERE 1 = 1${filter} ORDER BY i.seq DESC LIMIT ? OFFSET ?`;
    }
    args.push(opts.limit, opts.offset);
    return { rows: this.db.prepare<(string | number)[], SummaryRow>(sql).all(...args), terms: plan.terms };
  }

  /** Candidates sharing a field with an alert, newest first. */
  byField(field: 'rule_id' | 'bot' | 'exception_type', value: string, limit: number): IncidentRow[] {
    return this.db
      .prepare<[string, number], IncidentRow>(
        `SELECT * FROM incidents WHERE ${field} = ? ORDER BY opened_at DESC LIMIT ?`,
      )
      .all(value, limit);
  }

  /**
   * The newest incidents holding any of the trigrams, in the index's rowid order: SQLite stops after
   * `limit` rows, so the work is bounded whatever the size of the knowledge base (ranking every match by
   * bm25, or counting how many incidents hold each trigram, took 150-400 ms on 100 k incidents).
   */
  byText(trigrams: readonly string[], limit: number): (IncidentRow & { search_text: string })[] {
    if (trigrams.length === 0) return [];
    return this.db
      .prepare<[string, number], IncidentRow & { search_text: string }>(
        `SELECT i.* FROM incidents_fts JOIN incidents i ON i.seq = incidents_fts.rowid
         WHERE incidents_fts MATCH ? ORDER BY incidents_fts.rowid DESC LIMIT ?`,
      )
      .all(trigrams.map((t) => `"${t.replaceAll('"', '""')}"`).join(' OR '), limit);
  }
}

export type SummaryRow = Pick<
  IncidentRow,
  | 'seq'
  | 'id'
  | 'title'
  | 'category'
  | 'severity'
  | 'status'
  | 'symptoms'
  | 'rule_id'
  | 'bot'
  | 'exception_type'
  | 'opened_at'
  | 'resolved_at'
>;

function parseContext(text: string): IncidentContext {
  try {
    const parsed = JSON.parse(text) as Partial<IncidentContext>;
    return { timeline: parsed.timeline ?? [], contextSources: parsed.contextSources ?? [] };
  } catch {
    return { timeline: [], contextSources: [] };
  }
}

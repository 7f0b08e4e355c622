/**
 * What keeps an open alert from reaching people: silences (made in the UI or API, or declared in the
 * config) and maintenance windows. An alert that is suppressed still exists and is shown; it is not
 * notified and does not escalate, and the time it spends suppressed does not count towards escalation.
 */
import { randomUUID } from 'node:crypto';
import type { MaintenanceWindowStatus, Silence } from '../../../shared/api/alerts.js';
import type { WritePath } from '../store/index.js';
import { AlertError } from './errors.js';
import { compileMatchers } from './expr.js';
import { type Batch, type Instance, recordEvent } from './instance.js';
import { ActiveSilence, type MaintenanceWindow, type SilenceRecord } from './maintenance.js';
import type { AlertsRepo } from './repo.js';

const MINUTE = 60_000;
/** Ended silences stay listed this long. */
const KEEP_ENDED_MS = 7 * 24 * 60 * MINUTE;

export interface NewSilence {
  ruleId?: string;
  matchers?: SilenceRecord['matchers'];
  startsAt?: number;
  endsAt?: number;
  durationMinutes?: number;
  reason: string;
  by: string;
}

export class Suppression {
  private apiSilences: ActiveSilence[] = [];
  private configSilences: ActiveSilence[] = [];
  private windows: MaintenanceWindow[] = [];

  constructor(
    private readonly repo: AlertsRepo,
    private readonly writes: WritePath,
    now: number,
  ) {
    for (const s of repo.silences(now)) this.apiSilences.push(new ActiveSilence(s));
  }

  setConfig(configSilences: ActiveSilence[], windows: MaintenanceWindow[]): void {
    this.configSilences = configSilences;
    this.windows = windows;
  }

  /** What covers the alert now (`silence:<id>` or `maintenance:<id>`), or null. */
  suppressor(inst: Instance, now: number): string | null {
    for (const s of this.apiSilences)
      if (s.covers(now, inst.ruleId, inst.matchLabels)) return `silence:${s.record.id}`;
    for (const s of this.configSilences) {
      if (s.covers(now, inst.ruleId, inst.matchLabels)) return `silence:${s.record.id}`;
    }
    for (const w of this.windows) if (w.covers(now, inst.matchLabels)) return `maintenance:${w.id}`;
    return null;
  }

  /** Marks open alerts as suppressed or not, as silences and windows start and end. */
  refresh(open: Iterable<Instance>, batch: Batch): void {
    for (const inst of open) {
      const by = this.suppressor(inst, batch.now);
      if (by === inst.suppressedBy) continue;
      const was = inst.suppressed;
      inst.suppressed = by !== null;
      inst.suppressedBy = by;
      if (!was && inst.suppressed) inst.suppressedSince = batch.now;
      if (was && !inst.suppressed) {
        // Time spent suppressed does not count towards escalation: no burst of levels when it ends.
        if (inst.firstNotifiedAt !== null && inst.suppressedSince !== null) {
          inst.firstNotifiedAt += batch.now - inst.suppressedSince;
        }
        inst.suppressedSince = null;
      }
      batch.changed.add(inst);
      if (was && !inst.suppressed)
        recordEvent(inst, batch, 'unsuppressed', 'no silence or maintenance window covers it');
      else recordEvent(inst, batch, 'suppressed', by ?? '');
    }
  }

  /** A new silence; written through the write path, so it holds while the database refuses writes. */
  add(input: NewSilence, now: number): SilenceRecord {
    const matchers = input.matchers ?? [];
    if (input.ruleId === undefined && matchers.length === 0) {
      throw new AlertError('invalid_input', 'a silence needs a ruleId or at least one matcher');
    }
    try {
      compileMatchers(matchers);
    } catch (err) {
      throw new AlertError('invalid_input', `bad matcher: ${(err as Error).message}`);
    }
    const startsAt = input.startsAt ?? now;
    const endsAt =
      input.endsAt ??
      (input.durationMinutes !== undefined ? startsAt + input.durationMinutes * MINUTE : undefined);
    if (endsAt === undefined) throw new AlertError('invalid_input', 'give endsAt or durationMinutes');
    if (endsAt <= startsAt || endsAt <= now) {
      throw new AlertError('invalid_input', 'the silence must end in the future and after it starts');
    }
    const record: SilenceRecord = {
      id: randomUUID(),
      ruleId: input.ruleId ?? null,
      matchers,
      startsAt,
      endsAt,
      reason: input.reason,
      createdBy: input.by,
      createdAt: now,
      source: 'api',
      expiredAt: null,
    };
    this.writes.write('alerts', () => this.repo.addSilence(record));
    this.apiSilences.unshift(new ActiveSilence(record));
    return record;
  }

  end(id: string, by: string, now: number): SilenceRecord {
    if (this.configSilences.some((s) => s.record.id === id)) {
      throw new AlertError('conflict', `silence ${id} is declared in the config file: remove it there`);
    }
    const s = this.apiSilences.find((x) => x.record.id === id);
    if (!s) throw new AlertError('not_found', `no silence ${id}`);
    if (s.record.expiredAt !== null || s.record.endsAt <= now) {
      throw new AlertError('conflict', `silence ${id} has already ended`);
    }
    this.writes.write('alerts', () => this.repo.endSilence(id, now, by));
    s.record.expiredAt = now;
    return s.record;
  }

  list(includeExpired: boolean, now: number): Silence[] {
    this.apiSilences = this.apiSilences.filter((s) => s.record.endsAt > now - KEEP_ENDED_MS);
    return [...this.apiSilences, ...this.configSilences]
      .filter((s) => includeExpired || s.isActive(now) || s.record.startsAt > now)
      .filter((s) => includeExpired || s.record.expiredAt === null)
      .map((s) => toSilence(s.record, now));
  }

  maintenance(now: number): { windows: MaintenanceWindowStatus[]; activeNow: string[] } {
    const windows = this.windows.map((w) => w.status(now));
    return { windows, activeNow: windows.filter((w) => w.active).map((w) => w.id) };
  }
}

export function toSilence(r: SilenceRecord, now: number): Silence {
  return {
    id: r.id,
    ruleId: r.ruleId,
    matchers: r.matchers,
    startsAt: r.startsAt,
    endsAt: r.endsAt,
    reason: r.reason,
    createdBy: r.createdBy,
    createdAt: r.createdAt,
    source: r.source,
    expiredAt: r.expiredAt,
    active: r.expiredAt === null && now >= r.startsAt && now < r.endsAt,
  };
}

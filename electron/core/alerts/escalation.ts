/**
 * Who hears about a firing alert, and when: the first level at once, each further level once at its
 * `afterMinutes` since the first notice while nobody acknowledges (15 / 30 / 60 minutes by default),
 * then repeats to the level reached; a "resolved" notice to the first level's channels.
 */
import type { AlertSeverity, AlertsConfig, EscalationLevel } from '../../../shared/config/alerts.js';
import { type AlertNotifyMessage, type Batch, type Instance, recordEvent } from './instance.js';
import { alertTexts, type Locale, renderMessage } from './messages.js';

const MINUTE = 60_000;

function levelApplies(level: EscalationLevel, severity: AlertSeverity): boolean {
  return level.severities === undefined || level.severities.includes(severity);
}

export class Escalation {
  private levels: EscalationLevel[] = [];
  private repeatMs = 60 * MINUTE;
  private notifyResolved = true;

  constructor(private readonly locale: () => Locale) {}

  setConfig(config: AlertsConfig): void {
    this.levels = [...config.escalation].sort((a, b) => a.afterMinutes - b.afterMinutes);
    this.repeatMs = config.repeatIntervalMinutes * MINUTE;
    this.notifyResolved = config.notifyResolved;
  }

  private message(
    inst: Instance,
    kind: AlertNotifyMessage['kind'],
    body: string,
    channels: string[],
    dedupeKey: string,
  ) {
    return {
      kind,
      severity: inst.severity,
      title: inst.ruleName,
      body,
      channels: [...channels],
      alertId: inst.id,
      dedupeKey,
      context: {
        ruleId: inst.ruleId,
        ruleName: inst.ruleName,
        labels: { ...inst.labels },
        value: inst.value,
        threshold: inst.threshold,
        state: inst.state,
        ...(inst.rule.runbook ? { runbook: inst.rule.runbook } : {}),
      },
    } satisfies AlertNotifyMessage;
  }

  /**
   * Sends what is due for a firing, unacknowledged, unsuppressed alert: the first notice, each
   * escalation level once, then repeats.
   */
  step(inst: Instance, batch: Batch): void {
    if (inst.state !== 'firing' || inst.suppressed) return;
    const now = batch.now;
    const locale = this.locale();
    if (inst.firstNotifiedAt === null) {
      inst.firstNotifiedAt = now;
      batch.save.add(inst);
    }
    const elapsed = now - inst.firstNotifiedAt;
    let sentNow = false;
    for (let i = inst.escalationLevel + 1; i < this.levels.length; i++) {
      const level = this.levels[i] as EscalationLevel;
      if (level.afterMinutes * MINUTE > elapsed) break;
      inst.escalationLevel = i;
      batch.save.add(inst);
      if (!levelApplies(level, inst.severity)) continue;
      const first = i === 0;
      const body = first
        ? inst.message
        : alertTexts.escalated(inst.message, level.afterMinutes, level.name, i, locale);
      batch.messages.push(
        this.message(inst, first ? 'firing' : 'escalation', body, level.channels, `${inst.id}:level:${i}`),
      );
      inst.lastNotifiedAt = now;
      sentNow = true;
      recordEvent(
        inst,
        batch,
        first ? 'notified' : 'escalated',
        `level ${i} (${level.name ?? i}): ${level.channels.join(', ')}`,
      );
    }
    if (sentNow || inst.lastNotifiedAt === null) return;
    if (now - inst.lastNotifiedAt < this.repeatMs) return;
    let channels: string[] = [];
    for (let i = Math.min(inst.escalationLevel, this.levels.length - 1); i >= 0; i--) {
      const level = this.levels[i] as EscalationLevel;
      if (levelApplies(level, inst.severity)) {
        channels = level.channels;
        break;
      }
    }
    if (channels.length === 0) return;
    const body = alertTexts.repeated(
      renderMessage(inst, locale),
      now - (inst.firedAt ?? inst.startedAt),
      locale,
    );
    batch.messages.push(this.message(inst, 'repeat', body, channels, `${inst.id}:repeat:${now}`));
    inst.lastNotifiedAt = now;
    recordEvent(inst, batch, 'repeated', channels.join(', '));
  }

  /** A "resolved" notice for an alert people heard about. */
  resolved(inst: Instance, batch: Batch): void {
    if (inst.firstNotifiedAt === null || !this.notifyResolved || inst.suppressed) return;
    const first = this.levels[0];
    if (!first || !levelApplies(first, inst.severity)) return;
    const locale = this.locale();
    const body = alertTexts.resolved(
      renderMessage(inst, locale),
      batch.now - (inst.firedAt ?? inst.startedAt),
      locale,
    );
    batch.messages.push(this.message(inst, 'resolved', body, first.channels, `${inst.id}:resolved`));
  }
}

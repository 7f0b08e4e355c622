/**
 * Rule actions (`action: emergency-stop`): run once when the alert fires, by name from the action
 * registry. After a resume they wait the cooldown (`actionCooldownMinutes`) and act then if the alert
 * still fires; acknowledging a waiting alert cancels its action. The alert shows the action's state:
 * deferred, running, done or failed.
 */
import type { Batch, Instance } from './instance.js';
import { recordEvent } from './instance.js';

const MINUTE = 60_000;

export interface ActionContext {
  ruleId: string;
  alertId: string;
  reason: string;
  /** What made the alert fire: the values and the records behind them (from the producer of the metric). */
  evidence?: readonly string[];
}

/** Looks up what made an alert fire, for the action's record (telemetry knows its log records). */
export type EvidenceLookup = (alert: {
  metric: string;
  labels: Readonly<Record<string, string>>;
  value: number | null;
}) => readonly string[];

/** What the engine runs actions through: the core action registry, or a plain map in tests. */
export interface RuleActionRunner {
  has(name: string): boolean;
  run(name: string, ctx: ActionContext): void | Promise<void>;
}

export type AlertAction = (ctx: ActionContext) => void | Promise<void>;

export function actionsFromMap(map: Record<string, AlertAction>): RuleActionRunner {
  return {
    has: (name) => typeof map[name] === 'function',
    run: (name, ctx) => (map[name] as AlertAction)(ctx),
  };
}

export class RuleActions {
  private resumedAt: number | null = null;
  private cooldownMinutes = 30;

  constructor(
    private readonly runner: RuleActionRunner | undefined,
    /** An action that finished later (or failed) changed the alert: save and push it. */
    private readonly settled: (inst: Instance, event: { type: string; detail: string }) => void,
    private readonly log: (message: string) => void,
    private readonly evidenceFor?: EvidenceLookup,
  ) {}

  setCooldown(minutes: number): void {
    this.cooldownMinutes = minutes;
  }

  noteResume(at: number): void {
    this.resumedAt = at;
  }

  get lastResumeAt(): number | null {
    return this.resumedAt;
  }

  cooldownUntil(): number {
    return this.resumedAt === null ? 0 : this.resumedAt + this.cooldownMinutes * MINUTE;
  }

  /** The alert fired with an action: run it, or wait for the cooldown to end. */
  trigger(inst: Instance, batch: Batch): void {
    const name = inst.rule.action as string;
    inst.action = name;
    const until = this.cooldownUntil();
    if (batch.now < until) {
      inst.actionState = 'deferred';
      recordEvent(
        inst,
        batch,
        'action-deferred',
        `${name}: cooldown after resume until ${new Date(until).toISOString()}`,
      );
      return;
    }
    this.queue(inst, batch);
  }

  /** Deferred actions whose cooldown has ended. */
  releaseDeferred(inst: Instance, batch: Batch): void {
    if (inst.actionState === 'deferred' && batch.now >= this.cooldownUntil()) this.queue(inst, batch);
  }

  private queue(inst: Instance, batch: Batch): void {
    const name = inst.action as string;
    if (!this.runner?.has(name)) {
      inst.actionState = 'failed';
      recordEvent(inst, batch, 'action-failed', `${name}: no capability offers this action`);
      return;
    }
    inst.actionState = 'running';
    recordEvent(inst, batch, 'action', name);
    batch.actions.push(inst);
  }

  /** Runs the queued action (after the batch is written, so the alert exists when the action looks). */
  run(inst: Instance): void {
    const name = inst.action as string;
    let evidence: readonly string[] = [];
    try {
      evidence = this.evidenceFor?.({ metric: inst.metric, labels: inst.labels, value: inst.value }) ?? [];
    } catch (err) {
      this.log(
        `evidence for ${inst.ruleId} could not be read: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    const ctx: ActionContext = {
      ruleId: inst.ruleId,
      alertId: inst.id,
      reason: `${inst.ruleName}: ${inst.message}`,
      ...(evidence.length > 0 ? { evidence } : {}),
    };
    const failed = (err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      this.log(`action ${name} for ${inst.ruleId} failed: ${message}`);
      inst.actionState = 'failed';
      this.settled(inst, { type: 'action-failed', detail: `${name}: ${message}` });
    };
    let result: void | Promise<void>;
    try {
      result = this.runner?.run(name, ctx);
    } catch (err) {
      failed(err);
      return;
    }
    if (result && typeof (result as Promise<void>).then === 'function') {
      (result as Promise<void>).then(() => {
        inst.actionState = 'done';
        this.settled(inst, { type: 'action-done', detail: name });
      }, failed);
    } else {
      inst.actionState = 'done';
    }
  }
}

/**
 * Named actions that one capability offers and others run by name: alert rules run `emergency-stop`
 * (`action: emergency-stop` in a rule); later, health checks run `restart-bot`. The registry exists
 * before any capability, so the one that runs an action never holds a variable filled in later.
 */
export interface ActionContext {
  /** Who asks, e.g. the rule id. */
  ruleId: string;
  alertId: string;
  reason: string;
  /** What the action acts on, when it acts on one thing (e.g. the bot id for `restart-bot`). */
  target?: string;
  /** Values and records that led to it, shown in the action's result and history. */
  evidence?: readonly string[];
}

export type Action = (ctx: ActionContext) => void | Promise<void>;

export interface ActionRegistry {
  provide(name: string, action: Action): void;
  has(name: string): boolean;
  names(): string[];
  /**
   * Runs the action and returns what it returns (a promise for long actions, nothing for quick ones);
   * throws when no capability offers it.
   */
  run(name: string, ctx: ActionContext): void | Promise<void>;
}

export function createActionRegistry(): ActionRegistry {
  const actions = new Map<string, Action>();
  return {
    provide(name, action) {
      if (actions.has(name)) throw new Error(`action "${name}" is already provided`);
      actions.set(name, action);
    },
    has: (name) => actions.has(name),
    names: () => [...actions.keys()],
    run(name, ctx) {
      const action = actions.get(name);
      if (!action) throw new Error(`no capability offers the action "${name}"`);
      return action(ctx);
    },
  };
}

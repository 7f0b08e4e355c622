/** The operator's name, remembered in this browser for the audit trail (ack, tick, stop, bot actions). */
const OPERATOR_KEY = 'nexus-ops.operator';

export function rememberedOperator(): string {
  try {
    return localStorage.getItem(OPERATOR_KEY) ?? '';
  } catch {
    return '';
  }
}

export function rememberOperator(name: string): void {
  try {
    if (name.trim()) localStorage.setItem(OPERATOR_KEY, name.trim());
  } catch {
    // storage may be disabled; the name is then asked each time
  }
}

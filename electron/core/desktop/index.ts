/**
 * Desktop effects reach core through this port. Electron's main process implements it with a tray and
 * native notifications; headless mode implements it by pushing events to the browser (toasts, title).
 */
export type HealthState = 'ok' | 'warning' | 'critical' | 'stopped';
export type Severity = 'critical' | 'warning' | 'info';

export interface DesktopNotification {
  title: string;
  body: string;
  severity: Severity;
}

export interface DesktopPort {
  notify(n: DesktopNotification): void;
  setHealth(state: HealthState, tooltip: string): void;
}

export const noDesktop: DesktopPort = {
  notify() {},
  setHealth() {},
};

import { join } from 'node:path';
import { type BrowserWindow, Menu, Notification, nativeImage, Tray } from 'electron';
import type { DesktopPort, HealthState } from './core/desktop/index.js';

export interface TrayActions {
  open(): void;
  quit(): void;
  labels: { open: string; quit: string };
}

/** The desktop side of core's DesktopPort: tray icon and tooltip per health state, native notifications. */
export function createDesktop(
  resources: string,
  actions: TrayActions,
  getWindow: () => BrowserWindow | undefined,
) {
  const icon = (state: HealthState) =>
    nativeImage.createFromPath(join(resources, 'icons', `tray-${state}.png`));
  const tray = new Tray(icon('ok'));
  tray.setToolTip('Nexus Ops');
  tray.setContextMenu(
    Menu.buildFromTemplate([
      { label: actions.labels.open, click: actions.open },
      { type: 'separator' },
      { label: actions.labels.quit, click: actions.quit },
    ]),
  );
  tray.on('click', actions.open);

  const port: DesktopPort = {
    notify(n) {
      if (!Notification.isSupported()) return;
      const note = new Notification({
        title: n.title,
        body: n.body,
        urgency: n.severity === 'critical' ? 'critical' : 'normal',
      });
      note.on('click', actions.open);
      note.show();
    },
    setHealth(state, tooltip) {
      tray.setImage(icon(state));
      tray.setToolTip(tooltip);
      getWindow()?.setTitle(tooltip);
    },
  };
  return { port, tray };
}

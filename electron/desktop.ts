import { join } from 'node:path';
import { type BrowserWindow, Menu, Notification, nativeImage, Tray } from 'electron';
import type { DesktopPort, HealthState } from './core/desktop/index.js';
import type { MainStrings } from './strings.js';

export interface TrayActions {
  open(): void;
  emergencyStop(): void;
  quit(): void;
}

/** The desktop side of core's DesktopPort: tray icon and tooltip per health state, native notifications. */
export function createDesktop(
  resources: string,
  actions: TrayActions,
  strings: () => MainStrings,
  getWindow: () => BrowserWindow | undefined,
) {
  const icon = (state: HealthState) =>
    nativeImage.createFromPath(join(resources, 'icons', `tray-${state}.png`));
  const tray = new Tray(icon('ok'));
  tray.setToolTip('Nexus Ops');
  const buildMenu = () => {
    const s = strings();
    tray.setContextMenu(
      Menu.buildFromTemplate([
        { label: s.open, click: actions.open },
        { type: 'separator' },
        // One click acts at once, as the red button does: no confirmation in an emergency.
        { label: s.stop, click: actions.emergencyStop },
        { type: 'separator' },
        { label: s.quit, click: actions.quit },
      ]),
    );
  };
  buildMenu();
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
    setHealth(state) {
      const s = strings();
      const tooltip = `Nexus Ops: ${s.health[state]}`;
      tray.setImage(icon(state));
      tray.setToolTip(tooltip);
      getWindow()?.setTitle(tooltip);
      buildMenu();
    },
  };
  return { port, tray };
}

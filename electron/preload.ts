import { contextBridge, type IpcRendererEvent, ipcRenderer } from 'electron';

// The renderer's only door to core. Method names and inputs are validated again in main.
contextBridge.exposeInMainWorld('nexusOps', {
  call: (method: string, input: unknown): Promise<unknown> => ipcRenderer.invoke('nexus:call', method, input),
  onEvent: (listener: (event: unknown) => void): (() => void) => {
    const wrapped = (_e: IpcRendererEvent, event: unknown) => listener(event);
    ipcRenderer.on('nexus:event', wrapped);
    return () => ipcRenderer.removeListener('nexus:event', wrapped);
  },
});

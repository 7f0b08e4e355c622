/** The emergency stop's UI pieces for App.tsx: the top-bar button, the banner, the history page. */
export { StopHistoryPage } from '../../pages/StopHistory.js';
export { EmergencyStopButton } from './EmergencyStopButton.js';
export { ResumeControl } from './ResumeControl.js';
export { StoppedBanner } from './StoppedBanner.js';
export { startStopUpdates, useStop } from './store.js';

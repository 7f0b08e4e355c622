/**
 * The bots door (README.md): bots as objects, supervised launches through the relay with captured
 * output, the restart policy and crash-loop guard, adoption after a restart of Nexus Ops, the emergency
 * stop's hold, the `restart-bot` action, bot metrics, the `bots.*` API and the `nexus-ops bot` command.
 */
export {
  type BotsCapability,
  type BotsCapabilityDeps,
  createBotsCapability,
  defaultRelayScript,
} from './capability.js';
export {
  type CapturedLine,
  CaptureWriter,
  CURRENT_FILE,
  decodeLine,
  formatRecord,
  LineSplitter,
  MAX_LINE_BYTES,
  parseRecord,
  type RotationPolicy,
  rotatedFiles,
  rotationStamp,
  type StreamMark,
} from './capture.js';
export { BOT_CLI_HELP, type BotCliCommand, type BotCliOptions, formatBotLine, runBotCli } from './cli.js';
export {
  botEnvironment,
  botSpawnOptions,
  findWindowsProgram,
  PYTHON_ENV,
  type RelaySpawn,
  type RelaySpec,
  relayEnvironment,
  relaySpawn,
  resolveLaunch,
} from './launch.js';
export { LEARNING_FOLDERS, type LearningData, readLearningData } from './learning.js';
export { botsMigration } from './migrations/010-bots.js';
export { readOutputTail, tailLines } from './output.js';
export {
  afterOperatorStart,
  type BotCounters,
  decideAfterExit,
  type ExitOutcome,
  freshCounters,
  nextBackoff,
  wantsRestart,
} from './policy.js';
export { type LaunchedRelay, nodeRelayLauncher, type RelayLauncher } from './relay-launcher.js';
export { botDir, outputDir, type RunFile, readRunFile, runFilePath } from './run-file.js';
export { nextCronSlot } from './schedule.js';
export { BOT_STATE_CODES, processMatcher, type Supervisor } from './supervisor.js';

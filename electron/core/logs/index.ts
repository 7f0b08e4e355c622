/**
 * The logs door (issue 11): every bot's log files and captured output, parsed, masked, de-duplicated,
 * stored with per-level retention, searchable in Japanese, pushed live. See README.md.
 */
export {
  createLogsCapability,
  type LogsCapability,
  type LogsPort,
  sourcesOf,
} from './capability.js';
export { splitLines } from './decode.js';
export { compileGlob, expandGlob } from './glob.js';
export {
  CHUNK_BYTES,
  createIngestEngine,
  hashRecord,
  type IngestEngine,
  perRunFile,
  type SourceSpec,
} from './ingest.js';
export { createMasker } from './mask.js';
export { LOGS_SCHEMA_VERSION, logsMigration } from './migrations/012-logs.js';
export { logsFtsAutomergeMigration } from './migrations/015-fts-automerge.js';
export { consoleLevel } from './parsers/console.js';
export { createParser, detectFormat, type FileFormat } from './parsers/detect.js';
export { parseJsonLine } from './parsers/json.js';
export { PYTHON_HEADER, parsePythonHeader } from './parsers/python.js';
export { compileOperatorPattern } from './patterns.js';
export {
  LEVEL_NUMBER,
  LINE_BINARY,
  LINE_CP932,
  LINE_TRUNCATED,
  LINE_UNDECODABLE,
  type Line,
  type LineParser,
  type ParsedRecord,
} from './record.js';
export { asciiLower, createLogsRepo, FTS_TEXT_SQL } from './repo.js';
export { createLogsQueries } from './search.js';
export { createWallClock, parseAsctime } from './time.js';

/**
 * The tail of a supervised bot's capture files, for the Bots page: the last N records of current.log,
 * and of the newest rotated file when current.log has fewer (it was just rotated). Reads from the end
 * in blocks, never more than MAX_READ_BYTES per file, so a huge file costs no more than a small one.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { type CapturedLine, CURRENT_FILE, parseRecord, rotatedFiles } from './capture.js';

const BLOCK = 64 * 1024;
const MAX_READ_BYTES = 4 * 1024 * 1024;

/** The last `count` complete lines of a file (none when it is missing). */
export function tailLines(path: string, count: number): string[] {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return [];
  }
  try {
    const size = fstatSync(fd).size;
    let position = size;
    let chunks: Buffer[] = [];
    let newlines = 0;
    let read = 0;
    while (position > 0 && newlines <= count && read < MAX_READ_BYTES) {
      const length = Math.min(BLOCK, position);
      position -= length;
      const buffer = Buffer.alloc(length);
      readSync(fd, buffer, 0, length, position);
      for (const byte of buffer) if (byte === 0x0a) newlines++;
      chunks = [buffer, ...chunks];
      read += length;
    }
    const text = Buffer.concat(chunks).toString('utf8');
    const lines = text.split('\n');
    // The first piece may be cut in the middle (we started reading mid-file); the last is after the final \n.
    if (position > 0) lines.shift();
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    return lines.slice(-count);
  } finally {
    closeSync(fd);
  }
}

export function readOutputTail(dir: string, count: number): CapturedLine[] {
  const parse = (lines: string[]) => lines.flatMap((l) => parseRecord(l) ?? []);
  let records = parse(tailLines(join(dir, CURRENT_FILE), count));
  if (records.length < count) {
    const previous = rotatedFiles(dir).pop();
    if (previous) records = [...parse(tailLines(join(dir, previous), count - records.length)), ...records];
  }
  return records;
}

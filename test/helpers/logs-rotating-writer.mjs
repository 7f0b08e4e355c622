// A bot-like writer in its own process: writes `total` numbered lines to a log file and rotates it by
// rename every `every` lines, while Nexus Ops tails it.
//
//   node logs-rotating-writer.mjs <mode> <file-or-dataDir> <total> <every> <linesPerTick> <tickMs>
//
// mode python: Python logging lines to <file>; rotation as RotatingFileHandler does it (file → file.1,
//   older ones shift up), and every 7th record carries a two-line traceback.
// mode capture: the supervisor's capture format under <dataDir>/bots/w/output/current.log, rotated by
//   close-rename-reopen to output-<stamp>-<n>.log.
import { closeSync, existsSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

const [mode, target, totalArg, everyArg, perTickArg, tickArg] = process.argv.slice(2);
const total = Number(totalArg);
const every = Number(everyArg);
const perTick = Number(perTickArg);
const tickMs = Number(tickArg);

const file = mode === 'capture' ? join(target, 'bots', 'w', 'output', 'current.log') : target;
mkdirSync(dirname(file), { recursive: true });
let fd = openSync(file, 'a');
let rotations = 0;

function pad(n, w = 2) {
  return String(n).padStart(w, '0');
}
function asctime(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())},${pad(d.getMilliseconds(), 3)}`;
}

function rotate() {
  closeSync(fd);
  rotations++;
  if (mode === 'capture') {
    renameSync(file, join(dirname(file), `output-20250913-120000-${rotations}.log`));
  } else {
    for (let i = rotations - 1; i >= 1; i--) {
      if (existsSync(`${file}.${i}`)) renameSync(`${file}.${i}`, `${file}.${i + 1}`);
    }
    renameSync(file, `${file}.1`);
  }
  fd = openSync(file, 'a');
}

let seq = 0;
function writeOne() {
  seq++;
  const tag = `seq=${String(seq).padStart(7, '0')}`;
  if (mode === 'capture') {
    writeSync(fd, `${Date.now()}\t${seq % 5 === 0 ? 'e' : 'o'}\t✅ 行 ${tag} 処理完了\n`);
  } else if (seq % 7 === 0) {
    writeSync(
      fd,
      `${asctime(Date.now())} - ERROR - [acct] 失敗 ${tag}\nTraceback (most recent call last):\nValueError: ${tag}\n`,
    );
  } else {
    writeSync(fd, `${asctime(Date.now())} - INFO - [acct] 行 ${tag} 処理完了\n`);
  }
  if (seq % every === 0) rotate();
}

function tick() {
  for (let i = 0; i < perTick && seq < total; i++) writeOne();
  if (seq < total) setTimeout(tick, tickMs);
  else {
    closeSync(fd);
    process.stdout.write(`done ${seq} ${rotations}\n`);
  }
}
tick();

// Generates the tray icons (one per health state) as small PNGs. Run once; the PNGs are committed.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { deflateSync } from 'node:zlib';

const out = resolve(import.meta.dirname, '..', 'resources', 'icons');
const colors = {
  ok: [46, 160, 67],
  warning: [210, 153, 34],
  critical: [248, 81, 73],
  stopped: [163, 113, 247],
};

function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
function png(size, [r, g, b]) {
  const rows = [];
  const c = (size - 1) / 2;
  for (let y = 0; y < size; y++) {
    const row = [0];
    for (let x = 0; x < size; x++) {
      const d = Math.hypot(x - c, y - c);
      const outer = size / 2 - 1;
      const alpha = Math.max(0, Math.min(1, outer - d + 0.5));
      const ring = d > outer - 2.5 ? 0.75 : 1;
      row.push(Math.round(r * ring), Math.round(g * ring), Math.round(b * ring), Math.round(alpha * 255));
    }
    rows.push(Buffer.from(row));
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
for (const [state, rgb] of Object.entries(colors)) {
  writeFileSync(join(out, `tray-${state}.png`), png(32, rgb));
  writeFileSync(join(out, `tray-${state}@2x.png`), png(64, rgb));
}
writeFileSync(join(out, 'app.png'), png(256, colors.ok));
console.log(`icons written to ${out}`);

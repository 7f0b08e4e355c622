/**
 * Pure parsers for Linux /proc text. No I/O here: linux.ts reads the files and hands the text in, so
 * every parser is unit-tested with literal strings.
 */
import { joinArgs } from './command-line.js';
import type { CpuTimes, ProcessState } from './types.js';

/** Clock ticks per second (USER_HZ). Fixed at 100 by the kernel ABI on every mainstream architecture. */
export const LINUX_CLOCK_TICKS = 100;

export function linuxStateFromLetter(letter: string): ProcessState {
  switch (letter) {
    case 'R':
      return 'running';
    case 'S':
    case 'I': // idle kernel thread
      return 'sleeping';
    case 'D':
      return 'disk-sleep';
    case 'Z':
      return 'zombie';
    case 'T':
    case 't': // stopped by a tracer
      return 'stopped';
    default:
      return 'unknown';
  }
}

export interface ProcStat {
  pid: number;
  comm: string;
  state: ProcessState;
  ppid: number;
  /** utime + stime, clock ticks. */
  cpuTicks: number;
  /** Start time after boot, clock ticks. */
  startTicks: number;
  /** Resident pages. */
  rssPages: number;
}

/**
 * Parses one /proc/<pid>/stat line. The comm field may itself contain spaces and parentheses
 * ("1234 (my (weird) proc) S 1 …"), so it spans from the first "(" to the LAST ")".
 * Returns null for text that is not a stat line (e.g. a process that vanished mid-read).
 */
export function parseProcStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 1 || close < open) return null;
  const pid = Number(text.slice(0, open));
  // Fields after the comm, starting with field 3 (state): field n is rest[n - 3].
  const rest = text.slice(close + 2).split(' ', 23);
  if (!Number.isInteger(pid) || rest.length < 22) return null;
  return {
    pid,
    comm: text.slice(open + 1, close),
    state: linuxStateFromLetter(rest[0] ?? ''),
    ppid: Number(rest[1]),
    cpuTicks: Number(rest[11]) + Number(rest[12]),
    startTicks: Number(rest[19]),
    rssPages: Number(rest[21]),
  };
}

/**
 * /proc/<pid>/cmdline: NUL-separated argv, usually NUL-terminated. The arguments are joined the way
 * Windows quotes a command line (joinArgs), so an argument with a space, a quote or nothing in it stays
 * one argument for everything that reads the text (profile folders, family rules, the UI).
 *
 * A process that rewrote its title (Chromium's zygote and helpers, setproctitle users) has one string
 * there, already joined with spaces by the program itself: its boundaries are gone, so it is kept as
 * written rather than quoted as a single argument. Such helpers are recognised through their parent.
 */
export function parseCmdline(raw: string): string {
  let end = raw.length;
  while (end > 0 && raw.charCodeAt(end - 1) === 0) end--;
  const text = raw.slice(0, end);
  if (!text.includes('\0')) return text;
  return joinArgs(text.split('\0'));
}

/**
 * Per-CPU times from the `cpuN` lines of /proc/stat (the aggregate `cpu` line is skipped), in ms. Idle
 * counts iowait, as top does; guest time is already inside user and nice, so it is not added again.
 */
export function parseCpuTimes(procStat: string): CpuTimes[] {
  const cpus: CpuTimes[] = [];
  for (const line of procStat.split('\n')) {
    if (!line.startsWith('cpu')) {
      if (cpus.length > 0) break; // the cpu lines come first and together
      continue;
    }
    const fields = line.split(/\s+/);
    if (fields[0] === 'cpu' || fields.length < 5) continue;
    const [user, nice, system, idle, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields
      .slice(1, 9)
      .map(Number);
    const ms = (ticks: number) => (ticks * 1000) / LINUX_CLOCK_TICKS;
    cpus.push({
      idleMs: ms(idle! + iowait),
      totalMs: ms(user! + nice! + system! + idle! + iowait + irq + softirq + steal),
    });
  }
  return cpus;
}

/** Boot time from /proc/stat, epoch seconds. */
export function parseBootTimeSeconds(procStat: string): number {
  const match = /^btime (\d+)$/m.exec(procStat);
  if (!match) throw new Error('/proc/stat has no btime line');
  return Number(match[1]);
}

export interface Meminfo {
  totalBytes: number;
  availableBytes: number;
  swapTotalBytes: number;
  swapFreeBytes: number;
}

/** /proc/meminfo values are in kB (KiB). MemAvailable exists since Linux 3.14; older kernels fall back to MemFree. */
const MEMINFO_FIELD = {
  total: /^MemTotal:\s+(\d+)/m,
  available: /^MemAvailable:\s+(\d+)/m,
  free: /^MemFree:\s+(\d+)/m,
  swapTotal: /^SwapTotal:\s+(\d+)/m,
  swapFree: /^SwapFree:\s+(\d+)/m,
};

export function parseMeminfo(text: string): Meminfo {
  // Read every second: five lookups instead of splitting all ~50 lines.
  const bytes = (field: RegExp): number | undefined => {
    const match = field.exec(text);
    return match ? Number(match[1]) * 1024 : undefined;
  };
  return {
    totalBytes: bytes(MEMINFO_FIELD.total) ?? 0,
    availableBytes: bytes(MEMINFO_FIELD.available) ?? bytes(MEMINFO_FIELD.free) ?? 0,
    swapTotalBytes: bytes(MEMINFO_FIELD.swapTotal) ?? 0,
    swapFreeBytes: bytes(MEMINFO_FIELD.swapFree) ?? 0,
  };
}

/** File systems that hold data on a device. Everything else (proc, sysfs, tmpfs, cgroup, …) is skipped. */
const DATA_FILESYSTEMS = new Set([
  'ext2',
  'ext3',
  'ext4',
  'xfs',
  'btrfs',
  'vfat',
  'exfat',
  'ntfs',
  'ntfs3',
  'fuseblk',
  'zfs',
  'f2fs',
  'jfs',
  'reiserfs',
  'hfsplus',
  'nfs',
  'nfs4',
  'cifs',
  'smb3',
  '9p',
  'virtiofs',
]);

export interface MountEntry {
  device: string;
  mount: string;
  fsType: string;
}

/** /proc/mounts escapes space, tab, newline and backslash as octal (\040 …). */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/**
 * Real file systems from /proc/mounts, one per device. overlay counts only when mounted on "/" (a
 * container root). When a device is mounted several times (bind mounts such as /etc/hosts in a
 * container), "/" wins, then the shortest mount path.
 */
export function parseMounts(text: string): MountEntry[] {
  const byDevice = new Map<string, MountEntry>();
  for (const line of text.split('\n')) {
    const [rawDevice, rawMount, fsType] = line.split(' ');
    if (!rawDevice || !rawMount || !fsType) continue;
    const mount = unescapeMountField(rawMount);
    const isData = DATA_FILESYSTEMS.has(fsType) || (fsType === 'overlay' && mount === '/');
    if (!isData) continue;
    const entry = { device: unescapeMountField(rawDevice), mount, fsType };
    const previous = byDevice.get(entry.device);
    if (!previous || preferMount(entry.mount, previous.mount)) byDevice.set(entry.device, entry);
  }
  return [...byDevice.values()];
}

function preferMount(candidate: string, current: string): boolean {
  if (current === '/') return false;
  if (candidate === '/') return true;
  return candidate.length < current.length;
}

export interface DiskCounters {
  device: string;
  readBytes: number;
  writeBytes: number;
  reads: number;
  writes: number;
}

/** Virtual block devices whose traffic is either fake or already counted on the disk underneath. */
const VIRTUAL_BLOCK_PREFIXES = ['loop', 'ram', 'zram', 'dm-', 'md', 'nbd', 'sr', 'fd'];

/**
 * /proc/diskstats, whole disks only. `wholeDisks` is the listing of /sys/block (partitions are not in
 * it); without it, devices are kept unless virtual. Sectors are always 512 bytes in this file.
 */
export function parseDiskstats(text: string, wholeDisks?: ReadonlySet<string>): DiskCounters[] {
  const disks: DiskCounters[] = [];
  for (const line of text.split('\n')) {
    // "   8       0 sda 1234 …": the device is the third field; partitions and virtual devices are skipped
    // before the rest of the line is split.
    const device = /^\s*\d+\s+\d+\s+(\S+)/.exec(line)?.[1];
    if (!device) continue;
    if (wholeDisks && !wholeDisks.has(device)) continue;
    if (VIRTUAL_BLOCK_PREFIXES.some((prefix) => device.startsWith(prefix))) continue;
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    disks.push({
      device,
      reads: Number(fields[3]),
      readBytes: Number(fields[5]) * 512,
      writes: Number(fields[7]),
      writeBytes: Number(fields[9]) * 512,
    });
  }
  return disks;
}

export interface NetCounters {
  iface: string;
  rxBytes: number;
  txBytes: number;
}

/** /proc/net/dev without the loopback. The name and the first number may touch ("eth0:123"). */
export function parseNetDev(text: string): NetCounters[] {
  const nets: NetCounters[] = [];
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const iface = line.slice(0, colon).trim();
    const fields = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/);
    if (!iface || iface === 'lo' || fields.length < 16) continue;
    nets.push({ iface, rxBytes: Number(fields[0]), txBytes: Number(fields[8]) });
  }
  return nets;
}

/** Page size from the first mapping of /proc/self/smaps ("KernelPageSize:  4 kB"). */
export function parsePageSizeFromSmaps(text: string): number | null {
  const match = /^KernelPageSize:\s+(\d+) kB$/m.exec(text);
  return match ? Number(match[1]) * 1024 : null;
}

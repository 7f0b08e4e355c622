import { describe, expect, it } from 'vitest';
import {
  linuxStateFromLetter,
  parseBootTimeSeconds,
  parseCmdline,
  parseCpuTimes,
  parseDiskstats,
  parseMeminfo,
  parseMounts,
  parseNetDev,
  parsePageSizeFromSmaps,
  parseProcStat,
} from '../../electron/core/platform/linux-parse.js';

// A real line from this kernel's /proc/<pid>/stat, with the comm replaced.
const statLine = (comm: string, state = 'S') =>
  `1234 (${comm}) ${state} 77 1234 6105 0 -1 4194304 98 0 0 0 250 50 0 0 20 0 1 0 26096 3133440 359 18446744073709551615 94147646906368 94147646926249 140732597117536 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0`;

describe('parseProcStat', () => {
  it('reads pid, parent, state, CPU ticks, start ticks and resident pages', () => {
    expect(parseProcStat(statLine('python3'))).toEqual({
      pid: 1234,
      comm: 'python3',
      state: 'sleeping',
      ppid: 77,
      cpuTicks: 300,
      startTicks: 26096,
      rssPages: 359,
    });
  });

  it('keeps a comm that contains spaces and parentheses whole', () => {
    const stat = parseProcStat(statLine('my (weird) proc) S 9'));
    expect(stat?.comm).toBe('my (weird) proc) S 9');
    expect(stat?.ppid).toBe(77);
    expect(stat?.state).toBe('sleeping');
    expect(stat?.startTicks).toBe(26096);
  });

  it('rejects text that is not a stat line', () => {
    expect(parseProcStat('')).toBeNull();
    expect(parseProcStat('1234 (truncated')).toBeNull();
    expect(parseProcStat('1234 (short) S 1 2 3')).toBeNull();
  });

  it('maps a zombie', () => {
    expect(parseProcStat(statLine('python3', 'Z'))?.state).toBe('zombie');
  });
});

describe('linuxStateFromLetter', () => {
  it.each([
    ['R', 'running'],
    ['S', 'sleeping'],
    ['I', 'sleeping'],
    ['D', 'disk-sleep'],
    ['Z', 'zombie'],
    ['T', 'stopped'],
    ['t', 'stopped'],
    ['X', 'unknown'],
    ['', 'unknown'],
  ] as const)('%s → %s', (letter, state) => {
    expect(linuxStateFromLetter(letter)).toBe(state);
  });
});

describe('small /proc files', () => {
  it('turns a NUL-separated argv into one line', () => {
    expect(parseCmdline('python3\0-m\0reply_bot.multi_main\0--config\0a b.yaml\0')).toBe(
      'python3 -m reply_bot.multi_main --config "a b.yaml"',
    );
    expect(parseCmdline('')).toBe('');
  });

  it('reads btime', () => {
    expect(parseBootTimeSeconds('cpu  1 2 3\nintr 5\nbtime 1795370359\nprocesses 9\n')).toBe(1795370359);
    expect(() => parseBootTimeSeconds('cpu 1\n')).toThrow(/btime/);
  });

  it('reads per-CPU times in ms from /proc/stat, idle including iowait, without the aggregate line', () => {
    const text = [
      'cpu  546421 7862 134890 1041224 3120 0 2711 900 0 0',
      'cpu0 273000 3900 67000 520000 1000 0 1500 400 120 0',
      'cpu1 273421 3962 67890 521224 2120 0 1211 500 0 0',
      'intr 32741235 0 9 0 0 0 0',
      'ctxt 61346339',
    ].join('\n');
    expect(parseCpuTimes(text)).toEqual([
      // user + nice + system + idle + iowait + irq + softirq + steal; guest is inside user already
      { idleMs: 5_210_000, totalMs: 8_668_000 },
      { idleMs: 5_233_440, totalMs: 8_703_280 },
    ]);
    // A kernel without iowait/irq/steal columns (2.4-style lines) still parses.
    expect(parseCpuTimes('cpu 2 0 2 6\ncpu0 1 0 1 3\n')).toEqual([{ idleMs: 30, totalMs: 50 }]);
    expect(parseCpuTimes('intr 1\n')).toEqual([]);
  });

  it('reads meminfo in bytes, falling back to MemFree on old kernels', () => {
    const text =
      'MemTotal:       24683656 kB\nMemFree:         1000 kB\nMemAvailable:   24239832 kB\nSwapTotal:       2097148 kB\nSwapFree:        2000000 kB\nHugePages_Total:       0\n';
    expect(parseMeminfo(text)).toEqual({
      totalBytes: 24683656 * 1024,
      availableBytes: 24239832 * 1024,
      swapTotalBytes: 2097148 * 1024,
      swapFreeBytes: 2000000 * 1024,
    });
    expect(parseMeminfo('MemTotal: 100 kB\nMemFree: 40 kB\n').availableBytes).toBe(40 * 1024);
  });

  it('reads the page size from smaps', () => {
    expect(
      parsePageSizeFromSmaps(
        '5569c0367000-5569c0369000 r--p 00000000 fe:00 260386  /usr/bin/head\nSize:                  8 kB\nKernelPageSize:        4 kB\n',
      ),
    ).toBe(4096);
    expect(parsePageSizeFromSmaps('KernelPageSize:       64 kB\n')).toBe(65536);
    expect(parsePageSizeFromSmaps('')).toBeNull();
  });
});

describe('parseMounts', () => {
  it('keeps real file systems once per device, preferring / and then the shortest path', () => {
    const mounts = [
      'proc /proc proc rw,relatime 0 0',
      'sysfs /sys sysfs rw,relatime 0 0',
      'devtmpfs /dev devtmpfs rw,relatime 0 0',
      'tmpfs /dev/shm tmpfs rw,relatime 0 0',
      '/dev/vda /etc/hosts ext4 rw,relatime 0 0',
      '/dev/vda / ext4 rw,relatime 0 0',
      'cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0',
      '/dev/sdb1 /mnt/data/bots xfs rw 0 0',
      '/dev/sdb1 /mnt/data xfs rw 0 0',
      '/dev/sdc1 /media/usb\\040stick vfat rw 0 0',
      'overlay /var/lib/docker/overlay2/x/merged overlay rw 0 0',
      '',
    ].join('\n');
    expect(parseMounts(mounts)).toEqual([
      { device: '/dev/vda', mount: '/', fsType: 'ext4' },
      { device: '/dev/sdb1', mount: '/mnt/data', fsType: 'xfs' },
      { device: '/dev/sdc1', mount: '/media/usb stick', fsType: 'vfat' },
    ]);
  });

  it('counts overlay as the root of a container', () => {
    expect(parseMounts('overlay / overlay rw,lowerdir=/a 0 0\n')).toEqual([
      { device: 'overlay', mount: '/', fsType: 'overlay' },
    ]);
  });
});

describe('parseDiskstats', () => {
  const text = [
    '   7       0 loop0 10 0 80 0 0 0 0 0 0 0 0 0 0 0 0 0 0',
    ' 254       0 vda 32826 6728 1929002 9269 51695 48459 4675752 31533 0 7692 43444 8788 57 293048 1157 4584 1484',
    ' 254       1 vda1 32000 6000 1900000 9000 51000 48000 4600000 31000 0 7600 43000 0 0 0 0 0 0',
    ' 253       0 zram0 5 0 40 0 5 0 40 0 0 0 0 0 0 0 0 0 0',
    ' 259       0 nvme0n1 100 0 2000 0 50 0 1000 0 0 0 0',
  ].join('\n');

  it('keeps whole disks listed in /sys/block, in bytes', () => {
    expect(parseDiskstats(text, new Set(['loop0', 'vda', 'zram0', 'nvme0n1']))).toEqual([
      { device: 'vda', reads: 32826, readBytes: 1929002 * 512, writes: 51695, writeBytes: 4675752 * 512 },
      { device: 'nvme0n1', reads: 100, readBytes: 2000 * 512, writes: 50, writeBytes: 1000 * 512 },
    ]);
  });

  it('without /sys/block still drops virtual devices', () => {
    expect(parseDiskstats(text).map((d) => d.device)).toEqual(['vda', 'vda1', 'nvme0n1']);
  });
});

describe('parseNetDev', () => {
  it('skips the loopback and copes with a name touching its first number', () => {
    const text = [
      'Inter-|   Receive                                                |  Transmit',
      ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
      '    lo:    3193      29    0    0    0     0          0         0     3193      29    0    0    0     0       0          0',
      '  eth0: 644162877   19569    0    0    0     0          0         0  1474804   12313    0    0    0     0       0          0',
      'wlp2s0:12345678901 19569    0    0    0     0          0         0  99    12313    0    0    0     0       0          0',
    ].join('\n');
    expect(parseNetDev(text)).toEqual([
      { iface: 'eth0', rxBytes: 644162877, txBytes: 1474804 },
      { iface: 'wlp2s0', rxBytes: 12345678901, txBytes: 99 },
    ]);
  });
});

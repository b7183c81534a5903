/**
 * strace replay: the parser on the shapes strace prints, and the replay of real programs recorded
 * on the reference machine with tools/capture/vmspace-capture (test/replay/PROGRAM.strace, .maps
 * and .smaps right after execve, .final-maps at exit_group; PROGRAM.execs/ the start states after
 * later execves and the other processes' maps at exit_group): every memory syscall must get the
 * kernel's answer and the final maps must equal the kernel's.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { capturedExecs, hostElf, inferExecStart, replayCommand } from '../../cli/replay.js';
import { inferStart } from '../../scenario/elf-start.js';
import { diffMaps, replayStrace, replayToScenario } from '../../scenario/replay.js';
import { runScenarioText } from '../../scenario/run.js';
import { argNumber, parseStrace, splitArgs } from '../../scenario/strace.js';

const DIR = new URL('../replay/', import.meta.url);
const programs = readdirSync(DIR).filter((f) => f.endsWith('.strace')).map((f) => f.slice(0, -'.strace'.length)).sort();
const read = (name: string): string => readFileSync(new URL(name, DIR), 'utf8');
/** Run `fn` with a fresh temporary directory, removed afterwards. */
function withTempDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vmspace-replay-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('strace log parsing', () => {
  it('pid prefixes, timestamps, durations, results and errno', () => {
    const recs = parseStrace([
      '[pid  4242] 12:00:00.000001 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7ffff7fc0000 <0.000012>',
      '4243  1700000000.123456 munmap(0x1000, 4096) = -1 EINVAL (Invalid argument)',
      'openat(AT_FDCWD</tmp>, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3</etc/ld.so.cache>',
      'exit_group(0)                           = ?',
      '+++ exited with 0 +++',
    ].join('\n'));
    expect(recs).toHaveLength(5);
    expect(recs[0]).toMatchObject({ type: 'call', pid: 4242, name: 'mmap', ret: 0x7ffff7fc0000n, errno: null });
    expect(recs[1]).toMatchObject({ pid: 4243, name: 'munmap', ret: -1n, errno: 'EINVAL' });
    expect(recs[2]).toMatchObject({ pid: 0, name: 'openat', ret: 3n, retPath: '/etc/ld.so.cache' });
    expect(recs[3]).toMatchObject({ name: 'exit_group', ret: null });
    expect(recs[4]).toMatchObject({ type: 'event', kind: 'exit' });
  });

  it('stitches <unfinished ...> and <... resumed> across interleaved threads', () => {
    const recs = parseStrace([
      '100 mmap(NULL, 4096, 0x3, 0x22, -1, 0 <unfinished ...>',
      '101 munmap(0x7000, 4096 <unfinished ...>',
      '100 <... mmap resumed>) = 0x7ffff7ff0000',
      '101 <... munmap resumed>) = 0',
    ].join('\n'));
    expect(recs.map((r) => r.type === 'call' && [r.pid, r.name, r.args, r.ret])).toEqual([
      [100, 'mmap', ['NULL', '4096', '0x3', '0x22', '-1', '0'], 0x7ffff7ff0000n],
      [101, 'munmap', ['0x7000', '4096'], 0n],
    ]);
  });

  it('splits arguments at top-level commas only, and reads numbers, names and descriptors', () => {
    expect(splitArgs('3</a,b>, "x, y", {st_dev=1, st_ino=2}, [1, 2]')).toEqual(['3</a,b>', '"x, y"', '{st_dev=1, st_ino=2}', '[1, 2]']);
    expect(argNumber('PROT_READ|PROT_EXEC', { PROT_READ: 1, PROT_EXEC: 4 })).toBe(5n);
    expect(argNumber('MAP_PRIVATE|0x40000', { MAP_PRIVATE: 2 })).toBe(0x40002n);
    expect(argNumber('3</usr/lib/libc.so.6>')).toBe(3n);
    expect(argNumber('4</memfd:shared-memory-region>(deleted)')).toBe(4n); // strace 6's form for a file that is gone
    expect(argNumber('NULL')).toBe(0n);
    expect(argNumber('0644')).toBe(0o644n);
    expect(argNumber('WHAT')).toBeNull();
  });
});

describe('replay of real programs (recorded on Linux 6.18, ASLR off)', () => {
  it('has at least five programs', () => {
    expect(programs.length).toBeGreaterThanOrEqual(5);
  });

  for (const p of programs) {
    it(`${p}: every memory syscall gets the kernel's answer; the final maps equal the kernel's`, () => {
      const execDir = new URL(`${p}.execs`, DIR).pathname;
      const r = replayStrace(parseStrace(read(`${p}.strace`)), {
        startMaps: read(`${p}.maps`).split('\n'), startSmaps: read(`${p}.smaps`),
        ...capturedExecs(execDir),
      });
      expect(r.replayed).toBeGreaterThan(10);
      expect(r.divergences).toEqual([]);
      if (existsSync(execDir)) {
        // Every program the processes ran was followed, and their maps at their ends compared (a
        // process that ran two programs ends once; the first process's are the final maps).
        expect(r.execsFollowed).toBeGreaterThan(0);
        expect(r.untracked).toBe(0);
        expect(r.finalMapsCompared).toBeGreaterThan(0);
      }
      expect(diffMaps(read(`${p}.final-maps`).split('\n'), r.main.proc.maps())).toEqual([]);
      for (const t of r.system.tasks()) t.checkInvariants();
      r.system.checkFrames();
    });
  }
});

describe('replay of a decoded log (strace without -X raw)', () => {
  it('flag names, makedev() devices and S_IF* modes are read as the raw form', () => {
    const log = [
      '6770  execve("/usr/bin/ls", ["ls"], [/* 20 vars */]) = 0',
      '6770  brk(NULL)                         = 0x55555557a000',
      '6770  mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7ffff7fc0000',
      '6770  openat(AT_FDCWD</tmp>, "/usr/lib/locale/C.utf8/LC_MESSAGES", O_RDONLY|O_CLOEXEC) = 3</usr/lib/locale/C.utf8/LC_MESSAGES>',
      '6770  newfstatat(3</usr/lib/locale/C.utf8/LC_MESSAGES>, "", {st_dev=makedev(0xfe, 0), st_ino=329638, st_mode=S_IFDIR|0755, st_size=4096}, AT_EMPTY_PATH) = 0',
      '6770  close(3</usr/lib/locale/C.utf8/LC_MESSAGES>) = 0',
      '6770  openat(AT_FDCWD</tmp>, "/usr/lib/locale/C.utf8/LC_MESSAGES/SYS_LC_MESSAGES", O_RDONLY|O_CLOEXEC) = 3</usr/lib/locale/C.utf8/LC_MESSAGES/SYS_LC_MESSAGES>',
      '6770  newfstatat(3</usr/lib/locale/C.utf8/LC_MESSAGES/SYS_LC_MESSAGES>, "", {st_dev=makedev(0xfe, 0), st_ino=329639, st_mode=S_IFREG|0644, st_size=48}, AT_EMPTY_PATH) = 0',
      '6770  mmap(NULL, 48, PROT_READ, MAP_PRIVATE, 3</usr/lib/locale/C.utf8/LC_MESSAGES/SYS_LC_MESSAGES>, 0) = 0x7ffff7fbf000',
      '6770  mprotect(0x7ffff7fc0000, 4096, PROT_READ) = 0',
      '6770  madvise(0x7ffff7fc1000, 4096, MADV_DONTNEED) = 0',
      '6770  munmap(0x7ffff7fbf000, 48)        = 0',
    ].join('\n');
    const r = replayStrace(parseStrace(log), { startMaps: read('ls.maps').split('\n'), startSmaps: read('ls.smaps') });
    expect(r.replayed).toBe(6);
    expect(r.divergences).toEqual([]);
  });
});

describe('files the log opens', () => {
  const start = { startMaps: read('ls.maps').split('\n'), startSmaps: read('ls.smaps') };

  it('a directory opened without O_DIRECTORY and never fstat()ed does not block the files under it', () => {
    const log = [
      '6770  execve("/usr/bin/ls", ["ls"], 0x7ffe0 /* 20 vars */) = 0',
      '6770  openat(-100</tmp>, "/usr/share/fonts/truetype/dejavu", 0x80000) = 3</usr/share/fonts/truetype/dejavu>',
      '6770  close(3</usr/share/fonts/truetype/dejavu>) = 0',
      '6770  openat(-100</tmp>, "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0) = 3</usr/share/fonts/truetype/dejavu/DejaVuSans.ttf>',
      '6770  newfstatat(3</usr/share/fonts/truetype/dejavu/DejaVuSans.ttf>, "", {st_dev=0xfe00, st_ino=354032, st_mode=0100644, st_size=759720}, 0x1000) = 0',
      '6770  mmap(NULL, 759720, 0x1, 0x2, 3</usr/share/fonts/truetype/dejavu/DejaVuSans.ttf>, 0) = 0x7ffff7f08000',
    ].join('\n');
    const r = replayStrace(parseStrace(log), start);
    expect(r.divergences).toEqual([]);
    expect(r.replayed).toBe(1);
    expect(r.main.proc.maps().some((l) => l.includes('354032') && l.endsWith('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf'))).toBe(true);
  });

  it('a descriptor of a file that is gone, as strace 6 prints it (`4</memfd:x>(deleted)`)', () => {
    const log = [
      '6770  execve("/usr/bin/ls", ["ls"], 0x7ffe0 /* 20 vars */) = 0',
      '6770  memfd_create("shared-memory-region", 0xb) = 3</memfd:shared-memory-region>(deleted)',
      '6770  ftruncate(3</memfd:shared-memory-region>(deleted), 65568) = 0',
      '6770  mmap(NULL, 65568, 0x3, 0x1, 3</memfd:shared-memory-region>(deleted), 0) = 0x7ffff7fb1000',
    ].join('\n');
    const r = replayStrace(parseStrace(log), start);
    expect(r.divergences).toEqual([]);
    expect(r.main.proc.maps().some((l) => l.startsWith("7ffff7fb1000-7ffff7fc2000 rw-s") && l.endsWith('/memfd:shared-memory-region (deleted)'))).toBe(true);
  });
});

describe('descriptors across threads and processes (found replaying chromium --headless)', () => {
  const start = { startMaps: read('ls.maps').split('\n'), startSmaps: read('ls.smaps') };
  const replay = (lines: string[]) => replayStrace(parseStrace(['6770  execve("/usr/bin/ls", ["ls"], 0x7ffe0 /* 20 vars */) = 0', ...lines].join('\n')), start);

  it('a close() strace shows unfinished has freed its descriptor for the other threads already', () => {
    const r = replay([
      '6770  clone3({flags=0x3d0f00, child_tid=0x7fffe24ba990, parent_tid=0x7fffe24ba990, exit_signal=0, stack=0x7fffe1cba000, stack_size=0x7ff3c0, tls=0x7fffe24ba6c0} => {parent_tid=[6771]}, 88) = 6771',
      '6770  memfd_create("x", 0x1) = 5</memfd:x>(deleted)',
      '6770  close(5</memfd:x>(deleted) <unfinished ...>',
      '6771  openat(-100</tmp>, "/tmp/data", 0x2) = 5</tmp/data>',
      '6770  <... close resumed>) = 0',
      '6771  mmap(NULL, 8192, 0x3, 0x1, 5</tmp/data>, 0) = 0x7ffff7fc0000',
    ]);
    expect(r.divergences).toEqual([]);
    expect(r.main.proc.maps().some((l) => l.startsWith('7ffff7fc0000-7ffff7fc2000 rw-s') && l.endsWith('/tmp/data'))).toBe(true);
  });

  it('a memfd received with SCM_RIGHTS, and reopened through /proc/self/fd', () => {
    const r = replay([
      '6770  recvmsg(3<socket:[1]>, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="x", iov_len=1}], msg_iovlen=1, msg_control=[{cmsg_len=20, cmsg_level=0x1, cmsg_type=0x1, cmsg_data=[7</memfd:shared-memory-region>(deleted)]}], msg_controllen=24, msg_flags=0}, 0x40) = 1',
      '6770  mmap(NULL, 16384, 0x3, 0x1, 7</memfd:shared-memory-region>(deleted), 0) = 0x7ffff7fbe000',
      '6770  openat(-100</tmp>, "/proc/self/fd/7", 0x80000) = 8</memfd:shared-memory-region>(deleted)',
      '6770  mmap(NULL, 4096, 0x1, 0x1, 8</memfd:shared-memory-region>(deleted), 0) = 0x7ffff7fbd000',
    ]);
    expect(r.divergences).toEqual([]);
    const memfd = r.main.proc.maps().filter((l) => l.endsWith('/memfd:shared-memory-region (deleted)'));
    expect(memfd).toHaveLength(2);
    expect(new Set(memfd.map((l) => l.split(/\s+/)[4])).size).toBe(1); // one file: the reopen is the same inode
  });

  it('SCM_RIGHTS: every descriptor of the list, after sockets whose names hold brackets', () => {
    const r = replay([
      '6770  recvmsg(3<socket:[1]>, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="x", iov_len=1}], msg_iovlen=1, msg_control=[{cmsg_len=36, cmsg_level=0x1, cmsg_type=0x1, cmsg_data=[12<socket:[1755364]>, 13<socket:[1755347]>, 15</memfd:shared-memory-region>(deleted), 16</memfd:shared-memory-region>(deleted)]}], msg_controllen=40, msg_flags=0}, 0) = 944',
      '6770  mmap(NULL, 4, 0x1, 0x1, 16</memfd:shared-memory-region>(deleted), 0) = 0x7ffff7fc1000',
      '6770  mmap(NULL, 262144, 0x1, 0x1, 15</memfd:shared-memory-region>(deleted), 0) = 0x7ffff7f81000',
      '6770  mmap(NULL, 4096, 0x1, 0x1, 13, 0) = -1 ENODEV (No such device)',
    ]);
    // The sockets are not mirrored (nothing maps them): fd 13 is EBADF on vmspace, ENODEV on the kernel.
    expect(r.divergences.map((d) => d.call.slice(0, 20))).toEqual(['mmap(NULL, 4096, 0x1']);
    expect(r.replayed).toBe(3);
  });

  describe('concurrent calls of one address space (each begun before the other ended)', () => {
    const clone = '6770  clone3({flags=0x3d0f00, child_tid=0x7fffe24ba990, parent_tid=0x7fffe24ba990, exit_signal=0, stack=0x7fffe1cba000, stack_size=0x7ff3c0, tls=0x7fffe24ba6c0} => {parent_tid=[6771]}, 88) = 6771';

    it('the parser keeps where an unfinished call began', () => {
      const recs = parseStrace(['100 mmap(NULL, 4096, 0x3, 0x22, -1, 0 <unfinished ...>', '101 munmap(0x7000, 4096) = 0', '100 <... mmap resumed>) = 0x7000'].join('\n'));
      expect(recs.map((r) => r.type === 'call' && [r.name, r.start ?? r.line, r.line])).toEqual([['munmap', 2, 2], ['mmap', 1, 3]]);
    });

    it('two threads\' mmaps: replayed in the order that gives each the kernel\'s address', () => {
      const log = (a: string, b: string) => [clone,
        '6770  mmap(NULL, 8192, 0x3, 0x22, -1, 0 <unfinished ...>',
        `6771  mmap(NULL, 16384, 0x3, 0x22, -1, 0) = ${b}`,
        `6770  <... mmap resumed>) = ${a}`,
      ];
      // The log's order (6771 ended first) is the kernel's: nothing to reorder.
      expect(replay(log('0x7ffff7fbc000', '0x7ffff7fbe000'))).toMatchObject({ divergences: [], reordered: 0 });
      // 6770 took the lock first: its 8 KiB went on top.
      const r = replay(log('0x7ffff7fc0000', '0x7ffff7fbc000'));
      expect(r).toMatchObject({ divergences: [], reordered: 1, replayed: 2 });
      r.system.checkFrames();
      // The same answers from calls one after the other: no other order was possible.
      const serial = replay([clone,
        '6770  mmap(NULL, 8192, 0x3, 0x22, -1, 0) = 0x7ffff7fbc000',
        '6771  mmap(NULL, 16384, 0x3, 0x22, -1, 0) = 0x7ffff7fbe000',
      ]);
      expect(serial.reordered).toBe(0);
      expect(serial.divergences).toHaveLength(2);
    });

    it('an mmap that ran before a concurrent munmap freed its range', () => {
      const r = replay([clone,
        '6770  mmap(NULL, 8192, 0x3, 0x22, -1, 0) = 0x7ffff7fc0000',
        '6771  munmap(0x7ffff7fc0000, 8192 <unfinished ...>',
        '6770  mmap(NULL, 8192, 0x1, 0x22, -1, 0 <unfinished ...>',
        '6771  <... munmap resumed>) = 0',
        '6770  <... mmap resumed>) = 0x7ffff7fbe000',
      ]);
      expect(r).toMatchObject({ divergences: [], reordered: 1, replayed: 3 });
      expect(r.main.proc.maps().filter((l) => l.startsWith('7ffff7fbe000-'))).toHaveLength(1);
    });

    it('an mmap of a descriptor moves before a descriptor call only when that call leaves its descriptor alone', () => {
      const log = (between: string) => [clone,
        '6770  clone3({flags=0x3d0f00, child_tid=0x7fffe1cba990, parent_tid=0x7fffe1cba990, exit_signal=0, stack=0x7fffe14ba000, stack_size=0x7ff3c0, tls=0x7fffe1cba6c0} => {parent_tid=[6772]}, 88) = 6772',
        '6770  memfd_create("a", 0)              = 5</memfd:a>',
        '6770  ftruncate(5</memfd:a>, 65536)     = 0',
        '6770  mmap(NULL, 8192, 0x3, 0x22, -1, 0) = 0x7ffff7fc0000',
        '6771  munmap(0x7ffff7fc0000, 8192 <unfinished ...>',
        '6770  mmap(NULL, 8192, 0x3, 0x1, 5</memfd:a>, 0 <unfinished ...>',
        '6771  <... munmap resumed>) = 0',
        between,
        '6770  <... mmap resumed>) = 0x7ffff7fbe000',
      ];
      // Sealing the memfd (F_ADD_SEALS) does not change what descriptor 5 is.
      expect(replay(log('6772  fcntl(5</memfd:a>, 0x409, 0x7) = 0'))).toMatchObject({ divergences: [], reordered: 1 });
      // A dup2 onto 5 does: the mmap keeps its place after it, and the log's order stands.
      const r = replay(log('6772  dup2(0</dev/null>, 5</memfd:a>) = 5</dev/null>'));
      expect(r.reordered).toBe(0);
      expect(r.divergences.map((d) => d.kernel)).toEqual(['0x7ffff7fbe000']);
    });

    it('the orders are tried on a copy with every VMA, MADV_DONTFORK ones too', () => {
      const r = replay([clone,
        '6770  mmap(NULL, 8192, 0x3, 0x22, -1, 0) = 0x7ffff7fc0000',
        '6770  madvise(0x7ffff7fc0000, 8192, 0xa) = 0',
        '6770  mmap(NULL, 8192, 0x3, 0x22, -1, 0 <unfinished ...>',
        '6771  mmap(NULL, 16384, 0x3, 0x22, -1, 0) = 0x7ffff7fba000',
        '6770  <... mmap resumed>) = 0x7ffff7fbe000',
      ]);
      expect(r).toMatchObject({ divergences: [], reordered: 1 });
      r.main.checkInvariants();
      expect(String(r.main.proc.smaps().find((e) => e.line.startsWith('7ffff7fc0000-'))!.fields.VmFlags)).toContain('dc');
    });

    it('written as a scenario, the ops come in the order that gives the kernel\'s answers', () => {
      const text = replayToScenario(parseStrace(['6770  execve("/usr/bin/ls", ["ls"], 0x7ffe0 /* 20 vars */) = 0', clone,
        '6770  mmap(NULL, 8192, 0x3, 0x22, -1, 0 <unfinished ...>',
        '6771  mmap(NULL, 16384, 0x3, 0x22, -1, 0) = 0x7ffff7fbc000',
        '6770  <... mmap resumed>) = 0x7ffff7fc0000',
      ].join('\n')), start);
      const ops = text.trim().split('\n').slice(1).map((l) => JSON.parse(l) as { op: string; len?: string; expect?: { ret: string } });
      expect(ops.filter((o) => o.op === 'mmap').map((o) => [o.len, o.expect?.ret])).toEqual([['0x2000', '0x7ffff7fc0000'], ['0x4000', '0x7ffff7fbc000']]);
      const out = runScenarioText(text).trim().split('\n').slice(1).map((l) => JSON.parse(l) as { ret?: string });
      ops.forEach((o, i) => { if (o.expect) expect(out[i].ret).toBe(o.expect.ret); });
    });

    it('when no order gives the kernel\'s answers, the log\'s order and its divergence stand', () => {
      const r = replay([clone,
        '6770  mmap(NULL, 8192, 0x3, 0x22, -1, 0 <unfinished ...>',
        '6771  mmap(NULL, 16384, 0x3, 0x22, -1, 0) = 0x7ffff7fbe000',
        '6770  <... mmap resumed>) = 0x10000000',
      ]);
      expect(r.reordered).toBe(0);
      expect(r.divergences.map((d) => d.kernel)).toEqual(['0x10000000']);
    });
  });

  it('a file opened read-write maps shared and writable; one opened read-only does not (EACCES)', () => {
    const r = replay([
      '6770  openat(-100</tmp>, "/tmp/cache/index", 0x80042, 0600) = 3</tmp/cache/index>',
      '6770  mmap(NULL, 8192, 0x3, 0x1, 3</tmp/cache/index>, 0) = 0x7ffff7fc0000',
      '6770  openat(-100</tmp>, "/tmp/cache/ro", 0x80000) = 4</tmp/cache/ro>',
      '6770  mmap(NULL, 8192, 0x3, 0x1, 4</tmp/cache/ro>, 0) = -1 EACCES (Permission denied)',
    ]);
    expect(r.divergences).toEqual([]);
    expect(r.replayed).toBe(2);
  });

  it('a mapped file the program unlinks shows as (deleted), as in the kernel\'s maps', () => {
    const r = replay([
      '6770  openat(-100</tmp>, "/tmp/hsperfdata_root/30331", 0x80042, 0600) = 3</tmp/hsperfdata_root/30331>',
      '6770  mmap(NULL, 32768, 0x3, 0x1, 3</tmp/hsperfdata_root/30331>, 0) = 0x7ffff7fba000',
      '6770  unlink("/tmp/hsperfdata_root/30331") = 0',
      '6770  openat(-100</tmp>, "/tmp/x/y", 0x2) = 4</tmp/x/y>',
      '6770  mmap(NULL, 4096, 0x3, 0x1, 4</tmp/x/y>, 0) = 0x7ffff7fb9000',
      '6770  unlinkat(-100</tmp/x>, "y", 0) = 0',
    ]);
    expect(r.divergences).toEqual([]);
    const maps = r.main.proc.maps();
    expect(maps.some((l) => l.endsWith('/tmp/hsperfdata_root/30331 (deleted)'))).toBe(true);
    expect(maps.some((l) => l.endsWith('/tmp/x/y (deleted)'))).toBe(true);
  });

  it('a thread whose first calls strace prints before its creator\'s clone3 returns (rustc)', () => {
    const r = replay([
      '6770  clone3({flags=0x3d0f00, child_tid=0x7fffe35ff990, parent_tid=0x7fffe35ff990, exit_signal=0, stack=0x7fffe33ff000, stack_size=0x1fc340, tls=0x7fffe35ff6c0} <unfinished ...>',
      '6771  mmap(NULL, 2097152, 0x3, 0x4022, -1, 0) = 0x7ffff7c00000',
      '6770  <... clone3 resumed> => {parent_tid=[6771]}, 88) = 6771',
      '6770  mmap(NULL, 2097152, 0x3, 0x4022, -1, 0) = 0x7ffff7a00000',
    ]);
    expect(r.divergences).toEqual([]);
    expect(r.replayed).toBe(2);
    expect(r.untracked).toBe(0);
  });

  it('a vfork child\'s dup2()s and close()s before its execve leave the parent\'s descriptors alone', () => {
    const r = replay([
      '6770  openat(-100</tmp>, "/tmp/d", 0x2) = 3</tmp/d>',
      '6770  clone(child_stack=0x7ffff7fb8ff0, flags=CLONE_VM|CLONE_VFORK|SIGCHLD) = 6771',
      '6771  close(3</tmp/d>) = 0',
      '6771  dup2(0</dev/null>, 3</dev/null>) = 3</dev/null>',
      '6771  execve("/bin/true", ["true"], 0x7ffe0 /* 20 vars */) = 0',
      '6770  mmap(NULL, 4096, 0x3, 0x1, 3</tmp/d>, 0) = 0x7ffff7fc1000',
    ]);
    expect(r.divergences).toEqual([]);
    expect(r.main.proc.maps().some((l) => l.startsWith('7ffff7fc1000-7ffff7fc2000 rw-s') && l.endsWith('/tmp/d'))).toBe(true);
  });

  it('final maps: device and inode are compared only where the log shows them', () => {
    const mine = ['7ffff7fbe000-7ffff7fc2000 rw-s 00000000 00:01 5                          /memfd:shared-memory-region (deleted)',
      '7ffff7fc2000-7ffff7fc3000 r--s 00000000 00:00 0                          /root/.cache/dconf/user',
      '7ffff7fc3000-7ffff7fc4000 r--p 00000000 fe:00 42                         /usr/lib/x.so',
      '7ffff7fc4000-7ffff7fc5000 rw-s 00000000 00:01 7                          /dev/zero (deleted)'];
    const kernel = ['7ffff7fbe000-7ffff7fc2000 rw-s 00000000 00:01 258054                     /memfd:shared-memory-region (deleted)',
      '7ffff7fc2000-7ffff7fc3000 r--s 00000000 fe:00 16039985                   /root/.cache/dconf/user',
      '7ffff7fc3000-7ffff7fc4000 r--p 00000000 fe:00 43                         /usr/lib/x.so',
      '7ffff7fc4000-7ffff7fc5000 rw-s 00000000 00:01 1460747                    /dev/zero (deleted)'];
    expect(diffMaps(kernel, mine)).toEqual([`- ${kernel[2]}`, `+ ${mine[2]}`]);
    expect(diffMaps(kernel, [mine[0], mine[1].replace('r--s', 'rw-s'), kernel[2], mine[3]])).toHaveLength(2); // the rest is still compared
  });
});

/** ls's start state, and the first lines of a log of it that runs another program. */
const lsStart = { startMaps: read('ls.maps').split('\n'), startSmaps: read('ls.smaps') };
const lsHead = [
  '6770  execve("/usr/bin/ls", ["ls"], 0x7ffe0 /* 20 vars */) = 0',
  '6770  brk(NULL)                         = 0x55555557a000',
  '6770  mmap(NULL, 8192, 0x3, 0x22, -1, 0) = 0x7ffff7fc0000',
];

describe('a program that runs another with execve', () => {
  const start = lsStart;
  const head = lsHead;

  it('itself (a wrapper\'s exec): it is followed no further, and its final maps are not compared', () => {
    const log = [...head,
      '6770  execve("/usr/bin/date", ["date"], 0x7ffe0 /* 20 vars */) = 0',
      '6770  mmap(NULL, 8192, 0x3, 0x22, -1, 0) = 0x7ffff7fb0000',
    ].join('\n');
    const r = replayStrace(parseStrace(log), start);
    expect(r.mainReplaced).toBe(true);
    expect(r.replayed).toBe(2); // brk and mmap, before the execve
    expect(r.untracked).toBe(1);
    withTempDir((dir) => {
      writeFileSync(path.join(dir, 'w.strace'), log);
      writeFileSync(path.join(dir, 'w.maps'), read('ls.maps'));
      writeFileSync(path.join(dir, 'w.final-maps'), '00400000-00401000 r--p 00000000 00:00 0\n'); // date's, not ls's
      const rep = replayCommand(path.join(dir, 'w.strace'), {});
      expect(rep.status).toBe(0);
      expect(rep.out).toMatch(/final maps not compared: the program ran another with execve\)\n$/);
      expect(JSON.parse(replayCommand(path.join(dir, 'w.strace'), { json: true }).out)).toMatchObject({ mainReplaced: true, finalMaps: null });
    });
  });

  it('a vfork child (posix_spawn) or a thread: only an execve by the first process\'s own threads counts', () => {
    const spawn = [...head,
      '6770  clone(child_stack=0x7ffff7fb8ff0, flags=CLONE_VM|CLONE_VFORK|SIGCHLD) = 6771',
      '6771  execve("/bin/sh", ["sh", "-c", "echo"], 0x7ffe0 /* 20 vars */) = 0',
      '6771  mmap(NULL, 8192, 0x3, 0x22, -1, 0) = 0x7ffff7fb0000',
      '6770  munmap(0x7ffff7fc0000, 8192)     = 0',
    ].join('\n');
    const r = replayStrace(parseStrace(spawn), start);
    expect(r.mainReplaced).toBe(false);
    expect(r.divergences).toEqual([]);
    expect(r.replayed).toBe(3); // the parent's brk, mmap and munmap
    const thread = [...head,
      '6770  clone(child_stack=0x7ffff7fb8ff0, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM) = 6772',
      '6772  execve("/usr/bin/date", ["date"], 0x7ffe0 /* 20 vars */) = 0',
    ].join('\n');
    expect(replayStrace(parseStrace(thread), start).mainReplaced).toBe(true);
  });
});

describe('an execve followed with the start state the capture copied', () => {
  const start = lsStart;
  const head = lsHead;
  const date = { maps: read('date.maps').split('\n'), smaps: read('date.smaps') };
  const dateLines = date.maps.filter((l) => l.trim() !== '');
  /** ls's start maps with the head's 8 KiB mmap: the first process's maps after the head. */
  const lsLines = () => [...read('ls.maps').split('\n').filter((l) => l.trim() !== ''), '7ffff7fc0000-7ffff7fc2000 rw-p 00000000 00:00 0'];

  it('a vfork child: it runs the new program from its start state, its parent goes on unchanged', () => {
    const log = [...head,
      '6770  clone(child_stack=0x7ffff7fb8ff0, flags=CLONE_VM|CLONE_VFORK|SIGCHLD) = 6771',
      '6771  execve("/usr/bin/date", ["date", "-u"], 0x7ffe0 /* 20 vars */) = 0',
      '6771  mmap(NULL, 8192, 0x3, 0x22, -1, 0) = 0x7ffff7fc0000',
      '6771  mmap(0x10000000, 8192, 0x3, 0x32, -1, 0) = 0x10000000',
      '6771  exit_group(0)                     = ?',
      '6771  +++ exited with 0 +++',
      '6770  munmap(0x7ffff7fc0000, 8192)     = 0',
    ].join('\n');
    const child = [...dateLines, '7ffff7fc0000-7ffff7fc2000 rw-p 00000000 00:00 0', '10000000-10002000 rw-p 00000000 00:00 0'];
    const opts = (argv: string[], maps = child) => ({
      ...start, execs: new Map([['6771-1', { ...date, argv }]]), finalMaps: new Map([['6771-1', maps]]),
    });
    const r = replayStrace(parseStrace(log), opts(['date', '-u']));
    expect(r.divergences).toEqual([]);
    expect(r).toMatchObject({ execsFollowed: 1, untracked: 0, finalMapsCompared: 1, mainReplaced: false, replayed: 5 });
    expect(r.main.proc.maps().some((l) => l.startsWith('7ffff7fc0000-'))).toBe(false); // the parent's munmap
    for (const t of r.system.tasks()) t.checkInvariants();
    r.system.checkFrames();
    // The child's maps at exit_group are compared: a kernel line vmspace lacks is a divergence.
    const wrong = replayStrace(parseStrace(log), opts(['date', '-u'], child.slice(1)));
    expect(wrong.divergences).toEqual([expect.objectContaining({ pid: 6771, call: 'maps at exit_group', kernel: '(no other lines)' })]);
    // A start state copied for another program (the argv differs) is not used.
    const other = replayStrace(parseStrace(log), opts(['date', '-R']));
    expect(other).toMatchObject({ execsFollowed: 0, untracked: 3 }); // its two mmaps and exit_group
  });

  it('a process\'s maps are taken where its exit_group began, before its other threads\' later calls', () => {
    const log = [...head,
      '6770  fork()                            = 6771',
      '6771  execve("/usr/bin/date", ["date"], 0x7ffe0 /* 20 vars */) = 0',
      '6771  clone3({flags=0x3d0f00, child_tid=0x7fffe24ba990, parent_tid=0x7fffe24ba990, exit_signal=0, stack=0x7fffe1cba000, stack_size=0x7ff3c0, tls=0x7fffe24ba6c0} => {parent_tid=[6772]}, 88) = 6772',
      '6771  exit_group(0 <unfinished ...>',
      '6772  mmap(NULL, 8192, 0x3, 0x22, -1, 0) = 0x7ffff7fc0000',
      '6771  <... exit_group resumed>)         = ?',
      '6772  +++ exited with 0 +++',
      '6771  +++ exited with 0 +++',
      '6770  clone3({flags=0x3d0f00, child_tid=0x7fffe24ba990, parent_tid=0x7fffe24ba990, exit_signal=0, stack=0x7fffe1cba000, stack_size=0x7ff3c0, tls=0x7fffe24ba6c0} => {parent_tid=[6773]}, 88) = 6773',
      '6770  exit_group(0 <unfinished ...>',
      '6773  munmap(0x7ffff7fc0000, 8192)      = 0',
      '6770  <... exit_group resumed>)         = ?',
    ].join('\n');
    const r = replayStrace(parseStrace(log), {
      ...start, execs: new Map([['6771-1', { ...date, argv: ['date'] }]]), finalMaps: new Map([['6771-1', dateLines]]),
    });
    expect(r).toMatchObject({ divergences: [], finalMapsCompared: 1 });
    // The first process: its maps where exit_group began keep the mapping a later call removed.
    expect(r.mainMapsAtExit!.some((l) => l.startsWith('7ffff7fc0000-'))).toBe(true);
    expect(r.main.proc.maps().some((l) => l.startsWith('7ffff7fc0000-'))).toBe(false);
  });

  it('the heap is written when the break grows: a forked child\'s brk cannot merge into the heap it inherited', () => {
    const log = [...head,
      '6770  brk(0x55555559b000)               = 0x55555559b000',
      '6770  fork()                            = 6771',
      '6771  brk(0x5555555bc000)               = 0x5555555bc000',
      '6770  brk(0x5555555bc000)               = 0x5555555bc000',
    ].join('\n');
    const r = replayStrace(parseStrace(log), start);
    expect(r.divergences).toEqual([]);
    const heap = (t: { proc: { maps(): string[] } }) => t.proc.maps().filter((l) => l.endsWith('[heap]')).map((l) => l.split(' ')[0]);
    const child = r.system.tasks().find((t) => t !== r.main)!;
    // mm/vma.c is_mergeable_anon_vma(): the child's heap has an anon_vma from its parent.
    expect(heap(child)).toEqual(['55555557a000-55555559b000', '55555559b000-5555555bc000']);
    expect(heap(r.main)).toEqual(['55555557a000-5555555bc000']);
    // Without the write (assumeWrites: false), nothing keeps the child's heap apart.
    const bare = replayStrace(parseStrace(log), { ...start, assumeWrites: false });
    expect(heap(bare.system.tasks().find((t) => t !== bare.main)!)).toEqual(['55555557a000-5555555bc000']);
  });

  it('a vfork child that exits without running a program leaves the first process\'s final maps alone', () => {
    const log = [...head,
      '6770  clone(child_stack=0x7ffff7fb8ff0, flags=CLONE_VM|CLONE_VFORK|SIGCHLD) = 6771',
      '6771  exit_group(127)                   = ?',
      '6771  +++ exited with 127 +++',
      '6770  mmap(NULL, 8192, 0x3, 0x22, -1, 0) = 0x7ffff7fbe000',
      '6770  +++ killed by SIGKILL +++',
    ].join('\n');
    const r = replayStrace(parseStrace(log), { ...start, finalMaps: new Map([['6771-0', lsLines()]]) });
    expect(r).toMatchObject({ divergences: [], finalMapsCompared: 1, mainMapsAtExit: null });
  });

  it('a MAP_FIXED commit over a PROT_NONE reservation is written at once (a JVM\'s heap chunks)', () => {
    const log = [...head,
      '6770  mmap(0x10000000, 262144, 0, 0x4022, -1, 0) = 0x10000000',
      '6770  mmap(0x10020000, 65536, 0x3, 0x32, -1, 0) = 0x10020000',
      '6770  mmap(0x10000000, 65536, 0x3, 0x32, -1, 0) = 0x10000000',
      '6770  mmap(0x10010000, 65536, 0x3, 0x32, -1, 0) = 0x10010000',
    ].join('\n');
    const r = replayStrace(parseStrace(log), start);
    expect(r.divergences).toEqual([]);
    // Each chunk got its own anon_vma when it was written: the middle one joins only the chunk
    // before it (is_mergeable_anon_vma(), can_vma_merge_right()).
    expect(r.main.proc.maps().filter((l) => l.startsWith('100')).map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual([
      '10000000-10020000 rw-p', '10020000-10030000 rw-p', '10030000-10040000 ---p',
    ]);
  });

  it('a start state with address-space randomization: mmap_base and [stack] come from its maps', () => {
    // date's start maps with the mmap area and the stack moved down 64 GiB, as randomization does.
    const shift = 0x1000000000;
    const moved = date.maps.filter((l) => l.trim() !== '').map((l) => {
      const [range, ...rest] = l.split(' ');
      const [a, b] = range.split('-').map((x) => parseInt(x, 16));
      if (a < 0x700000000000 || a >= 0xffffffffff600000) return l;
      const hex = (x: number) => (x - shift).toString(16).padStart(12, '0');
      return [`${hex(a)}-${hex(b)}`, ...rest].join(' ');
    });
    const log = [...head,
      '6770  fork()                            = 6771',
      '6771  execve("/usr/bin/date", ["date"], 0x7ffe0 /* 20 vars */) = 0',
      `6771  mmap(NULL, 8192, 0x3, 0x22, -1, 0) = 0x${(0x7ffff7fc0000 - shift).toString(16)}`,
      '6771  exit_group(0)                     = ?',
    ].join('\n');
    const r = replayStrace(parseStrace(log), {
      ...start, execs: new Map([['6771-1', { maps: moved, smaps: date.smaps, argv: ['date'] }]]),
      finalMaps: new Map([['6771-1', [...moved, `${(0x7ffff7fc0000 - shift).toString(16)}-${(0x7ffff7fc2000 - shift).toString(16)} rw-p 00000000 00:00 0`]]]),
    });
    expect(r).toMatchObject({ divergences: [], execsFollowed: 1, finalMapsCompared: 1 });
  });

  it('the first process itself: the replay follows it, and main is the new program', () => {
    const log = [...head,
      '6770  execve("/usr/bin/date", ["date"], 0x7ffe0 /* 20 vars */) = 0',
      '6770  mmap(NULL, 8192, 0x3, 0x22, -1, 0) = 0x7ffff7fc0000',
    ].join('\n');
    const r = replayStrace(parseStrace(log), { ...start, execs: new Map([['6770-1', { ...date, argv: ['date'] }]]) });
    expect(r).toMatchObject({ execsFollowed: 1, mainReplaced: false, untracked: 0, divergences: [] });
    expect(diffMaps([...dateLines, '7ffff7fc0000-7ffff7fc2000 rw-p 00000000 00:00 0'], r.main.proc.maps())).toEqual([]);
    expect(r.system.tasks()).toEqual([r.main]); // ls's address space is gone
    r.system.checkFrames();
  });

  it('a thread that runs another program: the process goes on under its leader\'s pid', () => {
    const log = [...head,
      '6770  clone(child_stack=0x7ffff7fb8ff0, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM) = 6772',
      '6772  execve("/usr/bin/date", ["date"], 0x7ffe0 /* 20 vars */) = 0',
      '6770  mmap(NULL, 8192, 0x3, 0x22, -1, 0) = 0x7ffff7fc0000',
    ].join('\n');
    const r = replayStrace(parseStrace(log), { ...start, execs: new Map([['6772-1', { ...date, argv: ['date'] }]]) });
    expect(r).toMatchObject({ divergences: [], execsFollowed: 1, untracked: 0, mainReplaced: false, replayed: 3 });
    expect(diffMaps([...dateLines, '7ffff7fc0000-7ffff7fc2000 rw-p 00000000 00:00 0'], r.main.proc.maps())).toEqual([]);
  });

  it('a script: the kernel put its interpreter before the script\'s path (binfmt_script)', () => {
    const log = [...head,
      '6770  execve("/tmp/job", ["/tmp/job", "x"], 0x7ffe0 /* 20 vars */) = 0',
    ].join('\n');
    const run = (argv: string[]) => replayStrace(parseStrace(log), { ...start, execs: new Map([['6770-1', { ...date, argv }]]) });
    expect(run(['/bin/sh', '/tmp/job', 'x']).execsFollowed).toBe(1);
    expect(run(['/usr/bin/env', 'sh', '/tmp/job', 'x']).execsFollowed).toBe(1);
    expect(run(['/bin/sh', '/tmp/job', 'y']).execsFollowed).toBe(0);
  });

  it('a vfork child\'s own dup2 before its execve reaches the new program, not the parent', () => {
    const log = [...head,
      '6770  openat(AT_FDCWD</tmp>, "/usr/lib/locale/C.utf8/LC_TIME", 0x80000) = 3</usr/lib/locale/C.utf8/LC_TIME>',
      '6770  clone(child_stack=0x7ffff7fb8ff0, flags=CLONE_VM|CLONE_VFORK|SIGCHLD) = 6771',
      '6771  dup2(3</usr/lib/locale/C.utf8/LC_TIME>, 5) = 5</usr/lib/locale/C.utf8/LC_TIME>',
      '6771  execve("/usr/bin/date", ["date"], 0x7ffe0 /* 20 vars */) = 0',
      '6771  mmap(NULL, 4096, 0x1, 0x2, 5</usr/lib/locale/C.utf8/LC_TIME>, 0) = 0x7ffff7fc1000',
      '6771  mmap(NULL, 4096, 0x1, 0x2, 3, 0)  = -1 EBADF (Bad file descriptor)',
      '6770  mmap(NULL, 4096, 0x1, 0x2, 5, 0)  = -1 EBADF (Bad file descriptor)',
      '6771  exit_group(0)                     = ?',
      '6771  +++ exited with 0 +++',
    ].join('\n');
    const r = replayStrace(parseStrace(log), { ...start, execs: new Map([['6771-1', { ...date, argv: ['date'] }]]) });
    expect(r).toMatchObject({ divergences: [], execsFollowed: 1, replayed: 5 });
    expect(r.system.tasks()).toHaveLength(1); // the child's table went with it
    r.system.checkFrames();
  });

  it('without a copy, a start state inferred another way (inferExec), and counted as such', () => {
    const log = [...head,
      '6770  fork()                            = 6771',
      '6771  execve("/usr/bin/date", ["date"], 0x7ffe0 /* 20 vars */) = 0',
      '6771  mmap(NULL, 8192, 0x3, 0x22, -1, 0) = 0x7ffff7fc0000',
      '6770  fork()                            = 6772',
      '6772  execve("/usr/bin/env", ["env"], 0x7ffe0 /* 20 vars */) = 0',
      '6772  mmap(NULL, 8192, 0x3, 0x22, -1, 0) = 0x7ffff7fc0000',
    ].join('\n');
    const asked: string[] = [];
    const r = replayStrace(parseStrace(log), {
      ...start, inferExec: (p) => (asked.push(p), p === '/usr/bin/date' ? date : undefined),
    });
    expect(asked).toEqual(['/usr/bin/date', '/usr/bin/env']);
    expect(r).toMatchObject({ execsFollowed: 1, execsInferred: 1, untracked: 1, divergences: [] });
  });

  it.skipIf(process.platform !== 'linux' || !existsSync('/bin/sh'))('inferExecStart: an ELF file, a script\'s interpreter, nothing else', () => {
    withTempDir((dir) => {
      writeFileSync(path.join(dir, 'job'), '#!/bin/sh -e\necho\n');
      writeFileSync(path.join(dir, 'text'), 'hello\n');
      const sh = inferExecStart('/bin/sh')!;
      expect(sh.maps.some((l) => l.endsWith('[stack]'))).toBe(true);
      expect(inferExecStart(path.join(dir, 'job'))).toEqual(sh);
      expect(inferExecStart(path.join(dir, 'text'))).toBeUndefined();
      expect(inferExecStart('job')).toBeUndefined(); // relative: the traced program's directory
      expect(inferExecStart(path.join(dir, 'missing'))).toBeUndefined();
    });
  });

  it('descriptors carry over the execve, except those marked close-on-exec', () => {
    const log = [...head,
      '6770  openat(AT_FDCWD</tmp>, "/usr/lib/locale/C.utf8/LC_CTYPE", 0x80000) = 3</usr/lib/locale/C.utf8/LC_CTYPE>',
      '6770  openat(AT_FDCWD</tmp>, "/usr/lib/locale/C.utf8/LC_TIME", 0) = 4</usr/lib/locale/C.utf8/LC_TIME>',
      '6770  openat(AT_FDCWD</tmp>, "/usr/lib/locale/C.utf8/LC_NAME", 0) = 5</usr/lib/locale/C.utf8/LC_NAME>',
      '6770  fcntl(5</usr/lib/locale/C.utf8/LC_NAME>, 0x2, 0x1) = 0',
      '6770  fork()                            = 6771',
      '6771  execve("/usr/bin/date", ["date"], 0x7ffe0 /* 20 vars */) = 0',
      '6771  mmap(NULL, 4096, 0x1, 0x2, 3, 0)  = -1 EBADF (Bad file descriptor)',
      '6771  mmap(NULL, 4096, 0x1, 0x2, 4</usr/lib/locale/C.utf8/LC_TIME>, 0) = 0x7ffff7fc1000',
      '6771  mmap(NULL, 4096, 0x1, 0x2, 5, 0)  = -1 EBADF (Bad file descriptor)',
    ].join('\n');
    const r = replayStrace(parseStrace(log), { ...start, execs: new Map([['6771-1', { ...date, argv: ['date'] }]]) });
    expect(r.divergences).toEqual([]);
    expect(r).toMatchObject({ execsFollowed: 1, replayed: 5 });
    // The forked child's own address space went with its old program.
    expect(r.system.tasks()).toHaveLength(2);
    r.system.checkFrames();
  });
});

describe('vmspace replay (the command)', () => {
  it('reports a divergence, counts it in the last line and exits 1', () => {
    const log = read('ls.strace').replace('= 0x7ffff7fc0000', '= 0x7ffff7fb0000');
    const recs = parseStrace(log);
    const r = replayStrace(recs, { startMaps: read('ls.maps').split('\n'), startSmaps: read('ls.smaps') });
    expect(r.divergences).toHaveLength(1);
    expect(r.divergences[0]).toMatchObject({ kernel: '0x7ffff7fb0000', vmspace: '0x7ffff7fc0000' });
  });

  it('the text report and the exit status over a recorded log', () => {
    const rep = replayCommand(new URL('ls.strace', DIR).pathname, {});
    expect(rep.status).toBe(0);
    expect(rep.out.trim().split('\n').pop()).toMatch(/^\d+ syscalls replayed, 0 divergences \(final maps equal the kernel's\)$/);
    const json = JSON.parse(replayCommand(new URL('gcc.strace', DIR).pathname, { json: true }).out);
    expect(json.divergences).toEqual([]);
    expect(json.untracked).toBeGreaterThan(0); // cc1 and as run after execve: not followed
    expect(json.finalMaps.equal).toBe(true);
    expect(replayCommand('/nonexistent.strace', {}).status).toBe(2);
  });
});

describe('the start state inferred from the ELF file', () => {
  const host = hostElf;
  // Only where this machine still has the recorded program, the same file (device and inode).
  for (const p of programs) {
    const maps = read(`${p}.maps`).trim().split('\n');
    const exe = maps[0].slice(73);
    const m = /^\S+ \S+ \S+ (\S+):(\S+) (\d+)/.exec(maps[0])!;
    let same = false;
    try {
      same = existsSync(exe) && host.identity(exe).ino === Number(m[3]);
    } catch {
      same = false;
    }
    it.skipIf(!same)(`${p}: load_elf_binary()'s maps, as the kernel's after execve`, () => {
      expect(inferStart(exe, host).maps).toEqual(maps);
    });
  }
});

describe('a replay written as a scenario', () => {
  it('a file the log never fstat()s is opened with no identity (00:00 0), as the replay shows it', () => {
    const text = replayToScenario(parseStrace(['6770  execve("/usr/bin/ls", ["ls"], 0x7ffe0 /* 20 vars */) = 0',
      '6770  openat(AT_FDCWD</tmp>, "/opt/data.bin", 0x80000) = 3</opt/data.bin>',
      '6770  mmap(NULL, 8192, 0x1, 0x2, 3</opt/data.bin>, 0) = 0x7ffff7fc0000',
    ].join('\n')), lsStart);
    const ops = text.trim().split('\n').slice(1).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(ops[0]).toMatchObject({ op: 'open', path: '/opt/data.bin', flags: 'O_RDONLY|O_CLOEXEC', dev: '00:00', ino: '0x0' });
    const out = runScenarioText(text).trim().split('\n').slice(1).map((l) => JSON.parse(l) as { ret?: string });
    expect(out.map((o) => o.ret)).toEqual(['0x3', '0x7ffff7fc0000']);
  });


  for (const p of ['ls', 'node', 'bash', 'gcc', 'tmux', 'node-workers']) {
    it(`${p}: the runner gives every op the kernel's result it expects`, () => {
      const text = replayToScenario(parseStrace(read(`${p}.strace`)), { startMaps: read(`${p}.maps`).split('\n'), startSmaps: read(`${p}.smaps`) });
      const ops = text.trim().split('\n').slice(1).map((l) => JSON.parse(l) as { op: string; expect?: Record<string, string> });
      const out = runScenarioText(text).trim().split('\n').slice(1).map((l) => JSON.parse(l) as Record<string, string>);
      expect(out).toHaveLength(ops.length);
      const checked = ops.filter((o) => o.expect !== undefined).length;
      expect(checked).toBeGreaterThan(10);
      ops.forEach((o, i) => {
        for (const [k, v] of Object.entries(o.expect ?? {})) expect(out[i][k], `op ${i} ${o.op}`).toBe(v);
      });
    });
  }
});

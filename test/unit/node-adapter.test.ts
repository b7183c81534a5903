/**
 * vmspace/node: a host directory mounted into a simulated system. Every check reads or writes the
 * host file with plain node:fs on the other side: stores through MAP_SHARED mappings reach the
 * disk (msync, exit, munmap, close), pread/pwrite see and make host bytes, SIGBUS past the host
 * file's end, ftruncate/unlink/mkdir/rmdir/O_EXCL act on the host, and maps lines name the host
 * device and inode. Invariants and frame counts are checked after the steps.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type HostMount, devMajor, devMinor, hostErrno, mountHostDirectory } from '../../adapters/node/index.js';
import { Errno, GuestFault, type System, type Task, createSystem, mman as M } from '../../src/index.js';

const PG = 4096;
const b = BigInt;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const RW = M.PROT_READ | M.PROT_WRITE;

let dir: string;
let s: System;
let t: Task;
let host: HostMount;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vmspace-node-'));
  s = createSystem();
  t = s.task(0)!;
  host = mountHostDirectory(s, '/host', dir);
});

afterEach(() => {
  host.close();
  rmSync(dir, { recursive: true, force: true });
});

function check(): void {
  for (const task of s.tasks()) task.checkInvariants();
  s.checkFrames();
  expect(host.errors).toEqual([]);
}

function open(path: string, flags: number, mode = 0o644): number {
  return t.sys.openat(path, b(flags), b(mode));
}

function mapShared(fd: number, pages: number, prot = RW): number {
  const a = t.fast.mmap(0, pages * PG, prot, M.MAP_SHARED, fd, 0);
  expect(a).toBeGreaterThan(0);
  return a;
}

function store(addr: number, text: string): void {
  const u = enc(text);
  for (let i = 0; i < u.length; i++) t.mem.store8(addr + i, u[i]);
}

function fault(fn: () => unknown): GuestFault {
  try {
    fn();
  } catch (e) {
    if (e instanceof GuestFault) return e;
    throw e;
  }
  throw new Error('no fault');
}

describe('vmspace/node: MAP_SHARED stores reach the host file', () => {
  it('(a) stores through task.mem, msync(MS_SYNC): node:fs reads the same bytes', () => {
    const hp = join(dir, 'a.bin');
    writeFileSync(hp, Buffer.alloc(2 * PG, 0x2e));
    const fd = open('/host/a.bin', M.O_RDWR);
    expect(fd).toBeGreaterThanOrEqual(3);
    const a = mapShared(fd, 2);
    expect(t.mem.load8(a)).toBe(0x2e); // read from the host on the page-cache miss
    store(a + 10, 'hello');
    store(a + PG + 4090, 'world!');
    expect(readFileSync(hp)[10]).toBe(0x2e); // not written back yet: it is in the page cache
    expect(t.sys.msync(b(a), b(2 * PG), b(M.MS_SYNC))).toBe(0);
    const data = readFileSync(hp);
    expect(data.length).toBe(2 * PG);
    expect(data.subarray(10, 15).toString()).toBe('hello');
    expect(data.subarray(PG + 4090, PG + 4096).toString()).toBe('world!');
    expect(data[9]).toBe(0x2e);
    // Stores after the write-back fault the page writable again and are written back again.
    store(a + 20, 'again');
    expect(t.sys.msync(b(a), b(PG), b(M.MS_SYNC))).toBe(0);
    expect(readFileSync(hp).subarray(20, 25).toString()).toBe('again');
    check();
  });

  it('(b) exit without msync: nothing lost', () => {
    const hp = join(dir, 'exit.bin');
    writeFileSync(hp, Buffer.alloc(3 * PG));
    const child = t.fork() as Task;
    expect(typeof child).toBe('object');
    const fd = child.sys.openat('/host/exit.bin', b(M.O_RDWR), 0n);
    const a = child.fast.mmap(0, 3 * PG, RW, M.MAP_SHARED, fd, 0);
    expect(a).toBeGreaterThan(0);
    child.mem.store8(a, 0x41);
    child.mem.store8(a + 2 * PG + 7, 0x42);
    child.exit();
    const data = readFileSync(hp);
    expect(data[0]).toBe(0x41);
    expect(data[2 * PG + 7]).toBe(0x42);
    check();
  });

  it('(b) munmap alone (the fd stays open): nothing lost', () => {
    const hp = join(dir, 'unmap.bin');
    writeFileSync(hp, Buffer.alloc(PG));
    const fd = open('/host/unmap.bin', M.O_RDWR);
    const a = mapShared(fd, 1);
    store(a + 100, 'munmap');
    expect(t.fast.munmap(a, PG)).toBe(0);
    expect(readFileSync(hp).subarray(100, 106).toString()).toBe('munmap');
    check();
  });

  it('(b) close the fd first, then munmap: nothing lost', () => {
    const hp = join(dir, 'close.bin');
    writeFileSync(hp, Buffer.alloc(PG));
    const fd = open('/host/close.bin', M.O_RDWR);
    const a = mapShared(fd, 1);
    expect(t.sys.close(b(fd))).toBe(0);
    store(a + 1, 'closed');
    expect(t.fast.munmap(a, PG)).toBe(0);
    expect(readFileSync(hp).subarray(1, 7).toString()).toBe('closed');
    check();
  });

  it('(b) munmap, then close the fd: nothing lost; the host descriptor closes with the last holder', () => {
    const hp = join(dir, 'both.bin');
    writeFileSync(hp, Buffer.alloc(PG));
    const fd = open('/host/both.bin', M.O_RDWR);
    const a = mapShared(fd, 1);
    store(a + 2, 'both');
    expect(t.fast.munmap(a, PG)).toBe(0);
    expect(t.sys.close(b(fd))).toBe(0);
    expect(readFileSync(hp).subarray(2, 6).toString()).toBe('both');
    expect(host.openFds()).toBe(0); // PageBacking.release(): nothing has it open or mapped
    // Reopened by path on the next use.
    const fd2 = open('/host/both.bin', M.O_RDWR);
    expect(t.sys.pwriteBuffer(b(fd2), enc('X'), 0n)).toBe(1);
    expect(readFileSync(hp)[0]).toBe(0x58);
    check();
  });

  it('fsync and sync() write back shared stores too', () => {
    const hp = join(dir, 'sync.bin');
    writeFileSync(hp, Buffer.alloc(2 * PG));
    const fd = open('/host/sync.bin', M.O_RDWR);
    const a = mapShared(fd, 2);
    store(a, 'fsync');
    expect(t.sys.fsync(b(fd))).toBe(0);
    expect(readFileSync(hp).subarray(0, 5).toString()).toBe('fsync');
    store(a + PG, 'sync');
    expect(t.sys.sync()).toBe(0);
    expect(readFileSync(hp).subarray(PG, PG + 4).toString()).toBe('sync');
    check();
  });
});

describe('vmspace/node: pread/pwrite and the host', () => {
  it('(c) pwriteBuffer is on the host at once; preadBuffer sees a file written before open', () => {
    writeFileSync(join(dir, 'pre.txt'), 'written by node:fs');
    const fd = open('/host/pre.txt', M.O_RDWR);
    const dst = new Uint8Array(64);
    const n = t.sys.preadBuffer(b(fd), dst, 0n);
    expect(n).toBe(18);
    expect(Buffer.from(dst.subarray(0, n)).toString()).toBe('written by node:fs');
    expect(t.sys.pwriteBuffer(b(fd), enc('WRITTEN'), 0n)).toBe(7);
    expect(readFileSync(join(dir, 'pre.txt'), 'utf8')).toBe('WRITTEN by node:fs');
    // Past the end and across a page: the host file grows.
    expect(t.sys.pwriteBuffer(b(fd), enc('tail'), b(PG - 2))).toBe(4);
    const data = readFileSync(join(dir, 'pre.txt'));
    expect(data.length).toBe(PG + 2);
    expect(data.subarray(PG - 2).toString()).toBe('tail');
    expect(data[100]).toBe(0);
    const st = t.sys.fstat(b(fd));
    expect(typeof st === 'object' && st.size).toBe(PG + 2);
    check();
  });

  it('(c) a file written by node:fs after an earlier lookup (nothing cached) shows its new size', () => {
    writeFileSync(join(dir, 'late.txt'), 'x');
    const fd = open('/host/late.txt', M.O_RDONLY);
    expect(t.sys.close(b(fd))).toBe(0);
    writeFileSync(join(dir, 'late.txt'), 'longer now');
    const fd2 = open('/host/late.txt', M.O_RDONLY);
    const dst = new Uint8Array(32);
    expect(t.sys.preadBuffer(b(fd2), dst, 0n)).toBe(10);
    expect(Buffer.from(dst.subarray(0, 10)).toString()).toBe('longer now');
    check();
  });

  it('(c) O_CREAT makes the host file with the mode asked; write() and read() with guest buffers', () => {
    const fd = open('/host/new.txt', M.O_RDWR | M.O_CREAT | M.O_EXCL, 0o640);
    expect(fd).toBeGreaterThanOrEqual(3);
    expect(statSync(join(dir, 'new.txt')).mode & 0o777).toBe(0o640);
    const buf = t.fast.mmap(0, PG, RW, M.MAP_PRIVATE | M.MAP_ANONYMOUS, -1, 0);
    store(buf, 'guest bytes');
    expect(t.sys.write(b(fd), b(buf), 11n)).toBe(11);
    expect(readFileSync(join(dir, 'new.txt'), 'utf8')).toBe('guest bytes');
    writeFileSync(join(dir, 'other.txt'), 'from host');
    const fd2 = open('/host/other.txt', M.O_RDONLY);
    expect(t.sys.read(b(fd2), b(buf + 100), 9n)).toBe(9);
    expect(Buffer.from(t.mem.read(buf + 100, 9)).toString()).toBe('from host');
    check();
  });

  it('a mapping and pread/pwrite share one page cache', () => {
    writeFileSync(join(dir, 'mix.bin'), Buffer.alloc(PG, 0x30));
    const fd = open('/host/mix.bin', M.O_RDWR);
    const a = mapShared(fd, 1);
    expect(t.sys.pwriteBuffer(b(fd), enc('pw'), 0n)).toBe(2);
    expect(t.mem.load8(a)).toBe(0x70);
    store(a + 2, 'st');
    const dst = new Uint8Array(4);
    expect(t.sys.preadBuffer(b(fd), dst, 0n)).toBe(4);
    expect(Buffer.from(dst).toString()).toBe('pwst');
    check();
  });
});

describe('vmspace/node: size, SIGBUS and truncation', () => {
  it('(d) a load past the host file\'s end is SIGBUS; ftruncate grows the host file', () => {
    const hp = join(dir, 'short.bin');
    writeFileSync(hp, Buffer.alloc(100, 0x61));
    const fd = open('/host/short.bin', M.O_RDWR);
    const a = mapShared(fd, 2);
    expect(t.mem.load8(a + 99)).toBe(0x61);
    expect(t.mem.load8(a + 100)).toBe(0); // the rest of the last page reads zero
    const f = fault(() => t.mem.load8(a + PG));
    expect(f.signal).toBe('SIGBUS');
    expect(f.code).toBe('BUS_ADRERR');
    expect(t.sys.ftruncate(b(fd), b(2 * PG))).toBe(0);
    expect(statSync(hp).size).toBe(2 * PG);
    expect(t.mem.load8(a + PG)).toBe(0);
    t.mem.store8(a + PG + 1, 0x7a);
    expect(t.sys.msync(b(a), b(2 * PG), b(M.MS_SYNC))).toBe(0);
    expect(readFileSync(hp)[PG + 1]).toBe(0x7a);
    // Shrinking: the host file shrinks, the page goes from the mapping.
    expect(t.sys.ftruncate(b(fd), 50n)).toBe(0);
    expect(statSync(hp).size).toBe(50);
    expect(fault(() => t.mem.load8(a + PG)).signal).toBe('SIGBUS');
    check();
  });

  it('(d) O_TRUNC empties the host file', () => {
    const hp = join(dir, 'trunc.txt');
    writeFileSync(hp, 'something');
    const fd = open('/host/trunc.txt', M.O_RDWR | M.O_TRUNC);
    expect(fd).toBeGreaterThanOrEqual(3);
    expect(statSync(hp).size).toBe(0);
    check();
  });
});

describe('vmspace/node: the namespace acts on the host', () => {
  it('(e) unlink removes the host file; O_CREAT|O_EXCL of a host file is EEXIST', () => {
    writeFileSync(join(dir, 'gone.txt'), 'bye');
    expect(open('/host/gone.txt', M.O_RDWR | M.O_CREAT | M.O_EXCL)).toBe(-Errno.EEXIST);
    expect(t.sys.unlinkat('/host/gone.txt', 0n)).toBe(0);
    expect(existsSync(join(dir, 'gone.txt'))).toBe(false);
    expect(open('/host/gone.txt', M.O_RDONLY)).toBe(-Errno.ENOENT);
    expect(t.sys.unlinkat('/host/gone.txt', 0n)).toBe(-Errno.ENOENT);
    // A new file of the same name is a new inode (the host may hand out the same number).
    const fd = open('/host/gone.txt', M.O_RDWR | M.O_CREAT | M.O_EXCL);
    expect(fd).toBeGreaterThanOrEqual(3);
    expect(t.sys.pwriteBuffer(b(fd), enc('new'), 0n)).toBe(3);
    expect(readFileSync(join(dir, 'gone.txt'), 'utf8')).toBe('new');
    check();
  });

  it('(e) unlink while open and mapped: the data lives on (deleted), the host name is gone', () => {
    const hp = join(dir, 'held.bin');
    writeFileSync(hp, Buffer.alloc(PG, 0x68));
    const fd = open('/host/held.bin', M.O_RDWR);
    const a = mapShared(fd, 1);
    expect(t.sys.unlinkat('/host/held.bin', 0n)).toBe(0);
    expect(existsSync(hp)).toBe(false);
    expect(t.mem.load8(a)).toBe(0x68); // read from the host descriptor after the name went
    store(a, 'x');
    const dst = new Uint8Array(2);
    expect(t.sys.preadBuffer(b(fd), dst, 0n)).toBe(2);
    expect(Buffer.from(dst).toString()).toBe('xh');
    expect(t.proc.maps().some((l) => l.endsWith('/host/held.bin (deleted)'))).toBe(true);
    expect(host.openFds()).toBe(1);
    expect(t.fast.munmap(a, PG)).toBe(0);
    expect(t.sys.close(b(fd))).toBe(0);
    expect(host.openFds()).toBe(0); // the inode died: its host descriptor is closed
    check();
  });

  it('(e) mkdir and rmdir make and remove host directories; errors are the host\'s', () => {
    expect(t.sys.mkdirat('/host/sub', 0o755n)).toBe(0);
    expect(statSync(join(dir, 'sub')).isDirectory()).toBe(true);
    expect(t.sys.mkdirat('/host/sub', 0o755n)).toBe(-Errno.EEXIST);
    const fd = open('/host/sub/f.txt', M.O_RDWR | M.O_CREAT, 0o600);
    expect(fd).toBeGreaterThanOrEqual(3);
    expect(t.sys.pwriteBuffer(b(fd), enc('in sub'), 0n)).toBe(6);
    expect(readFileSync(join(dir, 'sub', 'f.txt'), 'utf8')).toBe('in sub');
    expect(t.sys.unlinkat('/host/sub', b(0x200))).toBe(-Errno.ENOTEMPTY);
    expect(t.sys.unlinkat('/host/sub', 0n)).toBe(-Errno.EISDIR);
    expect(t.sys.close(b(fd))).toBe(0);
    expect(t.sys.unlinkat('/host/sub/f.txt', 0n)).toBe(0);
    expect(t.sys.unlinkat('/host/sub', b(0x200))).toBe(0);
    expect(existsSync(join(dir, 'sub'))).toBe(false);
    expect(t.sys.unlinkat('/host/sub', b(0x200))).toBe(-Errno.ENOENT);
    // Directories made on the host appear; their files are reachable.
    mkdirSync(join(dir, 'd1', 'd2'), { recursive: true });
    writeFileSync(join(dir, 'd1', 'd2', 'deep.txt'), 'deep');
    const fd2 = open('/host/d1/d2/deep.txt', M.O_RDONLY);
    const dst = new Uint8Array(4);
    expect(t.sys.preadBuffer(b(fd2), dst, 0n)).toBe(4);
    expect(Buffer.from(dst).toString()).toBe('deep');
    expect(open('/host/d1/../d1/d2/deep.txt', M.O_RDONLY)).toBeGreaterThanOrEqual(3);
    check();
  });

  it('the same host file is one inode: two opens, a symlink, a hard link', () => {
    writeFileSync(join(dir, 'same.bin'), Buffer.alloc(PG));
    symlinkSync('same.bin', join(dir, 'link.bin'));
    const fd1 = open('/host/same.bin', M.O_RDWR);
    const fd2 = open('/host/same.bin', M.O_RDWR);
    const fd3 = open('/host/link.bin', M.O_RDWR);
    const a1 = mapShared(fd1, 1);
    const a3 = mapShared(fd3, 1);
    store(a1, 'shared');
    expect(Buffer.from(t.mem.read(a3, 6)).toString()).toBe('shared');
    const s1 = t.sys.fstat(b(fd1));
    const s2 = t.sys.fstat(b(fd2));
    const s3 = t.sys.fstat(b(fd3));
    expect(typeof s1 === 'object' && typeof s2 === 'object' && typeof s3 === 'object').toBe(true);
    if (typeof s1 === 'object' && typeof s2 === 'object' && typeof s3 === 'object') {
      expect(s2.ino).toBe(s1.ino);
      expect(s3.ino).toBe(s1.ino);
      expect(s1.ino).toBe(statSync(join(dir, 'same.bin')).ino);
    }
    // Unlinking the symlink leaves the file and its link count alone.
    expect(t.sys.unlinkat('/host/link.bin', 0n)).toBe(0);
    expect(existsSync(join(dir, 'link.bin'))).toBe(false);
    expect(existsSync(join(dir, 'same.bin'))).toBe(true);
    const st = t.sys.fstat(b(fd1));
    expect(typeof st === 'object' && st.nlink).toBe(1);
    expect(t.proc.maps().filter((l) => l.includes('/host/'))).toHaveLength(2);
    expect(t.proc.maps().filter((l) => l.includes('/host/') && l.endsWith('(deleted)'))).toEqual([]);
    // A hard link: the same inode, two links; unlinking one leaves the file alive.
    linkSync(join(dir, 'same.bin'), join(dir, 'hard.bin'));
    const fd4 = open('/host/hard.bin', M.O_RDWR);
    const s4 = t.sys.fstat(b(fd4));
    expect(typeof s4 === 'object' && typeof s1 === 'object' && s4.ino === s1.ino && s4.nlink).toBe(2);
    expect(t.sys.unlinkat('/host/hard.bin', 0n)).toBe(0);
    expect(existsSync(join(dir, 'hard.bin'))).toBe(false);
    const s5 = t.sys.fstat(b(fd4));
    expect(typeof s5 === 'object' && s5.nlink).toBe(1);
    expect(t.proc.maps().filter((l) => l.includes('/host/') && l.endsWith('(deleted)'))).toEqual([]);
    expect(t.sys.pwriteBuffer(b(fd4), enc('via hard'), 0n)).toBe(8);
    expect(readFileSync(join(dir, 'same.bin')).subarray(0, 8).toString()).toBe('via hard');
    check();
  });

  it('many pages of random data: reads, a mapping, random stores and pwrites all agree with the host', () => {
    const hp = join(dir, 'random.bin');
    const size = 300 * 1024 + 123;
    const data = randomBytes(size);
    writeFileSync(hp, data);
    const fd = open('/host/random.bin', M.O_RDWR);
    const got = Buffer.alloc(size);
    for (let off = 0; off < size;) {
      const r = t.sys.preadBuffer(b(fd), got.subarray(off, Math.min(size, off + 7777)), b(off));
      expect(r).toBeGreaterThan(0);
      off += r;
    }
    expect(got.equals(data)).toBe(true);
    const pages = Math.ceil(size / PG);
    const a = mapShared(fd, pages);
    expect(Buffer.from(t.mem.read(a, size)).equals(data)).toBe(true);
    for (let i = 0; i < 2000; i++) {
      const p = randomInt(size);
      const v = randomInt(256);
      t.mem.store8(a + p, v);
      data[p] = v;
    }
    for (let i = 0; i < 50; i++) {
      const p = randomInt(size - 100);
      const v = randomBytes(randomInt(1, 100));
      expect(t.sys.pwriteBuffer(b(fd), v, b(p))).toBe(v.length);
      v.copy(data, p);
    }
    expect(t.sys.msync(b(a), b(pages * PG), b(M.MS_SYNC))).toBe(0);
    expect(readFileSync(hp).equals(data)).toBe(true);
    check();
  });

  // Linux: MADV_REMOVE → vfs_fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE) →
  // ext4_punch_hole(): the range reads zeroes. The core tells the backing (PageBacking.punchHole),
  // which writes zero pages (node:fs has no fallocate).
  it('MADV_REMOVE on a shared mapping of a host file: the range reads zero and the host file loses it', () => {
    const hp = join(dir, 'punch.bin');
    writeFileSync(hp, Buffer.alloc(2 * PG, 0x2e));
    const fd = open('/host/punch.bin', M.O_RDWR);
    const a = mapShared(fd, 2);
    t.mem.store8(a, 0x41);
    expect(t.sys.madvise(b(a), b(PG), b(M.MADV_REMOVE))).toBe(0);
    expect(t.mem.load8(a)).toBe(0);
    expect(t.mem.load8(a + 1)).toBe(0);
    expect(t.mem.load8(a + PG)).toBe(0x2e);
    expect(t.fast.munmap(a, 2 * PG)).toBe(0);
    const data = readFileSync(hp);
    expect(data[1]).toBe(0);
    expect(data[PG]).toBe(0x2e);
    check();
  });

  it('errno mapping: host codes become Linux numbers', () => {
    expect(hostErrno(Object.assign(new Error('x'), { code: 'ENOTEMPTY', errno: -39 }))).toBe(Errno.ENOTEMPTY);
    expect(hostErrno(Object.assign(new Error('x'), { code: 'EACCES' }))).toBe(Errno.EACCES);
    expect(hostErrno(new Error('no code'))).toBe(Errno.EIO);
  });
});

describe('vmspace/node: identity in maps lines', () => {
  it('(f) the maps line shows the host device, the host inode number and the path under the mount', () => {
    const hp = join(dir, 'mapped file.bin');
    writeFileSync(hp, Buffer.alloc(2 * PG));
    const st = statSync(hp, { bigint: true });
    const fd = open('/host/mapped file.bin', M.O_RDONLY);
    const a = t.fast.mmap(0, 2 * PG, M.PROT_READ, M.MAP_SHARED, fd, 1);
    expect(a).toBeGreaterThan(0);
    const hex = (n: number, w: number): string => n.toString(16).padStart(w, '0');
    const dev = `${hex(devMajor(st.dev), 2)}:${hex(devMinor(st.dev), 2)}`;
    const line = t.proc.maps().find((l) => l.startsWith(hex(a, 8)));
    expect(line).toBeDefined();
    expect(line!).toMatch(new RegExp(`^${hex(a, 8)}-${hex(a + 2 * PG, 8)} r--s 00001000 ${dev} ${st.ino} +/host/mapped file\\.bin$`));
    check();
  });

  it('device numbers split as glibc gnu_dev_major/minor do', () => {
    expect(devMajor(0x803n)).toBe(8);
    expect(devMinor(0x803n)).toBe(3);
    // makedev(259, 0x12345): minor bits 8+ go to bits 20+.
    const dev = (259n << 8n) | 0x45n | (0x123n << 20n);
    expect(devMajor(dev)).toBe(259);
    expect(devMinor(dev)).toBe(0x12345);
    // glibc gnu_dev_makedev() with a major and a minor wider than a kernel dev_t holds.
    const makedev = (ma: bigint, mi: bigint): bigint =>
      ((ma & 0xfffn) << 8n) | ((ma & 0xfffff000n) << 32n) | (mi & 0xffn) | ((mi & 0xffffff00n) << 12n);
    for (const [ma, mi] of [[0x12345n, 0x6789an], [0xfffffn, 0xffffffffn], [1n, 0n], [0n, 0x100n]]) {
      expect(devMajor(makedev(ma, mi))).toBe(Number(ma));
      expect(devMinor(makedev(ma, mi))).toBe(Number(mi));
    }
  });
});

describe('vmspace/node: read-only mounts', () => {
  it('create, mkdir, unlink, rmdir are EROFS; opening for writing fails; reading and private mappings work', () => {
    writeFileSync(join(dir, 'ro.txt'), 'read only');
    mkdirSync(join(dir, 'rodir'));
    const ro = mountHostDirectory(s, '/ro', dir, { readOnly: true });
    try {
      expect(open('/ro/new.txt', M.O_RDWR | M.O_CREAT)).toBe(-Errno.EROFS);
      expect(t.sys.mkdirat('/ro/d', 0o755n)).toBe(-Errno.EROFS);
      expect(t.sys.unlinkat('/ro/ro.txt', 0n)).toBe(-Errno.EROFS);
      expect(t.sys.unlinkat('/ro/rodir', b(0x200))).toBe(-Errno.EROFS);
      expect(open('/ro/ro.txt', M.O_RDWR)).toBe(-Errno.EROFS);
      expect(open('/ro/ro.txt', M.O_RDONLY | M.O_TRUNC)).toBe(-Errno.EROFS);
      const fd = open('/ro/ro.txt', M.O_RDONLY);
      expect(fd).toBeGreaterThanOrEqual(3);
      const a = t.fast.mmap(0, PG, RW, M.MAP_PRIVATE, fd, 0);
      expect(a).toBeGreaterThan(0);
      expect(Buffer.from(t.mem.read(a, 9)).toString()).toBe('read only');
      t.mem.store8(a, 0x52); // a private copy
      expect(t.fast.munmap(a, PG)).toBe(0);
      expect(t.sys.close(b(fd))).toBe(0);
      expect(readFileSync(join(dir, 'ro.txt'), 'utf8')).toBe('read only');
      expect(existsSync(join(dir, 'rodir'))).toBe(true);
      expect(ro.errors).toEqual([]);
      check();
    } finally {
      ro.close();
    }
  });

  it('a host file the host refuses to open for writing is read through a read-only descriptor', () => {
    if (process.getuid?.() === 0) return; // root may write anything
    const hp = join(dir, 'locked.txt');
    writeFileSync(hp, 'locked');
    chmodSync(hp, 0o444);
    const fd = open('/host/locked.txt', M.O_RDONLY);
    const dst = new Uint8Array(6);
    expect(t.sys.preadBuffer(b(fd), dst, 0n)).toBe(6);
    expect(Buffer.from(dst).toString()).toBe('locked');
    check();
  });
});

describe('vmspace/node: mounting', () => {
  it('refuses a host path that is not a directory, and a relative mount point', () => {
    writeFileSync(join(dir, 'plain'), '');
    expect(() => mountHostDirectory(s, '/x', join(dir, 'plain'))).toThrow(/not a directory/);
    expect(() => mountHostDirectory(s, '/y', join(dir, 'missing'))).toThrow(/cannot stat/);
    expect(() => mountHostDirectory(s, 'rel', dir)).toThrow(TypeError);
  });

  it('mounts under a nested fixed directory; the root shows the host directory\'s identity', () => {
    const m = mountHostDirectory(s, '/mnt/data/', dir);
    expect(m.mountPath).toBe('/mnt/data');
    expect(m.root.path).toBe('/mnt/data');
    expect(m.root.ino).toBe(statSync(dir).ino);
    writeFileSync(join(dir, 'n.txt'), 'nested');
    const fd = open('/mnt/data/n.txt', M.O_RDONLY);
    expect(fd).toBeGreaterThanOrEqual(3);
    expect(m.hostPathOf(m.root)).toBe(dir);
    m.close();
    check();
  });
});

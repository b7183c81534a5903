/**
 * The file layer through the syscall facade: open's flag and errno rules (each recorded on the
 * reference kernel with the oracle), descriptor tables across dup and fork, read/write offsets,
 * page-cache coherence with mappings, unlink while mapped, buffers in process memory, and the
 * lifetime of an inode's pages. Invariants and frame counts are checked after every test step.
 */
import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/abi/errno.js';
import * as M from '../../src/abi/mman.js';
import { GuestFault } from '../../src/kernel/memory.js';
import { createSystem, type System, type Task } from '../../src/kernel/system.js';

const PG = 4096;
const b = BigInt;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (u: Uint8Array): string => new TextDecoder().decode(u);

function world(): { s: System; t: Task } {
  const s = createSystem();
  return { s, t: s.task(0)! };
}

function check(s: System): void {
  for (const t of s.tasks()) t.checkInvariants();
  s.checkFrames();
}

function open(t: Task, path: string, flags: number, mode = 0o644): number {
  return t.sys.openat(path, b(flags), b(mode));
}

function pread(t: Task, fd: number, n: number, off: number): string | number {
  const dst = new Uint8Array(n);
  const r = t.sys.preadBuffer(b(fd), dst, b(off));
  return r < 0 ? r : dec(dst.subarray(0, r));
}

function mmapFile(t: Task, fd: number, pages: number, prot: number, flags: number, pgoff = 0): number {
  const a = t.fast.mmap(0, pages * PG, prot, flags, fd, pgoff);
  expect(a).toBeGreaterThan(0);
  return a;
}

describe('open (recorded on 6.18 with the oracle: /tmp/p1-p3 probes)', () => {
  it('returns the lowest free descriptor: 3 first (0-2 are open)', () => {
    const { s, t } = world();
    expect(open(t, 'a', M.O_RDWR | M.O_CREAT)).toBe(3);
    expect(open(t, 'b', M.O_RDWR | M.O_CREAT)).toBe(4);
    expect(t.sys.close(3n)).toBe(0);
    expect(open(t, 'a', M.O_RDONLY)).toBe(3);
    check(s);
  });

  it('checks the mode bits of an existing file; a creating open is not checked', () => {
    const { s, t } = world();
    expect(open(t, 'a', M.O_RDWR | M.O_CREAT, 0o444)).toBe(3);
    expect(open(t, 'a', M.O_RDWR)).toBe(-Errno.EACCES);
    expect(open(t, 'a', M.O_RDONLY)).toBe(4);
    expect(open(t, 'a', M.O_WRONLY | M.O_TRUNC)).toBe(-Errno.EACCES);
    check(s);
  });

  it('O_EXCL, O_DIRECTORY, trailing slashes, directories, O_TRUNC with O_RDONLY', () => {
    const { s, t } = world();
    const fd = open(t, 'b', M.O_RDWR | M.O_CREAT);
    expect(t.sys.pwriteBuffer(b(fd), enc('AA'), 0n)).toBe(2);
    expect(open(t, 'b', M.O_RDWR | M.O_CREAT | M.O_EXCL)).toBe(-Errno.EEXIST);
    expect(open(t, 'zz', M.O_RDONLY)).toBe(-Errno.ENOENT);
    expect(open(t, 'b/', M.O_RDONLY)).toBe(-Errno.ENOTDIR);
    expect(open(t, 'b/', M.O_RDWR | M.O_CREAT)).toBe(-Errno.EISDIR);
    expect(open(t, 'x/', M.O_RDWR | M.O_CREAT)).toBe(-Errno.EISDIR);
    expect(open(t, 'b/c', M.O_RDWR | M.O_CREAT)).toBe(-Errno.ENOTDIR);
    expect(open(t, 'c', M.O_RDWR | M.O_CREAT | M.O_DIRECTORY)).toBe(-Errno.EINVAL);
    expect(open(t, 'b', M.O_RDONLY | M.O_DIRECTORY)).toBe(-Errno.ENOTDIR);
    expect(open(t, '.', M.O_RDWR)).toBe(-Errno.EISDIR);
    const dir = open(t, '.', M.O_RDONLY);
    expect(dir).toBeGreaterThan(0);
    expect(pread(t, dir, 16, 0)).toBe(-Errno.EISDIR);
    expect(t.sys.mmap(0n, b(PG), b(M.PROT_READ), b(M.MAP_SHARED), b(dir), 0n)).toBe(-Errno.ENODEV);
    // O_TRUNC truncates even with O_RDONLY (it asks for write permission).
    expect(open(t, 'b', M.O_RDONLY | M.O_TRUNC)).toBeGreaterThan(0);
    expect(pread(t, fd, 4, 0)).toBe('');
    check(s);
  });

  it('O_PATH descriptors do no I/O; access mode 3 opens but neither reads nor writes', () => {
    const { s, t } = world();
    open(t, 'b', M.O_RDWR | M.O_CREAT);
    const p = open(t, 'b', M.O_PATH);
    expect(pread(t, p, 4, 0)).toBe(-Errno.EBADF);
    expect(t.sys.ftruncate(b(p), 4n)).toBe(-Errno.EBADF);
    const three = open(t, 'b', 3);
    expect(three).toBeGreaterThan(0);
    expect(pread(t, three, 4, 0)).toBe(-Errno.EBADF);
    expect(t.sys.pwriteBuffer(b(three), enc('A'), 0n)).toBe(-Errno.EBADF);
    expect(t.sys.ftruncate(b(three), 4n)).toBe(-Errno.EINVAL);
    expect(t.sys.mmap(0n, b(PG), b(M.PROT_READ), b(M.MAP_SHARED), b(three), 0n)).toBe(-Errno.EACCES);
    check(s);
  });

  it('O_TMPFILE needs write access and no O_CREAT; the file is unnamed and deleted', () => {
    const { s, t } = world();
    expect(open(t, 'e', M.O_RDONLY | M.O_CREAT | M.O_EXCL | M.O_TMPFILE)).toBe(-Errno.EINVAL);
    expect(open(t, '.', M.O_RDONLY | M.O_TMPFILE)).toBe(-Errno.EINVAL);
    const fd = open(t, '.', M.O_RDWR | M.O_TMPFILE);
    expect(fd).toBeGreaterThan(0);
    expect(t.sys.ftruncate(b(fd), b(PG))).toBe(0);
    mmapFile(t, fd, 1, M.PROT_READ, M.MAP_SHARED);
    expect(t.proc.maps().some((l) => /\/scratch\/#\d+ \(deleted\)$/.test(l))).toBe(true);
    check(s);
  });

  it('known absolute paths: /dev/zero maps, /dev/null and /proc files do not, unknown paths are ENOENT', () => {
    const { s, t } = world();
    const z = open(t, '/dev/zero', M.O_RDWR);
    expect(t.sys.mmap(0n, b(PG), b(M.PROT_READ), b(M.MAP_PRIVATE), b(z), 0n)).toBeGreaterThan(0);
    const n = open(t, '/dev/null', M.O_RDWR);
    expect(t.sys.mmap(0n, b(PG), b(M.PROT_READ), b(M.MAP_PRIVATE), b(n), 0n)).toBe(-Errno.ENODEV);
    expect(pread(t, n, 8, 0)).toBe('');
    expect(t.sys.pwriteBuffer(b(n), enc('xyz'), 0n)).toBe(3);
    expect(pread(t, z, 3, 0)).toBe('\0\0\0');
    const m = open(t, '/proc/self/maps', M.O_RDONLY);
    expect(t.sys.mmap(0n, b(PG), b(M.PROT_READ), b(M.MAP_PRIVATE), b(m), 0n)).toBe(-Errno.ENODEV);
    expect(open(t, '/proc/self/maps', M.O_RDWR)).toBe(-Errno.EACCES);
    expect(open(t, '/nonexistent', M.O_RDONLY)).toBe(-Errno.ENOENT);
    check(s);
  });

  it('directories: mkdir, files inside, rmdir only when empty, unlink of a directory is EISDIR', () => {
    const { s, t } = world();
    expect(t.sys.mkdirat('d', 0o755n)).toBe(0);
    expect(t.sys.mkdirat('d', 0o755n)).toBe(-Errno.EEXIST);
    const fd = open(t, 'd/f', M.O_RDWR | M.O_CREAT);
    expect(fd).toBeGreaterThan(0);
    expect(t.sys.unlinkat('d', 0n)).toBe(-Errno.EISDIR);
    expect(t.sys.unlinkat('d', 0x200n)).toBe(-Errno.ENOTEMPTY);
    expect(t.sys.unlinkat('d/f', 0n)).toBe(0);
    expect(t.sys.unlinkat('d', 0x200n)).toBe(0);
    expect(open(t, 'd/f', M.O_RDONLY)).toBe(-Errno.ENOENT);
    expect(t.sys.unlinkat('.', 0n)).toBe(-Errno.EISDIR);
    check(s);
  });

  it('misuse a C caller cannot commit is a TypeError', () => {
    const { t } = world();
    expect(() => t.sys.openat(3 as unknown as string, 0n, 0n)).toThrow(TypeError);
    expect(() => t.sys.pread64(3 as unknown as bigint, 0n, 1n, 0n)).toThrow(TypeError);
    expect(() => t.sys.preadBuffer(3n, [1, 2] as unknown as Uint8Array, 0n)).toThrow(TypeError);
    expect(() => t.sys.lseek(3n, -1n, 0n)).toThrow(RangeError);
  });
});

describe('descriptors and offsets', () => {
  it('read/write move the shared offset: dup and fork share it, a second open does not', () => {
    const { s, t } = world();
    const fd = open(t, 'f', M.O_RDWR | M.O_CREAT);
    const buf = t.fast.mmap(0, PG, M.PROT_READ | M.PROT_WRITE, M.MAP_PRIVATE | M.MAP_ANONYMOUS, -1, 0);
    t.mem.write(buf, enc('hello world'));
    expect(t.sys.write(b(fd), b(buf), 5n)).toBe(5);
    expect(t.sys.write(b(fd), b(buf + 5), 6n)).toBe(6);
    expect(t.sys.lseek(b(fd), 0n, 1n)).toBe(11);
    const d = t.sys.dup(b(fd));
    expect(t.sys.lseek(b(d), 0n, 0n)).toBe(0);
    expect(t.sys.lseek(b(fd), 0n, 1n)).toBe(0); // the same description
    const child = t.fork() as Task;
    expect(child.sys.read(b(fd), b(buf + 0x100), 6n)).toBe(6);
    expect(t.sys.lseek(b(fd), 0n, 1n)).toBe(6); // the child's read moved it
    const other = open(t, 'f', M.O_RDONLY);
    expect(t.sys.lseek(b(other), 0n, 1n)).toBe(0);
    expect(dec(child.mem.read(buf + 0x100, 6))).toBe('hello ');
    // The child's close leaves the parent's descriptor open.
    expect(child.sys.close(b(fd))).toBe(0);
    expect(pread(t, fd, 5, 6)).toBe('world');
    child.exit();
    check(s);
  });

  it('lseek: SEEK_END, SEEK_DATA/SEEK_HOLE past the end → ENXIO, negative → EINVAL', () => {
    const { s, t } = world();
    const fd = open(t, 'f', M.O_RDWR | M.O_CREAT);
    t.sys.ftruncate(b(fd), 100n);
    expect(t.sys.lseek(b(fd), 0n, 2n)).toBe(100);
    expect(t.sys.lseek(b(fd), BigInt.asUintN(64, -200n), 2n)).toBe(-Errno.EINVAL);
    expect(t.sys.lseek(b(fd), 100n, 3n)).toBe(-Errno.ENXIO);
    expect(t.sys.lseek(b(fd), 10n, 4n)).toBe(100);
    expect(t.sys.lseek(b(fd), 0n, 9n)).toBe(-Errno.EINVAL);
    check(s);
  });

  it('O_APPEND: write and even pwrite go to the end; ftruncate is allowed', () => {
    const { s, t } = world();
    const fd = open(t, 'a', M.O_RDWR | M.O_CREAT | M.O_APPEND);
    expect(t.sys.ftruncate(b(fd), 0x10n)).toBe(0);
    expect(t.sys.pwriteBuffer(b(fd), enc('A'), 0n)).toBe(1);
    expect(t.sys.fstat(b(fd))).toMatchObject({ size: 0x11 });
    expect(pread(t, fd, 0x20, 0)).toBe('\0'.repeat(16) + 'A');
    check(s);
  });

  it('the descriptor limit is RLIMIT_NOFILE (EMFILE)', () => {
    const { s, t } = world();
    expect(t.sys.prlimit64(b(M.RLIMIT_NOFILE), 6n, 6n)).toBe(0);
    expect(open(t, 'a', M.O_RDWR | M.O_CREAT)).toBe(3);
    expect(open(t, 'a', M.O_RDWR)).toBe(4);
    expect(open(t, 'a', M.O_RDWR)).toBe(5);
    expect(open(t, 'a', M.O_RDWR)).toBe(-Errno.EMFILE);
    expect(t.sys.dup3(3n, 6n, 0n)).toBe(-Errno.EBADF);
    check(s);
  });
});

describe('read/write limits (recorded: s_maxbytes 0xffffffff000)', () => {
  it('EINVAL for negative or overflowing positions, EFBIG at the size limit, a short write below it', () => {
    const { s, t } = world();
    const fd = open(t, 'a', M.O_RDWR | M.O_CREAT);
    expect(t.sys.ftruncate(b(fd), 0xffffffff001n)).toBe(-Errno.EFBIG);
    expect(t.sys.ftruncate(b(fd), 0xffffffff000n)).toBe(0);
    expect(t.sys.ftruncate(b(fd), 0xfffffffefffn)).toBe(0);
    expect(t.sys.pwriteBuffer(b(fd), enc('AAA'), 0xfffffffeffen)).toBe(2);
    expect(pread(t, fd, 16, 0xfffffffeffc)).toBe('\0\0AA');
    expect(t.sys.pwriteBuffer(b(fd), enc('A'), 0x8000000000000000n)).toBe(-Errno.EINVAL);
    expect(t.sys.pwriteBuffer(b(fd), enc('A'), 0xffffffff000n)).toBe(-Errno.EFBIG);
    expect(t.sys.preadBuffer(b(fd), new Uint8Array(0x20), 0x7ffffffffffffff0n)).toBe(-Errno.EINVAL);
    expect(t.sys.preadBuffer(b(fd), new Uint8Array(0), 0x7ffffffffffffff0n)).toBe(0);
    check(s);
  });

  it('the argument checks agree on both sides of 2^53, where they move from numbers to bigints', () => {
    const { s, t } = world();
    const fd = open(t, 'a', M.O_RDWR | M.O_CREAT);
    t.sys.pwriteBuffer(b(fd), enc('ABCD'), 0n);
    const a = t.fast.mmap(0, PG, M.PROT_READ | M.PROT_WRITE, M.MAP_PRIVATE | M.MAP_ANONYMOUS, -1, 0);
    const E = 1n << 53n;
    // past the largest file size: nothing to read, and no overflow
    for (const off of [E - 1n, E, E + 1n, (1n << 62n)]) expect(t.sys.preadBuffer(b(fd), new Uint8Array(16), off)).toBe(0);
    // rw_verify_area(): pos + count past LOFF_MAX is EINVAL, up to it is not
    const LOFF_MAX = (1n << 63n) - 1n;
    expect(t.sys.preadBuffer(b(fd), new Uint8Array(16), LOFF_MAX - 16n)).toBe(0);
    expect(t.sys.preadBuffer(b(fd), new Uint8Array(16), LOFF_MAX - 15n)).toBe(-Errno.EINVAL);
    expect(t.sys.pwriteBuffer(b(fd), enc('x'), LOFF_MAX)).toBe(-Errno.EINVAL);
    expect(t.sys.pwriteBuffer(b(fd), enc('x'), LOFF_MAX + 1n)).toBe(-Errno.EINVAL);
    // access_ok(): the buffer must end at or below TASK_SIZE, whatever the count's size
    const TOP = 0x7ffffffff000n;
    expect(t.sys.pread64(b(fd), TOP - 16n, 16n, 0n)).toBe(4); // the top of [stack]
    expect(t.sys.pread64(b(fd), TOP - 16n, 17n, 0n)).toBe(-Errno.EFAULT);
    expect(t.sys.pread64(b(fd), b(a), E + 1n, 0n)).toBe(-Errno.EFAULT);
    expect(t.sys.pread64(b(fd), (1n << 64n) - 1n, 1n, 0n)).toBe(-Errno.EFAULT);
    expect(t.sys.pread64(b(fd), b(a), TOP - b(a), 0n)).toBe(4); // the whole rest of user space: fine
    expect(t.mem.read(a, 4)).toEqual(enc('ABCD'));
    // the fd is a C unsigned int: the register's upper half is ignored
    expect(t.sys.pread64(b(fd) + (1n << 32n), b(a), 2n, 2n)).toBe(2);
    expect(t.sys.pwriteBuffer(b(fd) + (7n << 40n), enc('Z'), 0n)).toBe(1);
    expect(t.sys.preadBuffer(b(fd) | (1n << 63n), new Uint8Array(1), 0n)).toBe(1);
    check(s);
  });

  it('buffers in process memory: EFAULT when nothing copies, a short count at the first bad page', () => {
    const { s, t } = world();
    const fd = open(t, 'a', M.O_RDWR | M.O_CREAT);
    t.sys.pwriteBuffer(b(fd), new Uint8Array(3 * PG).fill(0x41), 0n);
    const a = t.fast.mmap(0, 4 * PG, M.PROT_READ | M.PROT_WRITE, M.MAP_PRIVATE | M.MAP_ANONYMOUS, -1, 0);
    expect(t.fast.mprotect(a + 2 * PG, PG, M.PROT_READ)).toBe(0);
    expect(t.fast.munmap(a + 3 * PG, PG)).toBe(0);
    expect(t.sys.pread64(b(fd), 0x10000n, 16n, 0n)).toBe(-Errno.EFAULT);
    expect(t.sys.pread64(b(fd), 0x7ffffffff000n, 16n, 0n)).toBe(-Errno.EFAULT); // access_ok
    expect(t.sys.pread64(b(fd), b(a + PG), b(2 * PG), 0n)).toBe(PG); // stops at the read-only page
    expect(t.mem.load8(a + PG)).toBe(0x41);
    expect(t.sys.pwrite64(b(fd), b(a + 2 * PG), b(2 * PG), 0n)).toBe(PG); // reads it fine; then unmapped
    expect(t.sys.pwrite64(b(fd), 0x10000n, 1n, 0n)).toBe(-Errno.EFAULT);
    check(s);
  });

  it.each(['tmpfs', 'ext4'] as const)('a read into process memory (%s): runs of pages that need no fault in one copy, each fault after the bytes before it', (kind) => {
    const { s, t } = world();
    s.fs.scratchKind = kind;
    const fd = open(t, 'r', M.O_RDWR | M.O_CREAT);
    const data = new Uint8Array(8 * PG).map((_, i) => (i * 7 + (i >> 12)) & 255);
    t.sys.pwriteBuffer(b(fd), data, 0n);
    const RW = M.PROT_READ | M.PROT_WRITE;
    const a = t.fast.mmap(0, 8 * PG, RW, M.MAP_PRIVATE | M.MAP_ANONYMOUS, -1, 0);
    // pages 0-2 and 5-7 populated (their frames back to back), 3 and 4 untouched, 6 read-only after
    for (const p of [0, 1, 2, 5, 6, 7]) t.mem.store8(a + p * PG, 1);
    expect(t.sys.pread64(b(fd), b(a + 100), b(8 * PG - 200), 50n)).toBe(8 * PG - 200);
    expect(t.mem.read(a + 100, 8 * PG - 200)).toEqual(data.subarray(50, 50 + 8 * PG - 200));
    expect(t.mem.load8(a + 99)).toBe(0); // before the buffer: untouched
    expect(t.fast.mprotect(a + 6 * PG, PG, M.PROT_READ)).toBe(0);
    expect(t.sys.pread64(b(fd), b(a), b(8 * PG), 1n)).toBe(6 * PG); // stops at the read-only page
    expect(t.mem.read(a, 6 * PG)).toEqual(data.subarray(1, 1 + 6 * PG));
    // The buffer is the file's own page-cache pages, above the source: the copy runs front to
    // back over the whole run (rep movsb), so the first 100 bytes repeat through it.
    const m = mmapFile(t, fd, 4, RW, M.MAP_SHARED);
    for (let p = 0; p < 4; p++) t.mem.store8(m + p * PG, data[p * PG]!); // dirty, so no fault on the way
    expect(t.sys.pread64(b(fd), b(m + 100), b(3 * PG), 0n)).toBe(3 * PG);
    const want = data.slice(0, 4 * PG);
    for (let i = 0; i < 3 * PG; i++) want[100 + i] = want[i]!;
    expect(t.mem.read(m, 4 * PG)).toEqual(want);
    check(s);
  });

  it('a write that copies nothing past EOF still moves the size (ext4), so a retry from the file itself succeeds', () => {
    const { s, t } = world();
    const f1 = open(t, 'f1', M.O_RDWR | M.O_CREAT);
    const g = open(t, 'g', M.O_RDWR | M.O_CREAT);
    const m1 = mmapFile(t, f1, 4, M.PROT_READ, M.MAP_PRIVATE);
    const mg = mmapFile(t, g, 4, M.PROT_READ, M.MAP_PRIVATE);
    expect(t.sys.pwrite64(b(f1), b(mg + PG), b(PG), 0x3a000n)).toBe(-Errno.EFAULT);
    expect(t.sys.fstat(b(f1))).toMatchObject({ size: 0x3a000 });
    expect(t.sys.pwrite64(b(f1), b(m1 + PG), b(PG), 0x3a000n)).toBe(PG);
    check(s);
  });
});

describe('coherence through the page cache (spec §5.3, §5.7)', () => {
  it('write() shows in MAP_SHARED and in untouched MAP_PRIVATE pages; a private copy stops following', () => {
    const { s, t } = world();
    const fd = open(t, 'f', M.O_RDWR | M.O_CREAT);
    t.sys.ftruncate(b(fd), b(2 * PG));
    const sh = mmapFile(t, fd, 2, M.PROT_READ | M.PROT_WRITE, M.MAP_SHARED);
    const pr = mmapFile(t, fd, 2, M.PROT_READ | M.PROT_WRITE, M.MAP_PRIVATE);
    expect(t.mem.load8(pr)).toBe(0); // maps the cache page
    t.sys.pwriteBuffer(b(fd), enc('xy'), 0n);
    expect(dec(t.mem.read(sh, 2))).toBe('xy');
    expect(dec(t.mem.read(pr, 2))).toBe('xy');
    t.mem.store8(pr + PG, 0x51); // a private copy of page 1
    t.sys.pwriteBuffer(b(fd), enc('zz'), b(PG));
    expect(t.mem.load8(pr + PG)).toBe(0x51);
    expect(dec(t.mem.read(sh + PG, 2))).toBe('zz');
    t.mem.write(sh + 10, enc('shared'));
    expect(pread(t, fd, 6, 10)).toBe('shared');
    expect(dec(t.mem.read(pr + 10, 6))).toBe('shared');
    check(s);
  });

  it('shrinking under a mapping: SIGBUS past the new end, the tail of the last page reads zero', () => {
    const { s, t } = world();
    const fd = open(t, 'f', M.O_RDWR | M.O_CREAT);
    t.sys.pwriteBuffer(b(fd), new Uint8Array(2 * PG).fill(0x61), 0n);
    const sh = mmapFile(t, fd, 2, M.PROT_READ, M.MAP_SHARED);
    expect(t.mem.load8(sh + PG)).toBe(0x61);
    t.sys.ftruncate(b(fd), 100n);
    expect(() => t.mem.load8(sh + PG)).toThrow(GuestFault);
    expect(t.mem.load8(sh + 99)).toBe(0x61);
    expect(t.mem.load8(sh + 100)).toBe(0);
    check(s);
  });
});

describe('unlink and inode lifetime', () => {
  it('a mapped unlinked file reads (deleted) and keeps its data; its pages go when the last holder does', () => {
    const { s, t } = world();
    const base = s.mmSystem.frames.inUse;
    const fd = open(t, 'f', M.O_RDWR | M.O_CREAT);
    t.sys.pwriteBuffer(b(fd), new Uint8Array(4 * PG).fill(7), 0n);
    const a = mmapFile(t, fd, 4, M.PROT_READ, M.MAP_SHARED);
    expect(t.sys.unlinkat('f', 0n)).toBe(0);
    expect(t.proc.maps().some((l) => l.endsWith('/scratch/f (deleted)'))).toBe(true);
    expect(t.mem.load8(a + 3 * PG)).toBe(7);
    expect(open(t, 'f', M.O_RDONLY)).toBe(-Errno.ENOENT);
    expect(t.sys.close(b(fd))).toBe(0);
    expect(t.mem.load8(a)).toBe(7);
    check(s);
    expect(t.fast.munmap(a, 4 * PG)).toBe(0);
    expect(s.mmSystem.frames.inUse).toBe(base);
    // ext4 hands the freed inode number to the next file.
    const g = open(t, 'g', M.O_RDWR | M.O_CREAT);
    expect(t.sys.fstat(b(g))).toMatchObject({ ino: 1, size: 0, nlink: 1 });
    check(s);
  });

  it('an unlinked file that is only open dies at the last close; one a child holds lives on', () => {
    const { s, t } = world();
    const base = s.mmSystem.frames.inUse;
    const fd = open(t, 'f', M.O_RDWR | M.O_CREAT);
    t.sys.pwriteBuffer(b(fd), new Uint8Array(PG).fill(1), 0n);
    const child = t.fork() as Task;
    t.sys.unlinkat('f', 0n);
    t.sys.close(b(fd));
    expect(pread(child, fd, 1, 0)).toBe('\x01');
    child.exit();
    expect(s.mmSystem.frames.inUse).toBe(base);
    check(s);
  });
});

describe('memfd_create (mm/memfd.c)', () => {
  it('a shmem file: maps as /memfd:NAME (deleted) on 00:01, counts as RssShmem, dies with its last holder', () => {
    const { s, t } = world();
    const base = s.mmSystem.frames.inUse;
    const shmem0 = t.proc.status().RssShmem;
    const fd = t.sys.memfdCreate('buf', 1n);
    expect(fd).toBe(3);
    expect(t.sys.memfdCreate('x'.repeat(250), 0n)).toBe(-Errno.EINVAL);
    expect(t.sys.memfdCreate('x', 0x100n)).toBe(-Errno.EINVAL);
    expect(t.sys.ftruncate(b(fd), b(2 * PG))).toBe(0);
    expect(t.sys.pwriteBuffer(b(fd), enc('memfd'), 0n)).toBe(5);
    const a = mmapFile(t, fd, 2, M.PROT_READ | M.PROT_WRITE, M.MAP_SHARED);
    expect(dec(t.mem.read(a, 5))).toBe('memfd');
    t.mem.store8(a + PG, 0x7a);
    expect(pread(t, fd, 1, PG)).toBe('z');
    const line = t.proc.maps().find((l) => l.includes('/memfd:buf'))!;
    expect(line).toMatch(/ rw-s 00000000 00:01 \d+ +\/memfd:buf \(deleted\)$/);
    expect(t.proc.status().RssShmem - shmem0).toBe(8);
    expect(t.sys.fstat(b(fd))).toMatchObject({ nlink: 0, size: 2 * PG });
    const child = t.fork() as Task;
    expect(child.mem.load8(a + PG)).toBe(0x7a);
    child.mem.store8(a, 0x4d);
    expect(t.mem.load8(a)).toBe(0x4d);
    child.exit();
    t.sys.close(b(fd));
    check(s);
    t.fast.munmap(a, 2 * PG);
    expect(s.mmSystem.frames.inUse).toBe(base);
    check(s);
  });
});

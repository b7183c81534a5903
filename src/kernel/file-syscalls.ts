/**
 * The file half of the syscall facade: descriptors and I/O. Arguments are raw u64 values (bigint)
 * checked in Linux's order; buffers are process memory (`buf` addresses, copied with the fault
 * rules of copy_to_user/copy_from_user) or, in the *Buffer variants, host Uint8Arrays.
 * Linux: fs/open.c, fs/read_write.c, fs/namei.c, fs/stat.c, fs/sync.c.
 */
import { Errno } from '../abi/errno.js';
import { TASK_SIZE } from '../abi/layout.js';
import * as M from '../abi/mman.js';
import { u64ToNumber } from '../base/u64.js';
import type { FramePool } from '../mem/frames.js';
import { PTE_DIRTY, PTE_PRESENT, PTE_READ, PTE_WRITE, PTE_YOUNG, pteFrame } from '../mem/page-table.js';
import type { AddressSpace } from '../mm/address-space.js';
import { writebackInode } from '../mm/writeback.js';
import type { FdTable } from '../fs/fd-table.js';
import { HostBuffer, type UserBuffer, fileRead, fileWrite, truncateFile } from '../fs/file-io.js';
import { MAX_FILE_SIZE, S_IFMT, S_IFREG, isDir, isReg, newInode } from '../fs/inode.js';
import type { FileSystem } from '../fs/namespace.js';
import { OpenFile, fput } from '../fs/open-file.js';
import { int32, pathArg, u64 } from './args.js';
import { ACCESS_READ, ACCESS_WRITE, type Memory } from './memory.js';
import { guestUserAccess } from './user-access.js';
import type { UserAccess } from '../memmap/chardev.js';

/** What fstat() reports. */
export interface FileStat {
  dev: number;
  ino: number;
  /** st_mode: type and permission bits. */
  mode: number;
  nlink: number;
  size: number;
  blksize: number;
  /** 512-byte blocks: the pages the file has data in. */
  blocks: number;
}

export interface FileContext {
  mm: AddressSpace;
  fds: FdTable;
  fs: FileSystem;
  /** The process's memory (for buffers in process memory). */
  mem(): Memory;
}

/** MAX_RW_COUNT: one read or write moves at most INT_MAX rounded down to a page. */
const MAX_RW_COUNT = 0x7ffff000;
const MAX_RW_COUNT_N = BigInt(MAX_RW_COUNT);
/** The top of the user address space (access_ok()). */
const TASK_SIZE_N = BigInt(TASK_SIZE);
/**
 * Offsets and counts up to 2^53 are exact as numbers, and two of them cannot sum past LOFF_MAX:
 * below it the argument checks run on numbers (a BigInt sum or mask allocates; the syscalls of
 * an emulated program pay that on every call).
 */
const EXACT_N = 1n << 53n;
const NO_BYTES = new Uint8Array(0);
const POLLERR = 0x8;
const POLLHUP = 0x10;
const POLLNVAL = 0x20;
/** DEFAULT_POLLMASK: EPOLLIN | EPOLLOUT | EPOLLRDNORM | EPOLLWRNORM. */
const DEFAULT_POLLMASK = 0x1 | 0x4 | 0x40 | 0x100;
const SEEK_SET = 0;
const SEEK_CUR = 1;
const SEEK_END = 2;
const SEEK_DATA = 3;
const SEEK_HOLE = 4;
const AT_REMOVEDIR = 0x200;
const LOFF_MAX = (1n << 63n) - 1n;
const MFD_CLOEXEC = 1;
const MFD_ALLOW_SEALING = 2;
const MFD_HUGETLB = 4;
const MFD_NOEXEC_SEAL = 8;
const MFD_EXEC = 0x10;
/** NAME_MAX minus the "memfd:" prefix. */
const MFD_NAME_MAX = 249;

export class FileSyscalls {
  /**
   * The copy targets of read and write, one each per process's syscalls and reused (a file read
   * never starts another). Short-lived instances would cost more than their garbage: when a full
   * GC finds none alive, V8 drops their map, and the file path's optimized code, which checks
   * for that map, is deoptimized (the bench's GC between runs did that every run).
   */
  private guestBuf: GuestBuffer | null = null;
  private hostBuf: HostBuffer | null = null;

  constructor(protected readonly ctx: FileContext) {}

  /** The description at a C `unsigned int` fd (the register's upper half ignored). */
  private fd(fd: bigint): OpenFile | undefined {
    return this.ctx.fds.get(fd <= 0xffffffffn ? fd : fd & 0xffffffffn);
  }

  private nofile(): number {
    const cur = this.ctx.mm.rlim[M.RLIMIT_NOFILE][0];
    return cur > 1048576n ? 1048576 : Number(cur);
  }

  /** openat(AT_FDCWD, path, flags, mode). */
  openat(path: string, flags: bigint, mode: bigint): number {
    pathArg(path); u64(flags, 'flags'); u64(mode, 'mode');
    const f = this.ctx.fs.open(path, int32(flags), Number(mode & 0o7777n));
    if (typeof f === 'number') return f;
    const fd = this.ctx.fds.install(f, (int32(flags) & M.O_CLOEXEC) !== 0, this.nofile());
    if (fd < 0) fput(this.ctx.mm.sys, f);
    return fd;
  }

  /** Linux: fs/file.c ksys_dup3(). */
  dup3(oldFd: bigint, newFd: bigint, flags: bigint): number {
    u64(oldFd, 'oldfd'); u64(newFd, 'newfd'); u64(flags, 'flags');
    oldFd &= 0xffffffffn;
    newFd &= 0xffffffffn;
    if ((int32(flags) & ~M.O_CLOEXEC) !== 0) return -Errno.EINVAL;
    if (oldFd === newFd) return -Errno.EINVAL;
    if (newFd >= BigInt(this.nofile())) return -Errno.EBADF;
    const f = this.ctx.fds.get(oldFd);
    if (f === undefined) return -Errno.EBADF;
    this.ctx.fds.installAt(Number(newFd), f, (int32(flags) & M.O_CLOEXEC) !== 0);
    return Number(newFd);
  }

  /** dup(): the lowest free descriptor for the same description. */
  dup(fd: bigint): number {
    u64(fd, 'fd');
    const f = this.fd(fd);
    if (f === undefined) return -Errno.EBADF;
    return this.ctx.fds.install(f, false, this.nofile());
  }

  close(fd: bigint): number {
    u64(fd, 'fd');
    return this.ctx.fds.close(Number(fd & 0xffffffffn) | 0) === 0 ? 0 : -Errno.EBADF;
  }

  /** Linux: fs/open.c do_sys_ftruncate(). */
  ftruncate(fd: bigint, len: bigint): number {
    u64(fd, 'fd'); u64(len, 'len');
    if (len >= 1n << 63n) return -Errno.EINVAL;
    const f = this.fd(fd);
    if (f === undefined || f.path) return -Errno.EBADF;
    if (f.directory || !f.writable || !isReg(f.inode)) return -Errno.EINVAL;
    if (len > BigInt(MAX_FILE_SIZE)) return -Errno.EFBIG;
    truncateFile(this.ctx.mm.sys, f.inode, Number(len));
    return 0;
  }

  read(fd: bigint, buf: bigint, count: bigint): number {
    u64(fd, 'fd'); u64(buf, 'buf'); u64(count, 'count');
    const f = this.fd(fd);
    if (f?.dev != null && f.readable) return this.deviceIo(f, buf, count, false);
    return this.doRead(f, count, null, this.guest(buf, count));
  }

  pread64(fd: bigint, buf: bigint, count: bigint, offset: bigint): number {
    u64(fd, 'fd'); u64(buf, 'buf'); u64(count, 'count'); u64(offset, 'offset');
    const f = this.fd(fd);
    if (offset <= LOFF_MAX && f?.dev?.seekable === false) return -Errno.ESPIPE;
    return this.doRead(f, count, offset, this.guest(buf, count));
  }

  write(fd: bigint, buf: bigint, count: bigint): number {
    u64(fd, 'fd'); u64(buf, 'buf'); u64(count, 'count');
    const f = this.fd(fd);
    if (f?.dev != null && f.writable) return this.deviceIo(f, buf, count, true);
    return this.doWrite(f, count, null, this.guest(buf, count));
  }

  pwrite64(fd: bigint, buf: bigint, count: bigint, offset: bigint): number {
    u64(fd, 'fd'); u64(buf, 'buf'); u64(count, 'count'); u64(offset, 'offset');
    const f = this.fd(fd);
    if (offset <= LOFF_MAX && f?.dev?.seekable === false) return -Errno.ESPIPE;
    return this.doWrite(f, count, offset, this.guest(buf, count));
  }

  /** The driver's process-memory access for this process. */
  protected user(): UserAccess {
    return guestUserAccess(this.ctx.mem(), this.ctx.mm);
  }

  /**
   * vfs_read()/vfs_write() on a device file: no read/write method EINVAL, a buffer outside user
   * space EFAULT, the count clamped to MAX_RW_COUNT, then the driver's method.
   */
  private deviceIo(f: OpenFile, buf: bigint, count: bigint, write: boolean): number {
    const dev = f.dev!;
    const op = write ? dev.write : dev.read;
    if (op === undefined) return -Errno.EINVAL;
    if (!accessOk(buf, count)) return -Errno.EFAULT;
    const n = count > MAX_RW_COUNT_N ? MAX_RW_COUNT : u64ToNumber(count);
    return op.call(dev, this.user(), buf, n, f.nonblock);
  }

  /**
   * ioctl(fd, cmd, arg): EBADF for a bad or O_PATH descriptor, ENOTTY when the file has no ioctl
   * method; the command is an unsigned int (the upper half of the register is ignored).
   * Linux: fs/ioctl.c SYSCALL_DEFINE3(ioctl) → vfs_ioctl().
   */
  ioctl(fd: bigint, cmd: bigint, arg: bigint): number {
    u64(fd, 'fd'); u64(cmd, 'cmd'); u64(arg, 'arg');
    const f = this.fd(fd);
    if (f === undefined || f.path) return -Errno.EBADF;
    const dev = f.dev;
    if (dev === null || dev.ioctl === undefined) return -Errno.ENOTTY;
    return dev.ioctl(this.user(), Number(cmd & 0xffffffffn), arg);
  }

  /**
   * poll(fds, nfds, timeout) over struct pollfd {int fd; short events; short revents}: each
   * entry's revents is the file's ready mask (a device's poll method; other files are always
   * ready for reading and writing), masked by `events` plus POLLERR/POLLHUP/POLLNVAL. With
   * nothing ready and a non-zero timeout the call would sleep: the devices polled let their
   * queued work finish, and the mask is taken again (a sleep with nothing to wake it returns 0,
   * as the timeout would). Linux: fs/select.c do_sys_poll(), do_pollfd().
   */
  poll(fds: bigint, nfds: bigint, timeout: bigint): number {
    u64(fds, 'fds'); u64(nfds, 'nfds'); u64(timeout, 'timeout');
    if (nfds > BigInt(this.nofile())) return -Errno.EINVAL;
    const n = Number(nfds);
    const user = this.user();
    const raw = n === 0 ? new Uint8Array(0) : user.copyFrom(fds, n * 8);
    if (raw === null) return -Errno.EFAULT;
    const d = new DataView(raw.buffer, raw.byteOffset, raw.length);
    const scan = (): number => {
      let ready = 0;
      for (let i = 0; i < n; i++) {
        const fd = d.getInt32(i * 8, true);
        const events = d.getInt16(i * 8 + 4, true) & 0xffff;
        let rev = 0;
        if (fd >= 0) {
          const f = this.ctx.fds.get(BigInt(fd));
          if (f === undefined) rev = POLLNVAL;
          else {
            const mask = f.dev?.poll !== undefined ? f.dev.poll() : DEFAULT_POLLMASK;
            rev = mask & (events | POLLERR | POLLHUP);
          }
        }
        d.setInt16(i * 8 + 6, rev, true);
        if (rev !== 0) ready++;
      }
      return ready;
    };
    let ready = scan();
    if (ready === 0 && BigInt.asIntN(32, timeout) !== 0n) {
      for (let i = 0; i < n; i++) {
        const fd = d.getInt32(i * 8, true);
        if (fd >= 0) this.ctx.fds.get(BigInt(fd))?.dev?.wait?.();
      }
      ready = scan();
    }
    if (!user.copyTo(fds, raw)) return -Errno.EFAULT;
    return ready;
  }

  /** pread64 into a host buffer (`dst.length` bytes). */
  preadBuffer(fd: bigint, dst: Uint8Array, offset: bigint): number {
    u64(fd, 'fd'); u64(offset, 'offset');
    if (!(dst instanceof Uint8Array)) throw new TypeError('dst must be a Uint8Array');
    const hb = (this.hostBuf ??= new HostBuffer());
    hb.buf = dst;
    try {
      return this.doRead(this.fd(fd), BigInt(dst.length), offset, hb);
    } finally {
      hb.buf = NO_BYTES; // not keeping the caller's buffer alive
    }
  }

  /** pwrite64 from a host buffer. */
  pwriteBuffer(fd: bigint, src: Uint8Array, offset: bigint): number {
    u64(fd, 'fd'); u64(offset, 'offset');
    if (!(src instanceof Uint8Array)) throw new TypeError('src must be a Uint8Array');
    const hb = (this.hostBuf ??= new HostBuffer());
    hb.buf = src;
    try {
      return this.doWrite(this.fd(fd), BigInt(src.length), offset, hb);
    } finally {
      hb.buf = NO_BYTES;
    }
  }

  /** Process memory at `buf` as a copy target, or null when [buf, buf+count) fails access_ok(). */
  private guest(buf: bigint, count: bigint): UserBuffer | null {
    if (!accessOk(buf, count)) return null;
    const mem = this.ctx.mem();
    const g = (this.guestBuf ??= new GuestBuffer(mem, this.ctx.mm));
    g.mem = mem;
    g.base = u64ToNumber(buf);
    return g;
  }

  /**
   * ksys_pread64()/ksys_read() → vfs_read(): EINVAL for a negative offset, EBADF, EISDIR for a
   * directory, EFAULT for a buffer outside user space, EINVAL when offset + count overflows.
   */
  private doRead(f: OpenFile | undefined, count: bigint, offset: bigint | null, buf: UserBuffer | null): number {
    if (offset !== null && offset > LOFF_MAX) return -Errno.EINVAL;
    if (f === undefined || f.path) return -Errno.EBADF;
    if (!f.readable) return -Errno.EBADF;
    if (f.directory) return -Errno.EISDIR;
    if (buf === null) return -Errno.EFAULT;
    const pos = rwPos(f, count, offset);
    if (pos < 0) return -Errno.EINVAL;
    const n = count > MAX_RW_COUNT_N ? MAX_RW_COUNT : u64ToNumber(count);
    const r = fileRead(this.ctx.mm.sys, f, pos, n, buf);
    if (offset === null && r > 0) f.pos += r;
    return r;
  }

  /** ksys_pwrite64()/ksys_write() → vfs_write() → generic_write_checks(). */
  private doWrite(f: OpenFile | undefined, count: bigint, offset: bigint | null, buf: UserBuffer | null): number {
    if (offset !== null && offset > LOFF_MAX) return -Errno.EINVAL;
    if (f === undefined || f.path) return -Errno.EBADF;
    if (!f.writable) return -Errno.EBADF;
    if (buf === null) return -Errno.EFAULT;
    const pos0 = rwPos(f, count, offset);
    if (pos0 < 0) return -Errno.EINVAL;
    const n = count > MAX_RW_COUNT_N ? MAX_RW_COUNT : u64ToNumber(count);
    if (n === 0) return 0;
    // IOCB_APPEND: at the end, even for pwrite (a documented Linux bug kept for compatibility).
    const pos = f.append && f.inode.chardev === undefined ? f.inode.size : pos0;
    const r = fileWrite(this.ctx.mm.sys, f, pos, n, buf);
    if (offset === null && r > 0) f.pos = pos + r;
    return r;
  }

  /** Linux: fs/read_write.c vfs_llseek() → generic_file_llseek_size(). */
  lseek(fd: bigint, offset: bigint, whence: bigint): number {
    u64(fd, 'fd'); u64(offset, 'offset'); u64(whence, 'whence');
    const f = this.fd(fd);
    if (f === undefined || f.path) return -Errno.EBADF;
    const w = Number(whence & 0xffffffffn);
    if (w > SEEK_HOLE) return -Errno.EINVAL;
    const off = BigInt.asIntN(64, offset);
    if (f.dev !== null && !f.dev.seekable) return -Errno.ESPIPE; // nonseekable_open()
    if (f.inode.chardev !== undefined) {
      f.pos = 0;
      return 0;
    }
    const size = BigInt(f.inode.size);
    let pos: bigint;
    switch (w) {
      case SEEK_SET: pos = off; break;
      case SEEK_CUR:
        if (off === 0n) return f.pos;
        pos = BigInt(f.pos) + off;
        break;
      case SEEK_END: pos = size + off; break;
      case SEEK_DATA:
        if (off < 0n || off >= size) return -Errno.ENXIO;
        pos = off;
        break;
      default: // SEEK_HOLE
        if (off < 0n || off >= size) return -Errno.ENXIO;
        pos = size;
    }
    const max = isDir(f.inode) ? LOFF_MAX : BigInt(MAX_FILE_SIZE);
    if (pos < 0n || pos > max) return -Errno.EINVAL;
    f.pos = Number(pos);
    return f.pos;
  }

  /** fsync/fdatasync: the file's dirty pages are written back. */
  fsync(fd: bigint): number {
    u64(fd, 'fd');
    const f = this.fd(fd);
    if (f === undefined || f.path) return -Errno.EBADF;
    if (f.inode.fs === 'chardev' || f.inode.fs === 'other') return -Errno.EINVAL; // no fsync method
    if (f.inode.fs === 'ext4') writebackInode(this.ctx.mm.sys, f.inode);
    return 0;
  }

  /** unlinkat(AT_FDCWD, path, flags): AT_REMOVEDIR makes it rmdir. */
  unlinkat(path: string, flags: bigint): number {
    pathArg(path); u64(flags, 'flags');
    const fl = int32(flags);
    if ((fl & ~AT_REMOVEDIR) !== 0) return -Errno.EINVAL;
    return (fl & AT_REMOVEDIR) !== 0 ? this.ctx.fs.rmdir(path) : this.ctx.fs.unlink(path);
  }

  /** mkdirat(AT_FDCWD, path, mode). */
  mkdirat(path: string, mode: bigint): number {
    pathArg(path); u64(mode, 'mode');
    return this.ctx.fs.mkdir(path, Number(mode & 0o7777n));
  }

  /** fstat: the inode's identity and size, or -EBADF. */
  fstat(fd: bigint): FileStat | number {
    u64(fd, 'fd');
    const f = this.fd(fd);
    if (f === undefined) return -Errno.EBADF;
    const i = f.inode;
    return {
      dev: i.major * 256 + i.minor, ino: i.ino, mode: i.mode & (S_IFMT | 0o7777), nlink: i.nlink, size: i.size,
      blksize: 4096, blocks: i.pages.size * 8,
    };
  }

  /**
   * memfd_create(name, flags): an anonymous file on the kernel's internal shmem mount (device
   * 00:01, inode numbers shared with shared anonymous memory), shown as `/memfd:NAME (deleted)`.
   * Linux: mm/memfd.c.
   */
  memfdCreate(name: string, flags: bigint): number {
    if (typeof name !== 'string') throw new TypeError('name must be a string');
    u64(flags, 'flags');
    const fl = Number(flags & 0xffffffffn);
    if ((flags >> 32n) !== 0n || (fl & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC)) !== 0) return -Errno.EINVAL;
    if ((fl & MFD_HUGETLB) !== 0) return -Errno.EINVAL; // no hugetlb pool to back it here
    if ((fl & MFD_EXEC) !== 0 && (fl & MFD_NOEXEC_SEAL) !== 0) return -Errno.EINVAL;
    if (new TextEncoder().encode(name).length > MFD_NAME_MAX) return -Errno.EINVAL;
    const sys = this.ctx.mm.sys;
    const inode = newInode({ major: 0, minor: 1, ino: sys.nextShmemIno++, path: `/memfd:${name}`, fs: 'shmem', mode: S_IFREG | 0o777 });
    inode.nlink = 0;
    inode.deleted = true;
    const f = new OpenFile(sys.newFileId(), inode, true, true, M.O_RDWR, false);
    inode.opens = 1;
    const fd = this.ctx.fds.install(f, (fl & MFD_CLOEXEC) !== 0, this.nofile());
    if (fd < 0) fput(sys, f);
    return fd;
  }

  /** sync(): every dirty page of every file with a backing store is written back. */
  sync(): number {
    const sys = this.ctx.mm.sys;
    for (const inode of this.ctx.fs.backed) writebackInode(sys, inode);
    return 0;
  }
}

/** access_ok(): [buf, buf+count) lies below TASK_SIZE (both are u64s). */
function accessOk(buf: bigint, count: bigint): boolean {
  if (count > TASK_SIZE_N || buf > TASK_SIZE_N) return false;
  return u64ToNumber(buf) + u64ToNumber(count) <= TASK_SIZE; // both below 2^47: the sum is exact
}

/**
 * rw_verify_area()'s overflow check: the file position a read or write starts at (the descriptor's
 * own for read()/write()), or -1 for EINVAL when count or pos + count passes LOFF_MAX (offset is
 * at most LOFF_MAX here).
 */
function rwPos(f: OpenFile, count: bigint, offset: bigint | null): number {
  if (count <= EXACT_N && (offset === null || offset <= EXACT_N)) return offset === null ? f.pos : u64ToNumber(offset);
  const pos = offset ?? BigInt(f.pos);
  if (count > LOFF_MAX || pos + count > LOFF_MAX) return -1;
  return Number(pos);
}

/**
 * Process memory from `base` as a UserBuffer. Reads into it (copy_to_user) fault pages in as a
 * user access would; writes from it copy only from pages mapped readable right now and fault
 * them in as a separate step, as the write path does. One per process's syscalls, reused: an
 * object of three closures per call was 270 bytes of garbage per read or write.
 */
class GuestBuffer implements UserBuffer {
  /** The process's memory, set per syscall (its getter checks that the process is alive). */
  mem: Memory;
  /** The user address of byte 0 of the buffer, set per syscall. */
  base = 0;

  constructor(mem: Memory, private readonly mm: AddressSpace) {
    this.mem = mem;
  }

  copyOut(frames: FramePool, src: number, n: number, at: number): number {
    const mm = this.mm;
    let done = 0;
    while (done < n) {
      const a = this.base + at + done;
      let o = storeReady(mm, a);
      if (o < 0) {
        o = this.mem.translate(a, ACCESS_WRITE);
        if (o < 0) break;
      }
      // One copy for the run of following pages that take the store without a fault and lie
      // back to back in the slab (a buffer populated in order usually does): 16 copyWithin()
      // calls of 4 KiB cost about twice one of 64 KiB. A page that needs a fault ends the run,
      // so every fault still comes after the bytes before it are copied.
      let k = Math.min(n - done, 4096 - (a % 4096));
      while (done + k < n && storeReady(mm, a + k) === o + k) k += Math.min(n - done - k, 4096);
      const u8 = frames.u8; // after the fault: the slab may have grown
      if (src < 0) u8.fill(0, o, o + k);
      else forwardCopy(u8, o, src + done, k);
      done += k;
    }
    return done;
  }

  copyInAtomic(frames: FramePool, dst: number, n: number, at: number): number {
    const mm = this.mm;
    let done = 0;
    while (done < n) {
      const a = this.base + at + done;
      const pte = mm.pt.get(Math.floor(a / 4096));
      if ((pte & (PTE_PRESENT | PTE_READ)) !== (PTE_PRESENT | PTE_READ)) break;
      const o = pteFrame(pte) * 4096 + (a % 4096);
      const k = Math.min(n - done, 4096 - (a % 4096));
      forwardCopy(frames.u8, dst + done, o, k);
      done += k;
    }
    return done;
  }

  faultIn(at: number, n: number): number {
    let done = 0;
    while (done < n) {
      const a = this.base + at + done;
      if (this.mem.translate(a, ACCESS_READ) < 0) break;
      done += Math.min(n - done, 4096 - (a % 4096));
    }
    return done;
  }
}

/**
 * The slab offset of user address `a` (below TASK_SIZE) when a store there needs no fault: its
 * PTE present, writable, accessed and dirty, so the MMU would change nothing (translate() would
 * only fill a TLB slot); else -1.
 */
function storeReady(mm: AddressSpace, a: number): number {
  const pte = mm.pt.get(Math.floor(a / 4096));
  return (pte & STORE_READY) === STORE_READY ? pteFrame(pte) * 4096 + (a % 4096) : -1;
}
const STORE_READY = PTE_PRESENT | PTE_WRITE | PTE_YOUNG | PTE_DIRTY;

/**
 * Copy `n` bytes from `src` to `dst` within one buffer front to back, as x86's `rep movsb` in
 * copy_to_user/copy_from_user does: when the destination overlaps the source from above, the
 * bytes already copied are copied again (recorded: fileio/rw-errno/buf-same-file-mapping).
 */
function forwardCopy(u8: Uint8Array, dst: number, src: number, n: number): void {
  if (dst <= src || dst >= src + n) {
    u8.copyWithin(dst, src, src + n);
    return;
  }
  for (let i = 0; i < n; i++) u8[dst + i] = u8[src + i];
}

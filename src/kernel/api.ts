/**
 * The contract between the kernel facade and its callers (scenario runner, CLI, benchmarks,
 * emulators). Every syscall takes its arguments as the raw u64 values a user program passes
 * (bigint, taken modulo 2^64 by the caller) and returns Linux's raw result as a number: a value
 * >= 0 on success (addresses fit: user space is below 2^47), or -errno on failure.
 */
import type { FileStat } from './file-syscalls.js';

export type { FileStat };

export interface RawSyscalls {
  mmap(addr: bigint, len: bigint, prot: bigint, flags: bigint, fd: bigint, offset: bigint): number;
  /** i386 mmap2: offset in 4096-byte units (compat placement rules). */
  mmap2(addr: bigint, len: bigint, prot: bigint, flags: bigint, fd: bigint, pgoff: bigint): number;
  munmap(addr: bigint, len: bigint): number;
  mprotect(addr: bigint, len: bigint, prot: bigint): number;
  mremap(oldAddr: bigint, oldLen: bigint, newLen: bigint, flags: bigint, newAddr: bigint): number;
  /** The raw brk syscall: returns the new break, or the old one when it refuses. */
  brk(addr: bigint): number;
  madvise(addr: bigint, len: bigint, advice: bigint): number;
  msync(addr: bigint, len: bigint, flags: bigint): number;
  mlock(addr: bigint, len: bigint): number;
  mlock2(addr: bigint, len: bigint, flags: bigint): number;
  munlock(addr: bigint, len: bigint): number;
  mlockall(flags: bigint): number;
  munlockall(): number;
  /** Fills `vec` (one byte per page, caller-sized to ceil(len/4096)). */
  mincore(addr: bigint, len: bigint, vec: Uint8Array): number;
  mseal(addr: bigint, len: bigint, flags: bigint): number;
  /** openat(AT_FDCWD, path, flags, mode): relative paths start in the scratch directory. */
  openat(path: string, flags: bigint, mode: bigint): number;
  dup(fd: bigint): number;
  dup3(oldFd: bigint, newFd: bigint, flags: bigint): number;
  close(fd: bigint): number;
  ftruncate(fd: bigint, len: bigint): number;
  /** read/write/pread64/pwrite64 with `buf` in process memory (faults make short counts or EFAULT). */
  read(fd: bigint, buf: bigint, count: bigint): number;
  write(fd: bigint, buf: bigint, count: bigint): number;
  pread64(fd: bigint, buf: bigint, count: bigint, offset: bigint): number;
  pwrite64(fd: bigint, buf: bigint, count: bigint, offset: bigint): number;
  /** pread64 into / pwrite64 from a host buffer (its length is the count). */
  preadBuffer(fd: bigint, dst: Uint8Array, offset: bigint): number;
  pwriteBuffer(fd: bigint, src: Uint8Array, offset: bigint): number;
  lseek(fd: bigint, offset: bigint, whence: bigint): number;
  /** ioctl(fd, cmd, arg): `arg` as the raw register (an address for most commands, or a value). */
  ioctl(fd: bigint, cmd: bigint, arg: bigint): number;
  /** poll(fds, nfds, timeout) with `fds` an array of struct pollfd (8 bytes each) in process memory. */
  poll(fds: bigint, nfds: bigint, timeout: bigint): number;
  fsync(fd: bigint): number;
  /** unlinkat(AT_FDCWD, path, flags); AT_REMOVEDIR (0x200) removes a directory. */
  unlinkat(path: string, flags: bigint): number;
  mkdirat(path: string, mode: bigint): number;
  fstat(fd: bigint): FileStat | number;
  /** memfd_create(name, flags): an fd on a new shmem file (`/memfd:NAME (deleted)`). */
  memfdCreate(name: string, flags: bigint): number;
  /** sync(): dirty pages of files with a backing store are written to it. */
  sync(): number;
  prlimit64(resource: bigint, cur: bigint, max: bigint): number;
  /** prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, addr, len, name). */
  setVmaAnonName(addr: bigint, len: bigint, name: string | null): number;
}

/** One smaps entry: the maps line, numeric fields in kB, and text fields. */
export interface SmapsEntry {
  line: string;
  fields: Record<string, number | string>;
}

export interface ProcView {
  /** /proc/<pid>/maps lines, without newlines, `[vsyscall]` last. */
  maps(): string[];
  smaps(): SmapsEntry[];
  smapsRollup(): Record<string, number | string>;
  /** The Vm* and Rss* lines of /proc/<pid>/status, in kB, in the kernel's order. */
  status(): Record<string, number>;
}

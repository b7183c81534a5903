/**
 * The contract between the kernel facade and its callers (scenario runner, CLI, benchmarks,
 * emulators). Every syscall takes its arguments as the raw u64 values a user program passes
 * (bigint, taken modulo 2^64 by the caller) and returns Linux's raw result as a number: a value
 * >= 0 on success (addresses fit: user space is below 2^47), or -errno on failure.
 */
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
  openat(path: string, flags: bigint, mode: bigint): number;
  dup3(oldFd: bigint, newFd: bigint, flags: bigint): number;
  close(fd: bigint): number;
  ftruncate(fd: bigint, len: bigint): number;
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

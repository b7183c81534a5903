/**
 * The syscall facade: the only layer that sees raw u64 arguments. Each call runs Linux's
 * argument checks in Linux's order with bigint arithmetic (so wrap-around at 2^64 is exact),
 * then hands page-aligned `number`s to the mm layer. Results are raw: >= 0 or -errno.
 *
 * Misuse that no C caller could commit (a non-bigint, a negative value, one above 2^64 - 1) is a
 * TypeError / RangeError thrown before any state changes.
 */
import { Errno } from '../abi/errno.js';
import { u64ToNumber } from '../base/u64.js';
import { IA32_PAGE_OFFSET, PMD_SIZE, RLIM_INFINITY, TASK_SIZE } from '../abi/layout.js';
import * as M from '../abi/mman.js';
import type { AddressSpace } from '../mm/address-space.js';
import { doBrk } from '../mm/brk.js';
import { doMadvise, isValidAdvice } from '../mm/madvise.js';
import { doMincore } from '../mm/mincore.js';
import { doMlock, doMlockall, doMunlock, doMunlockall } from '../mm/mlock.js';
import { doMmap } from '../mm/mmap.js';
import { doMprotect } from '../mm/mprotect.js';
import { doMremap } from '../mm/mremap.js';
import { doMseal } from '../mm/mseal.js';
import { doMsync } from '../mm/msync.js';
import { doMunmap } from '../mm/munmap.js';
import { modifyRange } from '../mm/vma-merge.js';
import { VM_LOCKED, VM_LOCKONFAULT, type MmFile } from '../mm/vma.js';
import type { RawSyscalls } from './api.js';
import { MASK64, int32, u64 } from './args.js';
import { type FileContext, FileSyscalls } from './file-syscalls.js';

const PAGE_MASK_N = ~0xfffn & MASK64;
const TASK_SIZE_N = BigInt(TASK_SIZE);
/** Stand-in for any address beyond 2^53: above every user address, exact, and page aligned. */
const FAR = 2 ** 60;

const EINVAL = -Errno.EINVAL;
const ENOMEM = -Errno.ENOMEM;

/**
 * PAGE_ALIGN() of a u64, wrapping at 2^64 as C's does. (BigInt.asUintN(64, ...) around bigint
 * arithmetic lets V8 compile it to 64-bit integer instructions instead of allocating bigints:
 * 5 ns instead of 16 here.)
 */
function pageAlign(v: bigint): bigint {
  return BigInt.asUintN(64, BigInt.asUintN(64, v + 0xfffn) & PAGE_MASK_N);
}

/** A u64 as a number: exact below 2^53, else FAR (beyond every user address). */
function num(v: bigint): number {
  return v <= 0x1fffffffffffffn ? u64ToNumber(v) : FAR;
}

/**
 * [addr, addr+len) as numbers for the mm layer: exact in the user range; a start beyond it maps
 * to [2^60, 2^61), an end beyond 2^53 to 2^60 — the order against every VMA is kept.
 */
function span(addr: bigint, end: bigint): [number, number] {
  if (addr > TASK_SIZE_N) return [FAR, FAR * 2];
  return [u64ToNumber(addr), num(end)];
}

/**
 * mmap flags as a number: the low 32 bits, with any bit above them folded into 0x2000000, an
 * unused bit that no mask accepts, so "unknown bits present" survives.
 */
function mapFlags(v: bigint): number {
  let f = u64ToNumber(v & 0xffffffffn);
  if ((v >> 32n) !== 0n) f = (f | 0x2000000) >>> 0;
  return f;
}

export type SyscallContext = FileContext;

export class Syscalls extends FileSyscalls implements RawSyscalls {

  private get mm(): AddressSpace {
    return this.ctx.mm;
  }

  mmap(addr: bigint, len: bigint, prot: bigint, flags: bigint, fd: bigint, offset: bigint): number {
    u64(addr, 'addr'); u64(len, 'len'); u64(prot, 'prot'); u64(flags, 'flags'); u64(fd, 'fd'); u64(offset, 'offset');
    // arch/x86/kernel/sys_x86_64.c: the byte offset must be page aligned, before anything else.
    if ((offset & 0xfffn) !== 0n) return EINVAL;
    return this.mmapPgoff(addr, len, prot, flags, fd, offset >> 12n, false);
  }

  mmap2(addr: bigint, len: bigint, prot: bigint, flags: bigint, fd: bigint, pgoff: bigint): number {
    u64(addr, 'addr'); u64(len, 'len'); u64(prot, 'prot'); u64(flags, 'flags'); u64(fd, 'fd'); u64(pgoff, 'pgoff');
    // A compat call: 32-bit arguments, the 32-bit task size and mmap_compat_base.
    const mm = this.mm;
    const saved = [mm.taskSize, mm.mmapBase, mm.mmapLegacyBase] as const;
    mm.taskSize = IA32_PAGE_OFFSET;
    mm.mmapBase = compatMmapBase(mm);
    mm.mmapLegacyBase = IA32_PAGE_OFFSET / 3 - ((IA32_PAGE_OFFSET / 3) % 4096) + 4096;
    try {
      return this.mmapPgoff(addr & 0xffffffffn, len & 0xffffffffn, prot & 0xffffffffn, flags & 0xffffffffn,
        BigInt.asUintN(64, BigInt(int32(fd))), pgoff & 0xffffffffn, true);
    } finally {
      [mm.taskSize, mm.mmapBase, mm.mmapLegacyBase] = saved;
    }
  }

  /** Linux: mm/mmap.c ksys_mmap_pgoff(), then do_mmap(). */
  private mmapPgoff(addr: bigint, len: bigint, prot: bigint, flags: bigint, fd: bigint, pgoff: bigint, compat: boolean): number {
    const f = mapFlags(flags);
    let file: MmFile | null = null;
    if ((f & M.MAP_ANONYMOUS) === 0) {
      const of = this.ctx.fds.get(BigInt.asIntN(32, fd) < 0n ? -1n : fd & 0xffffffffn);
      if (of === undefined || of.path) return -Errno.EBADF;
      file = of;
      if (of.inode.fs === 'hugetlbfs') len = (len + BigInt(PMD_SIZE - 1)) & ~BigInt(PMD_SIZE - 1) & MASK64;
      else if ((f & M.MAP_HUGETLB) !== 0) return EINVAL;
    } else if ((f & M.MAP_HUGETLB) !== 0) {
      const code = Math.floor(f / 2 ** M.MAP_HUGE_SHIFT) & M.MAP_HUGE_MASK;
      let size: bigint;
      // Only the 2 MiB hstate exists on the reference machine (MAP_HUGE_1GB is EINVAL there).
      if (code === 0 || code === 21) size = 0x200000n;
      else return EINVAL;
      len = (len + size - 1n) & ~(size - 1n) & MASK64;
      file = hugetlbAnonFile(this.ctx.mm);
    }
    if (len === 0n) return EINVAL;
    const L = pageAlign(len);
    const taskSize = BigInt(this.mm.taskSize);
    const lenN = L === 0n || L > taskSize ? Infinity : u64ToNumber(L);
    // A MAP_FIXED address within 4095 of 2^64 comes back from placement unchanged and is then
    // taken for an error code (IS_ERR_VALUE) by __get_unmapped_area().
    const fixed = (f & (M.MAP_FIXED | M.MAP_FIXED_NOREPLACE)) !== 0;
    const fixedErr = fixed && addr > MASK64 - 4095n ? -Number(MASK64 + 1n - addr) : 0;
    // An address beyond 2^53 keeps its low 21 bits (above every user address, exact as a
    // number): hugetlb_get_unmapped_area() refuses a MAP_FIXED address off a 2 MiB boundary
    // with EINVAL before any range check (fuzz seed 860342).
    const a = addr <= 0x1fffffffffffffn ? u64ToNumber(addr) : 2 ** 52 + Number(addr & 0x1fffffn);
    return doMmap(this.mm, {
      file, addr: a, len: lenN, prot: u64ToNumber(prot & 0xffffffffn), flags: f,
      pgoff: u64ToNumber(pgoff), compat, fixedErr,
    });
  }

  /** Linux: mm/vma.c do_vmi_munmap(). */
  munmap(addr: bigint, len: bigint): number {
    u64(addr, 'addr'); u64(len, 'len');
    if ((addr & 0xfffn) !== 0n || addr > TASK_SIZE_N || len > TASK_SIZE_N - addr) return EINVAL;
    const end = addr + pageAlign(len);
    if (end === addr) return EINVAL;
    return doMunmap(this.mm, u64ToNumber(addr), u64ToNumber(end));
  }

  /** Linux: mm/mprotect.c do_mprotect_pkey(), argument part. */
  mprotect(addr: bigint, len: bigint, prot: bigint): number {
    u64(addr, 'addr'); u64(len, 'len'); u64(prot, 'prot');
    const grows = prot & BigInt(M.PROT_GROWSDOWN | M.PROT_GROWSUP);
    if (grows === BigInt(M.PROT_GROWSDOWN | M.PROT_GROWSUP)) return EINVAL;
    if ((addr & 0xfffn) !== 0n) return EINVAL;
    if (len === 0n) return 0;
    const end = BigInt.asUintN(64, addr + pageAlign(len));
    if (end <= addr) return ENOMEM;
    const p = prot & ~grows;
    if ((p & ~BigInt(M.PROT_READ | M.PROT_WRITE | M.PROT_EXEC | M.PROT_SEM)) !== 0n) return EINVAL;
    return doMprotect(this.mm, ...span(addr, end), u64ToNumber(p | grows));
  }

  /** Linux: mm/mremap.c check_mremap_params(). */
  mremap(oldAddr: bigint, oldLen: bigint, newLen: bigint, flags: bigint, newAddr: bigint): number {
    u64(oldAddr, 'old_addr'); u64(oldLen, 'old_len'); u64(newLen, 'new_len'); u64(flags, 'flags'); u64(newAddr, 'new_addr');
    if ((flags & ~BigInt(M.MREMAP_FIXED | M.MREMAP_MAYMOVE | M.MREMAP_DONTUNMAP)) !== 0n) return EINVAL;
    if ((oldAddr & 0xfffn) !== 0n) return EINVAL;
    const oldL = pageAlign(oldLen);
    const newL = pageAlign(newLen);
    if (newL === 0n) return EINVAL;
    if (newL > TASK_SIZE_N) return EINVAL;
    const f = u64ToNumber(flags);
    if ((f & (M.MREMAP_FIXED | M.MREMAP_DONTUNMAP)) !== 0) {
      if (newAddr > TASK_SIZE_N - newL) return EINVAL;
      if ((newAddr & 0xfffn) !== 0n) return EINVAL;
      if ((f & M.MREMAP_MAYMOVE) === 0) return EINVAL;
      if ((f & M.MREMAP_DONTUNMAP) !== 0 && oldL !== newL) return EINVAL;
      if (oldAddr < newAddr + newL && newAddr < oldAddr + oldL) return EINVAL;
      if (this.mm.mapCount + 2 >= this.mm.sys.sysctl.maxMapCount - 3) return ENOMEM;
    }
    return doMremap(this.mm, num(oldAddr), num(oldL), u64ToNumber(newL), f, num(newAddr));
  }

  brk(addr: bigint): number {
    u64(addr, 'brk');
    return doBrk(this.mm, num(addr));
  }

  /** Linux: mm/madvise.c is_valid_madvise(). */
  madvise(addr: bigint, len: bigint, advice: bigint): number {
    u64(addr, 'addr'); u64(len, 'len'); u64(advice, 'advice');
    const b = int32(advice);
    if (!isValidAdvice(b)) return EINVAL;
    if ((addr & 0xfffn) !== 0n) return EINVAL;
    const L = pageAlign(len);
    if (len !== 0n && L === 0n) return EINVAL;
    if (addr + L > MASK64) return EINVAL;
    if (L === 0n) return 0;
    return doMadvise(this.mm, ...span(addr, addr + L), b);
  }

  /** Linux: mm/msync.c. */
  msync(addr: bigint, len: bigint, flags: bigint): number {
    u64(addr, 'addr'); u64(len, 'len'); u64(flags, 'flags');
    const f = int32(flags);
    if ((f & ~(M.MS_ASYNC | M.MS_INVALIDATE | M.MS_SYNC)) !== 0) return EINVAL;
    if ((addr & 0xfffn) !== 0n) return EINVAL;
    if ((f & M.MS_ASYNC) !== 0 && (f & M.MS_SYNC) !== 0) return EINVAL;
    const L = pageAlign(len);
    const end = BigInt.asUintN(64, addr + L);
    if (end < addr) return ENOMEM;
    if (end === addr) return 0;
    return doMsync(this.mm, ...span(addr, end), f);
  }

  mlock(addr: bigint, len: bigint): number {
    u64(addr, 'addr'); u64(len, 'len');
    return this.doMlock(addr, len, VM_LOCKED);
  }

  mlock2(addr: bigint, len: bigint, flags: bigint): number {
    u64(addr, 'addr'); u64(len, 'len'); u64(flags, 'flags');
    const f = int32(flags);
    if ((f & ~M.MLOCK_ONFAULT) !== 0) return EINVAL;
    return this.doMlock(addr, len, VM_LOCKED | ((f & M.MLOCK_ONFAULT) !== 0 ? VM_LOCKONFAULT : 0));
  }

  /**
   * mlock rounds: start down, len + the start's page offset up (Linux: do_mlock()). Returns the
   * start, the rounded length, and whether start + length wraps past 2^64 (EINVAL, found only
   * after the RLIMIT_MEMLOCK check, in apply_vma_lock_flags()).
   */
  private lockRange(addr: bigint, len: bigint): [number, number, boolean] {
    const L = pageAlign((len + (addr & 0xfffn)) & MASK64);
    const start = addr & PAGE_MASK_N;
    return [num(start), num(L), start + L > MASK64];
  }

  private doMlock(addr: bigint, len: bigint, vmFlags: number): number {
    const [start, L, wraps] = this.lockRange(addr, len);
    return doMlock(this.mm, start, L, vmFlags, wraps);
  }

  munlock(addr: bigint, len: bigint): number {
    u64(addr, 'addr'); u64(len, 'len');
    const [start, L, wraps] = this.lockRange(addr, len);
    return doMunlock(this.mm, start, L, wraps);
  }

  mlockall(flags: bigint): number {
    u64(flags, 'flags');
    return doMlockall(this.mm, int32(flags));
  }

  munlockall(): number {
    return doMunlockall(this.mm);
  }

  /** Linux: mm/mincore.c. */
  mincore(addr: bigint, len: bigint, vec: Uint8Array): number {
    u64(addr, 'addr'); u64(len, 'len');
    if (!(vec instanceof Uint8Array)) throw new TypeError('vec must be a Uint8Array');
    if ((addr & 0xfffn) !== 0n) return EINVAL;
    if (len > TASK_SIZE_N || addr > TASK_SIZE_N - len) return ENOMEM;
    const pages = Number((len + 0xfffn) >> 12n);
    if (vec.length < pages) return -Errno.EFAULT;
    if (pages === 0) return 0;
    return doMincore(this.mm, Number(addr), Number(len), vec);
  }

  /** Linux: mm/mseal.c do_mseal(). */
  mseal(addr: bigint, len: bigint, flags: bigint): number {
    u64(addr, 'addr'); u64(len, 'len'); u64(flags, 'flags');
    if (flags !== 0n) return EINVAL;
    if ((addr & 0xfffn) !== 0n) return EINVAL;
    const L = pageAlign(len);
    if (len !== 0n && L === 0n) return EINVAL;
    if (addr + L > MASK64) return EINVAL;
    if (L === 0n) return 0;
    return doMseal(this.mm, ...span(addr, addr + L));
  }

  /** Linux: kernel/sys.c do_prlimit() for the calling process. */
  prlimit64(resource: bigint, cur: bigint, max: bigint): number {
    u64(resource, 'resource'); u64(cur, 'cur'); u64(max, 'max');
    const r = Number(BigInt.asUintN(32, resource));
    if (r >= M.RLIM_NLIMITS) return EINVAL;
    if (cur > max) return EINVAL;
    if (r === M.RLIMIT_NOFILE && max > 1048576n) return -Errno.EPERM;
    const old = this.mm.rlim[r];
    if (max > old[1] && !this.mm.creds.capSysResource) return -Errno.EPERM;
    this.mm.rlim[r] = [cur, max];
    return 0;
  }

  /** prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, ...): needs CONFIG_ANON_VMA_NAME. */
  setVmaAnonName(addr: bigint, len: bigint, name: string | null): number {
    u64(addr, 'addr'); u64(len, 'len');
    if (name !== null && typeof name !== 'string') throw new TypeError('name must be a string or null');
    if (!this.mm.sys.sysctl.anonVmaName) return EINVAL;
    if ((addr & 0xfffn) !== 0n) return EINVAL;
    if (name !== null && (name.length > 80 || /[\\`$[\]]|[^\x20-\x7e]/.test(name))) return EINVAL;
    const L = pageAlign(len);
    if (len !== 0n && L === 0n) return EINVAL;
    if (addr + L > MASK64) return EINVAL;
    if (L === 0n) return 0;
    const start = Number(addr);
    const end = num(addr + L);
    const mm = this.mm;
    let s = start;
    let err = 0;
    let v = mm.tree.findNext(s);
    while (s < end) {
      if (v === undefined) return ENOMEM;
      if (s < v.start) { err = ENOMEM; s = v.start; if (s >= end) break; }
      if (v.file !== null) return -Errno.EBADF;
      const e = Math.min(end, v.end);
      const r = v.anonName === (name === '' ? null : name) ? v
        : modifyRange(mm, v, s, e, { flags: v.flags, flagsHi: v.flagsHi, anonName: name === '' ? null : name });
      if (typeof r === 'number') return r;
      s = Math.max(e, r.end);
      v = mm.tree.findNext(s);
    }
    return err;
  }
}

/** The hidden hugetlbfs file behind MAP_HUGETLB|MAP_ANONYMOUS (hugetlb_file_setup()). */
function hugetlbAnonFile(mm: AddressSpace): MmFile {
  return {
    id: mm.sys.newFileId(),
    inode: { major: 0, minor: 0x10, ino: 0, path: '/anon_hugepage', deleted: true, fs: 'hugetlbfs', size: 0, cached: new Set(), pages: new Map() },
    readable: true, writable: true, append: false, mmapable: true, refusesSync: false, fopMmapSync: false,
  };
}

/** mmap_compat_base with randomization off (arch/x86/mm/mmap.c mmap_base() for 32-bit). */
function compatMmapBase(mm: AddressSpace): number {
  const stackCur = mm.rlim[M.RLIMIT_STACK][0];
  let gap = stackCur === RLIM_INFINITY ? Number.MAX_SAFE_INTEGER : Number(stackCur) + mm.stackGuardGap;
  const lo = 128 * 1024 * 1024;
  const hi = Math.floor(IA32_PAGE_OFFSET / 6) * 5;
  gap = Math.min(Math.max(gap, lo), hi);
  const b = IA32_PAGE_OFFSET - gap;
  return b % 4096 === 0 ? b : b - (b % 4096) + 4096;
}

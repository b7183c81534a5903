/**
 * A number-argument twin of the syscall facade (syscalls.ts) for the VMA calls, for callers that
 * hold guest addresses as JS numbers (emulators, benchmarks): no BigInt on the common paths.
 *
 * Every argument is the raw u64 value as a number and must be a non-negative safe integer
 * (< 2^53); `fd` may also be a negative safe integer (two's complement: -1 is the u64 a C caller
 * passes for "no file"). Within that domain each method returns exactly what the facade returns
 * for the same u64 values: the same checks in the same order, then the same src/mm call:
 *
 *   fast.mmap(addr, len, prot, flags, fd, pgoff)  ==  sys.mmap(addr, len, prot, flags, fd, pgoff * 4096)
 *   fast.munmap / mprotect / mremap / brk         ==  sys.munmap / mprotect / mremap / brk
 *
 * (`pgoff` is in pages, so it must also be below 2^52: the byte offset is a u64.) Two facts make
 * number arithmetic exact here: sums of two values below 2^53 that are multiples of 4096 are
 * below 2^54 and multiples of 4096, hence exact doubles; and nothing below 2^54 wraps at 2^64,
 * so the facade's wrap-around branches cannot trigger. File-backed and MAP_HUGETLB mappings are
 * handed to the facade itself (they need the fd table and the hugetlb file; rare and not hot).
 * A value outside the domain is a TypeError / RangeError thrown before any state changes.
 *
 * Keep it in step with syscalls.ts: `node bench/fast-equiv.mjs` runs both on random calls in
 * lockstep and compares every result and the maps.
 */
import { Errno } from '../abi/errno.js';
import { TASK_SIZE } from '../abi/layout.js';
import * as M from '../abi/mman.js';
import { pageUp } from '../base/pages.js';
import type { AddressSpace } from '../mm/address-space.js';
import { doBrk } from '../mm/brk.js';
import { doMmap } from '../mm/mmap.js';
import { doMprotect } from '../mm/mprotect.js';
import { doMremap } from '../mm/mremap.js';
import { doMunmap } from '../mm/munmap.js';
import { type SyscallContext, Syscalls } from './syscalls.js';

const EINVAL = -Errno.EINVAL;
const ENOMEM = -Errno.ENOMEM;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** The facade's stand-in for any address beyond 2^53 (syscalls.ts FAR). */
const FAR = 2 ** 60;
const TWO32 = 2 ** 32;
const PROT_GROWS = M.PROT_GROWSDOWN | M.PROT_GROWSUP;
const PROT_VALID = M.PROT_READ | M.PROT_WRITE | M.PROT_EXEC | M.PROT_SEM;
const MREMAP_VALID = M.MREMAP_FIXED | M.MREMAP_MAYMOVE | M.MREMAP_DONTUNMAP;
// PAGE_ALIGN(v) for v < 2^53 is pageUp(v): exact (at most 2^53), and it never wraps.
// `v & 4095` is the page offset of any safe integer (ToInt32 keeps its low 32 bits); `v % 4096`
// of a value above 2^31 is a float modulus, a C call.

/** Throws unless v is a non-negative safe integer (`signed`: any safe integer). */
function check(v: number, what: string, signed = false): void {
  if (Number.isSafeInteger(v) && (signed || v >= 0)) return;
  if (typeof v !== 'number') throw new TypeError(`${what} must be a number, got ${typeof v}`);
  throw new RangeError(`${what} must be ${signed ? 'a safe integer' : 'an integer in [0, 2^53)'}: ${v}`);
}

/** syscalls.ts num(): exact below 2^53, else FAR. */
function num(v: number): number {
  return v <= MAX_SAFE ? v : FAR;
}

export class FastSyscalls {
  private readonly facade: Syscalls;

  constructor(private readonly ctx: SyscallContext) {
    this.facade = new Syscalls(ctx);
  }

  private get mm(): AddressSpace {
    return this.ctx.mm;
  }

  /** mmap with the file offset in pages (byte offset pgoff * 4096). Linux: mm/mmap.c ksys_mmap_pgoff(). */
  mmap(addr: number, len: number, prot: number, flags: number, fd: number, pgoff: number): number {
    check(addr, 'addr'); check(len, 'len'); check(prot, 'prot'); check(flags, 'flags'); check(fd, 'fd', true);
    check(pgoff, 'pgoff');
    if (pgoff >= 2 ** 52) throw new RangeError(`pgoff must be below 2^52 (a u64 byte offset): ${pgoff}`);
    // syscalls.ts mapFlags(): the low 32 bits, any higher bit folded into 0x2000000.
    let f = flags >>> 0;
    if (flags >= TWO32) f = (f | 0x2000000) >>> 0;
    if ((f & M.MAP_ANONYMOUS) === 0 || (f & M.MAP_HUGETLB) !== 0) {
      return this.facade.mmap(BigInt(addr), BigInt(len), BigInt(prot), BigInt(flags),
        BigInt.asUintN(64, BigInt(fd)), BigInt(pgoff) * 4096n);
    }
    // syscalls.ts mmapPgoff(), anonymous without MAP_HUGETLB (its `fixedErr` needs an address
    // within 4095 of 2^64: always 0 here).
    if (len === 0) return EINVAL;
    const L = pageUp(len);
    const mm = this.mm;
    return doMmap(mm, {
      file: null, addr, len: L > mm.taskSize ? Infinity : L, prot: prot >>> 0, flags: f, pgoff, compat: false,
    });
  }

  /** Linux: mm/vma.c do_vmi_munmap(). */
  munmap(addr: number, len: number): number {
    check(addr, 'addr'); check(len, 'len');
    if ((addr & 4095) !== 0 || addr > TASK_SIZE || len > TASK_SIZE - addr) return EINVAL;
    const end = addr + pageUp(len);
    if (end === addr) return EINVAL;
    return doMunmap(this.mm, addr, end);
  }

  /** Linux: mm/mprotect.c do_mprotect_pkey(), argument part. */
  mprotect(addr: number, len: number, prot: number): number {
    check(addr, 'addr'); check(len, 'len'); check(prot, 'prot');
    const lo = prot >>> 0;
    const grows = lo & PROT_GROWS;
    if (grows === PROT_GROWS) return EINVAL;
    if ((addr & 4095) !== 0) return EINVAL;
    if (len === 0) return 0;
    // The facade's `end <= addr` (ENOMEM on wrap-around) cannot happen below 2^54.
    const end = addr + pageUp(len);
    if (prot >= TWO32 || (lo & ~grows & ~PROT_VALID) !== 0) return EINVAL;
    // syscalls.ts span(): a start beyond the user range becomes [2^60, 2^61).
    if (addr > TASK_SIZE) return doMprotect(this.mm, FAR, FAR * 2, lo);
    return doMprotect(this.mm, addr, num(end), lo);
  }

  /** Linux: mm/mremap.c check_mremap_params(). */
  mremap(oldAddr: number, oldLen: number, newLen: number, flags: number, newAddr: number): number {
    check(oldAddr, 'old_addr'); check(oldLen, 'old_len'); check(newLen, 'new_len'); check(flags, 'flags');
    check(newAddr, 'new_addr');
    if (flags > MREMAP_VALID) return EINVAL; // any bit beyond the three flags
    if ((oldAddr & 4095) !== 0) return EINVAL;
    const oldL = pageUp(oldLen);
    const newL = pageUp(newLen);
    if (newL === 0) return EINVAL;
    if (newL > TASK_SIZE) return EINVAL;
    const f = flags;
    if ((f & (M.MREMAP_FIXED | M.MREMAP_DONTUNMAP)) !== 0) {
      if (newAddr > TASK_SIZE - newL) return EINVAL;
      if ((newAddr & 4095) !== 0) return EINVAL;
      if ((f & M.MREMAP_MAYMOVE) === 0) return EINVAL;
      if ((f & M.MREMAP_DONTUNMAP) !== 0 && oldL !== newL) return EINVAL;
      if (oldAddr < newAddr + newL && newAddr < oldAddr + oldL) return EINVAL;
      const mm = this.mm;
      if (mm.mapCount + 2 >= mm.sys.sysctl.maxMapCount - 3) return ENOMEM;
    }
    return doMremap(this.mm, num(oldAddr), num(oldL), newL, f, num(newAddr));
  }

  /** The raw brk syscall: returns the new break, or the old one when it refuses. */
  brk(addr: number): number {
    check(addr, 'brk');
    return doBrk(this.mm, addr);
  }
}

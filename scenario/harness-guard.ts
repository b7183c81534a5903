/**
 * The ops the kernel oracle refuses because they would change its executor's own memory, the
 * `harness` ranges of its init record (spec/scenario.md §7.3): they answer {"error"} and leave
 * the process as it was. A run from the oracle's start state refuses the same ops; carrying them
 * out would take the address space where the kernel's never went (the executor's stack
 * unmapped, its image written), and every later `maps` and `status` would differ.
 *
 * Oracle: tools/kernel-oracle/src/controller.c touches_harness(), bytes_touch_harness() and
 * run_op(). The checks are the oracle's, to the bit: an advice is compared as the whole u64, a
 * range the kernel rejects by itself (unaligned, wrapping, past TASK_SIZE for the syscalls that
 * check that first) is left to the kernel.
 */
import { MADV_DONTNEED, MADV_DONTNEED_LOCKED, MADV_DONTFORK, MADV_FREE, MADV_GUARD_INSTALL, MADV_HWPOISON, MADV_REMOVE,
  MADV_SOFT_OFFLINE, MADV_WIPEONFORK, MAP_FIXED, MAP_FIXED_NOREPLACE, MREMAP_FIXED } from '../src/abi/mman.js';
import type { OpResult } from './format.js';
import type { Op } from './parse.js';
import { parseHexValue } from './values.js';

const U64 = 1n << 64n;
const TASK_SIZE = 0x7ffffffff000n;
const PAGE_MASK = ~4095n;

/** Advice that would destroy memory (the oracle's list; MADV_WILLNEED and the like pass). */
const DESTRUCTIVE_ADVICE = new Set<bigint>([MADV_DONTNEED, MADV_FREE, MADV_REMOVE, MADV_DONTFORK, MADV_WIPEONFORK,
  MADV_DONTNEED_LOCKED, MADV_GUARD_INSTALL].map(BigInt));

type Range = { start: bigint; end: bigint };

export class HarnessGuard {
  private constructor(private readonly image: Range, private readonly stack: Range) {}

  /** The guard of an oracle start state, or undefined for one without harness ranges (a trace, the default). */
  static fromInit(init: Record<string, unknown>): HarnessGuard | undefined {
    const h = init.harness;
    if (!Array.isArray(h)) return undefined;
    const range = (what: string): Range | undefined => {
      const r = h.find((x) => typeof x === 'object' && x !== null && (x as Record<string, unknown>).what === what) as Record<string, unknown> | undefined;
      const start = typeof r?.start === 'string' ? parseHexValue(r.start) : undefined;
      const end = typeof r?.end === 'string' ? parseHexValue(r.end) : undefined;
      return start !== undefined && end !== undefined ? { start, end } : undefined;
    };
    const image = range('executor image');
    const stack = range('stack');
    return image && stack ? new HarnessGuard(image, stack) : undefined;
  }

  /** The oracle's {"error"} for `op` with evaluated operands `a`, or undefined when it runs the op. */
  refusal(op: Op, a: Record<string, bigint>): OpResult | undefined {
    let why: string | undefined;
    switch (op.op) {
      case 'mmap':
        if ((a.flags & BigInt(MAP_FIXED)) !== 0n && (a.flags & BigInt(MAP_FIXED_NOREPLACE)) === 0n) why = this.pages(a.addr, a.len, true);
        break;
      case 'munmap':
        why = this.pages(a.addr, a.len, true);
        break;
      case 'mprotect':
        why = this.pages(a.addr, a.len, false);
        break;
      case 'madvise':
        if (a.advice === BigInt(MADV_HWPOISON) || a.advice === BigInt(MADV_SOFT_OFFLINE)) {
          return { error: 'harness: refused: MADV_HWPOISON/SOFT_OFFLINE harm the host' };
        }
        if (DESTRUCTIVE_ADVICE.has(a.advice)) why = this.pages(a.addr, a.len, false);
        break;
      case 'mremap':
        why = this.pages(a.old_addr, a.old_len, true);
        if (why === undefined && (a.flags & BigInt(MREMAP_FIXED)) !== 0n) why = this.pages(a.new_addr, a.new_len, true);
        break;
      case 'pread':
        if (op.given.has('buf')) why = this.bytes(a.buf, a.len);
        break;
      case 'store':
        why = this.bytes(a.addr, BigInt(op.data!.length));
        break;
      case 'touch':
        if (op.write) why = this.bytes(a.addr, a.len);
        break;
    }
    return why === undefined ? undefined : { error: `harness: refused: ${op.op} would change ${why}` };
  }

  /**
   * touches_harness(): whether the pages of [addr, addr+len) overlap the harness. A range the
   * syscall rejects before changing anything is not refused: unaligned, empty, wrapping, or (when
   * `pastTopRejected`: munmap, mremap, MAP_FIXED) ending above TASK_SIZE.
   */
  private pages(addr: bigint, len: bigint, pastTopRejected: boolean): string | undefined {
    if (len === 0n || (addr & 4095n) !== 0n) return undefined;
    const l = (len + 4095n) & PAGE_MASK;
    if (l >= U64 || addr + l >= U64) return undefined;
    const end = addr + l;
    if (pastTopRejected && end > TASK_SIZE) return undefined;
    return this.overlap(addr, end, this.image.start & PAGE_MASK);
  }

  /** bytes_touch_harness(): whether the bytes [addr, addr+len) overlap the harness (a store, a write touch, a pread's buffer). */
  private bytes(addr: bigint, len: bigint): string | undefined {
    if (len === 0n) return undefined;
    const end = addr + len >= U64 ? U64 - 1n : addr + len;
    return this.overlap(addr, end, this.image.start);
  }

  private overlap(start: bigint, end: bigint, imageStart: bigint): string | undefined {
    if (start < this.image.end && end > imageStart) return 'the executor image';
    if (start < this.stack.end && end > this.stack.start) return 'the executor stack';
    return undefined;
  }
}

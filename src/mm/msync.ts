/**
 * msync: walk the range; holes give ENOMEM (at once for plain MS_ASYNC), MS_INVALIDATE on a
 * locked VMA is EBUSY. Spec linux-mm.md §4.5. Linux: mm/msync.c SYSCALL_DEFINE3(msync).
 */
import { Errno } from '../abi/errno.js';
import { MS_ASYNC, MS_INVALIDATE } from '../abi/mman.js';
import type { AddressSpace } from './address-space.js';
import { VM_LOCKED } from './vma.js';

/** msync of the checked, page-aligned, non-empty range [start, end). */
export function doMsync(mm: AddressSpace, start: number, end: number, flags: number): number {
  let unmappedError = 0;
  let vma = mm.tree.findNext(start);
  for (;;) {
    if (vma === undefined) return -Errno.ENOMEM;
    if (start < vma.start) {
      if (flags === MS_ASYNC) return -Errno.ENOMEM;
      start = vma.start;
      if (start >= end) return -Errno.ENOMEM;
      unmappedError = -Errno.ENOMEM;
    }
    if ((flags & MS_INVALIDATE) !== 0 && (vma.flags & VM_LOCKED) !== 0) return -Errno.EBUSY;
    // MS_SYNC writes shared file pages back: the page cache is the file here, nothing to do.
    start = vma.end;
    if (start >= end) return unmappedError;
    vma = mm.tree.findNext(start);
  }
}

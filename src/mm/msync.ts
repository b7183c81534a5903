/**
 * msync: walk the range; holes give ENOMEM (at once for plain MS_ASYNC), MS_INVALIDATE on a
 * locked VMA is EBUSY. Spec linux-mm.md §4.5. Linux: mm/msync.c SYSCALL_DEFINE3(msync).
 */
import { Errno } from '../abi/errno.js';
import { MS_ASYNC, MS_INVALIDATE, MS_SYNC } from '../abi/mman.js';
import type { AddressSpace } from './address-space.js';
import { VM_LOCKED, VM_SHARED } from './vma.js';
import { writebackRange } from './writeback.js';

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
    const fend = Math.min(end, vma.end);
    // vfs_fsync_range(): a device file without an fsync method (sg) fails the call with EINVAL.
    if ((flags & MS_SYNC) !== 0 && vma.file !== null && (vma.flags & VM_SHARED) !== 0 && vma.file.inode.fs === 'chardev') {
      return -Errno.EINVAL;
    }
    if ((flags & MS_SYNC) !== 0 && vma.file !== null && (vma.flags & VM_SHARED) !== 0 && vma.file.inode.fs === 'ext4') {
      // tmpfs and shmem have nothing to write back to: their pages stay dirty.
      // vfs_fsync_range(): the file range's dirty pages are written back and cleaned.
      const first = vma.pgoff + (start - vma.start) / 4096;
      writebackRange(mm.sys, vma.file.inode, first, first + (fend - start) / 4096);
    }
    start = vma.end;
    if (start >= end) return unmappedError;
    vma = mm.tree.findNext(start);
  }
}

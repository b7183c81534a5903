/**
 * msync: walk the range; holes give ENOMEM (at once for plain MS_ASYNC), MS_INVALIDATE on a
 * locked VMA is EBUSY. Spec linux-mm.md §4.5. Linux: mm/msync.c SYSCALL_DEFINE3(msync).
 */
import { Errno } from '../abi/errno.js';
import { MS_ASYNC, MS_INVALIDATE, MS_SYNC } from '../abi/mman.js';
import { FRAME_DIRTY } from '../mem/frames.js';
import { KIND_FILE, PTE_DIRTY, PTE_KIND, PTE_PRESENT, PTE_WRITE } from '../mem/page-table.js';
import type { AddressSpace } from './address-space.js';
import { forEachMappingOf } from './page-cache.js';
import { type MmInode, VM_LOCKED, VM_SHARED } from './vma.js';

/**
 * Write back pages [first, last) of an ext4 file: each page becomes clean, and every PTE mapping
 * it in a shared mapping loses its dirty and write bits, so the next store faults and dirties it
 * again (Linux: folio_clear_dirty_for_io() → folio_mkclean()).
 */
function writeback(mm: AddressSpace, inode: MmInode, first: number, last: number): void {
  const frames = mm.frames;
  for (const [i, f] of inode.pages) if (i >= first && i < last) frames.flags[f] &= ~FRAME_DIRTY;
  forEachMappingOf(mm, inode, first, last, (owner, v, start, end) => {
    if ((v.flags & VM_SHARED) === 0) return;
    let changed = false;
    owner.pt.forEachIn(start / 4096, end / 4096, (vpn, pte) => {
      if ((pte & PTE_PRESENT) === 0 || (pte & PTE_KIND) !== KIND_FILE || (pte & (PTE_DIRTY | PTE_WRITE)) === 0) return;
      owner.pt.set(vpn, pte & ~(PTE_DIRTY | PTE_WRITE));
      changed = true;
    });
    if (changed) owner.flushTlb();
  });
}

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
    if ((flags & MS_SYNC) !== 0 && vma.file !== null && (vma.flags & VM_SHARED) !== 0 && vma.file.inode.fs === 'ext4') {
      // vfs_fsync_range(): the file range's dirty pages are written back and cleaned.
      const first = vma.pgoff + (start - vma.start) / 4096;
      writeback(mm, vma.file.inode, first, first + (fend - start) / 4096);
    }
    start = vma.end;
    if (start >= end) return unmappedError;
    vma = mm.tree.findNext(start);
  }
}

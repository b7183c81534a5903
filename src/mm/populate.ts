/**
 * Prefaulting (MAP_POPULATE, MAP_LOCKED/mlock, MADV_POPULATE_*) through the fault handler.
 * Linux: mm/gup.c populate_vma_page_range(), __mm_populate().
 */
import { Errno } from '../abi/errno.js';
import { FRAME_DIRTY, FRAME_REFERENCED } from '../mem/frames.js';
import { PTE_DIRTY, PTE_FRAME_SHIFT, PTE_PRESENT, PTE_READ, PTE_WRITE } from '../mem/page-table.js';
import type { AddressSpace } from './address-space.js';
import { ACCESS_READ, ACCESS_WRITE, FAULT_NONE, FAULT_OOM, handleMmFault } from './fault.js';
import { VM_EXEC, VM_IO, VM_LOCKONFAULT, VM_PFNMAP, VM_READ, VM_SHARED, VM_WRITE, type Vma } from './vma.js';

/** Whether any access is allowed (Linux: vma_is_accessible()). */
export function isAccessible(v: Vma): boolean {
  return (v.flags & (VM_READ | VM_WRITE | VM_EXEC)) !== 0;
}

/**
 * How a prefault touches pages: 'populate' as mm_populate() does (a write fault for private
 * writable memory, breaking COW; a read fault otherwise), or always 'read' / 'write'
 * (MADV_POPULATE_READ / MADV_POPULATE_WRITE).
 */
export type FaultAccess = 'populate' | 'read' | 'write';

/**
 * Fault in [start, end) of one VMA as get_user_pages would (Linux: mm/gup.c
 * populate_vma_page_range() → handle_mm_fault()). Returns 0, -EFAULT when a page lies past the
 * end of the file (SIGBUS) or under a guard marker, -ENOMEM when memory runs out. `untriedRetry`:
 * a fault that drops the mmap lock is retried without FAULT_FLAG_TRIED (__mm_populate()).
 */
export function faultInRange(
  mm: AddressSpace, v: Vma, start: number, end: number, access: FaultAccess, untriedRetry = false,
): number {
  const write = access === 'write' || (access === 'populate' && (v.flags & (VM_WRITE | VM_SHARED)) === VM_WRITE);
  const kind = write ? ACCESS_WRITE : ACCESS_READ;
  const frames = mm.frames;
  const need = PTE_PRESENT | (write ? PTE_WRITE : PTE_READ);
  for (let a = start; a < end; a += 4096) {
    // follow_page_pte() uses a present PTE that allows the access as it is; only a missing or
    // insufficient one takes a fault.
    if ((mm.pt.get(a / 4096) & need) !== need) {
      const r = handleMmFault(mm, v, a, kind, untriedRetry);
      if (r !== FAULT_NONE) return r === FAULT_OOM ? -Errno.ENOMEM : -Errno.EFAULT;
    }
    // FOLL_TOUCH: folio_mark_accessed() (recorded: a MAP_POPULATE'd page is still Referenced in a
    // child whose PTE copy is old), and a write through a clean PTE dirties the page itself.
    const pte = mm.pt.get(a / 4096);
    const f = pte >>> PTE_FRAME_SHIFT;
    if ((pte & PTE_PRESENT) !== 0 && f !== 0) {
      const bits = write && (pte & PTE_DIRTY) === 0 ? FRAME_REFERENCED | FRAME_DIRTY : FRAME_REFERENCED;
      if ((frames.flags[f] & bits) !== bits && frames.folio[f] !== 0) markLargeFolio(mm, frames.folio[f], bits);
      frames.flags[f] |= bits;
    }
  }
  return 0;
}

/**
 * folio_mark_dirty() / folio_mark_accessed() of an anonymous large folio: PG_dirty and
 * PG_referenced belong to the folio, so every page of it shows them, wherever it is mapped
 * (recorded: madvise-data/thp-populate-dirties-folio, fuzz seed 3000405: an mlock's write touch
 * of 3 pages of a clean THP made the other 509 Private_Dirty).
 */
function markLargeFolio(mm: AddressSpace, folio: number, bits: number): void {
  const flags = mm.frames.flags;
  mm.frames.forEachFolioFrame(folio, (f) => { flags[f] |= bits; });
}

/**
 * Linux: mm/gup.c __mm_populate(): prefault every VMA of [start, start+len). With
 * `ignoreErrors` (mmap's MAP_POPULATE/MAP_LOCKED) failures are skipped; otherwise the first
 * failure is returned (mlock turns -EFAULT into -ENOMEM).
 */
export function mmPopulate(mm: AddressSpace, start: number, len: number, ignoreErrors: boolean): number {
  const end = start + len;
  let nstart = start;
  while (nstart < end) {
    const v = mm.tree.findNext(nstart);
    if (v === undefined || v.start >= end) break;
    if (nstart < v.start) nstart = v.start;
    const nend = Math.min(end, v.end);
    let r = 0;
    if ((v.flags & VM_LOCKONFAULT) !== 0 || (v.flags & (VM_IO | VM_PFNMAP)) !== 0) r = 0;
    else if (!isAccessible(v)) r = -Errno.EFAULT;
    // (A fault that dropped the mmap lock is retried by a new populate_vma_page_range() call.)
    else r = faultInRange(mm, v, nstart, nend, 'populate', true);
    if (r < 0 && !ignoreErrors) return r;
    nstart = nend;
  }
  return 0;
}
